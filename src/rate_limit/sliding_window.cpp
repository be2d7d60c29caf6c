#include "rate_limit/sliding_window.hpp"

namespace wg {

SlidingWindow::SlidingWindow(uint32_t max_requests, std::chrono::milliseconds window)
    : window_(window), times_(max_requests) {}

RateDecision SlidingWindow::Take(Clock::time_point now) {
  if (times_.empty()) return {false, window_};
  std::lock_guard lock(mutex_);
  if (used_ == times_.size()) {
    const Clock::time_point oldest = times_[next_];
    if (now - oldest < window_) {
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(oldest + window_ - now);
      return {false, wait};
    }
  } else {
    ++used_;
  }
  times_[next_] = now;
  next_ = (next_ + 1) % times_.size();
  return {true, std::chrono::milliseconds(0)};
}

}  // namespace wg
