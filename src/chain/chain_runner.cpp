#include "chain/chain_runner.hpp"

#include <boost/asio.hpp>
#include <fmt/format.h>

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

// Items started together (all of a parallel chain, or one item of a sequential chain).
// Shared with the item coroutines, which may outlive the group after a timeout or cancel.
struct Group {
  explicit Group(asio::any_io_executor executor, size_t size)
      : results(size), finished(size, false), signals(size), wake(executor) {}

  std::vector<ItemResult> results;
  std::vector<bool> finished;
  std::vector<asio::cancellation_signal> signals;
  size_t pending = 0;
  bool failed_fast = false;  // an item failed and continue_on_error is false
  asio::steady_timer wake;   // cancelled to wake the group's waiter
};

asio::awaitable<void> RunItem(std::shared_ptr<Group> group, size_t slot,
                              std::shared_ptr<const Chain> chain, size_t index,
                              std::shared_ptr<const Delivery> delivery,
                              std::shared_ptr<const ChainRunOptions> options) {
  const ChainItem& item = chain->items[index];
  auto start = Clock::now();
  ItemResult result;
  result.module = item.module_name;
  result.status = ItemStatus::kFailed;
  const int attempts = item.retry.Attempts();
  // Whether the group cancelled this item (timeout, or another item failed fast). Read where
  // needed rather than through a helper coroutine: this runs for every item of every webhook.
  auto cancellation = co_await asio::this_coro::cancellation_state;

  for (int attempt = 1; attempt <= attempts; ++attempt) {
    result.attempts = attempt;
    Outcome outcome;
    auto attempt_start = Clock::now();
    try {
      auto delivering = item.module->Deliver(delivery);
      outcome = co_await std::move(delivering);
    } catch (const std::exception& error) {
      // Modules report failures as outcomes; an exception is a bug or a cancellation.
      outcome = Outcome::Permanent(fmt::format("module raised: {}", error.what()));
    }
    if (cancellation.cancelled() != asio::cancellation_type::none) {
      co_return;  // the group has already recorded this item
    }
    if (options->metrics) {
      options->metrics->CountAttempt(options->webhook, item.module_name, OutcomeName(outcome.kind),
                                     Clock::now() - attempt_start);
    }
    if (outcome.delivered()) {
      result.status = ItemStatus::kDelivered;
      result.error.clear();
      break;
    }
    result.error = outcome.message;
    result.failures.push_back({attempt, std::chrono::system_clock::now(), outcome.message});
    if (outcome.kind == OutcomeKind::kPermanent || attempt == attempts) break;
    if (options->metrics) options->metrics->CountRetry(options->webhook, item.module_name);

    asio::steady_timer backoff(co_await asio::this_coro::executor,
                               item.retry.DelayAfter(attempt, ThreadRng()));
    auto [ec] = co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || cancellation.cancelled() != asio::cancellation_type::none) co_return;
  }

  result.duration = Since(start);
  bool failed = result.status != ItemStatus::kDelivered;
  if (!failed && options->on_delivered) options->on_delivered(index);
  group->results[slot] = std::move(result);
  group->finished[slot] = true;
  --group->pending;
  if (failed && !chain->settings.continue_on_error) group->failed_fast = true;
  if (group->pending == 0 || group->failed_fast) group->wake.cancel();
}

// Starts the given items at once and waits until all finished, one failed fast, or the deadline.
// Returns true when the deadline ended the wait.
asio::awaitable<bool> RunGroup(std::shared_ptr<const Chain> chain, std::vector<size_t> indices,
                               Clock::time_point deadline, std::shared_ptr<const Delivery> delivery,
                               std::shared_ptr<const ChainRunOptions> options,
                               std::vector<ItemResult>& results) {
  auto executor = co_await asio::this_coro::executor;
  auto group = std::make_shared<Group>(executor, indices.size());
  auto start = Clock::now();
  group->pending = indices.size();
  for (size_t slot = 0; slot < indices.size(); ++slot) {
    // The completion handler holds the group: Asio clears the item's cancellation slot (which
    // lives in group->signals) when it resumes the finished coroutine to call the handler, which
    // can be after this coroutine has returned and dropped its reference.
    asio::co_spawn(
        executor, RunItem(group, slot, chain, indices[slot], delivery, options),
        asio::bind_cancellation_slot(group->signals[slot].slot(), [group](std::exception_ptr) {}));
  }

  bool timed_out = false;
  while (group->pending > 0 && !group->failed_fast) {
    group->wake.expires_at(deadline);
    auto [ec] = co_await group->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!ec) {
      timed_out = true;
      break;
    }
  }

  for (size_t slot = 0; slot < indices.size(); ++slot) {
    ItemResult& out = results[indices[slot]];
    if (group->finished[slot]) {
      out = std::move(group->results[slot]);
      continue;
    }
    group->signals[slot].emit(asio::cancellation_type::terminal);
    out.module = chain->items[indices[slot]].module_name;
    out.duration = Since(start);
    out.attempts = std::max(out.attempts, 1);
    if (timed_out) {
      out.status = ItemStatus::kTimedOut;
      out.error = fmt::format("chain timeout of {} reached", Seconds(chain->settings.timeout));
      out.failures.push_back({out.attempts, std::chrono::system_clock::now(), out.error});
    } else {
      out.status = ItemStatus::kCancelled;
      out.error = "cancelled: another item failed and continue_on_error is false";
    }
  }
  co_return timed_out;
}

}  // namespace

asio::awaitable<ChainResult> ChainRunner::Run(std::shared_ptr<const Chain> chain,
                                              std::shared_ptr<const Delivery> delivery,
                                              ChainRunOptions run_options) {
  auto start = Clock::now();
  auto deadline = start + chain->settings.timeout;
  const size_t size = chain->items.size();
  auto options = std::make_shared<const ChainRunOptions>(std::move(run_options));
  auto asked = [&](size_t i) { return i >= 32 || (options->items >> i) & 1U; };
  ChainResult result;
  result.items.resize(size);
  for (size_t i = 0; i < size; ++i) {
    result.items[i].module = chain->items[i].module_name;
    if (!asked(i)) result.items[i].status = ItemStatus::kSkipped;
  }

  if (chain->settings.execution == Execution::kParallel) {
    std::vector<size_t> all;
    for (size_t i = 0; i < size; ++i) {
      if (asked(i)) all.push_back(i);
    }
    auto group = RunGroup(chain, std::move(all), deadline, delivery, options, result.items);
    co_await std::move(group);
  } else {
    bool stopped = false;
    bool timed_out = false;
    for (size_t i = 0; i < size; ++i) {
      ItemResult& item = result.items[i];
      if (!asked(i)) continue;
      if (stopped || timed_out) {
        item.status = ItemStatus::kNotExecuted;
        item.error = stopped ? std::string(kNotExecutedAfterFailure)
                             : std::string(kNotExecutedAfterTimeout);
        continue;
      }
      std::vector<size_t> one{i};
      auto group = RunGroup(chain, std::move(one), deadline, delivery, options, result.items);
      timed_out = co_await std::move(group);
      if (item.status != ItemStatus::kDelivered && !chain->settings.continue_on_error) {
        stopped = true;
      }
    }
  }
  result.success = EvaluateSuccess(result.items, chain->settings.success);
  result.duration = Since(start);
  co_return result;
}

}  // namespace wg
