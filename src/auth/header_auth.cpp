#include "auth/header_auth.hpp"

#include <fmt/format.h>

#include <optional>
#include <string_view>

#include "auth/constant_time.hpp"
#include "config/json_reader.hpp"

namespace wg {
namespace {

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

class HeaderAuthValidator final : public Validator {
 public:
  HeaderAuthValidator(std::string header_name, std::string_view api_key, bool case_sensitive)
      : header_name_(std::move(header_name)),
        lookup_name_(AsciiLower(header_name_)),
        case_sensitive_(case_sensitive),
        api_key_(case_sensitive ? std::string(api_key) : AsciiLower(api_key)) {}

  std::optional<boost::json::object> SecurityScheme() const override {
    return ApiKeySecurityScheme("header", header_name_, "An API key.");
  }

  std::optional<AuthFailure> CheckHead(const AuthRequest& request) const override {
    const std::string* value = request.FindHeader(lookup_name_);
    if (value == nullptr || value->empty()) {
      return AuthFailure{401, fmt::format("Missing required header: {}", header_name_),
                         "missing_header", {}};
    }
    // Case-insensitive: both sides lower-cased, then the same constant-time compare.
    bool ok = case_sensitive_ ? api_key_.Matches(*value) : api_key_.Matches(AsciiLower(*value));
    if (!ok) {
      return AuthFailure{401, fmt::format("Invalid API key in header: {}", header_name_),
                         "invalid_api_key", {}};
    }
    return std::nullopt;
  }

 private:
  std::string header_name_;  // as configured, for the messages
  std::string lookup_name_;  // lower-cased, as the request's header names
  bool case_sensitive_;
  SecretMatcher api_key_;
};

}  // namespace

std::shared_ptr<const Validator> BuildHeaderAuth(const boost::json::object& webhook,
                                                 const std::string& webhook_path,
                                                 ConfigErrors& errors) {
  const std::string path = JoinPath(webhook_path, "header_auth");
  const boost::json::value& value = webhook.at("header_auth");
  if (!value.is_object()) {
    errors.Add(path, fmt::format("must be an object with api_key, got {}", JsonKindName(value)));
    return nullptr;
  }
  ObjectReader reader(value.get_object(), path, errors);
  std::string header_name = reader.StringOr("header_name", "X-API-Key");
  std::optional<std::string> api_key = reader.String("api_key");
  bool case_sensitive = reader.Bool("case_sensitive", false);
  reader.RejectUnknownKeys("header_auth");
  bool ok = api_key.has_value();
  // RFC 9110 token characters: what a header name may be made of.
  if (header_name.empty() ||
      header_name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789!#$%&'*+-.^_`|~") != std::string::npos) {
    errors.Add(reader.PathOf("header_name"),
               fmt::format("\"{}\" is not a valid HTTP header name", header_name));
    ok = false;
  }
  if (!api_key || api_key->empty()) {
    // A wrong type has been reported by String() already.
    if (!reader.Has("api_key") || api_key) {
      errors.Add(reader.PathOf("api_key"), "Header auth API key not configured");
    }
    ok = false;
  }
  if (!ok) return nullptr;
  return std::make_shared<HeaderAuthValidator>(std::move(header_name), *api_key, case_sensitive);
}

}  // namespace wg
