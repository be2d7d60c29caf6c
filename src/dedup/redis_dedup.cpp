#include "dedup/redis_dedup.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace wg {
namespace {

// Longer than accepting a request takes (body read, spool fsync), short enough that a retry
// after a crash mid-request soon goes through.
constexpr std::chrono::seconds kClaimExpiry{60};

std::string RedisKey(const std::string& fingerprint) { return "wg:dedup:" + fingerprint; }

// Deletes the key only if it still holds our claim (an accepted key stays).
constexpr const char* kReleaseScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
    "return 0";

boost::asio::awaitable<void> ReleaseClaim(std::shared_ptr<RedisClient> redis, std::string key,
                                          std::string claim) {
  auto executing = redis->Execute({{"EVAL", kReleaseScript, "1", key, claim}});
  co_await std::move(executing);  // if Redis is down, the claim's own expiry frees it
}

}  // namespace

boost::asio::awaitable<ClaimResult> RedisDedup::Claim(std::string fingerprint,
                                                      std::string delivery_id,
                                                      std::chrono::milliseconds window) {
  (void)window;  // a claim lasts kClaimExpiry; the window starts at Commit
  const std::string key = RedisKey(fingerprint);
  auto executing = redis_->Execute(
      {{"SET", key, "~" + delivery_id, "NX", "PX", std::to_string(kClaimExpiry.count() * 1000)},
       {"GET", key}});
  RedisResult result = co_await std::move(executing);
  ClaimResult claim;
  if (!result.ok || result.replies.size() != 2 || result.replies[0].IsError()) {
    claim.status = ClaimResult::Status::kUnavailable;
    claim.error = !result.ok               ? result.error
                  : result.replies.empty() ? "no reply"
                                           : DescribeReply(result.replies[0]);
    co_return claim;
  }
  if (result.replies[0].kind == RedisReply::Kind::kStatus) co_return claim;  // "OK": ours
  const RedisReply& holder = result.replies[1];
  if (holder.kind != RedisReply::Kind::kBulk || holder.text.starts_with("~")) {
    // Being accepted elsewhere, or expired between SET and GET: ask again shortly.
    claim.status = ClaimResult::Status::kPending;
    co_return claim;
  }
  claim.status = ClaimResult::Status::kDuplicate;
  claim.original_id = holder.text;
  co_return claim;
}

boost::asio::awaitable<std::string> RedisDedup::Commit(std::string fingerprint,
                                                       std::string delivery_id,
                                                       std::chrono::milliseconds window) {
  auto executing = redis_->Execute(
      {{"SET", RedisKey(fingerprint), delivery_id, "PX", std::to_string(window.count())}});
  RedisResult result = co_await std::move(executing);
  if (!result.ok) co_return result.error;
  if (result.replies.empty() || result.replies[0].IsError()) {
    co_return result.replies.empty() ? "no reply" : DescribeReply(result.replies[0]);
  }
  co_return std::string();
}

void RedisDedup::Release(std::string fingerprint, std::string delivery_id,
                         boost::asio::any_io_executor executor) {
  auto releasing = ReleaseClaim(redis_, RedisKey(fingerprint), "~" + delivery_id);
  boost::asio::co_spawn(executor, std::move(releasing), boost::asio::detached);
}

}  // namespace wg
