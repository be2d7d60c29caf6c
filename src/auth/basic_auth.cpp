#include "auth/basic_auth.hpp"

#include <fmt/format.h>

#include <optional>
#include <string_view>

#include "auth/constant_time.hpp"
#include "config/json_reader.hpp"
#include "util/utf8.hpp"

namespace wg {
namespace {

constexpr std::string_view kBasic = "Basic ";

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

bool IsWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return c == '+' ? 62 : 63;
}

// The Python project's `^[A-Za-z0-9+/]*={0,2}$`.
bool MatchesBase64Pattern(std::string_view text) {
  size_t end = text.size();
  size_t padding = 0;
  while (end > 0 && text[end - 1] == '=' && padding < 2) {
    --end;
    ++padding;
  }
  for (size_t i = 0; i < end; ++i) {
    if (!IsBase64Char(text[i])) return false;
  }
  return true;
}

// Strict decoding as Python's b64decode(validate=True): whole quads only, padding at the end.
// The alphabet has already been checked.
std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  std::string_view data = text.substr(0, text.size() - padding);
  std::string out;
  out.reserve(data.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : data) {
    buffer = ((buffer << 6) | static_cast<unsigned>(Base64Value(c))) & 0xFFFFu;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// The Python project decodes the credentials as UTF-8, falling back to latin-1, and compares
// their UTF-8 encoding with the configured strings: so a latin-1 byte 0xE9 matches "é".
std::string AsUtf8(std::string bytes) {
  if (IsValidUtf8(bytes)) return bytes;
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out.push_back(c);
    } else {
      out.push_back(static_cast<char>(0xC0 | (byte >> 6)));
      out.push_back(static_cast<char>(0x80 | (byte & 0x3F)));
    }
  }
  return out;
}

class BasicAuthValidator final : public Validator {
 public:
  BasicAuthValidator(std::string_view username, std::string_view password)
      : username_(username), password_(password) {}

  std::optional<boost::json::object> SecurityScheme() const override {
    return HttpSecurityScheme("basic", "HTTP Basic authentication.");
  }

  std::optional<AuthFailure> CheckHead(const AuthRequest& request) const override {
    const std::string* header = request.FindHeader("authorization");
    if (header == nullptr || header->empty()) {
      return Unauthenticated("Missing Authorization header", "missing_header");
    }
    std::string_view value = *header;
    if (!value.starts_with(kBasic)) {
      // "Basic\t..." or a bare "Basic" names the scheme but not in the strict form.
      if (value.starts_with("Basic") && (value.size() == 5 || IsWhitespace(value[5]))) {
        return Unauthenticated("Invalid Basic authentication format", "bad_format");
      }
      return Unauthenticated("Basic authentication required", "bad_scheme");
    }
    std::string_view encoded = value.substr(kBasic.size());
    if (encoded.empty()) {
      return Unauthenticated("Invalid Basic authentication format: missing credentials",
                             "bad_format");
    }
    if (IsWhitespace(encoded.front())) {
      return Unauthenticated("Invalid Basic authentication format", "bad_format");  // double space
    }
    for (char c : encoded) {
      if (IsWhitespace(c)) {
        return Unauthenticated("Invalid base64 encoding: whitespace not allowed", "bad_base64");
      }
    }
    if (!MatchesBase64Pattern(encoded)) {
      return Unauthenticated("Invalid base64 encoding format", "bad_base64");
    }
    std::optional<std::string> decoded = DecodeBase64(encoded);
    if (!decoded) {
      return Unauthenticated("Invalid base64 encoding in Authorization header", "bad_base64");
    }
    std::string credentials = AsUtf8(std::move(*decoded));
    size_t colon = credentials.find(':');
    if (colon == std::string::npos)
      return Unauthenticated("Invalid basic auth format", "bad_format");
    std::string_view all = credentials;
    // Both are compared, always, so the time does not tell which one was wrong.
    bool username_ok = username_.Matches(all.substr(0, colon));
    bool password_ok = password_.Matches(all.substr(colon + 1));
    if (!(username_ok && password_ok))
      return Unauthenticated("Invalid credentials", "invalid_credentials");
    return std::nullopt;
  }

 private:
  SecretMatcher username_;
  SecretMatcher password_;
};

}  // namespace

std::shared_ptr<const Validator> BuildBasicAuth(const boost::json::object& webhook,
                                                const std::string& webhook_path,
                                                ConfigErrors& errors) {
  const std::string path = JoinPath(webhook_path, "basic_auth");
  const boost::json::value& value = webhook.at("basic_auth");
  if (!value.is_object()) {
    errors.Add(path, fmt::format("must be an object with username and password, got {}",
                                 JsonKindName(value)));
    return nullptr;
  }
  ObjectReader reader(value.get_object(), path, errors);
  std::optional<std::string> username = reader.String("username", true);
  std::optional<std::string> password = reader.String("password", true);
  reader.RejectUnknownKeys("basic_auth");
  bool ok = username && password;
  if (username && username->empty()) {
    errors.Add(reader.PathOf("username"), "Basic auth credentials not configured (empty username)");
    ok = false;
  }
  if (username && username->find(':') != std::string::npos) {
    // The credentials are split at the first ':', so such a username could never match.
    errors.Add(reader.PathOf("username"), "must not contain ':'");
    ok = false;
  }
  if (password && password->empty()) {
    errors.Add(reader.PathOf("password"), "Basic auth credentials not configured (empty password)");
    ok = false;
  }
  if (!ok) return nullptr;
  return std::make_shared<BasicAuthValidator>(*username, *password);
}

}  // namespace wg
