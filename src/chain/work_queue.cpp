#include "chain/work_queue.hpp"

#include <boost/asio/post.hpp>

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
  job.start([this] { OnFinished(); });
  return true;
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
  // Posted, not dispatched: a job that finishes inside its start would otherwise start the next
  // one inside this call, and a long queue of such jobs would nest as deep as the queue is long.
  auto executor = next.executor;
  boost::asio::post(executor,
                    [this, start = std::move(next.start)] { start([this] { OnFinished(); }); });
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
