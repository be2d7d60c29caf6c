// Delivery from the spool: runs the chains of persisted webhooks, records each delivered item
// in the spool as soon as it is delivered, and puts items that failed for good into the dead
// letters before marking them finished. At most `max_running` chains run at once; the rest wait
// in a backlog that holds only where each record is on disk, so a long outage of a destination
// costs disk space (bounded by the spool's size limit), not memory.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "spool/dead_letters.hpp"
#include "spool/spool.hpp"
#include "webhook/limits.hpp"

namespace wg {

class ConfigHolder;
class Logger;
struct Chain;
struct WebhookDefinition;

class SpoolDispatcher {
 public:
  SpoolDispatcher(Spool& spool, DeadLetterStore& dead_letters, const ConfigHolder& config,
                  RequestLimits limits, boost::asio::thread_pool& blocking_pool, Logger& logger,
                  size_t max_running);
  SpoolDispatcher(const SpoolDispatcher&) = delete;
  SpoolDispatcher& operator=(const SpoolDispatcher&) = delete;

  // A webhook just appended to the spool: runs now on `executor`, or waits in the backlog.
  void Start(std::shared_ptr<const WebhookDefinition> webhook,
             std::shared_ptr<const Delivery> delivery, uint64_t sequence, SpoolLocation location,
             uint32_t items, boost::asio::any_io_executor executor);

  // A record appended for a replay: delivered from disk, behind any backlog.
  void Enqueue(uint64_t sequence, SpoolLocation location, uint32_t items,
               boost::asio::any_io_executor executor);

  // Webhooks found unfinished at start; spread over the given event loops.
  void Resume(std::vector<UnfinishedRecord> records,
              std::vector<boost::asio::any_io_executor> executors);

  size_t Running() const;
  size_t Backlog() const;
  bool Idle() const { return Running() == 0 && Backlog() == 0; }

 private:
  struct Waiting {
    uint64_t sequence;
    SpoolLocation location;
    uint32_t items;
  };

  boost::asio::awaitable<void> Run(std::shared_ptr<const WebhookDefinition> webhook,
                                   std::shared_ptr<const Delivery> delivery, uint64_t sequence,
                                   uint32_t items);
  boost::asio::awaitable<void> RunFromDisk(Waiting waiting);
  boost::asio::awaitable<void> DeadLetterAll(uint64_t sequence, uint32_t items,
                                             DeadLetter letter, std::string error);
  void Pump(const boost::asio::any_io_executor& executor);
  // Runs `work` (which counts as running) and pulls the next waiting webhook when it ends.
  void Launch(boost::asio::any_io_executor executor, boost::asio::awaitable<void> work);

  Spool& spool_;
  DeadLetterStore& dead_letters_;
  const ConfigHolder& config_;
  RequestLimits limits_;
  boost::asio::thread_pool& blocking_pool_;
  Logger& logger_;
  const size_t max_running_;

  mutable std::mutex mutex_;
  size_t running_ = 0;
  std::deque<Waiting> backlog_;
};

}  // namespace wg
