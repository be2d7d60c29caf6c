#include "auth/query_auth.hpp"

#include <fmt/format.h>

#include <optional>
#include <string_view>

#include "auth/constant_time.hpp"
#include "config/json_reader.hpp"

namespace wg {
namespace {

constexpr size_t kMaxParameterNameLength = 100;
constexpr size_t kMaxValueCharacters = 1000;

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The Python project's `^[a-zA-Z0-9_\-\.]+$`.
bool IsValidParameterName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Characters (code points), not bytes, as Python's len(): UTF-8 continuation bytes don't count.
size_t CountCharacters(std::string_view text) {
  size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

// Removes C0 controls (U+0000..U+001F), DEL and C1 controls (U+0080..U+009F, in UTF-8 the pairs
// C2 80..C2 9F), so a key pasted with a stray newline or a smuggled control still compares
// as the Python project does.
std::string StripControlCharacters(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) continue;
    if (c == 0xC2 && i + 1 < text.size()) {
      auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) {
        ++i;
        continue;
      }
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

class QueryAuthValidator final : public Validator {
 public:
  QueryAuthValidator(std::string parameter_name, std::string_view api_key, bool case_sensitive)
      : parameter_name_(std::move(parameter_name)),
        case_sensitive_(case_sensitive),
        api_key_(case_sensitive ? std::string(api_key) : AsciiLower(api_key)) {}

  std::optional<boost::json::object> SecurityScheme() const override {
    return ApiKeySecurityScheme("query", parameter_name_, "An API key.");
  }

  std::optional<AuthFailure> CheckHead(const AuthRequest& request) const override {
    const std::string* value = request.Query(parameter_name_);
    if (value == nullptr || value->empty()) {
      return AuthFailure{401, fmt::format("Missing required query parameter: {}", parameter_name_),
                         "missing_parameter", {}};
    }
    std::string cleaned;
    if (CountCharacters(*value) <= kMaxValueCharacters) cleaned = StripControlCharacters(*value);
    if (cleaned.empty()) {
      return AuthFailure{
          401,
          fmt::format("Invalid query parameter value for: {} (too long or contains invalid "
                      "characters)",
                      parameter_name_),
          "invalid_parameter", {}};
    }
    bool ok = case_sensitive_ ? api_key_.Matches(cleaned) : api_key_.Matches(AsciiLower(cleaned));
    if (!ok) {
      return AuthFailure{401,
                         fmt::format("Invalid API key in query parameter: {}", parameter_name_),
                         "invalid_api_key", {}};
    }
    return std::nullopt;
  }

 private:
  std::string parameter_name_;
  bool case_sensitive_;
  SecretMatcher api_key_;
};

}  // namespace

std::shared_ptr<const Validator> BuildQueryAuth(const boost::json::object& webhook,
                                                const std::string& webhook_path,
                                                ConfigErrors& errors) {
  const std::string path = JoinPath(webhook_path, "query_auth");
  const boost::json::value& value = webhook.at("query_auth");
  if (!value.is_object()) {
    errors.Add(path, fmt::format("must be an object with api_key, got {}", JsonKindName(value)));
    return nullptr;
  }
  ObjectReader reader(value.get_object(), path, errors);
  bool ok = true;
  std::string parameter_name = reader.StringOr("parameter_name", "api_key");
  if (!IsValidParameterName(parameter_name)) {
    errors.Add(reader.PathOf("parameter_name"),
               fmt::format("Invalid parameter name configuration: \"{}\" must be letters, digits, "
                           "'_', '-' or '.'",
                           parameter_name));
    ok = false;
  } else if (parameter_name.size() > kMaxParameterNameLength) {
    errors.Add(reader.PathOf("parameter_name"),
               fmt::format("Invalid parameter name configuration: longer than {} characters",
                           kMaxParameterNameLength));
    ok = false;
  }
  std::string api_key;
  const boost::json::value* key = reader.Get("api_key");
  if (key == nullptr || (key->is_string() && key->get_string().empty())) {
    errors.Add(reader.PathOf("api_key"), "Query auth API key not configured");
    ok = false;
  } else if (!key->is_string()) {
    errors.Add(reader.PathOf("api_key"), "Query auth API key must be a string");
    ok = false;
  } else {
    api_key = key->get_string();
  }
  bool case_sensitive = reader.Bool("case_sensitive", false);
  reader.RejectUnknownKeys("query_auth");
  if (!ok) return nullptr;
  return std::make_shared<QueryAuthValidator>(std::move(parameter_name), api_key, case_sensitive);
}

}  // namespace wg
