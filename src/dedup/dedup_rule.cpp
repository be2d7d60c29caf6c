#include "dedup/dedup_rule.hpp"

#include <fmt/format.h>

#include <cctype>

#include "config/json_reader.hpp"
#include "connections/redis/shared_state_backend.hpp"
#include "connections/s3/s3_client.hpp"
#include "dedup/redis_dedup.hpp"

namespace wg {
namespace json = boost::json;

std::shared_ptr<const DedupRule> DedupRule::FromConfig(
    const json::value& value, const std::string& path,
    const std::map<std::string, ConnectionConfig, std::less<>>& connections,
    const ModuleContext& context, ConfigErrors& errors) {
  auto rule = std::make_shared<DedupRule>();
  std::string key_path = path;
  if (value.is_string()) {
    rule->key = std::string(value.get_string());
  } else if (value.is_object()) {
    const size_t errors_before = errors.size();
    ObjectReader reader(value.get_object(), path, errors);
    rule->key = reader.String("key", true).value_or("");
    key_path = reader.PathOf("key");
    rule->window = std::chrono::seconds(reader.Integer("window_seconds", 86'400, 1, 30 * 86'400));
    auto backend = ParseSharedStateBackend(reader, "dedup", connections, context);
    reader.RejectUnknownKeys("dedup");
    if (!backend || errors.size() != errors_before) return nullptr;
    rule->fail_open = backend->fail_open;
    if (backend->redis) rule->shared = std::make_shared<RedisDedup>(backend->redis);
  } else {
    errors.Add(path, fmt::format("must be a header name, a JSON pointer or an object, got {}",
                                 JsonKindName(value)));
    return nullptr;
  }
  if (rule->key.empty()) {
    errors.Add(key_path, "must name a header (\"X-GitHub-Delivery\") or a JSON pointer (\"/id\")");
    return nullptr;
  }
  rule->from_body = rule->key.front() == '/';
  if (!rule->from_body) {
    for (char& c : rule->key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return rule;
}

std::optional<std::string> DedupRule::KeyOf(const Delivery& delivery) const {
  if (!from_body) {
    for (const auto& header : delivery.headers) {
      if (header.name == key) {
        if (header.value.empty()) return std::nullopt;
        return header.value;
      }
    }
    return std::nullopt;
  }
  boost::system::error_code ec;
  const json::value* found = delivery.payload.find_pointer(key, ec);
  if (found == nullptr || found->is_null()) return std::nullopt;
  if (found->is_string()) {
    if (found->get_string().empty()) return std::nullopt;
    return std::string(found->get_string());
  }
  return json::serialize(*found);  // a number ("id": 42) or anything else, in its JSON text
}

std::string DedupFingerprint(std::string_view webhook_id, std::string_view key) {
  std::string text;
  text.reserve(webhook_id.size() + 1 + key.size());
  text.append(webhook_id).push_back('\0');
  text.append(key);
  return Sha256Hex(text).substr(0, 32);
}

}  // namespace wg
