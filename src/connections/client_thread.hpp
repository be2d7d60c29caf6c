// The thread of a client that owns its connection (mqtt, zeromq): requests are queued from any
// thread; the thread starts with the first request and is woken through an eventfd, which its
// session polls together with its own sockets. Also keeps the client's state line for /status
// ("connected", "down: <last error>"), written by the thread and read by anyone.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace wg {

template <typename Request>
class ClientThread {
 public:
  explicit ClientThread(std::string state)
      : state_(std::move(state)), wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~ClientThread() {
    Stop();
    if (wake_fd_ >= 0) close(wake_fd_);
  }
  ClientThread(const ClientThread&) = delete;
  ClientThread& operator=(const ClientThread&) = delete;

  // Queues the request and wakes the thread, starting it with `run` the first time. Returns why
  // the request was not queued: shutting down, or no eventfd.
  template <typename Run>
  std::optional<std::string> Push(std::shared_ptr<Request> request, Run run) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return "shutting down";
      if (wake_fd_ < 0) return "cannot create an eventfd";
      queue_.push_back(std::move(request));
      if (!thread_.joinable()) thread_ = std::thread(std::move(run));
    }
    Wake();
    return std::nullopt;
  }

  // On the thread: the requests queued since the last call (maybe none), or nullopt once
  // stopping. What is still queued then comes from TakeRemaining.
  std::optional<std::vector<std::shared_ptr<Request>>> Take() {
    std::lock_guard lock(mutex_);
    if (stopping_) return std::nullopt;
    std::vector<std::shared_ptr<Request>> batch(std::make_move_iterator(queue_.begin()),
                                                std::make_move_iterator(queue_.end()));
    queue_.clear();
    return batch;
  }

  std::vector<std::shared_ptr<Request>> TakeRemaining() {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Request>> rest(std::make_move_iterator(queue_.begin()),
                                               std::make_move_iterator(queue_.end()));
    queue_.clear();
    return rest;
  }

  // Refuses new requests, wakes the thread and waits for it to end. The client's destructor
  // calls it first, while everything the thread uses still exists.
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
  }

  int wake_fd() const { return wake_fd_; }

  void SetState(std::string state) {
    std::lock_guard lock(mutex_);
    state_ = std::move(state);
  }

  std::string State() const {
    std::lock_guard lock(mutex_);
    return state_;
  }

 private:
  void Wake() {
    if (wake_fd_ < 0) return;
    uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof one) < 0) {
      // EAGAIN: the counter is already non-zero, the thread wakes anyway.
    }
  }

  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<Request>> queue_;
  bool stopping_ = false;
  std::string state_;
  const int wake_fd_;  // eventfd: wakes the thread out of its poll
  std::thread thread_;
};

}  // namespace wg
