// Delivery from the spool, one queue per chain item ("lane": webhook id + item position), so a
// slow or dead destination only holds up its own lane: the other items of the same webhook,
// and other webhooks, keep flowing.
//
// A spooled webhook enters the lanes of the items it may run now: all pending items of a
// parallel chain, the first pending item of a sequential one (the next enters its lane when the
// previous finished). Each lane runs at most `lane_limit` deliveries at once, oldest first;
// retries wait on timers inside the running item. A delivered item is recorded in the spool at
// once. Items that fail for good (permanent error, retries exhausted, the timeout, or not run
// because an earlier item failed with continue_on_error false) are collected and, when nothing
// of the webhook is left to run, written as one dead letter and then marked finished.
//
// Waiting webhooks keep only their place on disk; the body is read back when an item runs.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "spool/dead_letters.hpp"
#include "spool/spool.hpp"
#include "webhook/limits.hpp"

namespace wg {

class ConfigHolder;
class Logger;
class Metrics;
struct WebhookDefinition;

class SpoolDispatcher {
 public:
  SpoolDispatcher(Spool& spool, DeadLetterStore& dead_letters, const ConfigHolder& config,
                  RequestLimits limits, boost::asio::thread_pool& blocking_pool, Logger& logger,
                  size_t lane_limit, Metrics* metrics = nullptr);
  SpoolDispatcher(const SpoolDispatcher&) = delete;
  SpoolDispatcher& operator=(const SpoolDispatcher&) = delete;

  // A webhook just appended to the spool, with its delivery still in memory.
  void Start(std::shared_ptr<const WebhookDefinition> webhook,
             std::shared_ptr<const Delivery> delivery, uint64_t sequence, SpoolLocation location,
             uint32_t items, boost::asio::any_io_executor executor);

  // A spooled webhook known only by its place on disk (a replay).
  void Enqueue(UnfinishedRecord record, boost::asio::any_io_executor executor);

  // Webhooks found unfinished at start; their lanes are spread over the given event loops.
  void Resume(std::vector<UnfinishedRecord> records,
              std::vector<boost::asio::any_io_executor> executors);

  size_t Running() const;  // items being delivered now
  size_t Waiting() const;  // items waiting in their lanes
  size_t Lanes() const;

 private:
  struct Tracked;
  struct Task {
    std::shared_ptr<Tracked> tracked;
    uint16_t item = 0;
    boost::asio::any_io_executor executor;  // where it runs: the loop that accepted or pushed it
  };
  struct Lane {
    size_t running = 0;
    std::deque<Task> waiting;
  };
  using LaneKey = std::pair<std::string, uint16_t>;

  // Puts the items that may run now into their lanes and starts what the limits allow.
  void Admit(std::shared_ptr<Tracked> tracked, const boost::asio::any_io_executor& executor);
  void PushLocked(const std::shared_ptr<Tracked>& tracked, uint16_t item,
                  const boost::asio::any_io_executor& executor, std::vector<LaneKey>& touched);
  void Pump(const std::vector<LaneKey>& lanes);
  boost::asio::awaitable<void> RunItem(Task task);
  boost::asio::awaitable<std::shared_ptr<const Delivery>> Load(std::shared_ptr<Tracked> tracked);
  boost::asio::awaitable<void> Settle(std::shared_ptr<Tracked> tracked);
  boost::asio::awaitable<void> DeadLetterUnloadable(UnfinishedRecord record, std::string error);

  Spool& spool_;
  DeadLetterStore& dead_letters_;
  const ConfigHolder& config_;
  RequestLimits limits_;
  boost::asio::thread_pool& blocking_pool_;
  Logger& logger_;
  const size_t lane_limit_;
  Metrics* metrics_;  // attempts, retries and dead letters are counted here when set

  mutable std::mutex mutex_;
  std::map<LaneKey, Lane> lanes_;
  size_t running_ = 0;
  size_t waiting_ = 0;
};

}  // namespace wg
