// webhooks.json and connections.json turned into typed, validated, immutable definitions with
// their modules built. Every error is reported with its JSON path; nothing is half-accepted.
#pragma once

#include <boost/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "auth/validator.hpp"
#include "chain/chain.hpp"
#include "config/json_reader.hpp"
#include "dedup/dedup_rule.hpp"
#include "modules/module.hpp"
#include "webhook/credential_cleanup.hpp"
#include "rate_limit/rate_limit.hpp"

namespace wg {

// When the sender gets its 2xx.
enum class Acknowledge {
  kPersisted,  // the request is fsync'd to the spool (default): it will be delivered
  kReceived,   // the request is in memory (the Python project's behaviour): lost on a crash
  kDelivered,  // the chain has run: 502 with per-item results when it failed, 504 on timeout
};

struct WebhookDefinition {
  std::string id;
  Acknowledge acknowledge = Acknowledge::kPersisted;
  DataType data_type = DataType::kJson;
  std::shared_ptr<const RateLimit> rate_limit;  // checked before authentication
  std::shared_ptr<const DedupRule> dedup;       // checked before acceptance
  // Authentication and validation methods, in the order they run (src/auth/validators.cpp).
  std::vector<std::shared_ptr<const Validator>> validators;
  std::vector<std::string_view> validator_keys;  // [i]: the webhooks.json key of validators[i]
  bool checks_body = false;  // some method signs the body (hmac, ...)
  bool checks_payload = false;  // some method validates the parsed payload (json_schema)
  CredentialCleanup credential_cleanup;  // applied to every delivery before it is spooled
  Chain chain;  // a single `module` is a chain of one item
};

using ConnectionMap = std::map<std::string, ConnectionConfig, std::less<>>;
using WebhookMap = std::map<std::string, std::shared_ptr<const WebhookDefinition>, std::less<>>;

void ParseConnections(const boost::json::value& document, ConfigErrors& errors,
                      ConnectionMap& connections);

void ParseWebhooks(const boost::json::value& document, const ConnectionMap& connections,
                   const ModuleContext& context, ConfigErrors& errors, WebhookMap& webhooks);

// The definition the Python project serves when there is no webhooks file.
boost::json::value DefaultWebhooksDocument();

std::string_view DataTypeName(DataType type);

}  // namespace wg
