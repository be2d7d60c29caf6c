#include "connections/client_thread.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace wg {
namespace {
using namespace std::chrono_literals;

struct Request {
  int value = 0;
};

TEST(ClientThreadTest, RunsQueuedRequestsOnItsOwnThreadAndRefusesThemOnceStopped) {
  ClientThread<Request> client("not used yet");
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<int> seen;
  std::thread::id runner;
  int starts = 0;
  auto run = [&] {
    runner = std::this_thread::get_id();
    ++starts;
    while (auto batch = client.Take()) {
      {
        std::lock_guard lock(mutex);
        for (const auto& request : *batch) seen.push_back(request->value);
      }
      changed.notify_all();
      pollfd wake{client.wake_fd(), POLLIN, 0};
      if (poll(&wake, 1, 1000) > 0) {
        uint64_t count = 0;
        ASSERT_EQ(read(client.wake_fd(), &count, sizeof count), 8);
      }
    }
  };
  EXPECT_EQ(client.State(), "not used yet");
  EXPECT_FALSE(client.Push(std::make_shared<Request>(Request{1}), run));
  EXPECT_FALSE(client.Push(std::make_shared<Request>(Request{2}), run));
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, 5s, [&] { return seen.size() == 2; }));
    EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  }
  client.SetState("connected");
  EXPECT_EQ(client.State(), "connected");

  client.Stop();
  EXPECT_EQ(starts, 1);  // one thread, started by the first request
  EXPECT_NE(runner, std::this_thread::get_id());
  auto refused = client.Push(std::make_shared<Request>(Request{3}), run);
  ASSERT_TRUE(refused);
  EXPECT_EQ(*refused, "shutting down");
  EXPECT_TRUE(client.TakeRemaining().empty());
}

TEST(ClientThreadTest, StoppingBeforeAnyRequestStartsNoThread) {
  ClientThread<Request> client("not used yet");
  client.Stop();
  int starts = 0;
  auto refused = client.Push(std::make_shared<Request>(Request{1}), [&] { ++starts; });
  ASSERT_TRUE(refused);
  EXPECT_EQ(*refused, "shutting down");
  EXPECT_EQ(starts, 0);
}

}  // namespace
}  // namespace wg
