#include "auth/oauth2.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/introspection_cache.hpp"
#include "auth/jwt.hpp"
#include "auth/jwt_verifier.hpp"
#include "auth/token_introspection.hpp"
#include "config/json_reader.hpp"
#include "config/names.hpp"
#include "util/ascii.hpp"

namespace wg {
namespace {

constexpr std::chrono::milliseconds kIntrospectionTimeout{5000};
constexpr std::chrono::seconds kCacheTtl{60};
constexpr size_t kCacheCapacity = 10000;

struct Oauth2Settings {
  std::string prefix = "Bearer ";  // token_type + " "
  std::string missing_message = "OAuth 2.0 Bearer token required";
  std::vector<std::string> required_scopes;
};

class Oauth2Validator : public Validator {
 public:
  explicit Oauth2Validator(Oauth2Settings settings) : settings_(std::move(settings)) {}

  std::optional<boost::json::object> SecurityScheme() const override {
    if (settings_.prefix == "Bearer ") {
      return HttpSecurityScheme("bearer", "An OAuth 2.0 access token.");
    }
    return ApiKeySecurityScheme("header", "Authorization",
                                fmt::format("An OAuth 2.0 access token: Authorization: {}<token>",
                                            settings_.prefix));
  }

 protected:
  // The token, or the failure of a missing / empty one.
  std::variant<std::string_view, AuthFailure> TokenOf(const AuthRequest& request) const {
    const std::string* header = request.FindHeader("authorization");
    // HTTP drops the trailing space of "Bearer ": the scheme alone is an empty token too.
    if (header != nullptr && TrimBlanks(*header) == TrimBlanks(settings_.prefix)) {
      return Unauthenticated("Empty OAuth 2.0 token", "empty_token");
    }
    if (header == nullptr || !std::string_view(*header).starts_with(settings_.prefix)) {
      return Unauthenticated(settings_.missing_message, "missing_token");
    }
    std::string_view token =
        TrimBlanks(std::string_view(*header).substr(settings_.prefix.size()));
    if (token.empty()) return Unauthenticated("Empty OAuth 2.0 token", "empty_token");
    return token;
  }

  std::optional<AuthFailure> CheckScopes(const std::vector<std::string>& granted) const {
    for (const auto& scope : settings_.required_scopes) {
      if (std::find(granted.begin(), granted.end(), scope) == granted.end()) {
        return Unauthenticated("OAuth 2.0 token missing required scopes", "missing_scope");
      }
    }
    return std::nullopt;
  }

 private:
  Oauth2Settings settings_;
};

// validate_token: false — presence only.
class PresentTokenValidator final : public Oauth2Validator {
 public:
  using Oauth2Validator::Oauth2Validator;
  std::optional<AuthFailure> CheckHead(const AuthRequest& request) const override {
    auto token = TokenOf(request);
    if (auto* failure = std::get_if<AuthFailure>(&token)) return std::move(*failure);
    return std::nullopt;
  }
};

class LocalJwtValidator final : public Oauth2Validator {
 public:
  LocalJwtValidator(Oauth2Settings settings, JwtVerifier verifier)
      : Oauth2Validator(std::move(settings)), verifier_(std::move(verifier)) {}

  std::optional<AuthFailure> CheckHead(const AuthRequest& request) const override {
    auto token = TokenOf(request);
    if (auto* failure = std::get_if<AuthFailure>(&token)) return std::move(*failure);
    auto verified = verifier_.Verify(std::get<std::string_view>(token), request.now);
    if (const auto* rejection = std::get_if<JwtRejection>(&verified)) {
      if (rejection->error == JwtError::kExpired) {
        return Unauthenticated("OAuth 2.0 token expired", "token_expired");
      }
      return Unauthenticated("Invalid OAuth 2.0 token: " + JwtRejectionMessage(*rejection),
                             "invalid_jwt");
    }
    const auto& claims = std::get<boost::json::object>(verified);
    const boost::json::value* scope = claims.if_contains("scope");
    return CheckScopes(scope ? ScopesOf(*scope) : std::vector<std::string>{});
  }

 private:
  JwtVerifier verifier_;
};

class IntrospectionValidator final : public Oauth2Validator {
 public:
  IntrospectionValidator(Oauth2Settings settings, TokenIntrospector introspector)
      : Oauth2Validator(std::move(settings)),
        introspector_(std::move(introspector)),
        cache_(std::make_unique<IntrospectionCache>(kCacheTtl, kCacheCapacity)) {}

  bool NeedsAsyncCheck() const override { return true; }

  boost::asio::awaitable<std::optional<AuthFailure>> CheckAsync(
      AuthRequest request) const override {
    auto token_or_failure = TokenOf(request);
    if (auto* failure = std::get_if<AuthFailure>(&token_or_failure)) co_return std::move(*failure);
    std::string token(std::get<std::string_view>(token_or_failure));
    std::optional<TokenInfo> info = cache_->Find(token, request.now);
    if (!info) {
      auto asking = introspector_.Introspect(token);
      IntrospectionResult result = co_await std::move(asking);
      if (!result.token) co_return FailureOf(result);
      info = std::move(result.token);
      cache_->Store(token, *info, request.now);
    }
    if (!info->active) co_return Unauthenticated("OAuth 2.0 token is not active", "token_inactive");
    co_return CheckScopes(info->scopes);
  }

 private:
  static AuthFailure FailureOf(const IntrospectionResult& result) {
    std::string reason = "introspection_failed: " + result.error;
    if (result.http_status == 0) {
      return VerifierUnavailable("OAuth 2.0 token introspection unavailable", std::move(reason));
    }
    std::string message =
        fmt::format("OAuth 2.0 token introspection failed: HTTP {}", result.http_status);
    // 4xx: the server refused the exchange (e.g. our client credentials); 5xx: it is broken.
    if (result.http_status >= 500)
      return VerifierUnavailable(std::move(message), std::move(reason));
    return Unauthenticated(std::move(message), std::move(reason));
  }

  TokenIntrospector introspector_;
  std::unique_ptr<IntrospectionCache> cache_;
};

std::vector<std::string> ReadRequiredScopes(ObjectReader& reader) {
  const boost::json::value* value = reader.Get("required_scope");
  if (value == nullptr) return {};
  if (!value->is_string() && !value->is_array()) {
    reader.errors().Add(reader.PathOf("required_scope"),
                        "must be a list of scopes or a space-separated string");
    return {};
  }
  return ScopesOf(*value);
}

}  // namespace

std::shared_ptr<const Validator> BuildOauth2(const boost::json::object& webhook,
                                             const std::string& webhook_path,
                                             ConfigErrors& errors) {
  const std::string path = JoinPath(webhook_path, "oauth2");
  const boost::json::value& value = webhook.at("oauth2");
  if (!value.is_object()) {
    errors.Add(path, fmt::format("must be an object, got {}", JsonKindName(value)));
    return nullptr;
  }
  ObjectReader reader(value.get_object(), path, errors);
  const size_t before = errors.size();
  Oauth2Settings settings;
  std::string token_type = reader.StringOr("token_type", "Bearer");
  settings.prefix = token_type + " ";
  settings.missing_message = fmt::format("OAuth 2.0 {} token required", token_type);
  settings.required_scopes = ReadRequiredScopes(reader);
  std::optional<std::string> endpoint = reader.String("introspection_endpoint");
  std::string client_id = reader.StringOr("client_id", "");
  std::string client_secret = reader.StringOr("client_secret", "");
  std::set<std::string> allowed_hosts;
  if (auto hosts = reader.StringList("allowed_hosts")) {
    for (const auto& host : *hosts) allowed_hosts.insert(ToLower(host));
  }
  std::string ca_file = reader.StringOr("ssl_ca_cert", "");
  bool validate_token = reader.Bool("validate_token", true);
  std::optional<std::string> jwt_secret = reader.String("jwt_secret");
  std::vector<std::string> algorithms =
      reader.StringList("jwt_algorithms").value_or(std::vector<std::string>{"HS256", "RS256"});
  JwtRules rules;
  rules.issuer = reader.String("issuer");
  rules.audience = reader.String("audience");
  rules.verify_exp = reader.Bool("verify_exp", true);
  reader.RejectUnknownKeys("oauth2");
  if (token_type.empty()) errors.Add(reader.PathOf("token_type"), "must not be empty");
  if (errors.size() != before) return nullptr;

  if (endpoint && !endpoint->empty()) {
    auto parsed = ParseOutboundEndpoint(*endpoint, reader.PathOf("introspection_endpoint"),
                                        allowed_hosts, ca_file, reader.PathOf("ssl_ca_cert"),
                                        "use client_id and client_secret", errors);
    if (!parsed) return nullptr;
    return std::make_shared<IntrospectionValidator>(
        std::move(settings), TokenIntrospector(std::move(*parsed), std::move(client_id),
                                               std::move(client_secret), kIntrospectionTimeout));
  }
  if (jwt_secret) {
    auto verifier = BuildJwtVerifier(*jwt_secret, reader.PathOf("jwt_secret"), algorithms,
                                     reader.PathOf("jwt_algorithms"), std::move(rules), errors);
    if (!verifier) return nullptr;
    return std::make_shared<LocalJwtValidator>(std::move(settings), std::move(*verifier));
  }
  if (!validate_token) return std::make_shared<PresentTokenValidator>(std::move(settings));
  errors.Add(path,
             "OAuth 2.0 validation not properly configured (missing introspection_endpoint or "
             "jwt_secret)");
  return nullptr;
}

}  // namespace wg
