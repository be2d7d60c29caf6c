#include "auth/oauth1.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <variant>
#include <vector>

#include "auth/auth_params.hpp"
#include "auth/constant_time.hpp"
#include "auth/crypto.hpp"
#include "auth/method_config.hpp"
#include "auth/replay_cache.hpp"
#include "auth/request_url.hpp"
#include "config/json_reader.hpp"
#include "util/ascii.hpp"
#include "util/base64.hpp"
#include "util/url_encoding.hpp"

namespace wg {
namespace {

enum class SignatureMethod { kHmacSha1, kHmacSha256, kPlaintext };

struct MethodName {
  std::string_view name;
  SignatureMethod method;
};

constexpr std::array<MethodName, 3> kMethods = {{
    {"HMAC-SHA1", SignatureMethod::kHmacSha1},
    {"HMAC-SHA256", SignatureMethod::kHmacSha256},
    {"PLAINTEXT", SignatureMethod::kPlaintext},
}};

constexpr size_t kNonceCapacity = 100'000;
constexpr int64_t kNonceGraceSeconds = 60;  // kept past the window, for clock skew

struct Oauth1Settings {
  std::string consumer_key;
  std::string signing_key;  // pct(consumer_secret) & pct(token_secret), RFC 5849 §3.4.2
  SignatureMethod method = SignatureMethod::kHmacSha1;
  std::string method_name = "HMAC-SHA1";
  bool verify_timestamp = true;
  int64_t timestamp_window = 300;
  bool verify_nonce = true;
  std::optional<RequestOrigin> public_url;
};

// The Authorization header, parsed and checked up to the signature.
struct OauthHeader {
  AuthParams params;  // percent-decoded values
  std::string signature;
  std::optional<int64_t> timestamp;
  std::string nonce;
};

int64_t UnixSeconds(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

std::optional<int64_t> ParseSeconds(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

class Oauth1Validator final : public Validator {
 public:
  explicit Oauth1Validator(Oauth1Settings settings)
      : settings_(std::move(settings)), nonces_(kNonceCapacity) {}

  std::optional<boost::json::object> SecurityScheme() const override {
    return ApiKeySecurityScheme("header", "Authorization",
                                "An OAuth 1.0 signature (RFC 5849): Authorization: OAuth ...");
  }

  // Everything but the signature is checked here, before the body is read. PLAINTEXT signs
  // no content, so it is checked whole here.
  std::optional<AuthFailure> CheckHead(const AuthRequest& request) const override {
    auto header = ParseHeader(request);
    if (auto* failure = std::get_if<AuthFailure>(&header)) return std::move(*failure);
    if (settings_.method != SignatureMethod::kPlaintext) return std::nullopt;
    return Verify(request, std::get<OauthHeader>(header), {});
  }
  bool NeedsBody() const override { return settings_.method != SignatureMethod::kPlaintext; }
  std::optional<AuthFailure> CheckBody(const AuthRequest& request,
                                       std::string_view body) const override {
    auto header = ParseHeader(request);
    if (auto* failure = std::get_if<AuthFailure>(&header)) return std::move(*failure);
    return Verify(request, std::get<OauthHeader>(header), body);
  }

 private:
  std::variant<OauthHeader, AuthFailure> ParseHeader(const AuthRequest& request) const {
    const std::string* header = request.FindHeader("authorization");
    if (header == nullptr || header->empty()) {
      return Unauthenticated("Missing Authorization header", "missing_header");
    }
    if (!StartsWithScheme(*header, "OAuth")) {
      return Unauthenticated("OAuth 1.0 authentication required", "bad_scheme");
    }
    auto params = ParseAuthParams(std::string_view(*header).substr(6), ParamNames::kAsSent);
    if (params) {
      for (auto& [name, value] : params->items) {
        auto decoded = PercentDecode(value);
        if (!decoded) {
          params.reset();
          break;
        }
        value = std::move(*decoded);
      }
    }
    if (!params) {
      return Unauthenticated("Invalid OAuth 1.0 authorization header format", "bad_format");
    }
    OauthHeader out;
    out.params = std::move(*params);
    std::vector<std::string_view> required = {"oauth_consumer_key", "oauth_signature_method",
                                              "oauth_signature"};
    if (settings_.verify_timestamp) required.push_back("oauth_timestamp");
    if (settings_.verify_nonce) required.push_back("oauth_nonce");
    for (std::string_view name : required) {
      if (out.params.Find(name) == nullptr) {
        return Unauthenticated(fmt::format("Missing required OAuth 1.0 parameter: {}", name),
                               "missing_parameter");
      }
    }
    if (!ConstantTimeEquals(*out.params.Find("oauth_consumer_key"), settings_.consumer_key)) {
      return Unauthenticated("Invalid OAuth 1.0 consumer key", "invalid_consumer_key");
    }
    const std::string& method = *out.params.Find("oauth_signature_method");
    if (!EqualsIgnoreCase(method, settings_.method_name)) {
      return Unauthenticated(fmt::format("Invalid OAuth 1.0 signature method: {}", method),
                             "invalid_signature_method");
    }
    if (const std::string* version = out.params.Find("oauth_version");
        version != nullptr && *version != "1.0") {
      return Unauthenticated(fmt::format("Invalid OAuth 1.0 version: {}", *version),
                             "invalid_version");
    }
    if (const std::string* timestamp = out.params.Find("oauth_timestamp")) {
      out.timestamp = ParseSeconds(*timestamp);
      if (!out.timestamp)
        return Unauthenticated("Invalid OAuth 1.0 timestamp", "invalid_timestamp");
    }
    if (settings_.verify_timestamp) {
      const int64_t diff = std::abs(UnixSeconds(request.now) - *out.timestamp);
      if (diff > settings_.timestamp_window) {
        return Unauthenticated(
            fmt::format("OAuth 1.0 timestamp out of window (diff: {}s, max: {}s)", diff,
                        settings_.timestamp_window),
            "timestamp_out_of_window");
      }
    }
    if (settings_.verify_nonce) {
      out.nonce = *out.params.Find("oauth_nonce");
      if (out.nonce.find_first_not_of(" \t") == std::string::npos) {
        return Unauthenticated("Invalid OAuth 1.0 nonce format", "invalid_nonce");
      }
    }
    out.signature = *out.params.Find("oauth_signature");
    return out;
  }

  std::optional<AuthFailure> Verify(const AuthRequest& request, const OauthHeader& header,
                                    std::string_view body) const {
    if (!SignatureMatches(request, header, body)) {
      return Unauthenticated("Invalid OAuth 1.0 signature", "invalid_signature");
    }
    if (!settings_.verify_nonce) return std::nullopt;
    const int64_t signed_at = header.timestamp.value_or(UnixSeconds(request.now));
    const auto expires = std::chrono::system_clock::time_point(
        std::chrono::seconds(signed_at + settings_.timestamp_window + kNonceGraceSeconds));
    switch (nonces_.Use(header.nonce, expires, request.now)) {
      case ReplayCache::Result::kFirstUse:
        return std::nullopt;
      case ReplayCache::Result::kReplayed:
        return Unauthenticated("OAuth 1.0 nonce has already been used (replay attack detected)",
                               "replayed_nonce");
      case ReplayCache::Result::kFull:
        break;
    }
    return AuthFailure{503,
                       "Server nonce storage full, please retry later",
                       "nonce_storage_full",
                       {{"Retry-After", "1"}}};
  }

  bool SignatureMatches(const AuthRequest& request, const OauthHeader& header,
                        std::string_view body) const {
    if (settings_.method == SignatureMethod::kPlaintext) {
      return ConstantTimeEquals(header.signature, settings_.signing_key);
    }
    auto signature = DecodeBase64(header.signature);
    auto base = SignatureBaseString(request, header, body);
    if (!signature || !base) return false;
    const char* digest = settings_.method == SignatureMethod::kHmacSha1 ? "SHA1" : "SHA256";
    return SameBytes(*signature, ComputeHmac(digest, settings_.signing_key, {*base}));
  }

  // RFC 5849 §3.4.1; nullopt when the URL cannot be rebuilt or a parameter is badly encoded.
  std::optional<std::string> SignatureBaseString(const AuthRequest& request,
                                                 const OauthHeader& header,
                                                 std::string_view body) const {
    auto origin = FindRequestOrigin(request, settings_.public_url);
    if (!origin) return std::nullopt;
    std::vector<std::pair<std::string, std::string>> params;  // encoded, RFC 5849 §3.4.1.3.2
    auto add = [&params](std::string_view name, std::string_view value) {
      params.emplace_back(PercentEncode(name), PercentEncode(value));
    };
    if (size_t question = request.target.find('?'); question != std::string_view::npos) {
      auto query = DecodeForm(request.target.substr(question + 1));
      if (!query) return std::nullopt;
      for (const auto& [name, value] : *query) add(name, value);
    }
    for (const auto& [name, value] : header.params.items) {
      if (name != "realm" && name != "oauth_signature") add(name, value);
    }
    if (IsFormBody(request)) {
      auto form = DecodeForm(body);
      if (!form) return std::nullopt;
      for (const auto& [name, value] : *form) add(name, value);
    }
    std::sort(params.begin(), params.end());
    std::string normalized;
    for (const auto& [name, value] : params) {
      if (!normalized.empty()) normalized += '&';
      normalized += name + "=" + value;
    }
    const std::string uri = BaseWithoutDefaultPort(*origin) + std::string(request.path);
    return std::string(request.method) + "&" + PercentEncode(uri) + "&" + PercentEncode(normalized);
  }

  Oauth1Settings settings_;
  mutable ReplayCache nonces_;  // thread-safe; remembering a nonce is not a change of the method
};

}  // namespace

std::shared_ptr<const Validator> BuildOauth1(const boost::json::object& webhook,
                                             const std::string& webhook_path,
                                             ConfigErrors& errors) {
  const std::string path = JoinPath(webhook_path, "oauth1");
  const boost::json::object* object =
      MethodObject(webhook, "oauth1", path, "consumer_key and consumer_secret", errors);
  if (object == nullptr) return nullptr;
  const size_t errors_before = errors.size();
  ObjectReader reader(*object, path, errors);
  Oauth1Settings settings;
  std::optional<std::string> consumer_key =
      RequiredCredential(reader, "consumer_key", "OAuth 1.0 consumer credentials");
  std::optional<std::string> consumer_secret =
      RequiredCredential(reader, "consumer_secret", "OAuth 1.0 consumer credentials");
  const std::string token_secret = reader.StringOr("token_secret", "");
  const std::string method = reader.StringOr("signature_method", "HMAC-SHA1");
  bool known = false;
  for (const auto& entry : kMethods) {
    if (EqualsIgnoreCase(entry.name, method)) {
      settings.method = entry.method;
      settings.method_name = std::string(entry.name);
      known = true;
    }
  }
  if (!known) {
    errors.Add(reader.PathOf("signature_method"),
               fmt::format("Invalid OAuth 1.0 signature method: {} (supported: HMAC-SHA1, "
                           "HMAC-SHA256, PLAINTEXT)",
                           method));
  }
  settings.verify_timestamp = reader.Bool("verify_timestamp", true);
  settings.timestamp_window = reader.Integer("timestamp_window", 300, 1, 86'400);
  settings.verify_nonce = reader.Bool("verify_nonce", true);
  settings.public_url = ReadPublicUrl(reader);
  reader.RejectUnknownKeys("oauth1");
  if (errors.size() != errors_before || !consumer_key || !consumer_secret) return nullptr;
  settings.consumer_key = *consumer_key;
  settings.signing_key = PercentEncode(*consumer_secret) + "&" + PercentEncode(token_secret);
  return std::make_shared<Oauth1Validator>(std::move(settings));
}

}  // namespace wg
