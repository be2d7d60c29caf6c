// The watch that keeps a gateway's configuration in step with etcd (etcd_source.hpp): one
// streaming POST /v3/watch on the prefix, on a thread of its own.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <thread>

#include "config/etcd_source.hpp"

namespace wg {

class Logger;

// Watches the prefix on a thread of its own and calls `on_change` once the keys have been quiet
// for `quiet_period` after a change. When the watch breaks it reconnects with exponential
// backoff (1 s doubling to 60 s, with jitter); on every (re)connection it calls `on_change` if
// etcd's revision is not the one last loaded (changes made while it was away).
class EtcdWatch {
 public:
  EtcdWatch(EtcdSettings settings, std::chrono::milliseconds quiet_period, Logger& logger,
            std::function<void()> on_change);
  ~EtcdWatch();

  EtcdWatch(const EtcdWatch&) = delete;
  EtcdWatch& operator=(const EtcdWatch&) = delete;

  void Start();
  void Stop();

  // The revision of the snapshot the running configuration was built from.
  void LoadedRevision(int64_t revision) { loaded_revision_ = revision; }
  bool connected() const { return connected_; }

 private:
  boost::asio::awaitable<void> WatchLoop();
  boost::asio::awaitable<void> ReloadWhenQuiet();
  // Handles one message of the watch stream.
  void OnMessage(const boost::json::value& message);

  const EtcdSettings settings_;
  const std::chrono::milliseconds quiet_period_;
  Logger& logger_;
  const std::function<void()> on_change_;

  boost::asio::io_context io_;
  boost::asio::steady_timer reload_timer_;
  std::thread thread_;
  std::atomic<int64_t> loaded_revision_{0};
  std::atomic<bool> connected_{false};
};

}  // namespace wg
