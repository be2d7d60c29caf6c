#include "chain/retry_policy.hpp"

#include <gtest/gtest.h>

namespace wg {
namespace {

TEST(RetryPolicyTest, DisabledMeansOneAttempt) {
  RetryPolicy policy;
  policy.max_attempts = 5;
  EXPECT_EQ(policy.Attempts(), 1);
  policy.enabled = true;
  EXPECT_EQ(policy.Attempts(), 5);
}

TEST(RetryPolicyTest, BackoffGrowsExponentiallyUpToMaxDelay) {
  RetryPolicy policy{true, 10, 1.0, 5.0, 2.0};
  EXPECT_EQ(policy.MaxDelayAfter(1).count(), 1000);
  EXPECT_EQ(policy.MaxDelayAfter(2).count(), 2000);
  EXPECT_EQ(policy.MaxDelayAfter(3).count(), 4000);
  EXPECT_EQ(policy.MaxDelayAfter(4).count(), 5000);
  EXPECT_EQ(policy.MaxDelayAfter(9).count(), 5000);
}

TEST(RetryPolicyTest, FullJitterStaysWithinBoundAndVaries) {
  RetryPolicy policy{true, 10, 1.0, 60.0, 2.0};
  std::mt19937_64 rng(42);
  std::set<int64_t> seen;
  for (int i = 0; i < 200; ++i) {
    auto delay = policy.DelayAfter(3, rng).count();
    ASSERT_GE(delay, 0);
    ASSERT_LE(delay, 4000);
    seen.insert(delay);
  }
  EXPECT_GT(seen.size(), 100u) << "delays must be spread, not fixed";
}

}  // namespace
}  // namespace wg
