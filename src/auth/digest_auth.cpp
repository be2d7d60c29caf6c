#include "auth/digest_auth.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <chrono>
#include <optional>

#include "auth/auth_params.hpp"
#include "auth/constant_time.hpp"
#include "auth/crypto.hpp"
#include "auth/method_config.hpp"
#include "auth/replay_cache.hpp"
#include "config/json_reader.hpp"
#include "util/ascii.hpp"

namespace wg {
namespace {

struct Algorithm {
  std::string_view name;  // as written in the challenge
  const char* digest;     // OpenSSL's name
  bool session;           // "-sess": HA1 also covers the nonces
};

constexpr std::array<Algorithm, 4> kAlgorithms = {{
    {"MD5", "MD5", false},
    {"MD5-sess", "MD5", true},
    {"SHA-256", "SHA256", false},
    {"SHA-256-sess", "SHA256", true},
}};

const Algorithm* FindAlgorithm(std::string_view name) {
  for (const auto& algorithm : kAlgorithms) {
    if (EqualsIgnoreCase(algorithm.name, name)) return &algorithm;
  }
  return nullptr;
}

std::string HexHash(const Algorithm& algorithm, std::initializer_list<std::string_view> parts) {
  return HexEncode(ComputeDigest(algorithm.digest, parts));
}

// HA1 of RFC 7616 §3.4.2 from H(username:realm:password), which is all the validator keeps.
std::string SessionHa1(const Algorithm& algorithm, const std::string& user_ha1,
                       std::string_view nonce, std::string_view cnonce) {
  if (!algorithm.session) return user_ha1;
  return HexHash(algorithm, {user_ha1, ":", nonce, ":", cnonce});
}

std::string ResponseFromUserHa1(const Algorithm& algorithm, const std::string& user_ha1,
                                std::string_view method, std::string_view uri,
                                std::string_view nonce, std::string_view nc,
                                std::string_view cnonce) {
  const std::string ha1 = SessionHa1(algorithm, user_ha1, nonce, cnonce);
  const std::string ha2 = HexHash(algorithm, {method, ":", uri});
  return HexHash(algorithm, {ha1, ":", nonce, ":", nc, ":", cnonce, ":auth:", ha2});
}

// A quoted-string for the challenge.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

bool IsHexDigits(std::string_view text, size_t size) {
  if (text.size() != size) return false;
  for (char c : text) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

constexpr size_t kReplayCapacity = 100'000;
constexpr int64_t kClockSkewSeconds = 5;  // a nonce from "the future" is forged, not early

struct DigestSettings {
  std::string username;
  std::string realm = "Webhook API";
  const Algorithm* algorithm = &kAlgorithms[0];
  std::string user_ha1;  // hex H(username:realm:password); the password itself is not kept
  int64_t nonce_lifetime = 300;
};

class DigestAuthValidator final : public Validator {
 public:
  explicit DigestAuthValidator(DigestSettings settings)
      : settings_(std::move(settings)), nonce_key_(RandomBytes(32)), used_(kReplayCapacity) {}

  std::optional<boost::json::object> SecurityScheme() const override {
    return HttpSecurityScheme("digest",
                              "HTTP Digest authentication (RFC 7616); the challenge comes with "
                              "the first 401.");
  }

  std::optional<AuthFailure> CheckHead(const AuthRequest& request) const override {
    const int64_t now = UnixSeconds(request.now);
    const std::string* header = request.FindHeader("authorization");
    if (header == nullptr || header->empty()) {
      return Challenge(now, "Missing Authorization header", "missing_header");
    }
    if (!StartsWithScheme(*header, "Digest")) {
      return Challenge(now, "Digest authentication required", "bad_scheme");
    }
    auto params = ParseAuthParams(std::string_view(*header).substr(7), ParamNames::kLowerCase);
    if (!params) {
      return Challenge(now, "Invalid Digest authorization header format", "bad_format");
    }
    for (std::string_view name :
         {"username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce"}) {
      if (params->Find(name) == nullptr) {
        return Challenge(now, fmt::format("Missing required Digest parameter: {}", name),
                         "missing_parameter");
      }
    }
    const std::string& nonce = *params->Find("nonce");
    const std::string& nc = *params->Find("nc");
    const std::string& cnonce = *params->Find("cnonce");
    const std::string& uri = *params->Find("uri");
    if (!ConstantTimeEquals(*params->Find("username"), settings_.username)) {
      return Challenge(now, "Invalid digest auth username", "invalid_username");
    }
    if (*params->Find("realm") != settings_.realm) {
      return Challenge(now, "Invalid digest auth realm", "invalid_realm");
    }
    if (const std::string* algorithm = params->Find("algorithm");
        algorithm != nullptr && !EqualsIgnoreCase(*algorithm, settings_.algorithm->name)) {
      return Challenge(now, fmt::format("Invalid digest auth algorithm: {}", *algorithm),
                       "invalid_algorithm");
    }
    if (const std::string& qop = *params->Find("qop"); qop != "auth") {
      return Challenge(now, fmt::format("Invalid digest auth qop: {}", qop), "invalid_qop");
    }
    // The response covers `uri`: it must be what was requested, or a response captured for one
    // URL would open another.
    if (uri != request.target) return Challenge(now, "Invalid digest auth uri", "invalid_uri");
    if (!IsHexDigits(nc, 8)) {
      return Challenge(now, "Invalid digest auth nonce count", "invalid_nc");
    }
    const std::string expected = ResponseFromUserHa1(*settings_.algorithm, settings_.user_ha1,
                                                     request.method, uri, nonce, nc, cnonce);
    if (!SameBytes(AsciiLower(*params->Find("response")), expected)) {
      return Challenge(now, "Invalid digest auth response", "invalid_response");
    }
    // The client knows the password but its nonce is not (or no longer) ours: stale=true tells
    // it to answer the new challenge without asking its user (RFC 7616 §3.3).
    std::optional<int64_t> issued = NonceTime(nonce);
    if (!issued || *issued > now + kClockSkewSeconds) {
      return Challenge(now, "Invalid digest auth nonce", "invalid_nonce", /*stale=*/true);
    }
    if (now - *issued > settings_.nonce_lifetime) {
      return Challenge(now, "Digest auth nonce expired", "stale_nonce", /*stale=*/true);
    }
    const auto expires = std::chrono::system_clock::time_point(std::chrono::seconds(*issued)) +
                         std::chrono::seconds(settings_.nonce_lifetime + 1);
    switch (
        used_.Use(fmt::format("{}:{}:{}", nonce, AsciiLower(nc), cnonce), expires, request.now)) {
      case ReplayCache::Result::kFirstUse:
        return std::nullopt;
      case ReplayCache::Result::kReplayed:
        return Challenge(now, "Digest auth nonce count already used (replay detected)",
                         "replayed_nonce_count");
      case ReplayCache::Result::kFull:
        break;
    }
    return AuthFailure{503,
                       "Server nonce storage full, please retry later",
                       "nonce_storage_full",
                       {{"Retry-After", "1"}}};
  }

 private:
  static int64_t UnixSeconds(std::chrono::system_clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
  }

  std::string NonceMac(std::string_view seconds) const {
    return HexEncode(ComputeHmac("SHA256", nonce_key_, {seconds, ":", settings_.realm}));
  }

  std::string NewNonce(int64_t now) const {
    const std::string seconds = std::to_string(now);
    return seconds + "." + NonceMac(seconds);
  }

  // The time a nonce of ours was issued; nullopt for anything we did not make.
  std::optional<int64_t> NonceTime(std::string_view nonce) const {
    size_t dot = nonce.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 18) return std::nullopt;
    std::string_view seconds = nonce.substr(0, dot);
    int64_t value = 0;
    auto [end, ec] = std::from_chars(seconds.data(), seconds.data() + seconds.size(), value);
    if (ec != std::errc() || end != seconds.data() + seconds.size()) return std::nullopt;
    if (!SameBytes(nonce.substr(dot + 1), NonceMac(seconds))) return std::nullopt;
    return value;
  }

  // Every 401 carries a fresh challenge (RFC 9110 §11.6.1), so a client can always answer it.
  AuthFailure Challenge(int64_t now, std::string message, std::string reason,
                        bool stale = false) const {
    std::string challenge =
        fmt::format("Digest realm={}, qop=\"auth\", algorithm={}, nonce=\"{}\"",
                    Quote(settings_.realm), settings_.algorithm->name, NewNonce(now));
    if (stale) challenge += ", stale=true";
    return AuthFailure{
        401, std::move(message), std::move(reason), {{"WWW-Authenticate", std::move(challenge)}}};
  }

  DigestSettings settings_;
  std::string nonce_key_;
  mutable ReplayCache used_;  // thread-safe; remembering a use is not a change of the method
};

bool HasControlCharacter(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return true;
  }
  return false;
}

}  // namespace

std::string DigestResponse(const DigestInput& input) {
  const Algorithm* algorithm = FindAlgorithm(input.algorithm);
  if (algorithm == nullptr) return {};
  const std::string user_ha1 =
      HexHash(*algorithm, {input.username, ":", input.realm, ":", input.password});
  return ResponseFromUserHa1(*algorithm, user_ha1, input.method, input.uri, input.nonce, input.nc,
                             input.cnonce);
}

std::shared_ptr<const Validator> BuildDigestAuth(const boost::json::object& webhook,
                                                 const std::string& webhook_path,
                                                 ConfigErrors& errors) {
  const std::string path = JoinPath(webhook_path, "digest_auth");
  const boost::json::object* object =
      MethodObject(webhook, "digest_auth", path, "username and password", errors);
  if (object == nullptr) return nullptr;
  const size_t errors_before = errors.size();
  ObjectReader reader(*object, path, errors);
  DigestSettings settings;
  std::optional<std::string> username =
      RequiredCredential(reader, "username", "Digest auth credentials");
  std::optional<std::string> password =
      RequiredCredential(reader, "password", "Digest auth credentials");
  settings.realm = reader.StringOr("realm", settings.realm);
  if (HasControlCharacter(settings.realm)) {
    errors.Add(reader.PathOf("realm"), "must not contain control characters");
  }
  const std::string algorithm = reader.StringOr("algorithm", "MD5");
  settings.algorithm = FindAlgorithm(algorithm);
  if (settings.algorithm == nullptr) {
    errors.Add(reader.PathOf("algorithm"),
               fmt::format("Invalid digest auth algorithm: {} (supported: MD5, SHA-256, MD5-sess, "
                           "SHA-256-sess)",
                           algorithm));
  }
  const std::string qop = reader.StringOr("qop", "auth");
  if (qop != "auth") {
    errors.Add(reader.PathOf("qop"), fmt::format("unsupported qop \"{}\" (supported: auth)", qop));
  }
  settings.nonce_lifetime = reader.Integer("nonce_lifetime", 300, 10, 86'400);
  reader.RejectUnknownKeys("digest_auth");
  if (errors.size() != errors_before || !username || !password) return nullptr;

  settings.username = *username;
  settings.user_ha1 =
      HexHash(*settings.algorithm, {*username, ":", settings.realm, ":", *password});
  return std::make_shared<DigestAuthValidator>(std::move(settings));
}

}  // namespace wg
