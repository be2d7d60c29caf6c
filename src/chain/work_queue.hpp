// Bounds the chain executions of the whole process: at most `max_in_flight` run at once, at most
// `max_queued` wait behind them. Beyond that TrySubmit refuses, and the request gets 503 with
// Retry-After, so memory never grows without bound when destinations are slow.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace wg {

class WorkQueue {
 public:
  // What a job calls, once, when its work has ended.
  using Finished = std::function<void()>;

  struct Job {
    boost::asio::any_io_executor executor;  // where the work runs (the accepting thread)
    std::function<void(Finished)> start;    // starts the work; must not block
  };

  WorkQueue(size_t max_in_flight, size_t max_queued)
      : max_in_flight_(max_in_flight), max_queued_(max_queued) {}
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // False when both the running set and the queue are full. Called on the job's executor: a job
  // with room to run starts inside this call; a queued one is posted to its executor when a
  // running job finishes.
  bool TrySubmit(Job job);

  size_t InFlight() const;
  size_t Queued() const;
  bool Idle() const;

 private:
  void OnFinished();

  const size_t max_in_flight_;
  const size_t max_queued_;
  mutable std::mutex mutex_;
  size_t in_flight_ = 0;
  std::deque<Job> queue_;
};

}  // namespace wg
