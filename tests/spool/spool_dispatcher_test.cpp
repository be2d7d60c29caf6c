// Delivery from the spool as the destinations and the operator see it: every chain item
// delivered once, a backlog drained without one nested call per webhook, failures kept as dead
// letters, webhooks read back from disk when they are not in memory, and nothing left
// unfinished in the spool afterwards.
#include "spool/spool_dispatcher.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <thread>

#include "config/config_loader.hpp"
#include "observability/logger.hpp"
#include "spool/dead_letters.hpp"
#include "test_support.hpp"
#include "webhook/pipeline.hpp"

namespace wg {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Answers at once (DeliverNow) with `outcome`, except its first `waiting_calls` calls, which
// wait `wait` on a timer first (through Deliver). Records the bodies it was given, and the
// lowest and highest stack address its at-once answers ran at.
class CountingModule final : public Module {
 public:
  explicit CountingModule(Outcome outcome, int waiting_calls = 0,
                          std::chrono::milliseconds wait = 0ms)
      : outcome_(std::move(outcome)), waiting_calls_(waiting_calls), wait_(wait) {}

  std::optional<Outcome> DeliverNow(const Delivery& delivery) override {
    if (calls < waiting_calls_) return std::nullopt;
    ++calls;
    bodies.push_back(delivery.body);
    // The frame itself, not a local (a sanitizer may move locals off the stack).
    auto address = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    lowest_stack = std::min(lowest_stack, address);
    highest_stack = std::max(highest_stack, address);
    return outcome_;
  }

  asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    ++calls;
    bodies.push_back(delivery->body);
    asio::steady_timer timer(co_await asio::this_coro::executor, wait_);
    co_await timer.async_wait(asio::use_awaitable);
    co_return outcome_;
  }

  int calls = 0;
  std::vector<std::string> bodies;
  uintptr_t lowest_stack = UINTPTR_MAX;
  uintptr_t highest_stack = 0;

 private:
  Outcome outcome_;
  int waiting_calls_;
  std::chrono::milliseconds wait_;
};

class SpoolDispatcherTest : public ::testing::Test {
 protected:
  SpoolDispatcherTest()
      : directory_(fs::temp_directory_path() / ("wg-dispatcher-" + std::to_string(::getpid()))) {
    fs::remove_all(directory_);
    SpoolOptions options;
    options.directory = directory_ / "spool";
    auto opened = Spool::Open(options, logger_);
    if (auto* error = std::get_if<std::string>(&opened))
      ADD_FAILURE() << *error;
    else
      spool_ = std::move(std::get<std::unique_ptr<Spool>>(opened));
    dead_letters_ = std::make_unique<DeadLetterStore>(directory_ / "dead");
    EXPECT_EQ(dead_letters_->Prepare(), std::nullopt);
  }
  ~SpoolDispatcherTest() override {
    dispatcher_.reset();
    spool_.reset();
    fs::remove_all(directory_);
  }

  // The webhook "orders" with these modules as its chain; the dispatcher that delivers it.
  void Configure(std::vector<std::shared_ptr<CountingModule>> modules, Execution execution,
                 bool continue_on_error, size_t lane_limit) {
    auto webhook = std::make_shared<WebhookDefinition>();
    webhook->id = "orders";
    webhook->chain.settings.execution = execution;
    webhook->chain.settings.continue_on_error = continue_on_error;
    for (size_t i = 0; i < modules.size(); ++i) {
      webhook->chain.items.push_back({fmt::format("module{}", i), modules[i], RetryPolicy{}, ""});
    }
    webhook_ = webhook;
    auto config = std::make_shared<GatewayConfig>();
    config->webhooks[webhook->id] = webhook;
    holder_ = std::make_unique<ConfigHolder>(config);
    dispatcher_ = std::make_unique<SpoolDispatcher>(*spool_, *dead_letters_, *holder_, limits_,
                                                    pool_, logger_, lane_limit);
  }

  static std::shared_ptr<Delivery> MakeDelivery(int n) {
    auto delivery = testing::MakeDelivery(fmt::format(R"({{"n":{}}})", n));
    delivery->id = fmt::format("01a2261f-0000-7000-8000-{:012}", n);
    return delivery;
  }

  // Spools `count` webhooks, then starts them all from one handler on the loop, as requests
  // accepted together would be; runs the loop until every item has finished.
  void SpoolAndStart(int count) {
    struct Spooled {
      std::shared_ptr<const Delivery> delivery;
      AppendResult appended;
    };
    std::vector<Spooled> spooled;
    for (int n = 0; n < count; ++n) {
      auto delivery = MakeDelivery(n);
      AcceptedRecordView record;
      record.delivery_id = delivery->id;
      record.webhook_id = delivery->webhook_id;
      record.chain_fingerprint = ChainFingerprint(webhook_->chain);
      record.pending_items = AllItemsMask(webhook_->chain.items.size());
      record.headers = delivery->headers;
      record.body = delivery->body;
      AppendResult appended = testing::RunAwaitable(spool_->Append(record));
      ASSERT_EQ(appended.status, AppendResult::Status::kOk);
      spooled.push_back({delivery, appended});
    }
    asio::post(io_, [&] {
      for (const auto& one : spooled) {
        dispatcher_->Start(webhook_, one.delivery, one.appended.sequence, one.appended.location,
                           AllItemsMask(webhook_->chain.items.size()), io_.get_executor());
      }
    });
    RunUntilIdle();
  }

  void RunUntilIdle() {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      io_.restart();
      io_.run_for(20ms);
      if (dispatcher_->Running() == 0 && dispatcher_->Waiting() == 0 &&
          spool_->Stats().unfinished == 0) {
        return;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "still running " << dispatcher_->Running() << ", waiting "
                      << dispatcher_->Waiting() << ", unfinished in the spool "
                      << spool_->Stats().unfinished;
        return;
      }
    }
  }

  fs::path directory_;
  Logger logger_{LogLevel::kError, LogFormat::kText};
  asio::thread_pool pool_{1};
  asio::io_context io_;
  RequestLimits limits_;
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<DeadLetterStore> dead_letters_;
  std::shared_ptr<const WebhookDefinition> webhook_;
  std::unique_ptr<ConfigHolder> holder_;
  std::unique_ptr<SpoolDispatcher> dispatcher_;
};

TEST_F(SpoolDispatcherTest, ParallelItemsAreEachDeliveredOnceAndTheSpoolEmpties) {
  auto first = std::make_shared<CountingModule>(Outcome::Delivered());
  auto second = std::make_shared<CountingModule>(Outcome::Delivered(), 1, 5ms);
  Configure({first, second}, Execution::kParallel, true, 8);
  SpoolAndStart(20);
  EXPECT_EQ(first->calls, 20);
  EXPECT_EQ(second->calls, 20);
  EXPECT_EQ(first->bodies.front(), R"({"n":0})");
  EXPECT_EQ(dead_letters_->Count(), 0u);
}

// A lane of 1000 places, all taken by webhooks waiting on their destination, and 1000 more
// queued behind them with their bodies in memory. When the first place frees, the queue is
// delivered by a destination that answers at once. Each of those ends in a pump of the lane,
// which must not nest inside the previous one (1000 deep would be a stack of megabytes).
TEST_F(SpoolDispatcherTest, AQueueOfInstantDeliveriesDrainsWithoutNesting) {
  auto module = std::make_shared<CountingModule>(Outcome::Delivered(), 1000, 20ms);
  Configure({module}, Execution::kSequential, true, 1000);
  SpoolAndStart(2000);
  EXPECT_EQ(module->calls, 2000);
  ASSERT_EQ(module->bodies.size(), 2000u);
  EXPECT_EQ(module->bodies[1000], R"({"n":1000})");  // the queue, oldest first
  EXPECT_EQ(module->bodies[1999], R"({"n":1999})");
  // The 1000 at-once answers ran at the same depth, give or take a few frames.
  ASSERT_NE(module->highest_stack, 0u);
  EXPECT_LT(module->highest_stack - module->lowest_stack, 16u * 1024)
      << "at-once answers ran " << module->highest_stack - module->lowest_stack
      << " bytes of stack apart";
}

TEST_F(SpoolDispatcherTest, ASequentialFailureIsKeptAsADeadLetterWithTheItemsNotRun) {
  auto failing = std::make_shared<CountingModule>(Outcome::Permanent("HTTP 400 from the target"));
  auto after = std::make_shared<CountingModule>(Outcome::Delivered());
  Configure({failing, after}, Execution::kSequential, false, 8);
  SpoolAndStart(3);
  EXPECT_EQ(failing->calls, 3);
  EXPECT_EQ(after->calls, 0);
  ASSERT_EQ(dead_letters_->Count(), 3u);
  auto letter = dead_letters_->Get(MakeDelivery(1)->id);
  ASSERT_TRUE(letter);
  EXPECT_EQ(letter->body, R"({"n":1})");
  ASSERT_EQ(letter->items.size(), 2u);
  EXPECT_EQ(letter->items[0].status, "failed");
  EXPECT_EQ(letter->items[0].error, "HTTP 400 from the target");
  EXPECT_EQ(letter->items[1].status, "not_executed");
}

// A webhook known only by its place on disk (after a restart, or a replay) is read back and
// delivered with the body it was accepted with.
TEST_F(SpoolDispatcherTest, AWebhookNotInMemoryIsReadBackFromTheSpool) {
  auto module = std::make_shared<CountingModule>(Outcome::Delivered());
  Configure({module}, Execution::kSequential, true, 8);
  auto delivery = MakeDelivery(7);
  AcceptedRecordView record;
  record.delivery_id = delivery->id;
  record.webhook_id = "orders";
  record.chain_fingerprint = ChainFingerprint(webhook_->chain);
  record.pending_items = 0b1;
  record.headers = delivery->headers;
  record.body = delivery->body;
  AppendResult appended = testing::RunAwaitable(spool_->Append(record));
  ASSERT_EQ(appended.status, AppendResult::Status::kOk);
  // From another thread than the loop's, as Resume at start is.
  std::thread([&] {
    dispatcher_->Enqueue(
        {appended.sequence, appended.location, 0b1, "orders", ChainFingerprint(webhook_->chain)},
        io_.get_executor());
  }).join();
  RunUntilIdle();
  ASSERT_EQ(module->bodies.size(), 1u);
  EXPECT_EQ(module->bodies[0], R"({"n":7})");
}

}  // namespace
}  // namespace wg
