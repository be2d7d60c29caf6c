// JSON Web Tokens (RFC 7519) in JWS compact form (RFC 7515), verified with OpenSSL; shared by
// the `jwt` and `oauth2` methods.
//
// Algorithms (RFC 7518): HS256/384/512 (HMAC), RS256/384/512 (RSA PKCS#1 v1.5), PS256/384/512
// (RSA-PSS, salt = digest length), ES256/384/512 (ECDSA on P-256/P-384/P-521, the signature as
// raw r||s). Rules that keep a forged token out:
// - the token's `alg` must be one the config allows AND one the key is made for: an HMAC
//   secret never verifies an RS/PS/ES token, a public key never becomes an HMAC secret
//   (the RS/HS confusion), and `none` is never accepted;
// - base64url strictly (no padding, no other alphabet, canonical trailing bits), a token of at
//   most kMaxJwtBytes, a `crit` header (extensions we do not implement) refused;
// - exp / nbf / iat are checked with kJwtLeeway for clock skew; exp is required unless
//   verify_exp is off; iss / aud only when configured, and then required.
#pragma once

#include <openssl/evp.h>

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wg {

class ConfigErrors;

enum class JwtAlgorithm {
  kHs256,
  kHs384,
  kHs512,
  kRs256,
  kRs384,
  kRs512,
  kEs256,
  kEs384,
  kEs512,
  kPs256,
  kPs384,
  kPs512,
};

// The exact JWS name ("HS256"), as the token's header must spell it.
std::optional<JwtAlgorithm> ParseJwtAlgorithm(std::string_view name);
std::string_view JwtAlgorithmName(JwtAlgorithm algorithm);

constexpr size_t kMaxJwtBytes = 8192;
constexpr std::chrono::seconds kJwtLeeway{30};

// The configured verification key: an HMAC secret, or a PEM public key (RSA of at least 2048
// bits, or EC on P-256, P-384 or P-521).
class JwtKey {
 public:
  enum class Kind { kHmac, kRsa, kEcP256, kEcP384, kEcP521 };

  // A secret with a "-----BEGIN" line is read as a PEM public key, anything else is HMAC key
  // bytes. On failure: why, for a config error (never the secret itself).
  static std::variant<JwtKey, std::string> FromSecret(std::string_view secret);

  bool Verifies(JwtAlgorithm algorithm) const;
  std::string_view Describe() const;  // "an HMAC secret", "an RSA public key", ...
  bool VerifySignature(JwtAlgorithm algorithm, std::string_view signing_input,
                       std::string_view signature) const;

 private:
  Kind kind_ = Kind::kHmac;
  std::string hmac_secret_;
  std::shared_ptr<EVP_PKEY> public_key_;
};

enum class JwtError {
  kMalformed,     // not three strict base64url parts of JSON objects, too long, `crit`
  kAlgorithm,     // `alg` missing, none, unknown, not allowed, or not the key's kind
  kSignature,     // the signature does not verify
  kExpired,       // exp + leeway is past
  kNotYetValid,   // nbf or iat - leeway is in the future
  kIssuer,        // iss differs
  kAudience,      // aud (string or list) does not hold the configured audience
  kMissingClaim,  // a claim that the rules need is absent (`claim` names it)
  kBadClaim,      // exp / nbf / iat not a number, iss not a string (`claim` names it)
};

struct JwtRejection {
  JwtError error;
  std::string claim;
};

struct JwtRules {
  std::vector<JwtAlgorithm> algorithms;  // allowed by the config and verifiable by the key
  std::optional<std::string> issuer;
  std::optional<std::string> audience;
  bool verify_exp = true;
};

class JwtVerifier {
 public:
  JwtVerifier(JwtKey key, JwtRules rules) : key_(std::move(key)), rules_(std::move(rules)) {}

  // The token's claims, or why it is refused.
  std::variant<boost::json::object, JwtRejection> Verify(
      std::string_view token, std::chrono::system_clock::time_point now) const;

 private:
  std::optional<JwtRejection> CheckClaims(const boost::json::object& claims,
                                          std::chrono::system_clock::time_point now) const;

  JwtKey key_;
  JwtRules rules_;
};

// The config side both methods share: `secret` (at `secret_path`) becomes the key, the
// algorithm names (case-insensitive, at `algorithms_path`) are checked against the supported
// list and against the key; every problem goes to `errors`. Algorithms the key cannot verify
// are dropped (oauth2's default ["HS256", "RS256"] with a PEM key means RS256 only); none left
// is an error.
std::optional<JwtVerifier> BuildJwtVerifier(std::string_view secret, const std::string& secret_path,
                                            const std::vector<std::string>& algorithm_names,
                                            const std::string& algorithms_path,
                                            JwtRules claim_rules, ConfigErrors& errors);

}  // namespace wg
