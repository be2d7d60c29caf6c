#include "chain/chain_runner.hpp"

#include <fmt/format.h>

#include <bit>
#include <boost/asio.hpp>
#include <optional>
#include <random>

#include "observability/metrics.hpp"

namespace wg {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kNotExecutedAfterFailure =
    "not executed: an earlier item failed and continue_on_error is false";
constexpr std::string_view kNotExecutedAfterTimeout = "not executed: chain timeout reached";

std::mt19937_64& ThreadRng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

std::chrono::microseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

std::string_view OutcomeName(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kDelivered: return "delivered";
    case OutcomeKind::kRetryable: return "retryable";
    case OutcomeKind::kPermanent: return "permanent";
  }
  return "permanent";
}

std::string Seconds(std::chrono::milliseconds ms) {
  return fmt::format("{:g}s", static_cast<double>(ms.count()) / 1000.0);
}

// One run of one chain, driven by its items' completions rather than by a waiting coroutine:
// a group (all items of a parallel chain, or one item of a sequential chain) is started, and
// the item that finishes it starts the next group. Items that finish without suspending (a
// module with nothing to wait for) finish the chain before Start returns, with no timer armed.
// The deadline timer is armed once, the first time a group is still running after its start.
//
// Shared with the item coroutines, which may outlive the run after a timeout or cancellation.
class ChainRun : public std::enable_shared_from_this<ChainRun> {
 public:
  ChainRun(std::shared_ptr<const Chain> chain, std::shared_ptr<const Delivery> delivery,
           ChainRunOptions options, asio::any_io_executor executor, ChainRunner::Done done)
      : chain_(std::move(chain)),
        delivery_(std::move(delivery)),
        options_(std::move(options)),
        executor_(std::move(executor)),
        done_(std::move(done)),
        start_(Clock::now()) {}

  void Begin() {
    const size_t size = chain_->items.size();
    result_.items.resize(size);
    for (size_t i = 0; i < size; ++i) {
      result_.items[i].module = chain_->items[i].module_name;
      if (!Asked(i)) result_.items[i].status = ItemStatus::kSkipped;
    }
    if (chain_->settings.execution == Execution::kParallel) {
      StartGroup(options_.items & AllItemsMask(size));
    } else {
      StartNextInSequence();
    }
  }

 private:
  // Chains have at most kMaxChainItems (20) items, so a set of them fits in 32 bits.
  static uint32_t Bit(size_t i) { return uint32_t{1} << i; }
  bool Asked(size_t i) const { return (options_.items & Bit(i)) != 0; }

  void StartNextInSequence() {
    while (next_ < chain_->items.size()) {
      size_t i = next_++;
      if (!Asked(i)) continue;
      if (stopped_ || timed_out_) {
        ItemResult& item = result_.items[i];
        item.status = ItemStatus::kNotExecuted;
        item.error = stopped_ ? std::string(kNotExecutedAfterFailure)
                              : std::string(kNotExecutedAfterTimeout);
        continue;
      }
      StartGroup(Bit(i));
      return;
    }
    Finish();
  }

  void StartGroup(uint32_t items) {
    group_ = items;
    group_start_ = Clock::now();
    pending_ = static_cast<size_t>(std::popcount(items));
    running_ |= items;
    starting_ = true;
    for (uint32_t rest = items; rest != 0; rest &= rest - 1) {
      StartItem(static_cast<size_t>(std::countr_zero(rest)));
    }
    starting_ = false;
    if (pending_ == 0 || failed_fast_) {
      EndGroup();
    } else {
      ArmDeadline();
    }
  }

  // The first attempt is made at once when the module can answer without waiting; the item
  // gets a coroutine only when it has to wait (Deliver) or to retry.
  void StartItem(size_t index) {
    const ChainItem& item = chain_->items[index];
    const auto start = Clock::now();
    ItemResult result;
    result.module = item.module_name;
    result.status = ItemStatus::kFailed;
    std::optional<Outcome> outcome;
    try {
      outcome = item.module->DeliverNow(*delivery_);
    } catch (const std::exception& error) {
      outcome = Outcome::Permanent(fmt::format("module raised: {}", error.what()));
    }
    if (outcome) {
      result.attempts = 1;
      if (!Settle(index, *outcome, start, result)) {
        CompleteItem(index, std::move(result), start);
        return;
      }
    }
    // The completion handler holds the run: Asio clears the item's cancellation slot (which
    // lives in signals_) when it resumes the finished coroutine to call the handler, which
    // can be after the chain has finished.
    auto self = shared_from_this();
    if (!signals_) signals_ = std::make_unique<asio::cancellation_signal[]>(chain_->items.size());
    asio::co_spawn(
        executor_, RunItem(self, index, std::move(result), start),
        asio::bind_cancellation_slot(signals_[index].slot(), [self](std::exception_ptr) {}));
  }

  // Records the outcome of attempt `result.attempts`. True when another attempt follows.
  bool Settle(size_t index, const Outcome& outcome, Clock::time_point attempt_start,
              ItemResult& result) {
    const ChainItem& item = chain_->items[index];
    if (options_.metrics) {
      options_.metrics->CountAttempt(options_.webhook, item.module_name, OutcomeName(outcome.kind),
                                     Clock::now() - attempt_start);
    }
    if (outcome.delivered()) {
      result.status = ItemStatus::kDelivered;
      result.error.clear();
      return false;
    }
    result.error = outcome.message;
    result.failures.push_back({result.attempts, std::chrono::system_clock::now(), outcome.message});
    if (outcome.kind == OutcomeKind::kPermanent || result.attempts >= item.retry.Attempts()) {
      return false;
    }
    if (options_.metrics) options_.metrics->CountRetry(options_.webhook, item.module_name);
    return true;
  }

  void CompleteItem(size_t index, ItemResult result, Clock::time_point start) {
    result.duration = Since(start);
    if (result.status == ItemStatus::kDelivered && options_.on_delivered) {
      options_.on_delivered(index);
    }
    ItemDone(index, std::move(result));
  }

  void ArmDeadline() {
    if (deadline_) return;
    deadline_.emplace(executor_, start_ + chain_->settings.timeout);
    deadline_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->finished_) return;
      self->timed_out_ = true;
      self->EndGroup();
    });
  }

  // Called by an item's coroutine when it has a result (not when it was cancelled).
  void ItemDone(size_t index, ItemResult item) {
    if ((running_ & Bit(index)) == 0) return;  // the group ended without it
    running_ &= ~Bit(index);
    bool failed = item.status != ItemStatus::kDelivered;
    result_.items[index] = std::move(item);
    --pending_;
    if (failed && !chain_->settings.continue_on_error) failed_fast_ = true;
    if (starting_) return;  // StartGroup decides once every item is started
    if (pending_ == 0 || failed_fast_) EndGroup();
  }

  // Records the group's unfinished items as timed out or cancelled, then goes on.
  void EndGroup() {
    for (uint32_t rest = group_ & running_; rest != 0; rest &= rest - 1) {
      const auto index = static_cast<size_t>(std::countr_zero(rest));
      running_ &= ~Bit(index);
      ItemResult& out = result_.items[index];
      out.duration = Since(group_start_);
      out.attempts = std::max(out.attempts, 1);
      if (timed_out_) {
        out.status = ItemStatus::kTimedOut;
        out.error = fmt::format("chain timeout of {} reached", Seconds(chain_->settings.timeout));
        out.failures.push_back({out.attempts, std::chrono::system_clock::now(), out.error});
      } else {
        out.status = ItemStatus::kCancelled;
        out.error = "cancelled: another item failed and continue_on_error is false";
      }
      if (signals_) signals_[index].emit(asio::cancellation_type::terminal);
    }
    if (chain_->settings.execution == Execution::kParallel) {
      Finish();
      return;
    }
    if (group_ != 0 &&
        result_.items[static_cast<size_t>(std::countr_zero(group_))].status !=
            ItemStatus::kDelivered &&
        !chain_->settings.continue_on_error) {
      stopped_ = true;
    }
    StartNextInSequence();
  }

  void Finish() {
    finished_ = true;
    if (deadline_) deadline_->cancel();
    result_.success = EvaluateSuccess(result_.items, chain_->settings.success);
    result_.duration = Since(start_);
    ChainRunner::Done done = std::move(done_);
    done(std::move(result_));
  }

  static asio::awaitable<void> RunItem(std::shared_ptr<ChainRun> run, size_t index,
                                       ItemResult result, Clock::time_point start);

  std::shared_ptr<const Chain> chain_;
  std::shared_ptr<const Delivery> delivery_;
  ChainRunOptions options_;
  asio::any_io_executor executor_;
  ChainRunner::Done done_;
  Clock::time_point start_;
  ChainResult result_;
  // Per chain item, made when the first item needs a coroutine (none when all answer at once).
  std::unique_ptr<asio::cancellation_signal[]> signals_;
  uint32_t running_ = 0;  // bit per chain item: started, no result yet
  std::optional<asio::steady_timer> deadline_;
  uint32_t group_ = 0;  // bit per chain item: the group started last
  Clock::time_point group_start_;
  size_t pending_ = 0;
  size_t next_ = 0;           // sequential: the next item to consider
  bool starting_ = false;     // StartGroup is still starting items
  bool failed_fast_ = false;  // an item failed and continue_on_error is false
  bool stopped_ = false;      // sequential: the rest is not executed
  bool timed_out_ = false;
  bool finished_ = false;
};

// An item's attempts from the first one not made yet (`result.attempts` were made at once),
// with the retry policy's pauses between them.
asio::awaitable<void> ChainRun::RunItem(std::shared_ptr<ChainRun> run, size_t index,
                                        ItemResult result, Clock::time_point start) {
  const ChainItem& item = run->chain_->items[index];
  // Whether the run cancelled this item (timeout, or another item failed fast). Read where
  // needed rather than through a helper coroutine.
  auto cancellation = co_await asio::this_coro::cancellation_state;
  for (;;) {
    if (result.attempts > 0) {
      asio::steady_timer backoff(co_await asio::this_coro::executor,
                                 item.retry.DelayAfter(result.attempts, ThreadRng()));
      auto [ec] = co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || cancellation.cancelled() != asio::cancellation_type::none) co_return;
    }
    ++result.attempts;
    Outcome outcome;
    auto attempt_start = Clock::now();
    try {
      auto delivering = item.module->Deliver(run->delivery_);
      outcome = co_await std::move(delivering);
    } catch (const std::exception& error) {
      // Modules report failures as outcomes; an exception is a bug or a cancellation.
      outcome = Outcome::Permanent(fmt::format("module raised: {}", error.what()));
    }
    if (cancellation.cancelled() != asio::cancellation_type::none) {
      co_return;  // the run has already recorded this item
    }
    if (!run->Settle(index, outcome, attempt_start, result)) break;
  }
  run->CompleteItem(index, std::move(result), start);
}

}  // namespace

void ChainRunner::Start(std::shared_ptr<const Chain> chain,
                        std::shared_ptr<const Delivery> delivery, ChainRunOptions options,
                        asio::any_io_executor executor, Done done) {
  auto run = std::make_shared<ChainRun>(std::move(chain), std::move(delivery), std::move(options),
                                        std::move(executor), std::move(done));
  run->Begin();
}

asio::awaitable<ChainResult> ChainRunner::Run(std::shared_ptr<const Chain> chain,
                                              std::shared_ptr<const Delivery> delivery,
                                              ChainRunOptions options) {
  // Where the result goes: kept when the chain finished inside Start, handed to the waiting
  // coroutine when it finished later.
  struct Waiter {
    std::optional<ChainResult> result;
    std::function<void(ChainResult)> resume;
  };
  auto waiter = std::make_shared<Waiter>();
  auto executor = co_await asio::this_coro::executor;
  Start(std::move(chain), std::move(delivery), std::move(options), executor,
        [waiter](ChainResult result) {
          if (waiter->resume) {
            auto resume = std::move(waiter->resume);
            resume(std::move(result));
          } else {
            waiter->result = std::move(result);
          }
        });
  if (waiter->result) co_return std::move(*waiter->result);
  auto waiting = asio::async_initiate<const asio::use_awaitable_t<>, void(ChainResult)>(
      [waiter](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        waiter->resume = [shared](ChainResult result) { std::move (*shared)(std::move(result)); };
      },
      asio::use_awaitable);
  co_return co_await std::move(waiting);
}

}  // namespace wg
