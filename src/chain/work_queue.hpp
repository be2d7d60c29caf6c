// Bounds the chain executions of the whole process: at most `max_in_flight` run at once, at most
// `max_queued` wait behind them. Beyond that TrySubmit refuses, and the request gets 503 with
// Retry-After, so memory never grows without bound when destinations are slow.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace wg {

class WorkQueue {
 public:
  struct Job {
    boost::asio::any_io_executor executor;  // where the work runs (the accepting thread)
    std::function<boost::asio::awaitable<void>()> work;
  };

  WorkQueue(size_t max_in_flight, size_t max_queued)
      : max_in_flight_(max_in_flight), max_queued_(max_queued) {}
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // False when both the running set and the queue are full.
  bool TrySubmit(Job job);

  size_t InFlight() const;
  size_t Queued() const;
  bool Idle() const;

 private:
  void Launch(Job job);
  void OnFinished();

  const size_t max_in_flight_;
  const size_t max_queued_;
  mutable std::mutex mutex_;
  size_t in_flight_ = 0;
  std::deque<Job> queue_;
};

}  // namespace wg
