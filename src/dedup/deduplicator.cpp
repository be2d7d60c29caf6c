#include "dedup/deduplicator.hpp"

#include <boost/asio.hpp>

#include "observability/logger.hpp"

namespace wg {
namespace asio = boost::asio;
namespace {

constexpr std::chrono::milliseconds kPollInterval{20};

}  // namespace

DedupClaim::DedupClaim(DedupClaim&& other) noexcept
    : backend_(std::exchange(other.backend_, nullptr)),
      fingerprint_(std::move(other.fingerprint_)),
      delivery_id_(std::move(other.delivery_id_)),
      window_(other.window_),
      executor_(std::move(other.executor_)) {}

DedupClaim::~DedupClaim() {
  if (backend_ != nullptr) backend_->Release(fingerprint_, delivery_id_, executor_);
}

asio::awaitable<std::string> DedupClaim::Commit() {
  DedupBackend* backend = std::exchange(backend_, nullptr);
  if (backend == nullptr) co_return std::string();
  auto committing = backend->Commit(fingerprint_, delivery_id_, window_);
  std::string error = co_await std::move(committing);
  co_return error;
}

asio::awaitable<DedupVerdict> Deduplicate(const DedupRule& rule, DedupBackend* local,
                                          const Delivery& delivery, Logger& logger) {
  DedupVerdict verdict;
  DedupBackend* backend = rule.shared ? rule.shared.get() : local;
  auto key = rule.KeyOf(delivery);
  if (backend == nullptr || !key) co_return verdict;
  const std::string fingerprint = DedupFingerprint(delivery.webhook_id, *key);
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  const auto deadline = std::chrono::steady_clock::now() + kPendingWait;
  for (;;) {
    auto claiming = backend->Claim(fingerprint, delivery.id, rule.window);
    ClaimResult claim = co_await std::move(claiming);
    switch (claim.status) {
      case ClaimResult::Status::kClaimed:
        verdict.claim.emplace(*backend, fingerprint, delivery.id, rule.window, executor);
        co_return verdict;
      case ClaimResult::Status::kDuplicate:
        verdict.status = DedupVerdict::Status::kDuplicate;
        verdict.original_id = std::move(claim.original_id);
        co_return verdict;
      case ClaimResult::Status::kUnavailable:
        logger.Warn(
            rule.fail_open ? "dedup: backend unavailable, accepted without the check"
                           : "dedup: backend unavailable, refused",
            {{"webhook", delivery.webhook_id}, {"delivery", delivery.id}, {"error", claim.error}});
        if (!rule.fail_open) verdict.status = DedupVerdict::Status::kUnavailable;
        co_return verdict;
      case ClaimResult::Status::kPending:
        break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      verdict.status = DedupVerdict::Status::kBusy;
      co_return verdict;
    }
    timer.expires_after(kPollInterval);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

}  // namespace wg
