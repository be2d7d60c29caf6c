// Outcomes produced on a client's own thread (rabbitmq, mqtt, stomp, zeromq, mysql, kafka) and
// awaited by a chain's coroutine on its own executor with AwaitFromThread<Outcome>.
#pragma once

#include <functional>
#include <utility>

#include "modules/module.hpp"
#include "util/await_from_thread.hpp"  // AwaitFromThread<Outcome>(hand_off)

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

}  // namespace wg
