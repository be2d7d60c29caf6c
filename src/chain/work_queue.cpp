#include "chain/work_queue.hpp"

#include <boost/asio/co_spawn.hpp>

namespace wg {

bool WorkQueue::TrySubmit(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (in_flight_ >= max_in_flight_) {
      if (queue_.size() >= max_queued_) return false;
      queue_.push_back(std::move(job));
      return true;
    }
    ++in_flight_;
  }
  Launch(std::move(job));
  return true;
}

void WorkQueue::Launch(Job job) {
  auto executor = job.executor;
  boost::asio::co_spawn(executor, job.work(), [this](std::exception_ptr) { OnFinished(); });
}

void WorkQueue::OnFinished() {
  Job next;
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
      --in_flight_;
      return;
    }
    next = std::move(queue_.front());
    queue_.pop_front();
  }
  Launch(std::move(next));
}

size_t WorkQueue::InFlight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

size_t WorkQueue::Queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

bool WorkQueue::Idle() const {
  std::lock_guard lock(mutex_);
  return in_flight_ == 0 && queue_.empty();
}

}  // namespace wg
