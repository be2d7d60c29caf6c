// Remembers values a sender may use only once (OAuth 1.0 nonces, Digest nonce counts) until
// they expire. Bounded: a flood of fresh values must not exhaust memory, so when the cache is
// full of unexpired values new ones are refused (fail closed) rather than old ones forgotten
// (which would let a forgotten value be replayed). Thread-safe: every I/O thread checks here.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

namespace wg {

class ReplayCache {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  enum class Result { kFirstUse, kReplayed, kFull };

  explicit ReplayCache(size_t capacity) : capacity_(capacity) {}

  // Records `value` until `expires`, unless it is already recorded (kReplayed) or the cache
  // holds `capacity` unexpired values (kFull).
  Result Use(const std::string& value, TimePoint expires, TimePoint now);

  size_t size() const;

 private:
  void DropExpired(TimePoint now);

  const size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, TimePoint> expiry_;
  std::set<std::pair<TimePoint, std::string>> by_expiry_;  // oldest first, to drop in order
};

}  // namespace wg
