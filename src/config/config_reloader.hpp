// Live reload of webhooks.json and connections.json: on SIGHUP, on a change of either file
// (inotify on their directories, after a quiet period, so an editor's several writes give one
// reload) and on POST /admin/reload-config. With CONFIG_BACKEND=etcd the same, from etcd: a
// change under the prefix (etcd_watch.hpp) reloads the whole snapshot after the quiet period.
//
// A reload reads and validates both files completely, exactly as at start. Only a config
// without a single error replaces the running one, in one atomic swap (ConfigHolder); a
// rejected reload changes nothing and reports every error with its file and JSON path.
// Requests and deliveries in flight keep the webhook definition they started with (they hold it
// by shared_ptr); connections whose type and settings did not change keep their clients and
// sockets (ConnectionRegistry::Build with the previous registry). In-memory rate-limit windows
// start afresh for the new definitions.
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config_loader.hpp"
#include "config/env_substitution.hpp"
#include "config/etcd_watch.hpp"
#include "config/json_reader.hpp"
#include "modules/module.hpp"

namespace wg {

class ConfigHolder;
class Logger;

struct ReloadOutcome {
  bool applied = false;
  std::string trigger;  // "SIGHUP", "file change", "etcd change", "admin API"
  std::chrono::system_clock::time_point at;
  std::vector<ConfigError> errors;  // why it was rejected
  size_t webhooks_added = 0;
  size_t webhooks_removed = 0;
  size_t total_webhooks = 0;
  size_t connections_added = 0;
  size_t connections_removed = 0;
  size_t connections_kept = 0;  // clients taken over unchanged
  size_t total_connections = 0;

  // The answer of POST /admin/reload-config.
  boost::json::object ToJson() const;
};

class ConfigReloader {
 public:
  ConfigReloader(ConfigSources sources, EnvLookup lookup, ModuleContext context,
                 ConfigHolder& holder, Logger& logger);
  ~ConfigReloader();  // stops watching

  ConfigReloader(const ConfigReloader&) = delete;
  ConfigReloader& operator=(const ConfigReloader&) = delete;

  // Blocking (reads files, builds modules); one reload at a time.
  ReloadOutcome Reload(std::string trigger);

  // GET /admin/config-status.
  boost::json::object Status() const;

  // Starts the inotify thread (or the etcd watch); a reason when it cannot watch (the gateway
  // runs on without).
  std::optional<std::string> StartWatching(std::chrono::milliseconds quiet_period);
  void StopWatching();

  // With the etcd backend: whether the watch is connected (/health); nullopt for files.
  std::optional<bool> EtcdConnected() const;

 private:
  void Watch(int inotify_fd, std::chrono::milliseconds quiet_period);

  const ConfigSources sources_;
  const EnvLookup lookup_;
  const ModuleContext context_;
  ConfigHolder& holder_;
  Logger& logger_;

  std::mutex reload_mutex_;  // one reload at a time
  mutable std::mutex status_mutex_;
  std::optional<ReloadOutcome> last_;
  size_t applied_ = 0;
  size_t rejected_ = 0;
  std::chrono::system_clock::time_point loaded_at_;
  std::atomic<bool> reloading_{false};

  std::unique_ptr<EtcdWatch> etcd_watch_;
  std::thread watcher_;
  int stop_pipe_[2] = {-1, -1};
  bool watching_ = false;
};

}  // namespace wg
