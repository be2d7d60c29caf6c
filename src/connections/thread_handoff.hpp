// Outcomes produced on a client's own thread (rabbitmq, mqtt, stomp: each connection has one)
// and awaited by a chain's coroutine on its own executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>
#include <utility>

#include "modules/module.hpp"

namespace wg {

// Resumes the awaiting coroutine on its own executor. Called at most once (CompleteOnce).
using OutcomeCallback = std::function<void(Outcome)>;

// Calls `complete` and clears it, so that a second completion does nothing.
inline void CompleteOnce(OutcomeCallback& complete, Outcome outcome) {
  if (!complete) return;
  auto callback = std::move(complete);
  complete = nullptr;
  callback(std::move(outcome));
}

// Awaits the outcome of work handed to another thread: `hand_off(callback)` stores the callback
// with the work and queues it. The work is queued only once the callback exists, so the thread
// cannot complete it before this coroutine is ready to resume.
template <typename HandOff>
boost::asio::awaitable<Outcome> AwaitFromThread(HandOff hand_off) {
  namespace asio = boost::asio;
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto waiting = asio::async_initiate<const asio::use_awaitable_t<>, void(Outcome)>(
      [executor, hand_off = std::move(hand_off)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        hand_off(OutcomeCallback([shared, executor](Outcome outcome) {
          asio::post(executor, [shared, outcome = std::move(outcome)]() mutable {
            std::move (*shared)(std::move(outcome));
          });
        }));
      },
      asio::use_awaitable);
  Outcome outcome = co_await std::move(waiting);
  co_return outcome;
}

}  // namespace wg
