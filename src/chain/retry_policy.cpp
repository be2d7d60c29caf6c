#include "chain/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace wg {

std::chrono::milliseconds RetryPolicy::MaxDelayAfter(int failures) const {
  double exponent = std::max(0, failures - 1);
  double seconds = initial_delay_seconds * std::pow(backoff_multiplier, exponent);
  seconds = std::min(seconds, max_delay_seconds);
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0));
}

std::chrono::milliseconds RetryPolicy::DelayAfter(int failures, std::mt19937_64& rng) const {
  auto cap = MaxDelayAfter(failures).count();
  if (cap <= 0) return std::chrono::milliseconds(0);
  std::uniform_int_distribution<int64_t> jitter(0, cap);
  return std::chrono::milliseconds(jitter(rng));
}

}  // namespace wg
