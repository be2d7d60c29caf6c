#include "chain/work_queue.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

namespace wg {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;

asio::awaitable<void> Sleep(std::chrono::milliseconds duration, int* finished) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
  ++*finished;
}

TEST(WorkQueueTest, BoundsInFlightAndQueueThenRefuses) {
  asio::io_context io;
  WorkQueue queue(2, 3);
  int finished = 0;
  auto job = [&] {
    return WorkQueue::Job{io.get_executor(), [&finished] { return Sleep(20ms, &finished); }};
  };
  int accepted = 0;
  for (int i = 0; i < 8; ++i) accepted += queue.TrySubmit(job()) ? 1 : 0;
  EXPECT_EQ(accepted, 5) << "2 running + 3 queued";
  EXPECT_EQ(queue.InFlight(), 2u);
  EXPECT_EQ(queue.Queued(), 3u);
  io.run();
  EXPECT_EQ(finished, 5) << "every accepted job ran";
  EXPECT_TRUE(queue.Idle());
  EXPECT_TRUE(queue.TrySubmit(job())) << "room again once drained";
}

}  // namespace
}  // namespace wg
