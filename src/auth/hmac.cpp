#include "auth/hmac.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/constant_time.hpp"
#include "auth/crypto.hpp"
#include "auth/openssl_helpers.hpp"
#include "auth/request_url.hpp"
#include "auth/signature_header.hpp"
#include "config/json_reader.hpp"
#include "util/ascii.hpp"
#include "util/base64.hpp"
#include "util/url_encoding.hpp"

namespace wg {
namespace {

enum class Provider {
  kGeneric,
  kGithub,
  kGitlab,
  kShopify,
  kStripe,
  kSlack,
  kStandardWebhooks,
  kTwilio
};

struct ProviderName {
  std::string_view name;
  Provider provider;
};

constexpr std::array<ProviderName, 8> kProviders = {{
    {"github", Provider::kGithub},
    {"gitlab", Provider::kGitlab},
    {"shopify", Provider::kShopify},
    {"slack", Provider::kSlack},
    {"standard_webhooks", Provider::kStandardWebhooks},
    {"stripe", Provider::kStripe},
    {"svix", Provider::kStandardWebhooks},
    {"twilio", Provider::kTwilio},
}};

std::string_view NameOf(Provider provider) {
  for (const auto& entry : kProviders) {
    if (entry.provider == provider) return entry.name;
  }
  return "hex HMAC";
}

bool IsTimestamped(Provider provider) {
  return provider == Provider::kStripe || provider == Provider::kSlack ||
         provider == Provider::kStandardWebhooks;
}

bool VerifyEd25519(std::string_view public_key, std::string_view signature,
                   std::string_view message) {
  std::unique_ptr<EVP_PKEY, OpenSslFree> key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(public_key.data()),
      public_key.size()));
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, OpenSslFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

struct HmacSettings {
  Provider provider = Provider::kGeneric;
  std::string header = "X-HMAC-Signature";  // as configured, for messages
  std::string algorithm = "sha256";         // lower case
  const char* digest = "SHA256";            // OpenSSL's name
  std::vector<std::string> secrets;         // HMAC keys (decoded for standard webhooks)
  std::vector<std::string> public_keys;     // raw ed25519 keys (standard webhooks v1a)
  int64_t tolerance = 300;
  std::optional<RequestOrigin> public_url;  // twilio: the URL Twilio calls, when not rebuilt
};

class HmacValidator final : public Validator {
 public:
  explicit HmacValidator(HmacSettings settings)
      : settings_(std::move(settings)), header_lower_(AsciiLower(settings_.header)) {}

  std::optional<boost::json::object> SecurityScheme() const override {
    return ApiKeySecurityScheme("header", settings_.header,
                                fmt::format("A signature of the request ({} scheme).",
                                            NameOf(settings_.provider)));
  }

  // The head stage checks everything but the signature itself, so a request with a missing
  // header or a stale timestamp is refused before its body is read.
  std::optional<AuthFailure> CheckHead(const AuthRequest& request) const override {
    return Check(request, std::nullopt);
  }
  bool NeedsBody() const override { return settings_.provider != Provider::kGitlab; }
  std::optional<AuthFailure> CheckBody(const AuthRequest& request,
                                       std::string_view body) const override {
    return Check(request, body);
  }

 private:
  std::optional<AuthFailure> Check(const AuthRequest& request,
                                   std::optional<std::string_view> body) const {
    switch (settings_.provider) {
      case Provider::kGeneric:
      case Provider::kGithub:
        return CheckHex(request, body);
      case Provider::kGitlab:
        return CheckGitlab(request);
      case Provider::kShopify:
        return CheckShopify(request, body);
      case Provider::kStripe:
        return CheckStripe(request, body);
      case Provider::kSlack:
        return CheckSlack(request, body);
      case Provider::kStandardWebhooks:
        return CheckStandardWebhooks(request, body);
      case Provider::kTwilio:
        return CheckTwilio(request, body);
    }
    return Unauthenticated("Invalid HMAC signature", "hmac_unknown_provider");
  }

  // Present and not empty, else "Missing <name> header".
  static std::variant<std::string_view, AuthFailure> Require(const AuthRequest& request,
                                                             std::string_view lower_name,
                                                             std::string_view shown_name) {
    const std::string* value = request.FindHeader(lower_name);
    if (value == nullptr || TrimBlanks(*value).empty()) {
      return Unauthenticated(fmt::format("Missing {} header", shown_name), "hmac_missing_header");
    }
    return TrimBlanks(*value);
  }

  std::optional<AuthFailure> CheckTimestamp(const AuthRequest& request, int64_t timestamp) const {
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(request.now.time_since_epoch()).count();
    if (now - timestamp > settings_.tolerance) {
      return Unauthenticated(
          fmt::format("Webhook timestamp too old (tolerance: {} seconds)", settings_.tolerance),
          "hmac_timestamp_too_old");
    }
    if (timestamp - now > settings_.tolerance) {
      return Unauthenticated(
          fmt::format("Webhook timestamp too new (tolerance: {} seconds)", settings_.tolerance),
          "hmac_timestamp_too_new");
    }
    return std::nullopt;
  }

  bool AnySecretSigns(std::string_view signature,
                      std::initializer_list<std::string_view> parts) const {
    bool matched = false;
    for (const auto& secret : settings_.secrets) {
      matched |= SameBytes(ComputeHmac(settings_.digest, secret, parts), signature);
    }
    return matched;
  }

  static AuthFailure Mismatch() {
    return Unauthenticated("Invalid HMAC signature", "hmac_mismatch");
  }

  std::optional<AuthFailure> CheckHex(const AuthRequest& request,
                                      std::optional<std::string_view> body) const {
    auto header = Require(request, header_lower_, settings_.header);
    if (auto* failure = std::get_if<AuthFailure>(&header)) return std::move(*failure);
    std::string_view signature = std::get<std::string_view>(header);
    if (auto equals = signature.find('='); equals != std::string_view::npos) {
      if (AsciiLower(signature.substr(0, equals)) != settings_.algorithm) {
        return Unauthenticated("Invalid HMAC signature", "hmac_algorithm_mismatch");
      }
      signature.remove_prefix(equals + 1);
    }
    if (!IsHex(signature)) {
      return Unauthenticated("Invalid HMAC signature format (must be hexadecimal)", "hmac_format");
    }
    if (!body) return std::nullopt;
    auto bytes = DecodeHex(signature);
    if (!bytes || !AnySecretSigns(*bytes, {*body})) return Mismatch();
    return std::nullopt;
  }

  std::optional<AuthFailure> CheckGitlab(const AuthRequest& request) const {
    auto header = Require(request, "x-gitlab-token", "X-Gitlab-Token");
    if (auto* failure = std::get_if<AuthFailure>(&header)) return std::move(*failure);
    bool matched = false;
    for (const auto& secret : settings_.secrets) {
      matched |= ConstantTimeEquals(std::get<std::string_view>(header), secret);
    }
    if (!matched) return Unauthenticated("Invalid GitLab token", "gitlab_token_mismatch");
    return std::nullopt;
  }

  std::optional<AuthFailure> CheckShopify(const AuthRequest& request,
                                          std::optional<std::string_view> body) const {
    auto header = Require(request, "x-shopify-hmac-sha256", "X-Shopify-Hmac-Sha256");
    if (auto* failure = std::get_if<AuthFailure>(&header)) return std::move(*failure);
    auto bytes = DecodeBase64(std::get<std::string_view>(header));
    if (!bytes)
      return Unauthenticated("Invalid HMAC signature format (must be base64)", "hmac_format");
    if (!body) return std::nullopt;
    if (!AnySecretSigns(*bytes, {*body})) return Mismatch();
    return std::nullopt;
  }

  std::optional<AuthFailure> CheckStripe(const AuthRequest& request,
                                         std::optional<std::string_view> body) const {
    auto header = Require(request, "stripe-signature", "Stripe-Signature");
    if (auto* failure = std::get_if<AuthFailure>(&header)) return std::move(*failure);
    StripeSignature parsed = ParseStripeSignature(std::get<std::string_view>(header));
    std::optional<std::string_view> timestamp_text = parsed.timestamp;
    const std::vector<std::string_view>& signatures = parsed.v1;
    std::optional<int64_t> timestamp;
    if (timestamp_text) timestamp = ParseUnixSeconds(*timestamp_text);
    if (!timestamp || signatures.empty()) {
      return Unauthenticated(
          "Invalid Stripe-Signature header format (expected t=<timestamp>,v1=<hex>)",
          "hmac_format");
    }
    if (auto failure = CheckTimestamp(request, *timestamp)) return failure;
    if (!body) return std::nullopt;
    for (std::string_view signature : signatures) {
      auto bytes = DecodeHex(signature);
      if (bytes && AnySecretSigns(*bytes, {*timestamp_text, ".", *body})) return std::nullopt;
    }
    return Mismatch();
  }

  std::optional<AuthFailure> CheckSlack(const AuthRequest& request,
                                        std::optional<std::string_view> body) const {
    auto header = Require(request, "x-slack-signature", "X-Slack-Signature");
    if (auto* failure = std::get_if<AuthFailure>(&header)) return std::move(*failure);
    auto timestamp_header =
        Require(request, "x-slack-request-timestamp", "X-Slack-Request-Timestamp");
    if (auto* failure = std::get_if<AuthFailure>(&timestamp_header)) return std::move(*failure);
    std::string_view timestamp_text = std::get<std::string_view>(timestamp_header);
    auto timestamp = ParseUnixSeconds(timestamp_text);
    if (!timestamp) {
      return Unauthenticated("Invalid X-Slack-Request-Timestamp header (must be Unix seconds)",
                             "hmac_format");
    }
    std::string_view signature = std::get<std::string_view>(header);
    if (!signature.starts_with("v0=") || !IsHex(signature.substr(3))) {
      return Unauthenticated("Invalid HMAC signature format (must be v0=<hex>)", "hmac_format");
    }
    if (auto failure = CheckTimestamp(request, *timestamp)) return failure;
    if (!body) return std::nullopt;
    auto bytes = DecodeHex(signature.substr(3));
    if (!bytes || !AnySecretSigns(*bytes, {"v0:", timestamp_text, ":", *body})) {
      return Mismatch();
    }
    return std::nullopt;
  }

  std::optional<AuthFailure> CheckStandardWebhooks(const AuthRequest& request,
                                                   std::optional<std::string_view> body) const {
    // The webhook-* names of the spec, else Svix's own svix-* names.
    std::string_view prefix = "webhook-";
    if (request.FindHeader("webhook-id") == nullptr && request.FindHeader("svix-id") != nullptr) {
      prefix = "svix-";
    }
    const std::string id_name = fmt::format("{}id", prefix);
    const std::string timestamp_name = fmt::format("{}timestamp", prefix);
    const std::string signature_name = fmt::format("{}signature", prefix);
    auto id = Require(request, id_name, id_name);
    if (auto* failure = std::get_if<AuthFailure>(&id)) return std::move(*failure);
    auto timestamp_header = Require(request, timestamp_name, timestamp_name);
    if (auto* failure = std::get_if<AuthFailure>(&timestamp_header)) return std::move(*failure);
    auto signature_header = Require(request, signature_name, signature_name);
    if (auto* failure = std::get_if<AuthFailure>(&signature_header)) return std::move(*failure);
    std::string_view timestamp_text = std::get<std::string_view>(timestamp_header);
    auto timestamp = ParseUnixSeconds(timestamp_text);
    if (!timestamp) {
      return Unauthenticated(
          fmt::format("Invalid {} header (must be Unix seconds)", timestamp_name), "hmac_format");
    }
    if (auto failure = CheckTimestamp(request, *timestamp)) return failure;
    if (!body) return std::nullopt;

    std::string_view id_text = std::get<std::string_view>(id);
    std::string signed_content;  // only for v1a: ed25519 signs one contiguous message
    for (const auto& signature :
         ParseStandardWebhooksSignatures(std::get<std::string_view>(signature_header))) {
      if (signature.version == "v1") {
        if (AnySecretSigns(signature.bytes, {id_text, ".", timestamp_text, ".", *body})) {
          return std::nullopt;
        }
      } else if (signature.version == "v1a" && !settings_.public_keys.empty()) {
        if (signed_content.empty()) {
          signed_content = fmt::format("{}.{}.{}", id_text, timestamp_text, *body);
        }
        for (const auto& key : settings_.public_keys) {
          if (VerifyEd25519(key, signature.bytes, signed_content)) return std::nullopt;
        }
      }
      // Unknown versions are skipped, as the spec asks.
    }
    return Mismatch();
  }

  // Twilio signs the URL it calls (with `bodySHA256=<hex SHA-256 of the body>` in the query for
  // a JSON body), followed, for a form body, by every field as name + value sorted by name then
  // value. Its own validators accept the URL with and without the scheme's default port,
  // because Twilio is not consistent about it; so do we.
  std::optional<AuthFailure> CheckTwilio(const AuthRequest& request,
                                         std::optional<std::string_view> body) const {
    auto header = Require(request, "x-twilio-signature", "X-Twilio-Signature");
    if (auto* failure = std::get_if<AuthFailure>(&header)) return std::move(*failure);
    auto signature = DecodeBase64(std::get<std::string_view>(header));
    if (!signature)
      return Unauthenticated("Invalid HMAC signature format (must be base64)", "hmac_format");
    auto origin = FindRequestOrigin(request, settings_.public_url);
    if (!origin) {
      return Unauthenticated("Cannot verify the Twilio signature: no Host header", "hmac_no_host");
    }
    if (!body) return std::nullopt;

    std::string fields;
    if (const std::string* body_hash = request.Query("bodySHA256")) {
      if (!SameBytes(AsciiLower(*body_hash), HexEncode(ComputeDigest("SHA256", {*body})))) {
        return Unauthenticated("Invalid HMAC signature", "hmac_body_hash_mismatch");
      }
    } else if (IsFormBody(request)) {
      auto form = DecodeForm(*body);
      if (!form) return Mismatch();
      std::sort(form->begin(), form->end());
      form->erase(std::unique(form->begin(), form->end()), form->end());
      for (const auto& [name, value] : *form) fields += name + value;
    }
    for (const std::string& base : {BaseWithoutDefaultPort(*origin), BaseWithPort(*origin)}) {
      if (AnySecretSigns(*signature, {base, request.target, fields})) return std::nullopt;
    }
    return Mismatch();
  }

  HmacSettings settings_;
  std::string header_lower_;
};

// One configured secret; for standard webhooks "whsec_<base64>" (decoded) or "whpk_<base64>".
void AddSecret(HmacSettings& settings, const std::string& secret, const std::string& path,
               ConfigErrors& errors) {
  if (secret.empty()) {
    errors.Add(path, "HMAC secret not configured (empty)");
    return;
  }
  if (settings.provider != Provider::kStandardWebhooks) {
    settings.secrets.push_back(secret);
    return;
  }
  std::string_view text = secret;
  if (text.starts_with("whpk_")) {
    auto key = DecodeBase64(text.substr(5));
    if (!key || key->size() != 32) {
      errors.Add(path, "a whpk_ public key must be whpk_ + the base64 of 32 bytes (ed25519)");
      return;
    }
    settings.public_keys.push_back(std::move(*key));
    return;
  }
  if (text.starts_with("whsk_")) {
    errors.Add(path, "whsk_ is the sender's private key; configure its whpk_ public key instead");
    return;
  }
  if (text.starts_with("whsec_")) text.remove_prefix(6);
  auto key = DecodeBase64(text);
  if (!key || key->empty()) {
    errors.Add(path, "must be whsec_ followed by base64 (the secret Standard Webhooks/Svix show)");
    return;
  }
  settings.secrets.push_back(std::move(*key));
}

}  // namespace

std::shared_ptr<const Validator> BuildHmac(const boost::json::object& webhook,
                                           const std::string& webhook_path, ConfigErrors& errors) {
  const std::string path = JoinPath(webhook_path, "hmac");
  const boost::json::value& value = webhook.at("hmac");
  if (!value.is_object()) {
    errors.Add(path, fmt::format("must be an object, got {}", JsonKindName(value)));
    return nullptr;
  }
  const size_t errors_before = errors.size();
  ObjectReader reader(value.get_object(), path, errors);
  HmacSettings settings;

  const bool has_provider = reader.Has("provider");
  if (auto provider = reader.String("provider")) {
    const std::string name = AsciiLower(*provider);
    bool known = false;
    for (const auto& entry : kProviders) {
      if (entry.name == name) {
        settings.provider = entry.provider;
        known = true;
      }
    }
    if (!known) {
      errors.Add(reader.PathOf("provider"),
                 fmt::format("unknown HMAC provider \"{}\" (supported: github, gitlab, shopify, "
                             "slack, standard_webhooks, stripe, svix, twilio)",
                             *provider));
    }
  }

  if (auto header = reader.String("header")) {
    if (has_provider) {
      errors.Add(reader.PathOf("header"), "only without \"provider\" (the provider fixes it)");
    } else if (header->empty()) {
      errors.Add(reader.PathOf("header"), "must not be empty");
    } else {
      settings.header = *header;
    }
  }
  if (settings.provider == Provider::kGithub) settings.header = "X-Hub-Signature-256";
  if (settings.provider == Provider::kTwilio) settings.digest = "SHA1";
  if (reader.Has("public_url")) {
    settings.public_url = ReadPublicUrl(reader);
    if (settings.provider != Provider::kTwilio) {
      errors.Add(reader.PathOf("public_url"), "only with \"provider\": \"twilio\"");
    }
  }

  if (auto algorithm = reader.String("algorithm")) {
    const std::string name = AsciiLower(*algorithm);
    if (has_provider) {
      errors.Add(reader.PathOf("algorithm"), "only without \"provider\" (the provider fixes it)");
    } else if (name == "sha256") {
      settings.algorithm = name;
      settings.digest = "SHA256";
    } else if (name == "sha1") {
      settings.algorithm = name;
      settings.digest = "SHA1";
    } else if (name == "sha512") {
      settings.algorithm = name;
      settings.digest = "SHA512";
    } else {
      errors.Add(reader.PathOf("algorithm"),
                 fmt::format("Unsupported HMAC algorithm: {} (supported: sha256, sha1, sha512)",
                             *algorithm));
    }
  }

  if (reader.Has("tolerance")) {
    settings.tolerance = reader.Integer("tolerance", 300, 1, int64_t{7} * 24 * 3600);
    if (has_provider && !IsTimestamped(settings.provider)) {
      errors.Add(reader.PathOf("tolerance"),
                 "only for the timestamped providers (stripe, slack, standard_webhooks, svix)");
    } else if (!has_provider) {
      errors.Add(reader.PathOf("tolerance"),
                 "only with a timestamped \"provider\" (stripe, slack, standard_webhooks, svix)");
    }
  }

  const bool has_secret = reader.Has("secret");
  const bool has_secrets = reader.Has("secrets");
  if (auto secret = reader.String("secret")) {
    AddSecret(settings, *secret, reader.PathOf("secret"), errors);
  }
  if (auto secrets = reader.StringList("secrets")) {
    if (secrets->empty()) errors.Add(reader.PathOf("secrets"), "must list at least one secret");
    for (size_t i = 0; i < secrets->size(); ++i) {
      AddSecret(settings, (*secrets)[i], JoinPath(reader.PathOf("secrets"), i), errors);
    }
  }
  if (!has_secret && !has_secrets) {
    errors.Add(reader.PathOf("secret"),
               "HMAC secret not configured (set \"secret\" or \"secrets\")");
  }
  reader.RejectUnknownKeys("hmac");

  if (errors.size() != errors_before) return nullptr;
  return std::make_shared<HmacValidator>(std::move(settings));
}

}  // namespace wg
