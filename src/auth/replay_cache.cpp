#include "auth/replay_cache.hpp"

namespace wg {

ReplayCache::Result ReplayCache::Use(const std::string& value, TimePoint expires, TimePoint now) {
  std::lock_guard lock(mutex_);
  DropExpired(now);
  if (expiry_.contains(value)) return Result::kReplayed;
  if (expiry_.size() >= capacity_) return Result::kFull;
  expiry_.emplace(value, expires);
  by_expiry_.emplace(expires, value);
  return Result::kFirstUse;
}

size_t ReplayCache::size() const {
  std::lock_guard lock(mutex_);
  return expiry_.size();
}

void ReplayCache::DropExpired(TimePoint now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    expiry_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

}  // namespace wg
