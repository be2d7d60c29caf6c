// The webhook's `credential_cleanup` key: credential-like fields of the payload and headers are
// masked ("***REDACTED***") or removed before any module sees them (reference §2.7).
//
// Keys: enabled (true), mode ("mask" | "remove"), fields (extra names). A name is a credential
// when, lower-cased, it is in kDefaultNames or `fields`, or contains password, secret, token,
// key, credential or auth (the Python project's patterns: so `author` and `monkey` are masked
// too, as there). A value that is an object or array is searched, not masked. Payloads that are
// not objects or arrays (blob, text, a JSON string) are left as they are; headers always cleaned.
//
// It runs when the delivery is built, before the spool: secrets never reach the disk, and every
// module, the spool, dead letters and replays see the same cleaned webhook. Authentication has
// already checked the raw request by then.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modules/module.hpp"

namespace wg {

class ConfigErrors;

class CredentialCleanup {
 public:
  enum class Mode { kMask, kRemove };
  static constexpr std::string_view kMask = "***REDACTED***";

  // Enabled, masking, default names: what a webhook without the key gets.
  CredentialCleanup() = default;
  // From webhook["credential_cleanup"]; every problem goes to `errors` with its path. An invalid
  // mode is a config error (the Python project then delivers uncleaned data).
  static std::optional<CredentialCleanup> FromConfig(const boost::json::value& value,
                                                     const std::string& path, ConfigErrors& errors);

  bool enabled() const { return enabled_; }
  bool IsCredentialName(std::string_view name) const;

  // Clean in place; true when something was masked or removed.
  bool Clean(boost::json::value& payload) const;
  bool Clean(std::vector<Header>& headers) const;

 private:
  bool CleanValue(boost::json::value& value, int depth) const;

  bool enabled_ = true;
  Mode mode_ = Mode::kMask;
  std::vector<std::string> extra_names_;  // lower case
};

}  // namespace wg
