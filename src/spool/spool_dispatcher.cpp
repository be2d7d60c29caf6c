#include "spool/spool_dispatcher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "chain/chain_runner.hpp"
#include "config/webhook_config.hpp"
#include "modules/run_blocking.hpp"
#include "observability/logger.hpp"
#include "webhook/payload.hpp"
#include "webhook/pipeline.hpp"

namespace wg {
namespace asio = boost::asio;
namespace {

DeadLetter LetterFor(const Delivery& delivery) {
  DeadLetter letter;
  letter.delivery_id = delivery.id;
  letter.webhook_id = delivery.webhook_id;
  letter.received_at_us = ToMicros(delivery.received_at);
  letter.headers = delivery.headers;
  letter.body = delivery.body;
  return letter;
}

uint32_t AllItems(size_t count) {
  return count >= 32 ? ~uint32_t{0} : (uint32_t{1} << count) - 1;
}

}  // namespace

SpoolDispatcher::SpoolDispatcher(Spool& spool, DeadLetterStore& dead_letters,
                                 const ConfigHolder& config, RequestLimits limits,
                                 asio::thread_pool& blocking_pool, Logger& logger,
                                 size_t max_running)
    : spool_(spool),
      dead_letters_(dead_letters),
      config_(config),
      limits_(limits),
      blocking_pool_(blocking_pool),
      logger_(logger),
      max_running_(std::max<size_t>(1, max_running)) {}

size_t SpoolDispatcher::Running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

size_t SpoolDispatcher::Backlog() const {
  std::lock_guard lock(mutex_);
  return backlog_.size();
}

void SpoolDispatcher::Start(std::shared_ptr<const WebhookDefinition> webhook,
                            std::shared_ptr<const Delivery> delivery, uint64_t sequence,
                            SpoolLocation location, uint32_t items,
                            asio::any_io_executor executor) {
  {
    std::lock_guard lock(mutex_);
    // Behind a backlog the new webhook waits its turn; its bytes are on disk already.
    if (!backlog_.empty() || running_ >= max_running_) {
      backlog_.push_back({sequence, location, items});
      return;
    }
    ++running_;
  }
  Launch(executor, Run(std::move(webhook), std::move(delivery), sequence, items));
}

void SpoolDispatcher::Enqueue(uint64_t sequence, SpoolLocation location, uint32_t items,
                              asio::any_io_executor executor) {
  {
    std::lock_guard lock(mutex_);
    backlog_.push_back({sequence, location, items});
  }
  Pump(executor);
}

void SpoolDispatcher::Pump(const asio::any_io_executor& executor) {
  for (;;) {
    Waiting next;
    {
      std::lock_guard lock(mutex_);
      if (backlog_.empty() || running_ >= max_running_) return;
      next = backlog_.front();
      backlog_.pop_front();
      ++running_;
    }
    Launch(executor, RunFromDisk(next));
  }
}

void SpoolDispatcher::Launch(asio::any_io_executor executor, asio::awaitable<void> work) {
  asio::co_spawn(executor, std::move(work), [this, executor](std::exception_ptr error) {
    if (error) logger_.Error("spool delivery ended with an exception");
    {
      std::lock_guard lock(mutex_);
      --running_;
    }
    Pump(executor);
  });
}

void SpoolDispatcher::Resume(std::vector<UnfinishedRecord> records,
                             std::vector<asio::any_io_executor> executors) {
  if (records.empty() || executors.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (const auto& record : records) {
      backlog_.push_back({record.sequence, record.location, record.pending_items});
    }
  }
  // Each loop takes its share; when one of its chains ends it pulls the next.
  size_t share = std::max<size_t>(1, max_running_ / executors.size());
  for (const auto& executor : executors) {
    for (size_t i = 0; i < share; ++i) {
      Waiting next;
      {
        std::lock_guard lock(mutex_);
        if (backlog_.empty() || running_ >= max_running_) return;
        next = backlog_.front();
        backlog_.pop_front();
        ++running_;
      }
      Launch(executor, RunFromDisk(next));
    }
  }
}

asio::awaitable<void> SpoolDispatcher::Run(std::shared_ptr<const WebhookDefinition> webhook,
                                           std::shared_ptr<const Delivery> delivery,
                                           uint64_t sequence, uint32_t items) {
  std::shared_ptr<const Chain> chain(webhook, &webhook->chain);
  ChainRunOptions options;
  options.items = items;
  Spool* spool = &spool_;
  options.on_delivered = [spool, sequence](size_t item) {
    spool->Finish(sequence, static_cast<uint16_t>(item), ItemFinish::kDelivered);
  };
  auto running = ChainRunner::Run(chain, delivery, std::move(options));
  ChainResult result = co_await std::move(running);
  LogChainResult(logger_, *delivery, result);

  DeadLetter letter = LetterFor(*delivery);
  letter.chain_fingerprint = ChainFingerprint(webhook->chain);
  for (size_t i = 0; i < result.items.size(); ++i) {
    const ItemResult& item = result.items[i];
    if (item.status == ItemStatus::kDelivered || item.status == ItemStatus::kSkipped) continue;
    letter.items.push_back({static_cast<uint16_t>(i), item.module,
                            std::string(ItemStatusName(item.status)), item.attempts, item.error,
                            item.failures});
  }
  if (letter.items.empty()) co_return;
  letter.dead_lettered_at_us = ToMicros(std::chrono::system_clock::now());
  uint32_t failed = letter.ItemMask();
  auto writing = DeadLetterAll(sequence, failed, std::move(letter), {});
  co_await std::move(writing);
}

asio::awaitable<void> SpoolDispatcher::DeadLetterAll(uint64_t sequence, uint32_t items,
                                                     DeadLetter letter, std::string error) {
  if (letter.items.empty()) {
    // Nothing could run (the webhook is gone, or its body no longer parses): every pending item.
    for (uint16_t i = 0; i < 32; ++i) {
      if ((items >> i) & 1U) letter.items.push_back({i, "", "failed", 0, error, {}});
    }
    letter.dead_lettered_at_us = ToMicros(std::chrono::system_clock::now());
  }
  DeadLetterStore* store = &dead_letters_;
  auto writing = RunBlocking(blocking_pool_, [store, letter] { return store->Put(letter); });
  std::optional<std::string> failure = co_await std::move(writing);
  if (failure) {
    // Not marked finished: the webhook stays in the spool and is tried again after a restart.
    logger_.Error("cannot write a dead letter; the webhook stays in the spool",
                  {{"webhook", letter.webhook_id}, {"delivery", letter.delivery_id},
                   {"error", *failure}});
    co_return;
  }
  for (const auto& item : letter.items) {
    spool_.Finish(sequence, item.index, ItemFinish::kDeadLettered);
  }
  std::string modules;
  for (const auto& item : letter.items) {
    if (!modules.empty()) modules += ",";
    modules += item.module.empty() ? fmt::format("#{}", item.index) : item.module;
  }
  logger_.Warn("dead-lettered", {{"webhook", letter.webhook_id},
                                 {"delivery", letter.delivery_id},
                                 {"items", modules}});
}

asio::awaitable<void> SpoolDispatcher::RunFromDisk(Waiting waiting) {
  Spool* spool = &spool_;
  SpoolLocation location = waiting.location;
  auto reading = RunBlocking(blocking_pool_, [spool, location] { return spool->Read(location); });
  std::optional<AcceptedRecord> record = co_await std::move(reading);
  if (!record) {
    logger_.Error("cannot read a spooled webhook back; it stays in the spool",
                  {{"sequence", std::to_string(waiting.sequence)}});
    co_return;
  }
  DeadLetter letter;
  letter.delivery_id = record->delivery_id;
  letter.webhook_id = record->webhook_id;
  letter.received_at_us = record->received_at_us;
  letter.headers = record->headers;
  letter.body = record->body;
  letter.chain_fingerprint = record->chain_fingerprint;

  auto config = config_.Get();
  auto webhook = config ? config->Find(record->webhook_id) : nullptr;
  if (!webhook) {
    auto failing = DeadLetterAll(
        waiting.sequence, waiting.items, std::move(letter),
        fmt::format("webhook \"{}\" is no longer configured", record->webhook_id));
    co_await std::move(failing);
    co_return;
  }
  uint32_t items = waiting.items;
  const bool chain_changed = record->chain_fingerprint != ChainFingerprint(webhook->chain);
  if (chain_changed) {
    // The chain changed since the webhook was accepted: item numbers no longer match, so the
    // whole current chain runs (at least once rather than possibly never).
    logger_.Warn("the chain changed since this webhook was accepted; running all of its items",
                 {{"webhook", record->webhook_id}, {"delivery", record->delivery_id}});
    items = AllItems(webhook->chain.items.size());
  }
  DeliveryParts parts{record->delivery_id, record->webhook_id, std::move(record->headers),
                      std::move(record->body),
                      std::chrono::system_clock::time_point(
                          std::chrono::microseconds(record->received_at_us))};
  BuiltDelivery built = BuildDelivery(webhook->data_type, std::move(parts), limits_);
  if (!built.delivery) {
    auto failing = DeadLetterAll(waiting.sequence, waiting.items, std::move(letter),
                                 fmt::format("the body is refused now: {}", built.detail));
    co_await std::move(failing);
    co_return;
  }
  auto running = Run(std::move(webhook), std::move(built.delivery), waiting.sequence, items);
  co_await std::move(running);
  if (chain_changed) {
    // The old item numbers are settled by the run of the new chain.
    for (uint16_t i = 0; i < 32; ++i) {
      if ((waiting.items >> i) & 1U) spool_.Finish(waiting.sequence, i, ItemFinish::kDelivered);
    }
  }
}

}  // namespace wg
