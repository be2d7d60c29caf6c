// `rate_limit` of a webhook: {"max_requests": 100, "window_seconds": 60} as the Python project,
// plus where the count is kept (connections/redis/shared_state_backend.hpp):
//   local  an exact sliding window in this process (sliding_window.hpp);
//   redis  fixed windows shared by every gateway process: one counter per window,
//          INCR + PEXPIRE in one round trip. Cheaper than a log in Redis, at the price of letting
//          up to 2 x max_requests through around a window boundary.
// Checked right after the webhook is looked up, before authentication and before the body is
// read; a refusal is 429 {"detail": "Rate limit exceeded. Retry after N seconds"} with
// Retry-After: N (seconds until a slot frees). Counts live with the loaded configuration: a
// reload starts them afresh.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "auth/validator.hpp"
#include "connections/redis/shared_state_backend.hpp"
#include "rate_limit/sliding_window.hpp"

namespace wg {

class RateLimit {
 public:
  // From the webhook's `rate_limit` object; null (with the errors reported) when it is invalid.
  static std::shared_ptr<RateLimit> FromConfig(
      const boost::json::value& value, const std::string& path, const std::string& webhook_id,
      const std::map<std::string, ConnectionConfig, std::less<>>& connections,
      const ModuleContext& context, ConfigErrors& errors);

  // Whether the count is in Redis, so that only TakeShared can decide.
  bool shared() const { return backend_.redis != nullptr; }

  // Local: counts the request, or says why it is refused.
  std::optional<AuthFailure> TakeLocal(SlidingWindow::Clock::time_point now) const;

  // Redis: the same against the shared counter of the current window.
  boost::asio::awaitable<std::optional<AuthFailure>> TakeShared(
      std::chrono::system_clock::time_point now) const;

 private:
  RateLimit(uint32_t max_requests, std::chrono::milliseconds window, SharedStateBackend backend,
            std::string webhook_id, Logger* logger);
  std::optional<AuthFailure> Refusal(std::chrono::milliseconds retry_after) const;
  // Logs when Redis goes away and comes back, not once per request.
  void NoteBackend(bool up, const std::string& error) const;

  const uint32_t max_requests_;
  const std::chrono::milliseconds window_;
  const SharedStateBackend backend_;
  const std::string key_prefix_;  // redis: "wg:rate_limit:<webhook id>:"
  std::unique_ptr<SlidingWindow> local_;
  Logger* logger_;
  mutable std::atomic<bool> backend_down_{false};
};

}  // namespace wg
