#include "config/config_reloader.hpp"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "connections/connection_registry.hpp"
#include "observability/logger.hpp"
#include "util/thread_name.hpp"
#include "webhook/pipeline.hpp"

namespace wg {
namespace json = boost::json;
namespace fs = std::filesystem;
namespace {

std::string IsoTime(std::chrono::system_clock::time_point at) {
  auto millis = std::chrono::time_point_cast<std::chrono::milliseconds>(at);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", millis);
}

json::array ErrorsJson(const std::vector<ConfigError>& errors) {
  json::array out;
  for (const auto& error : errors) {
    out.push_back({{"file", error.file}, {"path", error.path}, {"message", error.message}});
  }
  return out;
}

template <typename Map>
std::set<std::string> KeysOf(const Map& map) {
  std::set<std::string> keys;
  for (const auto& [key, value] : map) keys.insert(key);
  return keys;
}

size_t CountMissing(const std::set<std::string>& from, const std::set<std::string>& in) {
  size_t missing = 0;
  for (const auto& key : from) missing += in.contains(key) ? 0 : 1;
  return missing;
}

// What changed from `before` to `after`, in counts.
void CountChanges(const GatewayConfig* before, const GatewayConfig& after, ReloadOutcome& outcome) {
  std::set<std::string> old_webhooks = before ? KeysOf(before->webhooks) : std::set<std::string>{};
  std::set<std::string> old_connections =
      before ? KeysOf(before->connections) : std::set<std::string>{};
  std::set<std::string> new_webhooks = KeysOf(after.webhooks);
  std::set<std::string> new_connections = KeysOf(after.connections);
  outcome.webhooks_added = CountMissing(new_webhooks, old_webhooks);
  outcome.webhooks_removed = CountMissing(old_webhooks, new_webhooks);
  outcome.total_webhooks = new_webhooks.size();
  outcome.connections_added = CountMissing(new_connections, old_connections);
  outcome.connections_removed = CountMissing(old_connections, new_connections);
  outcome.total_connections = new_connections.size();
  outcome.connections_kept = after.connection_registry ? after.connection_registry->kept() : 0;
}

}  // namespace

json::object ReloadOutcome::ToJson() const {
  json::object out;
  out["timestamp"] = IsoTime(at);
  out["trigger"] = trigger;
  if (!applied) {
    out["status"] = "error";
    out["error"] = fmt::format(
        "configuration rejected ({} error{}); the running configuration "
        "is unchanged",
        errors.size(), errors.size() == 1 ? "" : "s");
    out["errors"] = ErrorsJson(errors);
    return out;
  }
  out["status"] = "success";
  out["reloaded"] = {{"webhooks", true}, {"connections", true}};
  out["details"] = {{"webhooks",
                     {{"webhooks_added", webhooks_added},
                      {"webhooks_removed", webhooks_removed},
                      {"total_webhooks", total_webhooks}}},
                    {"connections",
                     {{"connections_added", connections_added},
                      {"connections_removed", connections_removed},
                      {"connections_kept", connections_kept},
                      {"total_connections", total_connections}}}};
  return out;
}

ConfigReloader::ConfigReloader(ConfigSources sources, EnvLookup lookup, ModuleContext context,
                               ConfigHolder& holder, Logger& logger)
    : sources_(std::move(sources)),
      lookup_(std::move(lookup)),
      context_(std::move(context)),
      holder_(holder),
      logger_(logger),
      loaded_at_(std::chrono::system_clock::now()) {}

ConfigReloader::~ConfigReloader() {
  StopWatching();
  for (int fd : stop_pipe_) {
    if (fd >= 0) close(fd);
  }
}

void ConfigReloader::StopWatching() {
  if (etcd_watch_) etcd_watch_->Stop();
  if (!watcher_.joinable()) return;
  char byte = 0;
  [[maybe_unused]] ssize_t ignored = write(stop_pipe_[1], &byte, 1);
  watcher_.join();
}

ReloadOutcome ConfigReloader::Reload(std::string trigger) {
  std::lock_guard lock(reload_mutex_);
  reloading_ = true;
  ReloadOutcome outcome;
  outcome.trigger = std::move(trigger);
  std::shared_ptr<const GatewayConfig> running = holder_.Get();
  LoadResult loaded = LoadConfig(sources_, lookup_, context_, running.get());
  outcome.at = std::chrono::system_clock::now();
  for (const auto& warning : loaded.warnings) {
    logger_.Warn("config warning", {{"error", ConfigErrors::Format(warning)}});
  }
  if (loaded.config) {
    CountChanges(running.get(), *loaded.config, outcome);
    holder_.Set(loaded.config);
    if (etcd_watch_) etcd_watch_->LoadedRevision(loaded.config->etcd_revision);
    outcome.applied = true;
    logger_.Info("configuration reloaded",
                 {{"trigger", outcome.trigger},
                  {"webhooks", std::to_string(outcome.total_webhooks)},
                  {"webhooks_added", std::to_string(outcome.webhooks_added)},
                  {"webhooks_removed", std::to_string(outcome.webhooks_removed)},
                  {"connections_kept", std::to_string(outcome.connections_kept)}});
  } else {
    outcome.errors = std::move(loaded.errors);
    logger_.Error(
        "configuration reload rejected; the running configuration is unchanged",
        {{"trigger", outcome.trigger}, {"errors", std::to_string(outcome.errors.size())}});
    for (const auto& error : outcome.errors) {
      logger_.Error("config error", {{"error", ConfigErrors::Format(error)}});
    }
  }
  {
    std::lock_guard status_lock(status_mutex_);
    if (outcome.applied) {
      ++applied_;
      loaded_at_ = outcome.at;
    } else {
      ++rejected_;
    }
    last_ = outcome;
  }
  reloading_ = false;
  return outcome;
}

json::object ConfigReloader::Status() const {
  std::shared_ptr<const GatewayConfig> running = holder_.Get();
  std::lock_guard lock(status_mutex_);
  json::object out;
  out["last_reload"] = last_ ? json::value(IsoTime(last_->at)) : json::value(nullptr);
  out["reload_in_progress"] = reloading_.load();
  out["webhooks_count"] = running ? running->webhooks.size() : 0;
  out["connections_count"] = running ? running->connections.size() : 0;
  out["loaded_at"] = IsoTime(loaded_at_);
  out["reloads_applied"] = applied_;
  out["reloads_rejected"] = rejected_;
  if (last_) {
    json::object last{{"trigger", last_->trigger}, {"applied", last_->applied}};
    if (!last_->applied) last["errors"] = ErrorsJson(last_->errors);
    out["last_outcome"] = std::move(last);
  }
  if (sources_.etcd) {
    out["provider"] = {{"backend", "etcd"},
                       {"endpoint", sources_.etcd->Endpoint()},
                       {"prefix", sources_.etcd->prefix},
                       {"namespace", sources_.etcd->ns},
                       {"revision", running ? running->etcd_revision : 0},
                       {"watch_connected", etcd_watch_ && etcd_watch_->connected()}};
  } else {
    out["provider"] = {{"backend", "file"},
                       {"webhook_config_file", sources_.webhooks_path},
                       {"connection_config_file", sources_.connections_path}};
  }
  out["file_watching_enabled"] = watching_;
  return out;
}

std::optional<bool> ConfigReloader::EtcdConnected() const {
  if (!sources_.etcd) return std::nullopt;
  return etcd_watch_ && etcd_watch_->connected();
}

std::optional<std::string> ConfigReloader::StartWatching(std::chrono::milliseconds quiet_period) {
  if (sources_.etcd) {
    etcd_watch_ = std::make_unique<EtcdWatch>(*sources_.etcd, quiet_period, logger_,
                                              [this] { Reload("etcd change"); });
    if (auto running = holder_.Get()) etcd_watch_->LoadedRevision(running->etcd_revision);
    etcd_watch_->Start();
    return std::nullopt;
  }
  int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) return fmt::format("inotify_init1: {}", std::strerror(errno));
  std::set<std::string> directories;
  for (const auto& file : {sources_.webhooks_path, sources_.connections_path}) {
    fs::path parent = fs::absolute(fs::path(file)).parent_path();
    directories.insert(parent.string());
  }
  for (const auto& directory : directories) {
    // Editors save by writing in place or by renaming a new file over the old one.
    uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE;
    if (inotify_add_watch(fd, directory.c_str(), mask) < 0) {
      std::string error = fmt::format("cannot watch {}: {}", directory, std::strerror(errno));
      close(fd);
      return error;
    }
  }
  if (pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    close(fd);
    return fmt::format("pipe2: {}", std::strerror(errno));
  }
  watching_ = true;
  watcher_ = std::thread([this, fd, quiet_period] {
    NameThisThread("wg-config-watch");
    Watch(fd, quiet_period);
  });
  return std::nullopt;
}

void ConfigReloader::Watch(int inotify_fd, std::chrono::milliseconds quiet_period) {
  const std::set<std::string> names = {fs::path(sources_.webhooks_path).filename().string(),
                                       fs::path(sources_.connections_path).filename().string(),
                                       "..data"};  // Kubernetes ConfigMap volumes swap this link
  std::optional<std::chrono::steady_clock::time_point> due;
  alignas(inotify_event) std::array<char, 16 * 1024> buffer;
  while (true) {
    int timeout = -1;
    if (due) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *due - std::chrono::steady_clock::now());
      timeout = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    std::array<pollfd, 2> fds = {{{inotify_fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}}};
    int ready = poll(fds.data(), fds.size(), timeout);
    if (ready < 0 && errno != EINTR) break;
    if (fds[1].revents != 0) break;
    if (fds[0].revents & POLLIN) {
      ssize_t length = read(inotify_fd, buffer.data(), buffer.size());
      for (ssize_t offset = 0; offset < length;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + offset);
        if (event->len > 0 && names.contains(event->name)) {
          due = std::chrono::steady_clock::now() + quiet_period;  // wait for the writes to settle
        }
        offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
    if (due && std::chrono::steady_clock::now() >= *due) {
      due.reset();
      Reload("file change");
    }
  }
  close(inotify_fd);
}

}  // namespace wg
