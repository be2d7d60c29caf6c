// `dedup` of a webhook: which value identifies a delivery, and for how long a repeat of it is
// answered 200 without being delivered again.
//
//   "dedup": "X-GitHub-Delivery"           a header (any case), window 86400 s
//   "dedup": "/id"                         a JSON pointer into the payload (data_type json/form)
//   "dedup": {"key": "webhook-id", "window_seconds": 3600,
//             "backend": "redis", "connection": "cache", "fail_open": true}
//
// A request without the key (header absent, pointer not found, empty) is accepted normally.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "dedup/dedup_backend.hpp"
#include "modules/module.hpp"

namespace wg {

class ConfigErrors;

struct DedupRule {
  std::string key;         // a lower-cased header name, or a JSON pointer
  bool from_body = false;  // `key` is a JSON pointer
  std::chrono::milliseconds window{std::chrono::hours(24)};
  std::shared_ptr<DedupBackend> shared;  // Redis; null: the gateway's local store
  bool fail_open = true;                 // Redis down: accept without the check (else 503)

  // Null (with the errors reported) when the option is invalid.
  static std::shared_ptr<const DedupRule> FromConfig(
      const boost::json::value& value, const std::string& path,
      const std::map<std::string, ConnectionConfig, std::less<>>& connections,
      const ModuleContext& context, ConfigErrors& errors);

  // The key's value in this delivery; nullopt when it has none.
  std::optional<std::string> KeyOf(const Delivery& delivery) const;
};

// Hex of the first 128 bits of SHA-256(webhook id, NUL, key): fixed size whatever the key, and
// the journal and Redis never hold the sender's values.
std::string DedupFingerprint(std::string_view webhook_id, std::string_view key);

}  // namespace wg
