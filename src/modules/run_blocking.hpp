// Runs a blocking function on the blocking pool and resumes the caller on its own executor,
// so file I/O and blocking client libraries never stall an HTTP thread.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <utility>

namespace wg {

template <typename Function>
auto RunBlocking(boost::asio::thread_pool& pool, Function function)
    -> boost::asio::awaitable<decltype(function())> {
  using Result = decltype(function());
  auto running = boost::asio::co_spawn(
      pool,
      [function = std::move(function)]() mutable -> boost::asio::awaitable<Result> {
        co_return function();
      },
      boost::asio::use_awaitable);
  co_return co_await std::move(running);
}

}  // namespace wg
