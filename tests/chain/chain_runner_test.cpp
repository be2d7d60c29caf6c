#include "chain/chain_runner.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include "test_support.hpp"

namespace wg {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A destination whose answers are scripted: each call takes `delay` and returns the next
// outcome (the last one repeats). Records when calls started and ended.
class ScriptedModule final : public Module {
 public:
  ScriptedModule(std::vector<Outcome> outcomes, std::chrono::milliseconds delay,
                 std::vector<std::string>* journal = nullptr, std::string name = "")
      : outcomes_(std::move(outcomes)), delay_(delay), journal_(journal), name_(std::move(name)) {}

  asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery>) override {
    ++calls;
    if (journal_) journal_->push_back("start " + name_);
    if (delay_ > 0ms) {  // 0: answers without suspending, as a module with nothing to wait for
      asio::steady_timer timer(co_await asio::this_coro::executor, delay_);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return Outcome::Retryable("cancelled");
    }
    if (journal_) journal_->push_back("end " + name_);
    Outcome outcome = outcomes_[std::min(next_, outcomes_.size() - 1)];
    ++next_;
    co_return outcome;
  }

  // With at_once, answers its first call through DeliverNow, as a module without I/O does;
  // later calls (retries) go through Deliver.
  std::optional<Outcome> DeliverNow(const Delivery&) override {
    if (!at_once || calls > 0) return std::nullopt;
    ++calls;
    if (journal_) journal_->push_back("now " + name_);
    return outcomes_[next_++];
  }

  int calls = 0;
  bool at_once = false;

 private:
  std::vector<Outcome> outcomes_;
  size_t next_ = 0;
  std::chrono::milliseconds delay_;
  std::vector<std::string>* journal_;
  std::string name_;
};

struct Built {
  std::shared_ptr<Chain> chain = std::make_shared<Chain>();
  std::vector<ScriptedModule*> modules;

  ScriptedModule& Add(std::string name, std::vector<Outcome> outcomes,
                      std::chrono::milliseconds delay = 1ms, RetryPolicy retry = {},
                      std::vector<std::string>* journal = nullptr) {
    auto module = std::make_shared<ScriptedModule>(std::move(outcomes), delay, journal, name);
    modules.push_back(module.get());
    chain->items.push_back({std::move(name), module, retry, ""});
    return *module;
  }
};

ChainResult RunChain(const Built& built) {
  return testing::RunAwaitable(ChainRunner::Run(built.chain, testing::MakeDelivery()));
}

const Outcome kOk = Outcome::Delivered();
const Outcome kDown = Outcome::Retryable("connection refused");
const Outcome kBad = Outcome::Permanent("rejected");

TEST(ChainRunnerTest, SequentialRunsItemsInOrderOneAfterAnother) {
  std::vector<std::string> journal;
  Built built;
  built.Add("a", {kOk}, 5ms, {}, &journal);
  built.Add("b", {kOk}, 5ms, {}, &journal);
  built.Add("c", {kOk}, 5ms, {}, &journal);
  ChainResult result = RunChain(built);
  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.Delivered(), 3);
  EXPECT_EQ(journal, (std::vector<std::string>{"start a", "end a", "start b", "end b", "start c",
                                               "end c"}));
}

TEST(ChainRunnerTest, ParallelStartsAllItemsAtOnce) {
  std::vector<std::string> journal;
  Built built;
  built.chain->settings.execution = Execution::kParallel;
  built.Add("a", {kOk}, 60ms, {}, &journal);
  built.Add("b", {kOk}, 60ms, {}, &journal);
  built.Add("c", {kOk}, 60ms, {}, &journal);
  auto start = Clock::now();
  ChainResult result = RunChain(built);
  auto elapsed = Clock::now() - start;
  EXPECT_TRUE(result.success);
  ASSERT_EQ(journal.size(), 6u);
  EXPECT_EQ(journal[0], "start a");
  EXPECT_EQ(journal[1], "start b");
  EXPECT_EQ(journal[2], "start c");
  EXPECT_LT(elapsed, 170ms) << "three 60 ms items in parallel must not take 180 ms";
}

// Items that deliver without suspending finish before the chain waits for them; the chain then
// returns at once while Asio still resumes each item's coroutine to call its completion handler.
// (The item's cancellation slot was freed with the chain's state: a use-after-free under ASan.)
TEST(ChainRunnerTest, ParallelItemsThatNeverSuspendAreAllDelivered) {
  for (auto execution : {Execution::kParallel, Execution::kSequential}) {
    Built built;
    built.chain->settings.execution = execution;
    built.Add("a", {kOk}, 0ms);
    built.Add("b", {kOk}, 0ms);
    ChainResult result = RunChain(built);
    EXPECT_TRUE(result.success);
    EXPECT_EQ(result.Delivered(), 2);
    EXPECT_EQ(built.modules[0]->calls, 1);
    EXPECT_EQ(built.modules[1]->calls, 1);
  }
}

TEST(ChainRunnerTest, SequentialContinueOnErrorTrueRunsTheRest) {
  Built built;
  built.Add("a", {kBad});
  built.Add("b", {kOk});
  ChainResult result = RunChain(built);
  EXPECT_EQ(result.items[0].status, ItemStatus::kFailed);
  EXPECT_EQ(result.items[0].error, "rejected");
  EXPECT_EQ(result.items[1].status, ItemStatus::kDelivered);
  EXPECT_FALSE(result.success) << "success policy all";
  EXPECT_EQ(built.modules[1]->calls, 1);
}

TEST(ChainRunnerTest, SequentialContinueOnErrorFalseStopsTheChain) {
  Built built;
  built.chain->settings.continue_on_error = false;
  built.Add("a", {kOk});
  built.Add("b", {kBad});
  built.Add("c", {kOk});
  ChainResult result = RunChain(built);
  EXPECT_EQ(result.items[0].status, ItemStatus::kDelivered);
  EXPECT_EQ(result.items[1].status, ItemStatus::kFailed);
  EXPECT_EQ(result.items[2].status, ItemStatus::kNotExecuted);
  EXPECT_EQ(built.modules[2]->calls, 0);
}

TEST(ChainRunnerTest, ParallelContinueOnErrorFalseCancelsTheRest) {
  Built built;
  built.chain->settings.execution = Execution::kParallel;
  built.chain->settings.continue_on_error = false;
  built.Add("fast-fail", {kBad}, 5ms);
  built.Add("slow", {kOk}, 2000ms);
  auto start = Clock::now();
  ChainResult result = RunChain(built);
  EXPECT_LT(Clock::now() - start, 1500ms);
  EXPECT_EQ(result.items[0].status, ItemStatus::kFailed);
  EXPECT_EQ(result.items[1].status, ItemStatus::kCancelled);
  EXPECT_FALSE(result.success);
}

TEST(ChainRunnerTest, ParallelContinueOnErrorTrueLetsOthersFinish) {
  Built built;
  built.chain->settings.execution = Execution::kParallel;
  built.Add("fail", {kBad}, 5ms);
  built.Add("slow", {kOk}, 50ms);
  ChainResult result = RunChain(built);
  EXPECT_EQ(result.items[0].status, ItemStatus::kFailed);
  EXPECT_EQ(result.items[1].status, ItemStatus::kDelivered);
}

TEST(ChainRunnerTest, TimeoutAppliesToParallelChains) {
  Built built;
  built.chain->settings.execution = Execution::kParallel;
  built.chain->settings.timeout = 100ms;
  built.Add("quick", {kOk}, 5ms);
  built.Add("stuck", {kOk}, 5000ms);
  auto start = Clock::now();
  ChainResult result = RunChain(built);
  EXPECT_LT(Clock::now() - start, 2000ms);
  EXPECT_EQ(result.items[0].status, ItemStatus::kDelivered);
  EXPECT_EQ(result.items[1].status, ItemStatus::kTimedOut);
  EXPECT_EQ(result.items[1].error, "chain timeout of 0.1s reached");
}

TEST(ChainRunnerTest, TimeoutAppliesToSequentialChains) {
  Built built;
  built.chain->settings.timeout = 100ms;
  built.Add("stuck", {kOk}, 5000ms);
  built.Add("never", {kOk}, 5ms);
  auto start = Clock::now();
  ChainResult result = RunChain(built);
  EXPECT_LT(Clock::now() - start, 2000ms);
  EXPECT_EQ(result.items[0].status, ItemStatus::kTimedOut);
  EXPECT_EQ(result.items[1].status, ItemStatus::kNotExecuted);
  EXPECT_EQ(built.modules[1]->calls, 0);
}

// A destination that does not stop when cancelled (a blocking client library, a module bug):
// the chain's timeout still ends the chain on time, and its late answer changes nothing.
class DeafModule final : public Module {
 public:
  explicit DeafModule(std::chrono::milliseconds delay) : delay_(delay) {}

  asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery>) override {
    asio::steady_timer timer(co_await asio::this_coro::executor, delay_);
    co_await timer.async_wait(
        asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
    ++finished;
    co_return Outcome::Delivered();
  }

  int finished = 0;

 private:
  std::chrono::milliseconds delay_;
};

TEST(ChainRunnerTest, TimeoutHoldsWhenAModuleIgnoresCancellation) {
  for (auto execution : {Execution::kParallel, Execution::kSequential}) {
    auto chain = std::make_shared<Chain>();
    chain->settings.execution = execution;
    chain->settings.timeout = 50ms;
    auto deaf = std::make_shared<DeafModule>(600ms);
    chain->items.push_back({"deaf", deaf, {}, ""});
    asio::io_context io;
    std::optional<ChainResult> result;
    Clock::duration took{};
    auto start = Clock::now();
    asio::co_spawn(io, ChainRunner::Run(chain, testing::MakeDelivery()),
                   [&](std::exception_ptr, ChainResult got) {
                     took = Clock::now() - start;
                     result = std::move(got);
                   });
    io.run();  // returns once the deaf module has finished too
    ASSERT_TRUE(result);
    EXPECT_LT(took, 400ms);
    EXPECT_EQ(result->items[0].status, ItemStatus::kTimedOut);
    EXPECT_FALSE(result->success);
    EXPECT_EQ(deaf->finished, 1) << "the module ran to its end after the chain had ended";
  }
}

// Start calls back before it returns when no item has to wait, so a chain of modules without
// I/O costs no timer and no further scheduler round; with an item that waits it calls back later.
TEST(ChainRunnerTest, StartCallsBackAtOnceWhenNoItemWaits) {
  for (auto delay : {0ms, 5ms}) {
    Built built;
    built.Add("a", {kOk}, delay);
    built.Add("b", {kOk}, delay);
    asio::io_context io;
    bool returned = false;
    std::optional<ChainResult> result;
    bool before_return = false;
    asio::post(io, [&] {
      ChainRunner::Start(built.chain, testing::MakeDelivery(), {}, io.get_executor(),
                         [&](ChainResult got) {
                           before_return = !returned;
                           result = std::move(got);
                         });
      returned = true;
    });
    io.run();
    ASSERT_TRUE(result);
    EXPECT_TRUE(result->success);
    EXPECT_EQ(before_return, delay == 0ms) << "delay " << delay.count() << " ms";
  }
}

// Modules that answer at once (DeliverNow) run in order without a coroutine; a retry after an
// at-once failure is awaited through Deliver, with the retry policy's pause.
TEST(ChainRunnerTest, ModulesAnsweringAtOnceKeepTheChainRules) {
  std::vector<std::string> journal;
  Built built;
  RetryPolicy retry{true, 3, 0.001, 0.002, 2.0};
  built.Add("a", {kOk}, 0ms, {}, &journal).at_once = true;
  built.Add("b", {kDown, kOk}, 0ms, retry, &journal).at_once = true;
  built.Add("c", {kOk}, 0ms, {}, &journal).at_once = true;
  ChainResult result = RunChain(built);
  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.items[1].attempts, 2);
  ASSERT_EQ(result.items[1].failures.size(), 1u);
  EXPECT_EQ(result.items[1].failures[0].message, "connection refused");
  EXPECT_EQ(journal, (std::vector<std::string>{"now a", "now b", "start b", "end b", "now c"}));

  Built stopping;
  stopping.chain->settings.continue_on_error = false;
  stopping.Add("bad", {kBad}, 0ms).at_once = true;
  stopping.Add("never", {kOk}, 0ms).at_once = true;
  result = RunChain(stopping);
  EXPECT_EQ(result.items[0].status, ItemStatus::kFailed);
  EXPECT_EQ(result.items[0].error, "rejected");
  EXPECT_EQ(result.items[1].status, ItemStatus::kNotExecuted);
  EXPECT_EQ(stopping.modules[1]->calls, 0);

  Built parallel;
  parallel.chain->settings.execution = Execution::kParallel;
  parallel.chain->settings.continue_on_error = false;
  parallel.Add("bad", {kBad}, 0ms).at_once = true;
  parallel.Add("slow", {kOk}, 2000ms);
  auto start = Clock::now();
  result = RunChain(parallel);
  EXPECT_LT(Clock::now() - start, 1500ms);
  EXPECT_EQ(result.items[0].status, ItemStatus::kFailed);
  EXPECT_EQ(result.items[1].status, ItemStatus::kCancelled);
}

TEST(ChainRunnerTest, RetriesAFailingThenSucceedingModule) {
  Built built;
  RetryPolicy retry{true, 5, 0.01, 0.05, 2.0};
  built.Add("flaky", {kDown, kDown, kOk}, 1ms, retry);
  ChainResult result = RunChain(built);
  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.items[0].status, ItemStatus::kDelivered);
  EXPECT_EQ(result.items[0].attempts, 3);
  EXPECT_EQ(built.modules[0]->calls, 3);
}

TEST(ChainRunnerTest, GivesUpAfterMaxAttempts) {
  Built built;
  RetryPolicy retry{true, 3, 0.001, 0.002, 2.0};
  built.Add("down", {kDown}, 1ms, retry);
  ChainResult result = RunChain(built);
  EXPECT_EQ(result.items[0].status, ItemStatus::kFailed);
  EXPECT_EQ(result.items[0].attempts, 3);
  EXPECT_EQ(result.items[0].error, "connection refused");
}

TEST(ChainRunnerTest, PermanentFailuresAreNotRetried) {
  Built built;
  RetryPolicy retry{true, 5, 0.001, 0.002, 2.0};
  built.Add("bad", {kBad, kOk}, 1ms, retry);
  ChainResult result = RunChain(built);
  EXPECT_EQ(result.items[0].status, ItemStatus::kFailed);
  EXPECT_EQ(built.modules[0]->calls, 1);
}

TEST(ChainRunnerTest, WithoutRetryAFailureIsFinal) {
  Built built;
  built.Add("down", {kDown, kOk});
  ChainResult result = RunChain(built);
  EXPECT_EQ(result.items[0].status, ItemStatus::kFailed);
  EXPECT_EQ(built.modules[0]->calls, 1);
}

TEST(ChainRunnerTest, SuccessPolicyAnyNeedsOneDelivery) {
  Built built;
  built.chain->settings.success = SuccessPolicy::kAny;
  built.Add("a", {kBad});
  built.Add("b", {kOk});
  EXPECT_TRUE(RunChain(built).success);

  Built none;
  none.chain->settings.success = SuccessPolicy::kAny;
  none.Add("a", {kBad});
  none.Add("b", {kBad});
  EXPECT_FALSE(RunChain(none).success);
}

TEST(ChainRunnerTest, SuccessPolicyAllNeedsEveryDelivery) {
  Built built;
  built.Add("a", {kOk});
  built.Add("b", {kOk});
  EXPECT_TRUE(RunChain(built).success);
}

TEST(ChainRunnerTest, ResultJsonListsEveryItem) {
  Built built;
  built.Add("a", {kOk});
  built.Add("b", {kBad});
  auto json = RunChain(built).ToJson();
  EXPECT_EQ(json["total"].as_uint64(), 2u);
  EXPECT_EQ(json["delivered"].as_int64(), 1);
  auto& results = json["results"].as_array();
  EXPECT_EQ(results[0].at("status").as_string(), "delivered");
  EXPECT_EQ(results[1].at("status").as_string(), "failed");
  EXPECT_EQ(results[1].at("error").as_string(), "rejected");
}

}  // namespace
}  // namespace wg
