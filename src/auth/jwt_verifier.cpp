#include "auth/jwt_verifier.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <array>
#include <cctype>

#include "auth/base64url.hpp"
#include "auth/openssl_helpers.hpp"
#include "config/json_reader.hpp"

namespace wg {
namespace {

enum class Family { kHmac, kRsa, kRsaPss, kEcdsa };

struct AlgorithmInfo {
  JwtAlgorithm algorithm;
  std::string_view name;
  Family family;
  int digest_bits;  // SHA-256 / 384 / 512
};

constexpr std::array<AlgorithmInfo, 12> kAlgorithms = {{
    {JwtAlgorithm::kHs256, "HS256", Family::kHmac, 256},
    {JwtAlgorithm::kHs384, "HS384", Family::kHmac, 384},
    {JwtAlgorithm::kHs512, "HS512", Family::kHmac, 512},
    {JwtAlgorithm::kRs256, "RS256", Family::kRsa, 256},
    {JwtAlgorithm::kRs384, "RS384", Family::kRsa, 384},
    {JwtAlgorithm::kRs512, "RS512", Family::kRsa, 512},
    {JwtAlgorithm::kEs256, "ES256", Family::kEcdsa, 256},
    {JwtAlgorithm::kEs384, "ES384", Family::kEcdsa, 384},
    {JwtAlgorithm::kEs512, "ES512", Family::kEcdsa, 512},
    {JwtAlgorithm::kPs256, "PS256", Family::kRsaPss, 256},
    {JwtAlgorithm::kPs384, "PS384", Family::kRsaPss, 384},
    {JwtAlgorithm::kPs512, "PS512", Family::kRsaPss, 512},
}};

// Names the Python project blocks by name; refused here with the same message.
constexpr std::array<std::string_view, 3> kBlockedAlgorithms = {"NONE", "HS1", "MD5"};

constexpr int kMinRsaBits = 2048;

const AlgorithmInfo& Info(JwtAlgorithm algorithm) {
  return kAlgorithms[static_cast<size_t>(algorithm)];
}

const EVP_MD* Digest(int bits) {
  if (bits == 384) return EVP_sha384();
  if (bits == 512) return EVP_sha512();
  return EVP_sha256();
}

const char* DigestName(int bits) {
  if (bits == 384) return "SHA384";
  if (bits == 512) return "SHA512";
  return "SHA256";
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A JSON object from base64url text; nullopt for anything else. Tokens are small (kMaxJwtBytes)
// and the depth is capped, so parsing cannot be made expensive.
std::optional<boost::json::object> DecodeJsonObject(std::string_view encoded) {
  auto text = DecodeBase64Url(encoded);
  if (!text) return std::nullopt;
  boost::json::parse_options options;
  options.max_depth = 16;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(*text, ec, {}, options);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

std::optional<double> NumericDate(const boost::json::value& value) {
  if (value.is_int64()) return static_cast<double>(value.get_int64());
  if (value.is_uint64()) return static_cast<double>(value.get_uint64());
  if (value.is_double()) return value.get_double();
  return std::nullopt;
}

bool VerifyWithPublicKey(EVP_PKEY* key, const AlgorithmInfo& info, std::string_view message,
                         std::string_view signature) {
  OpenSslPtr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_ctx = nullptr;  // owned by ctx
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), &key_ctx, Digest(info.digest_bits), nullptr, key) != 1) {
    return false;
  }
  if (info.family == Family::kRsaPss &&
      (EVP_PKEY_CTX_set_rsa_padding(key_ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(key_ctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

// JWS carries an ECDSA signature as r||s, each as wide as the curve; OpenSSL wants DER.
std::optional<std::string> EcdsaRawToDer(std::string_view raw, size_t field_bytes) {
  if (raw.size() != 2 * field_bytes) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  OpenSslPtr<BIGNUM> r(BN_bin2bn(bytes, static_cast<int>(field_bytes), nullptr));
  OpenSslPtr<BIGNUM> s(BN_bin2bn(bytes + field_bytes, static_cast<int>(field_bytes), nullptr));
  OpenSslPtr<ECDSA_SIG> signature(ECDSA_SIG_new());
  if (!r || !s || !signature || ECDSA_SIG_set0(signature.get(), r.get(), s.get()) != 1) {
    return std::nullopt;
  }
  r.release();  // owned by the signature now
  s.release();
  int length = i2d_ECDSA_SIG(signature.get(), nullptr);
  if (length <= 0) return std::nullopt;
  std::string der(static_cast<size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(signature.get(), &out) != length) return std::nullopt;
  return der;
}

size_t EcFieldBytes(JwtKey::Kind kind) {
  if (kind == JwtKey::Kind::kEcP384) return 48;
  if (kind == JwtKey::Kind::kEcP521) return 66;
  return 32;
}

JwtRejection Reject(JwtError error, std::string claim = {}) { return {error, std::move(claim)}; }

}  // namespace

std::optional<JwtAlgorithm> ParseJwtAlgorithm(std::string_view name) {
  for (const auto& info : kAlgorithms) {
    if (info.name == name) return info.algorithm;
  }
  return std::nullopt;
}

std::string_view JwtAlgorithmName(JwtAlgorithm algorithm) { return Info(algorithm).name; }

std::variant<JwtKey, std::string> JwtKey::FromSecret(std::string_view secret) {
  JwtKey key;
  if (secret.find("-----BEGIN") == std::string_view::npos) {
    key.kind_ = Kind::kHmac;
    key.hmac_secret_ = std::string(secret);
    return key;
  }
  if (secret.find("PRIVATE KEY-----") != std::string_view::npos) {
    return std::string("must be a PEM public key (-----BEGIN PUBLIC KEY-----), not a private key");
  }
  OpenSslPtr<BIO> bio(BIO_new_mem_buf(secret.data(), static_cast<int>(secret.size())));
  EVP_PKEY* raw = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (raw == nullptr) {
    return std::string("is not a PEM public key (-----BEGIN PUBLIC KEY-----) that can be read");
  }
  key.public_key_.reset(raw, EVP_PKEY_free);
  if (EVP_PKEY_is_a(raw, "RSA")) {
    if (EVP_PKEY_get_bits(raw) < kMinRsaBits) {
      return fmt::format("RSA public key has {} bits; at least {} are required",
                         EVP_PKEY_get_bits(raw), kMinRsaBits);
    }
    key.kind_ = Kind::kRsa;
    return key;
  }
  if (EVP_PKEY_is_a(raw, "EC")) {
    std::array<char, 64> group{};
    size_t length = 0;
    if (EVP_PKEY_get_group_name(raw, group.data(), group.size(), &length) == 1) {
      std::string_view name(group.data(), length);
      if (name == "prime256v1" || name == "P-256")
        key.kind_ = Kind::kEcP256;
      else if (name == "secp384r1" || name == "P-384")
        key.kind_ = Kind::kEcP384;
      else if (name == "secp521r1" || name == "P-521")
        key.kind_ = Kind::kEcP521;
      else
        return fmt::format("EC public key on curve {}; JWT allows P-256, P-384, P-521", name);
      return key;
    }
  }
  return std::string("public key type is not supported (RSA or EC keys only)");
}

bool JwtKey::Verifies(JwtAlgorithm algorithm) const {
  const AlgorithmInfo& info = Info(algorithm);
  switch (kind_) {
    case Kind::kHmac:
      return info.family == Family::kHmac;
    case Kind::kRsa:
      return info.family == Family::kRsa || info.family == Family::kRsaPss;
    case Kind::kEcP256:
      return algorithm == JwtAlgorithm::kEs256;
    case Kind::kEcP384:
      return algorithm == JwtAlgorithm::kEs384;
    case Kind::kEcP521:
      return algorithm == JwtAlgorithm::kEs512;
  }
  return false;
}

std::string_view JwtKey::Describe() const {
  switch (kind_) {
    case Kind::kHmac:
      return "an HMAC secret";
    case Kind::kRsa:
      return "an RSA public key";
    case Kind::kEcP256:
      return "an EC P-256 public key";
    case Kind::kEcP384:
      return "an EC P-384 public key";
    case Kind::kEcP521:
      return "an EC P-521 public key";
  }
  return "a key";
}

bool JwtKey::VerifySignature(JwtAlgorithm algorithm, std::string_view signing_input,
                             std::string_view signature) const {
  if (!Verifies(algorithm)) return false;
  const AlgorithmInfo& info = Info(algorithm);
  if (info.family == Family::kHmac) {
    std::string expected = ComputeHmac(DigestName(info.digest_bits), hmac_secret_, {signing_input});
    return !expected.empty() && expected.size() == signature.size() &&
           CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
  }
  if (info.family == Family::kEcdsa) {
    auto der = EcdsaRawToDer(signature, EcFieldBytes(kind_));
    return der && VerifyWithPublicKey(public_key_.get(), info, signing_input, *der);
  }
  if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(public_key_.get()))) return false;
  return VerifyWithPublicKey(public_key_.get(), info, signing_input, signature);
}

std::variant<boost::json::object, JwtRejection> JwtVerifier::Verify(
    std::string_view token, std::chrono::system_clock::time_point now) const {
  if (token.empty() || token.size() > kMaxJwtBytes) return Reject(JwtError::kMalformed);
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Reject(JwtError::kMalformed);
  }
  auto header = DecodeJsonObject(token.substr(0, first));
  if (!header) return Reject(JwtError::kMalformed);
  // RFC 7515 §4.1.11: a `crit` extension we do not understand makes the token invalid.
  if (header->contains("crit")) return Reject(JwtError::kMalformed);
  const boost::json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string()) return Reject(JwtError::kAlgorithm);
  auto algorithm = ParseJwtAlgorithm(alg->get_string());
  bool allowed = false;
  for (JwtAlgorithm candidate : rules_.algorithms) allowed |= algorithm == candidate;
  if (!algorithm || !allowed || !key_.Verifies(*algorithm)) return Reject(JwtError::kAlgorithm);

  auto claims = DecodeJsonObject(token.substr(first + 1, second - first - 1));
  auto signature = DecodeBase64Url(token.substr(second + 1));
  if (!claims || !signature) return Reject(JwtError::kMalformed);
  if (!key_.VerifySignature(*algorithm, token.substr(0, second), *signature)) {
    return Reject(JwtError::kSignature);
  }
  if (auto rejection = CheckClaims(*claims, now)) return std::move(*rejection);
  return std::move(*claims);
}

std::optional<JwtRejection> JwtVerifier::CheckClaims(
    const boost::json::object& claims, std::chrono::system_clock::time_point now) const {
  const double now_seconds = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double leeway = static_cast<double>(kJwtLeeway.count());
  std::optional<double> exp, nbf, iat;
  for (auto [name, date] :
       {std::pair{"exp", &exp}, std::pair{"nbf", &nbf}, std::pair{"iat", &iat}}) {
    const boost::json::value* value = claims.if_contains(name);
    if (value == nullptr) continue;
    *date = NumericDate(*value);
    if (!*date) return Reject(JwtError::kBadClaim, name);
  }
  if (rules_.verify_exp) {
    if (!exp) return Reject(JwtError::kMissingClaim, "exp");
    if (now_seconds >= *exp + leeway) return Reject(JwtError::kExpired);
  }
  if ((nbf && now_seconds + leeway < *nbf) || (iat && now_seconds + leeway < *iat)) {
    return Reject(JwtError::kNotYetValid);
  }
  if (rules_.issuer) {
    const boost::json::value* iss = claims.if_contains("iss");
    if (iss == nullptr) return Reject(JwtError::kMissingClaim, "iss");
    if (!iss->is_string() || iss->get_string() != *rules_.issuer) return Reject(JwtError::kIssuer);
  }
  if (rules_.audience) {
    const boost::json::value* aud = claims.if_contains("aud");
    if (aud == nullptr) return Reject(JwtError::kMissingClaim, "aud");
    bool found = aud->is_string() && aud->get_string() == *rules_.audience;
    if (aud->is_array()) {
      for (const auto& entry : aud->get_array()) {
        found |= entry.is_string() && entry.get_string() == *rules_.audience;
      }
    }
    if (!found) return Reject(JwtError::kAudience);
  }
  return std::nullopt;
}

std::optional<JwtVerifier> BuildJwtVerifier(std::string_view secret, const std::string& secret_path,
                                            const std::vector<std::string>& algorithm_names,
                                            const std::string& algorithms_path,
                                            JwtRules claim_rules, ConfigErrors& errors) {
  const size_t before = errors.size();
  std::vector<JwtAlgorithm> algorithms;
  for (const auto& name : algorithm_names) {
    std::string upper = Upper(name);
    bool blocked = false;
    for (auto blocked_name : kBlockedAlgorithms) blocked |= upper == blocked_name;
    auto algorithm = blocked ? std::nullopt : ParseJwtAlgorithm(upper);
    if (blocked) {
      errors.Add(algorithms_path,
                 fmt::format("JWT algorithm validation failed: '{}' is not allowed", name));
    } else if (!algorithm) {
      errors.Add(algorithms_path,
                 fmt::format("JWT algorithm validation failed: unsupported algorithm '{}' "
                             "(allowed: HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 ES512 "
                             "PS256 PS384 PS512)",
                             name));
    } else {
      algorithms.push_back(*algorithm);
    }
  }
  if (secret.empty()) {
    errors.Add(secret_path, "JWT secret is required and cannot be empty");
    return std::nullopt;
  }
  auto key = JwtKey::FromSecret(secret);
  if (auto* problem = std::get_if<std::string>(&key)) {
    errors.Add(secret_path, *problem);
    return std::nullopt;
  }
  if (errors.size() != before) return std::nullopt;
  JwtKey& usable_key = std::get<JwtKey>(key);
  std::string wanted;
  for (JwtAlgorithm algorithm : algorithms) {
    if (usable_key.Verifies(algorithm)) claim_rules.algorithms.push_back(algorithm);
    wanted += (wanted.empty() ? "" : ", ") + std::string(JwtAlgorithmName(algorithm));
  }
  if (claim_rules.algorithms.empty()) {
    errors.Add(secret_path,
               fmt::format("{} cannot verify {} (HS* needs a plain secret, RS*/PS* a PEM RSA "
                           "public key, ES256/384/512 a PEM EC key on P-256/384/521)",
                           usable_key.Describe(), wanted.empty() ? "any algorithm" : wanted));
    return std::nullopt;
  }
  return JwtVerifier(std::move(usable_key), std::move(claim_rules));
}

}  // namespace wg
