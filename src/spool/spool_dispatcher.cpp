#include "spool/spool_dispatcher.hpp"

#include <fmt/format.h>

#include <bit>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "chain/chain_runner.hpp"
#include "config/webhook_config.hpp"
#include "modules/run_blocking.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "webhook/payload.hpp"
#include "webhook/pipeline.hpp"

namespace wg {
namespace asio = boost::asio;
namespace {

// A dead letter with the request of a spooled record (its items are added by the caller).
DeadLetter LetterFrom(AcceptedRecord record) {
  DeadLetter letter;
  letter.delivery_id = std::move(record.delivery_id);
  letter.webhook_id = std::move(record.webhook_id);
  letter.received_at_us = record.received_at_us;
  letter.chain_fingerprint = record.chain_fingerprint;
  letter.headers = std::move(record.headers);
  letter.body = std::move(record.body);
  return letter;
}

constexpr std::string_view kCancelled =
    "cancelled: another item failed and continue_on_error is false";
constexpr std::string_view kNotExecuted =
    "not executed: an earlier item failed and continue_on_error is false";

}  // namespace

// One spooled webhook with items still to run. Guarded by the dispatcher's mutex.
struct SpoolDispatcher::Tracked {
  uint64_t sequence = 0;
  SpoolLocation location;
  std::shared_ptr<const WebhookDefinition> webhook;
  uint32_t pending = 0;      // items not finished (neither delivered nor failed for good)
  uint32_t spool_items = 0;  // the item bits the spool knows (differ after a chain change)
  size_t active = 0;         // items running now
  bool stopped = false;      // an item failed and continue_on_error is false
  std::shared_ptr<const Delivery> delivery;  // in memory while items run or are about to
  std::string delivery_id;                    // known once the delivery was in memory
  std::string load_error;
  std::vector<DeadItem> dead;
  uint32_t delivered = 0;  // the items delivered (and so recorded in the spool as they were)
  std::vector<ItemResult> results;  // per chain item, for the log line when it settles
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

SpoolDispatcher::SpoolDispatcher(Spool& spool, DeadLetterStore& dead_letters,
                                 const ConfigHolder& config, RequestLimits limits,
                                 asio::thread_pool& blocking_pool, Logger& logger,
                                 size_t lane_limit, Metrics* metrics)
    : spool_(spool),
      dead_letters_(dead_letters),
      config_(config),
      limits_(limits),
      blocking_pool_(blocking_pool),
      logger_(logger),
      lane_limit_(std::max<size_t>(1, lane_limit)),
      metrics_(metrics) {}

size_t SpoolDispatcher::Running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

size_t SpoolDispatcher::Waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

size_t SpoolDispatcher::Lanes() const {
  std::lock_guard lock(mutex_);
  return lanes_.size();
}

void SpoolDispatcher::Start(std::shared_ptr<const WebhookDefinition> webhook,
                            std::shared_ptr<const Delivery> delivery, uint64_t sequence,
                            SpoolLocation location, uint32_t items,
                            asio::any_io_executor executor) {
  auto tracked = std::make_shared<Tracked>();
  tracked->sequence = sequence;
  tracked->location = location;
  tracked->webhook = std::move(webhook);
  tracked->pending = items;
  tracked->spool_items = items;
  tracked->delivery = std::move(delivery);
  Admit(std::move(tracked), executor, true);
}

void SpoolDispatcher::Enqueue(UnfinishedRecord record, asio::any_io_executor executor) {
  auto config = config_.Get();
  auto webhook = config ? config->Find(record.webhook_id) : nullptr;
  if (!webhook) {
    std::string error = fmt::format("webhook \"{}\" is no longer configured", record.webhook_id);
    asio::co_spawn(executor, DeadLetterUnloadable(std::move(record), std::move(error)),
                   asio::detached);
    return;
  }
  auto tracked = std::make_shared<Tracked>();
  tracked->sequence = record.sequence;
  tracked->location = record.location;
  tracked->pending = record.pending_items;
  tracked->spool_items = record.pending_items;
  if (record.chain_fingerprint != ChainFingerprint(webhook->chain)) {
    // Item numbers of another chain mean nothing here: the whole current chain runs (at least
    // once rather than possibly never); the old numbers are settled when it is done.
    logger_.Warn("the chain changed since this webhook was accepted; running all of its items",
                 {{"webhook", record.webhook_id}, {"sequence", std::to_string(record.sequence)}});
    tracked->pending = AllItemsMask(webhook->chain.items.size());
  }
  tracked->webhook = std::move(webhook);
  Admit(std::move(tracked), executor, false);
}

void SpoolDispatcher::Resume(std::vector<UnfinishedRecord> records,
                             std::vector<asio::any_io_executor> executors) {
  if (executors.empty()) return;
  size_t next = 0;
  for (auto& record : records) Enqueue(std::move(record), executors[next++ % executors.size()]);
}

void SpoolDispatcher::Admit(std::shared_ptr<Tracked> tracked, const asio::any_io_executor& executor,
                            bool on_executor) {
  LaneList touched;
  {
    std::lock_guard lock(mutex_);
    const auto& chain = tracked->webhook->chain;
    const size_t size = std::min<size_t>(chain.items.size(), 32);
    tracked->pending &= AllItemsMask(size);
    if (tracked->pending == 0) {
      // Nothing this chain can run (the spool's bits are beyond it): settle the record.
      for (uint16_t i = 0; i < 32; ++i) {
        if ((tracked->spool_items >> i) & 1U) spool_.Finish(tracked->sequence, i, ItemFinish::kDelivered);
      }
      return;
    }
    if (tracked->delivery) tracked->delivery_id = tracked->delivery->id;
    tracked->results.resize(chain.items.size());
    for (size_t i = 0; i < chain.items.size(); ++i) {
      tracked->results[i].module = chain.items[i].module_name;
      bool asked = i < 32 && ((tracked->pending >> i) & 1U);
      tracked->results[i].status = asked ? ItemStatus::kNotExecuted : ItemStatus::kSkipped;
    }
    for (uint16_t i = 0; i < size; ++i) {
      if (((tracked->pending >> i) & 1U) == 0) continue;
      PushLocked(tracked, i, executor, touched);
      if (chain.settings.execution == Execution::kSequential) break;
    }
  }
  Pump(touched, on_executor ? executor : asio::any_io_executor());
}

void SpoolDispatcher::PushLocked(const std::shared_ptr<Tracked>& tracked, uint16_t item,
                                 const asio::any_io_executor& executor, LaneList& touched) {
  const std::string& id = tracked->webhook->id;
  auto found = lanes_.find(std::pair<std::string_view, uint16_t>(id, item));
  if (found == lanes_.end()) found = lanes_.emplace_hint(found, LaneKey{id, item}, Lane{});
  Lane* lane = &found->second;
  lane->waiting.push_back({tracked, item, lane, executor});
  ++waiting_;
  // Behind a long queue the body waits on disk rather than in memory.
  if (lane->waiting.size() > lane_limit_ && tracked->active == 0) tracked->delivery.reset();
  touched.push_back(lane);
}

void SpoolDispatcher::Pump(const LaneList& lanes, const asio::any_io_executor& current) {
  // A task that finishes at once (a module with nothing to wait for) ends in ItemDone, which
  // pumps its lane again from inside this call. Those pumps are queued here and run by the
  // outermost call, so a long lane does not nest one call per task.
  struct Queued {
    SpoolDispatcher* dispatcher;
    Lane* lane;
  };
  thread_local std::vector<Queued> queued;
  thread_local bool pumping = false;
  for (Lane* lane : lanes) queued.push_back({this, lane});
  if (pumping) return;
  pumping = true;
  struct Reset {
    ~Reset() {
      queued.clear();
      pumping = false;
    }
  } reset;
  for (size_t i = 0; i < queued.size(); ++i) {
    Queued next = queued[i];
    next.dispatcher->PumpLane(next.lane, current);
  }
}

void SpoolDispatcher::PumpLane(Lane* lane, const asio::any_io_executor& current) {
  for (;;) {
    Task task;
    {
      std::lock_guard lock(mutex_);
      if (lane->waiting.empty() || lane->running >= lane_limit_) return;
      task = std::move(lane->waiting.front());
      lane->waiting.pop_front();
      ++lane->running;
      ++running_;
      --waiting_;
      ++task.tracked->active;
    }
    if (current && task.executor == current) {
      RunTask(std::move(task));
    } else {
      asio::any_io_executor executor = task.executor;
      asio::post(executor, [this, task = std::move(task)]() mutable { RunTask(std::move(task)); });
    }
  }
}

void SpoolDispatcher::RunTask(Task task) {
  bool stopped = false;
  std::shared_ptr<const Delivery> delivery;
  {
    std::lock_guard lock(mutex_);
    stopped = task.tracked->stopped;
    delivery = task.tracked->delivery;
  }
  if (stopped) {
    ItemResult cancelled;
    cancelled.module = task.tracked->webhook->chain.items[task.item].module_name;
    cancelled.status = ItemStatus::kCancelled;
    cancelled.error = std::string(kCancelled);
    ItemDone(std::move(task), std::move(cancelled));
    return;
  }
  if (delivery) {
    RunChain(std::move(task), std::move(delivery));
    return;
  }
  asio::any_io_executor executor = task.executor;
  asio::co_spawn(executor, LoadAndRun(std::move(task)), [this](std::exception_ptr error) {
    if (error) logger_.Error("spool delivery ended with an exception");
  });
}

void SpoolDispatcher::RunChain(Task task, std::shared_ptr<const Delivery> delivery) {
  const Tracked& tracked = *task.tracked;
  ChainRunOptions options;
  options.items = uint32_t{1} << task.item;
  options.metrics = metrics_;
  options.webhook = tracked.webhook->id;
  Spool* spool = &spool_;
  uint64_t sequence = tracked.sequence;
  options.on_delivered = [spool, sequence](size_t index) {
    spool->Finish(sequence, static_cast<uint16_t>(index), ItemFinish::kDelivered);
  };
  std::shared_ptr<const Chain> chain(tracked.webhook, &tracked.webhook->chain);
  asio::any_io_executor executor = task.executor;
  ChainRunner::Start(std::move(chain), std::move(delivery), std::move(options), std::move(executor),
                     [this, task = std::move(task)](ChainResult result) mutable {
                       ItemResult item = std::move(result.items[task.item]);
                       ItemDone(std::move(task), std::move(item));
                     });
}

asio::awaitable<void> SpoolDispatcher::LoadAndRun(Task task) {
  std::shared_ptr<const Delivery> delivery;
  std::string error;
  try {
    auto loading = Load(task.tracked);
    delivery = co_await std::move(loading);
  } catch (const std::exception& exception) {
    error = fmt::format("the spooled webhook could not be read back: {}", exception.what());
  }
  if (delivery) {
    RunChain(std::move(task), std::move(delivery));
    co_return;
  }
  ItemResult failed;
  failed.module = task.tracked->webhook->chain.items[task.item].module_name;
  failed.status = ItemStatus::kFailed;
  if (error.empty()) {
    std::lock_guard lock(mutex_);
    error = task.tracked->load_error;
  }
  failed.error = std::move(error);
  ItemDone(std::move(task), std::move(failed));
}

asio::awaitable<std::shared_ptr<const Delivery>> SpoolDispatcher::Load(
    std::shared_ptr<Tracked> tracked) {
  {
    std::lock_guard lock(mutex_);
    if (tracked->delivery) co_return tracked->delivery;
  }
  Spool* spool = &spool_;
  SpoolLocation location = tracked->location;
  auto reading = RunBlocking(blocking_pool_, [spool, location] { return spool->Read(location); });
  std::optional<AcceptedRecord> record = co_await std::move(reading);
  std::lock_guard lock(mutex_);
  if (tracked->delivery) co_return tracked->delivery;  // another item loaded it meanwhile
  if (!record) {
    tracked->load_error = "the spooled webhook could not be read back";
    co_return nullptr;
  }
  DeliveryParts parts{std::move(record->delivery_id), std::move(record->webhook_id),
                      std::move(record->headers), std::move(record->body),
                      std::chrono::system_clock::time_point(
                          std::chrono::microseconds(record->received_at_us))};
  BuiltDelivery built = BuildDelivery(tracked->webhook->data_type, std::move(parts), limits_,
                                      tracked->webhook->credential_cleanup);
  if (!built.delivery) {
    tracked->load_error = fmt::format("the body is refused now: {}", built.detail);
    co_return nullptr;
  }
  tracked->delivery = std::move(built.delivery);
  tracked->delivery_id = tracked->delivery->id;
  co_return tracked->delivery;
}

void SpoolDispatcher::ItemDone(Task task, ItemResult result) {
  Tracked& tracked = *task.tracked;
  const Chain& chain = tracked.webhook->chain;
  const uint16_t item = task.item;
  const uint32_t bit = uint32_t{1} << item;
  const bool delivered = result.status == ItemStatus::kDelivered;
  const bool attempted = result.attempts > 0;
  std::string error = delivered || !attempted ? std::string() : result.error;
  const unsigned attempts = result.attempts;
  LaneList touched{task.lane};  // its place in the lane is free
  bool settle = false;
  std::string delivery_id;
  std::string requested_id;
  {
    std::lock_guard lock(mutex_);
    --task.lane->running;
    --running_;
    --tracked.active;
    tracked.pending &= ~bit;
    if (delivered) {
      tracked.delivered |= bit;
    } else {
      tracked.dead.push_back({item, chain.items[item].module_name,
                              std::string(ItemStatusName(result.status)), result.attempts,
                              result.error, result.failures});
      if (!chain.settings.continue_on_error) tracked.stopped = true;
      delivery_id = tracked.delivery_id;
      // The id the sender used (a "default" webhook serves others); the delivery is in memory
      // while an item of it runs.
      requested_id = tracked.delivery ? tracked.delivery->webhook_id : tracked.webhook->id;
    }
    if (item < tracked.results.size()) tracked.results[item] = std::move(result);
    bool pushed_next = false;
    if (chain.settings.execution == Execution::kSequential && tracked.pending != 0) {
      auto next = static_cast<uint16_t>(std::countr_zero(tracked.pending));
      if (tracked.stopped) {
        for (uint16_t i = next; i < chain.items.size() && i < 32; ++i) {
          if (((tracked.pending >> i) & 1U) == 0) continue;
          tracked.dead.push_back(
              {i, chain.items[i].module_name, "not_executed", 0, std::string(kNotExecuted), {}});
          tracked.results[i].status = ItemStatus::kNotExecuted;
          tracked.results[i].error = std::string(kNotExecuted);
        }
        tracked.pending = 0;
      } else {
        PushLocked(task.tracked, next, task.executor, touched);
        pushed_next = true;
      }
    }
    settle = tracked.pending == 0 && tracked.active == 0;
    if (tracked.active == 0 && !pushed_next && !settle) tracked.delivery.reset();
  }
  if (!delivered && attempted) {
    logger_.Warn("chain item failed", {{"webhook", requested_id},
                                       {"delivery", delivery_id},
                                       {"module", chain.items[item].module_name},
                                       {"attempts", std::to_string(attempts)},
                                       {"error", error}});
  }
  Pump(touched, task.executor);
  if (settle) Settle(task.tracked, task.executor);
}

void SpoolDispatcher::Settle(std::shared_ptr<Tracked> tracked,
                             const asio::any_io_executor& executor) {
  std::vector<DeadItem> dead;
  ChainResult result;
  std::string delivery_id;
  uint32_t delivered = 0;
  {
    std::lock_guard lock(mutex_);
    dead = std::move(tracked->dead);
    result.items = std::move(tracked->results);
    delivery_id = tracked->delivery_id;
    delivered = tracked->delivered;
    if (dead.empty()) tracked->delivery.reset();  // a dead letter still needs it
  }
  result.success = EvaluateSuccess(result.items, tracked->webhook->chain.settings.success);
  result.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - tracked->started);
  LogChainResult(logger_, tracked->webhook->id, delivery_id, result);
  if (!dead.empty()) {
    asio::co_spawn(executor, KeepDeadLetter(std::move(tracked), std::move(dead)),
                   [this](std::exception_ptr error) {
                     if (error) logger_.Error("writing a dead letter ended with an exception");
                   });
    return;
  }
  FinishSpoolBits(*tracked, delivered);
}

void SpoolDispatcher::FinishSpoolBits(const Tracked& tracked, uint32_t recorded) {
  // Delivered items were recorded as they finished (on_delivered), dead-lettered ones with
  // their letter. What is left are bits the spool knows that this chain did not use (its chain
  // changed since): settled too, so the record does not run again after a restart.
  uint32_t left = tracked.spool_items & ~recorded;
  for (uint16_t i = 0; i < 32; ++i) {
    if ((left >> i) & 1U) spool_.Finish(tracked.sequence, i, ItemFinish::kDelivered);
  }
}

asio::awaitable<void> SpoolDispatcher::KeepDeadLetter(std::shared_ptr<Tracked> tracked,
                                                      std::vector<DeadItem> dead) {
  auto loading = Load(tracked);
  std::shared_ptr<const Delivery> delivery = co_await std::move(loading);
  DeadLetter letter;
  if (delivery) {
    letter.delivery_id = delivery->id;
    letter.webhook_id = delivery->webhook_id;
    letter.received_at_us = ToMicros(delivery->received_at);
    letter.headers = delivery->headers;
    letter.body = delivery->body;
  } else {
    // The record cannot be rebuilt as a delivery (e.g. the body no longer parses): keep the
    // raw bytes anyway.
    Spool* spool = &spool_;
    SpoolLocation location = tracked->location;
    auto reading = RunBlocking(blocking_pool_, [spool, location] { return spool->Read(location); });
    std::optional<AcceptedRecord> record = co_await std::move(reading);
    if (!record) {
      logger_.Error("a failed webhook cannot be read back; it stays in the spool",
                    {{"sequence", std::to_string(tracked->sequence)}});
      co_return;
    }
    letter = LetterFrom(std::move(*record));
  }
  letter.dead_lettered_at_us = ToMicros(std::chrono::system_clock::now());
  letter.chain_fingerprint = ChainFingerprint(tracked->webhook->chain);
  std::sort(dead.begin(), dead.end(),
            [](const DeadItem& a, const DeadItem& b) { return a.index < b.index; });
  letter.items = std::move(dead);
  DeadLetterStore* store = &dead_letters_;
  auto writing = RunBlocking(blocking_pool_, [store, letter] { return store->Put(letter); });
  std::optional<std::string> failure = co_await std::move(writing);
  if (failure) {
    // Not marked finished: after a restart the webhook runs again rather than being lost.
    logger_.Error(
        "cannot write a dead letter; the webhook stays in the spool",
        {{"webhook", letter.webhook_id}, {"delivery", letter.delivery_id}, {"error", *failure}});
    co_return;
  }
  if (metrics_) metrics_->CountDeadLetter(tracked->webhook->id);
  std::string items;
  uint32_t dead_lettered = 0;
  for (const auto& item : letter.items) {
    spool_.Finish(tracked->sequence, item.index, ItemFinish::kDeadLettered);
    if (item.index < 32) dead_lettered |= uint32_t{1} << item.index;
    items += fmt::format("{}{}:{}", items.empty() ? "" : ",", item.module, item.status);
  }
  logger_.Warn(
      "kept in dead letters",
      {{"webhook", letter.webhook_id}, {"delivery", letter.delivery_id}, {"items", items}});
  uint32_t delivered = 0;
  {
    std::lock_guard lock(mutex_);
    delivered = tracked->delivered;
    tracked->delivery.reset();
  }
  FinishSpoolBits(*tracked, delivered | dead_lettered);
}

asio::awaitable<void> SpoolDispatcher::DeadLetterUnloadable(UnfinishedRecord unfinished,
                                                            std::string error) {
  Spool* spool = &spool_;
  SpoolLocation location = unfinished.location;
  auto reading = RunBlocking(blocking_pool_, [spool, location] { return spool->Read(location); });
  std::optional<AcceptedRecord> record = co_await std::move(reading);
  if (!record) {
    logger_.Error("a spooled webhook cannot be read back; it stays in the spool",
                  {{"sequence", std::to_string(unfinished.sequence)}});
    co_return;
  }
  DeadLetter letter = LetterFrom(std::move(*record));
  letter.dead_lettered_at_us = ToMicros(std::chrono::system_clock::now());
  for (uint16_t i = 0; i < 32; ++i) {
    if ((unfinished.pending_items >> i) & 1U) letter.items.push_back({i, "", "failed", 0, error, {}});
  }
  DeadLetterStore* store = &dead_letters_;
  auto writing = RunBlocking(blocking_pool_, [store, letter] { return store->Put(letter); });
  std::optional<std::string> failure = co_await std::move(writing);
  if (failure) {
    logger_.Error("cannot write a dead letter; the webhook stays in the spool",
                  {{"webhook", letter.webhook_id}, {"error", *failure}});
    co_return;
  }
  // The webhook is no longer configured: its id is not a label any more.
  if (metrics_) metrics_->CountDeadLetter(Metrics::kUnknownWebhook);
  for (const auto& item : letter.items) {
    spool_.Finish(unfinished.sequence, item.index, ItemFinish::kDeadLettered);
  }
  logger_.Warn("kept in dead letters without running", {{"webhook", letter.webhook_id},
                                                        {"delivery", letter.delivery_id},
                                                        {"error", error}});
}

}  // namespace wg
