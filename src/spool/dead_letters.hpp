// Dead letters: webhooks with chain items that failed for good (a permanent error, retries
// exhausted, the chain's timeout, or not run because an earlier item failed). Each is one JSON
// file named after its delivery id, holding the original request and every item's error
// history, so an operator can read it with any tool and the admin API can replay it.
#pragma once

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "chain/chain_result.hpp"
#include "modules/module.hpp"

namespace wg {

struct DeadItem {
  uint16_t index = 0;  // position in the webhook's chain
  std::string module;
  std::string status;  // failed, timed_out, cancelled, not_executed
  int attempts = 0;
  std::string error;
  std::vector<AttemptFailure> failures;
};

struct DeadLetter {
  std::string delivery_id;
  std::string webhook_id;
  int64_t received_at_us = 0;
  int64_t dead_lettered_at_us = 0;
  uint64_t chain_fingerprint = 0;  // of the chain the item numbers refer to
  std::vector<Header> headers;
  std::string body;
  std::vector<DeadItem> items;

  boost::json::object ToJson() const;
  static std::optional<DeadLetter> FromJson(const boost::json::value& json);
  uint32_t ItemMask() const;
};

struct DeadLetterFilter {
  std::optional<std::string> webhook_id;
  std::optional<std::string> module;     // any failed item of that module
  std::optional<int64_t> since_us;       // dead-lettered at or after
  std::optional<int64_t> until_us;       // dead-lettered before
  size_t limit = 100;
};

class DeadLetterStore {
 public:
  explicit DeadLetterStore(std::filesystem::path directory);

  // Creates the directory; an error message when it cannot.
  std::optional<std::string> Prepare();

  // Writes (temp file, fsync, rename) and returns an error message on failure. A second dead
  // letter for the same delivery (a replay that failed again) replaces the first.
  std::optional<std::string> Put(const DeadLetter& letter);
  std::optional<DeadLetter> Get(const std::string& delivery_id) const;
  bool Remove(const std::string& delivery_id);
  // Oldest first.
  std::vector<DeadLetter> List(const DeadLetterFilter& filter) const;
  // Kept in memory (counted by Prepare, then by Put and Remove), so /metrics reads no directory.
  size_t Count() const { return count_.load(std::memory_order_relaxed); }

  // Delivery ids are UUIDs; anything else never reaches the file system.
  static bool IsValidId(std::string_view delivery_id);

 private:
  std::filesystem::path PathOf(const std::string& delivery_id) const;

  std::filesystem::path directory_;
  mutable std::mutex mutex_;
  std::atomic<size_t> count_{0};
};

int64_t ToMicros(std::chrono::system_clock::time_point time);
std::string FormatMicros(int64_t micros);  // RFC 3339, UTC, milliseconds

}  // namespace wg
