#include "chain/work_queue.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <memory>

namespace wg {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;

// A job that finishes after `duration` on a timer of its own.
WorkQueue::Job Sleeper(asio::io_context& io, std::chrono::milliseconds duration, int* finished) {
  return {io.get_executor(), [&io, duration, finished](WorkQueue::Finished done) {
            auto timer = std::make_shared<asio::steady_timer>(io, duration);
            timer->async_wait([timer, finished, done](boost::system::error_code) {
              ++*finished;
              done();
            });
          }};
}

TEST(WorkQueueTest, BoundsInFlightAndQueueThenRefuses) {
  asio::io_context io;
  WorkQueue queue(2, 3);
  int finished = 0;
  int accepted = 0;
  for (int i = 0; i < 8; ++i) accepted += queue.TrySubmit(Sleeper(io, 20ms, &finished)) ? 1 : 0;
  EXPECT_EQ(accepted, 5) << "2 running + 3 queued";
  EXPECT_EQ(queue.InFlight(), 2u);
  EXPECT_EQ(queue.Queued(), 3u);
  io.run();
  EXPECT_EQ(finished, 5) << "every accepted job ran";
  EXPECT_TRUE(queue.Idle());
  EXPECT_TRUE(queue.TrySubmit(Sleeper(io, 1ms, &finished))) << "room again once drained";
}

// Jobs that finish inside their start (a chain whose modules have nothing to wait for): the
// queue behind them drains one handler at a time, not by nesting calls as deep as the queue.
TEST(WorkQueueTest, JobsFinishingAtOnceDrainTheQueueWithoutNesting) {
  asio::io_context io;
  WorkQueue queue(1, 10000);
  int depth = 0;
  int deepest = 0;
  int ran = 0;
  auto instant = [&] {
    return WorkQueue::Job{io.get_executor(), [&](WorkQueue::Finished done) {
                            ++depth;
                            deepest = std::max(deepest, depth);
                            ++ran;
                            done();
                            --depth;
                          }};
  };
  // Holds the one running place until the rest is queued.
  WorkQueue::Finished release;
  ASSERT_TRUE(queue.TrySubmit(
      {io.get_executor(), [&](WorkQueue::Finished done) { release = std::move(done); }}));
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(queue.TrySubmit(instant()));
  EXPECT_EQ(queue.Queued(), 10000u);
  release();
  io.run();
  EXPECT_EQ(ran, 10000);
  EXPECT_EQ(deepest, 1);
  EXPECT_TRUE(queue.Idle());
}

}  // namespace
}  // namespace wg
