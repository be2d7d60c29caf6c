#include "rate_limit/sliding_window.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace wg {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(SlidingWindowTest, AllowsMaxRequestsThenSaysWhenTheOldestLeaves) {
  SlidingWindow window(3, seconds(10));
  const auto start = SlidingWindow::Clock::time_point{} + seconds(1000);
  EXPECT_TRUE(window.Take(start).allowed);
  EXPECT_TRUE(window.Take(start + seconds(2)).allowed);
  EXPECT_TRUE(window.Take(start + seconds(4)).allowed);
  RateDecision refused = window.Take(start + seconds(5));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(5)) << "the first request leaves at start + 10 s";
  EXPECT_FALSE(window.Take(start + milliseconds(9999)).allowed);
  EXPECT_TRUE(window.Take(start + seconds(10)).allowed) << "exactly one window later";
  RateDecision next = window.Take(start + seconds(11));
  EXPECT_FALSE(next.allowed);
  EXPECT_EQ(next.retry_after, seconds(1)) << "now the second request (start + 2 s) is the oldest";
}

TEST(SlidingWindowTest, RefusedRequestsAreNotCounted) {
  SlidingWindow window(1, seconds(10));
  const auto start = SlidingWindow::Clock::time_point{} + seconds(1000);
  EXPECT_TRUE(window.Take(start).allowed);
  for (int i = 1; i < 10; ++i) EXPECT_FALSE(window.Take(start + seconds(i)).allowed);
  EXPECT_TRUE(window.Take(start + seconds(10)).allowed);
}

TEST(SlidingWindowTest, RetryAfterIsRoundedUpToTheMillisecond) {
  SlidingWindow window(1, seconds(1));
  const auto start = SlidingWindow::Clock::time_point{} + seconds(1000);
  EXPECT_TRUE(window.Take(start).allowed);
  EXPECT_EQ(window.Take(start + std::chrono::microseconds(300)).retry_after, milliseconds(1000));
}

TEST(SlidingWindowTest, ZeroRequestsAllowsNothing) {
  SlidingWindow window(0, seconds(60));
  RateDecision decision = window.Take(SlidingWindow::Clock::now());
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.retry_after, seconds(60));
}

TEST(SlidingWindowTest, ConcurrentRequestsNeverExceedTheLimit) {
  SlidingWindow window(1000, seconds(3600));
  const auto now = SlidingWindow::Clock::now();
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (window.Take(now).allowed) allowed.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 1000) << "4000 requests, exactly max_requests allowed";
}

}  // namespace
}  // namespace wg
