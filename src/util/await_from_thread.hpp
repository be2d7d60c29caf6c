// Awaiting a result that another thread produces (the spool's and the dedup journal's writer
// threads, the clients of rabbitmq, mqtt, stomp, zeromq, mysql and kafka, each on its own thread):
// the coroutine resumes on its own executor, never on the producing thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>
#include <utility>

namespace wg {

// Calls `start(complete)`; `complete(result)` may then be called once, from any thread.
// `start` runs only once the completion can be called, so the other thread cannot be first.
template <typename Result, typename Start>
boost::asio::awaitable<Result> AwaitFromThread(Start start) {
  namespace asio = boost::asio;
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto waiting = asio::async_initiate<const asio::use_awaitable_t<>, void(Result)>(
      [&start, executor](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start(std::function<void(Result)>([shared, executor](Result result) {
          asio::post(executor, [shared, result = std::move(result)]() mutable {
            std::move (*shared)(std::move(result));
          });
        }));
      },
      asio::use_awaitable);
  Result result = co_await std::move(waiting);
  co_return result;
}

}  // namespace wg
