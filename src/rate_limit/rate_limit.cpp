#include "rate_limit/rate_limit.hpp"

#include <fmt/format.h>

#include "observability/logger.hpp"

namespace wg {

RateLimit::RateLimit(uint32_t max_requests, std::chrono::milliseconds window,
                     SharedStateBackend backend, std::string webhook_id, Logger* logger)
    : max_requests_(max_requests),
      window_(window),
      backend_(std::move(backend)),
      key_prefix_("wg:rate_limit:" + webhook_id + ":"),
      logger_(logger) {
  if (!backend_.redis) local_ = std::make_unique<SlidingWindow>(max_requests, window);
}

std::shared_ptr<RateLimit> RateLimit::FromConfig(
    const boost::json::value& value, const std::string& path, const std::string& webhook_id,
    const std::map<std::string, ConnectionConfig, std::less<>>& connections,
    const ModuleContext& context, ConfigErrors& errors) {
  if (!value.is_object()) {
    errors.Add(path, fmt::format("must be an object, got {}", JsonKindName(value)));
    return nullptr;
  }
  const size_t errors_before = errors.size();
  ObjectReader reader(value.get_object(), path, errors);
  // A sliding log of one time per allowed request: the cap keeps it under 8 MB per webhook.
  auto max_requests = reader.Integer("max_requests", 100, 0, 1'000'000);
  auto window_seconds = reader.Integer("window_seconds", 60, 1, 86'400);
  if (reader.Get("enabled") != nullptr) {
    errors.Warn(reader.PathOf("enabled"),
                "ignored, as by the Python project: remove \"rate_limit\" to turn it off");
  }
  auto backend = ParseSharedStateBackend(reader, "rate_limit", connections, context);
  reader.RejectUnknownKeys("rate_limit");
  if (!backend || errors.size() != errors_before) return nullptr;
  return std::shared_ptr<RateLimit>(new RateLimit(static_cast<uint32_t>(max_requests),
                                                  std::chrono::seconds(window_seconds),
                                                  std::move(*backend), webhook_id, context.logger));
}

std::optional<AuthFailure> RateLimit::Refusal(std::chrono::milliseconds retry_after) const {
  // Whole seconds, rounded up: a sender that waits that long finds a free slot.
  auto seconds = std::max<int64_t>(1, (retry_after.count() + 999) / 1000);
  AuthFailure failure;
  failure.status = 429;
  failure.reason = "rate limit";
  failure.message = max_requests_ == 0
                        ? "Rate limit exceeded. No requests allowed"
                        : fmt::format("Rate limit exceeded. Retry after {} seconds", seconds);
  failure.headers.emplace_back("Retry-After", std::to_string(seconds));
  return failure;
}

void RateLimit::NoteBackend(bool up, const std::string& error) const {
  if (backend_down_.exchange(!up, std::memory_order_relaxed) == !up || logger_ == nullptr) return;
  if (up) {
    logger_->Info("rate_limit: redis is back", {{"connection", backend_.redis->name()}});
  } else {
    logger_->Warn(backend_.fail_open ? "rate_limit: redis unavailable, requests pass unchecked"
                                     : "rate_limit: redis unavailable, requests get 503",
                  {{"connection", backend_.redis->name()}, {"error", error}});
  }
}

std::optional<AuthFailure> RateLimit::TakeLocal(SlidingWindow::Clock::time_point now) const {
  RateDecision decision = local_->Take(now);
  if (decision.allowed) return std::nullopt;
  return Refusal(decision.retry_after);
}

boost::asio::awaitable<std::optional<AuthFailure>> RateLimit::TakeShared(
    std::chrono::system_clock::time_point now) const {
  if (max_requests_ == 0) co_return Refusal(window_);
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const int64_t window_ms = window_.count();
  const int64_t window_index = now_ms / window_ms;
  const std::string key = key_prefix_ + std::to_string(window_index);
  // The counter outlives its window a little, so a slow clock on another process still counts.
  auto executing =
      backend_.redis->Execute({{"INCR", key}, {"PEXPIRE", key, std::to_string(2 * window_ms)}});
  RedisResult result = co_await std::move(executing);
  if (!result.ok || result.replies.empty() || result.replies[0].IsError()) {
    NoteBackend(false, !result.ok               ? result.error
                       : result.replies.empty() ? std::string("no reply")
                                                : DescribeReply(result.replies[0]));
    if (backend_.fail_open) co_return std::nullopt;
    AuthFailure failure;
    failure.status = 503;
    failure.reason = "rate limit backend unavailable";
    failure.message = "Rate limit cannot be checked now, retry later";
    failure.headers.emplace_back("Retry-After", "1");
    co_return failure;
  }
  NoteBackend(true, {});
  if (result.replies[0].integer <= static_cast<int64_t>(max_requests_)) co_return std::nullopt;
  co_return Refusal(std::chrono::milliseconds((window_index + 1) * window_ms - now_ms));
}

}  // namespace wg
