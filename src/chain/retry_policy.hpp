// Per-item retry: exponential backoff with full jitter. Only retryable outcomes are retried.
#pragma once

#include <chrono>
#include <random>

namespace wg {

struct RetryPolicy {
  bool enabled = false;
  int max_attempts = 3;  // total attempts, including the first
  double initial_delay_seconds = 1.0;
  double max_delay_seconds = 60.0;
  double backoff_multiplier = 2.0;

  int Attempts() const { return enabled ? max_attempts : 1; }

  // Wait before the next attempt after `failures` failed attempts (1 = after the first):
  // uniformly random in [0, min(max_delay, initial_delay * multiplier^(failures-1))].
  std::chrono::milliseconds DelayAfter(int failures, std::mt19937_64& rng) const;
  // The upper bound of that interval, for logs and tests.
  std::chrono::milliseconds MaxDelayAfter(int failures) const;
};

}  // namespace wg
