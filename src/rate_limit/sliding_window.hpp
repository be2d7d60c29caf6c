// An exact sliding window in memory: at most `max_requests` requests in any `window`.
//
// The Python project keeps a log of request times per webhook and drops the ones older than the
// window at every request. We keep the same log in a ring of `max_requests` times: once the ring
// is full its oldest entry is the one that decides, so a request costs O(1) and the answers
// (which request is refused, how long until a slot frees) are the Python project's. A token
// bucket would be as cheap but refuses different requests (it lets a full burst through after
// a quiet window/max_requests), and users compare us with the Python project.
//
// One small mutex per webhook: requests to different webhooks never wait for each other, and
// the critical section is a compare and a store.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

namespace wg {

struct RateDecision {
  bool allowed = true;
  std::chrono::milliseconds retry_after{0};  // when refused: until the oldest request leaves
};

class SlidingWindow {
 public:
  using Clock = std::chrono::steady_clock;

  SlidingWindow(uint32_t max_requests, std::chrono::milliseconds window);

  // Counts a request at `now` if a slot is free; a refused request is not counted.
  RateDecision Take(Clock::time_point now);

 private:
  const std::chrono::milliseconds window_;
  std::mutex mutex_;
  std::vector<Clock::time_point> times_;  // ring of the accepted requests' times
  size_t next_ = 0;                       // the oldest entry once the ring is full
  size_t used_ = 0;
};

}  // namespace wg
