// Recent token introspection answers, so that a sender's burst of webhooks with one token costs
// one call to the authorization server. Positive and negative answers are kept for `ttl` (an
// active token never past its own `exp`); at most `capacity` entries, expired ones dropped
// first. Keys are SHA-256 digests: the cache does not hold the tokens themselves.
// Thread-safe: every I/O thread uses the one cache of its webhook.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/token_introspection.hpp"

namespace wg {

class IntrospectionCache {
 public:
  using Clock = std::chrono::system_clock;

  IntrospectionCache(std::chrono::seconds ttl, size_t capacity) : ttl_(ttl), capacity_(capacity) {}

  std::optional<TokenInfo> Find(std::string_view token, Clock::time_point now) const;
  void Store(std::string_view token, TokenInfo info, Clock::time_point now);

 private:
  struct Entry {
    TokenInfo info;
    Clock::time_point expires_at;
  };

  void MakeRoom(Clock::time_point now);

  std::chrono::seconds ttl_;
  size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace wg
