#include "auth/introspection_cache.hpp"

#include <openssl/sha.h>

#include <algorithm>

namespace wg {
namespace {

std::string KeyOf(std::string_view token) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

}  // namespace

std::optional<TokenInfo> IntrospectionCache::Find(std::string_view token,
                                                  Clock::time_point now) const {
  const std::string key = KeyOf(token);
  std::lock_guard lock(mutex_);
  auto found = entries_.find(key);
  if (found == entries_.end() || found->second.expires_at <= now) return std::nullopt;
  return found->second.info;
}

void IntrospectionCache::Store(std::string_view token, TokenInfo info, Clock::time_point now) {
  Clock::time_point expires_at = now + ttl_;
  if (info.active && info.expires_at) expires_at = std::min(expires_at, *info.expires_at);
  if (expires_at <= now) return;
  std::string key = KeyOf(token);
  std::lock_guard lock(mutex_);
  if (!entries_.contains(key)) MakeRoom(now);
  entries_.insert_or_assign(std::move(key), Entry{std::move(info), expires_at});
}

void IntrospectionCache::MakeRoom(Clock::time_point now) {
  if (entries_.size() < capacity_) return;
  std::erase_if(entries_, [now](const auto& entry) { return entry.second.expires_at <= now; });
  // Still full of live answers: forget one; it is asked for again when needed.
  if (entries_.size() >= capacity_) entries_.erase(entries_.begin());
}

}  // namespace wg
