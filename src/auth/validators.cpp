// The ONE list of authentication / validation methods. Add a method here and in its own file.
#include "auth/validator.hpp"

#include "auth/authorization.hpp"
#include "auth/basic_auth.hpp"
#include "auth/digest_auth.hpp"
#include "auth/header_auth.hpp"
#include "auth/hmac.hpp"
#include "auth/ip_whitelist.hpp"
#include "auth/jwt.hpp"
#include "auth/oauth2.hpp"
#include "auth/json_schema.hpp"
#include "auth/oauth1.hpp"
#include "auth/query_auth.hpp"
#include "auth/recaptcha.hpp"
#include "config/json_reader.hpp"

namespace wg {

const std::string* AuthRequest::FindHeader(std::string_view name) const {
  for (const auto& header : headers) {
    if (header.name == name) return &header.value;
  }
  return nullptr;
}

const std::string* AuthRequest::Query(std::string_view name) const {
  const std::string* found = nullptr;
  for (const auto& [key, value] : query) {
    if (key == name) found = &value;
  }
  return found;
}

boost::asio::awaitable<std::optional<AuthFailure>> Validator::CheckAsync(
    AuthRequest request) const {
  co_return CheckHead(request);
}

boost::asio::awaitable<std::optional<AuthFailure>> Validator::CheckBodyAsync(
    AuthRequest request, std::string_view body) const {
  co_return CheckBody(request, body);
}

boost::json::object HttpSecurityScheme(std::string_view scheme, std::string_view description) {
  return {{"type", "http"}, {"scheme", scheme}, {"description", description}};
}

boost::json::object ApiKeySecurityScheme(std::string_view in, std::string_view name,
                                         std::string_view description) {
  return {{"type", "apiKey"}, {"in", in}, {"name", name}, {"description", description}};
}

namespace {

// `authorization`: "Bearer <token>" or a plain string the whole header must equal.
class AuthorizationValidator final : public Validator {
 public:
  explicit AuthorizationValidator(AuthorizationRule rule) : rule_(std::move(rule)) {}
  std::optional<AuthFailure> CheckHead(const AuthRequest& request) const override {
    const std::string* header = request.FindHeader("authorization");
    AuthResult result =
        rule_.Check(header ? std::optional<std::string_view>(*header) : std::nullopt);
    if (result.ok) return std::nullopt;
    return AuthFailure{401, std::move(result.message), std::move(result.reason), {}};
  }
  std::optional<boost::json::object> SecurityScheme() const override {
    if (rule_.bearer()) return HttpSecurityScheme("bearer", "A bearer token.");
    return ApiKeySecurityScheme("header", "Authorization",
                                "The configured Authorization header value.");
  }

 private:
  AuthorizationRule rule_;
};

std::shared_ptr<const Validator> BuildAuthorization(const boost::json::object& webhook,
                                                    const std::string& path,
                                                    ConfigErrors& errors) {
  const boost::json::value& value = webhook.at("authorization");
  if (!value.is_string()) {
    errors.Add(path + "/authorization", "must be a string");
    return nullptr;
  }
  auto rule = AuthorizationRule::FromConfig(value.as_string());
  if (!rule) return nullptr;  // empty: no check, as the Python project
  return std::make_shared<AuthorizationValidator>(std::move(*rule));
}

}  // namespace

const std::vector<ValidatorKind>& ValidatorKinds() {
  // Order of the Python project: rate_limit, recaptcha, basic_auth, digest_auth, jwt, oauth1,
  // oauth2, authorization, hmac, ip_whitelist, json_schema, query_auth, header_auth.
  static const std::vector<ValidatorKind> kinds = {
      {"recaptcha", {}, BuildRecaptcha},
      {"basic_auth", {}, BuildBasicAuth},
      {"digest_auth", {}, BuildDigestAuth},
      {"jwt", {}, BuildJwt},
      {"oauth1", {}, BuildOauth1},
      {"oauth2", {}, BuildOauth2},
      {"authorization", {}, BuildAuthorization},
      {"hmac", {}, BuildHmac},
      {"ip_whitelist", {"trusted_proxies"}, BuildIpWhitelist},
      {"json_schema", {}, BuildJsonSchema},
      {"query_auth", {}, BuildQueryAuth},
      {"header_auth", {}, BuildHeaderAuth},
  };
  return kinds;
}

}  // namespace wg
