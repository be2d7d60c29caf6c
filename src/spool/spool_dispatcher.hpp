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
#include <boost/container/small_vector.hpp>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "chain/chain_result.hpp"
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

  // A webhook just appended to the spool, with its delivery still in memory. Called on
  // `executor` (the loop that accepted it): items that can run at once start before it returns.
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
  struct Lane;
  struct Task {
    std::shared_ptr<Tracked> tracked;
    uint16_t item = 0;
    Lane* lane = nullptr;
    boost::asio::any_io_executor executor;  // where it runs: the loop that accepted or pushed it
  };
  struct Lane {
    size_t running = 0;
    std::deque<Task> waiting;
  };
  // Lanes by webhook id and item; never erased, so a Lane* stays valid.
  struct LaneOrder {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::pair<std::string_view, uint16_t>(a.first, a.second) <
             std::pair<std::string_view, uint16_t>(b.first, b.second);
    }
  };
  using LaneKey = std::pair<std::string, uint16_t>;
  using LaneList = boost::container::small_vector<Lane*, 4>;

  // Puts the items that may run now into their lanes and starts what the limits allow.
  // `on_executor`: called from a handler running on `executor`, so items can start at once.
  void Admit(std::shared_ptr<Tracked> tracked, const boost::asio::any_io_executor& executor,
             bool on_executor);
  void PushLocked(const std::shared_ptr<Tracked>& tracked, uint16_t item,
                  const boost::asio::any_io_executor& executor, LaneList& touched);
  // Starts the waiting tasks the lanes' limits allow; those of `current` (the loop calling)
  // at once, the others posted to their loops.
  void Pump(const LaneList& lanes, const boost::asio::any_io_executor& current);
  void PumpLane(Lane* lane, const boost::asio::any_io_executor& current);
  // Runs an item: the chain runner at once when the delivery is in memory, a coroutine when it
  // must be read back from the spool first.
  void RunTask(Task task);
  void RunChain(Task task, std::shared_ptr<const Delivery> delivery);
  boost::asio::awaitable<void> LoadAndRun(Task task);
  // Records an item's end, frees its place in the lane, pushes a sequential chain's next item,
  // and settles the webhook when nothing of it is left.
  void ItemDone(Task task, ItemResult result);
  boost::asio::awaitable<std::shared_ptr<const Delivery>> Load(std::shared_ptr<Tracked> tracked);
  // Logs the chain's result; failed items go to the dead letters (KeepDeadLetter) first.
  void Settle(std::shared_ptr<Tracked> tracked, const boost::asio::any_io_executor& executor);
  boost::asio::awaitable<void> KeepDeadLetter(std::shared_ptr<Tracked> tracked,
                                              std::vector<DeadItem> dead);
  // Records as finished the spool's item bits not in `recorded` (those delivered or
  // dead-lettered, each recorded as it ended).
  void FinishSpoolBits(const Tracked& tracked, uint32_t recorded);
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
  std::map<LaneKey, Lane, LaneOrder> lanes_;
  size_t running_ = 0;
  size_t waiting_ = 0;
};

}  // namespace wg
