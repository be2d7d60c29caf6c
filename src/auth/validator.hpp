// The interface every authentication / validation method of webhooks.json implements
// (basic_auth, hmac, jwt, ip_whitelist, ...), and what a method sees of the request.
//
// A method checks what it can from the head (CheckHead, before the body is read, so a request
// that fails is never buffered), if it signs the body, from the raw body (CheckBody), and if it
// validates content (json_schema), from the payload parsed by data_type (CheckPayload), which is
// the very value modules receive: the body is parsed once.
// A method that must ask another server (oauth2 token introspection) says so with
// NeedsAsyncCheck; the pipeline then awaits its CheckAsync, still before the body is read, and
// methods that need no such call keep the synchronous path. A method that must ask about
// something in the body (recaptcha with token_source "body") says NeedsAsyncBodyCheck and is
// awaited in CheckBodyAsync instead of CheckBody.
// Methods are built once at start from their config key; every failure names its status
// (401 authentication, 403 IP, 400 schema, 429 rate limit, 503 when a server that must be
// asked cannot be) and the message for the sender.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modules/module.hpp"

namespace wg {

class ConfigErrors;

struct AuthRequest {
  std::string_view method;        // "POST"
  std::string_view target;        // path and query as sent
  std::string_view path;          // without the query
  const std::vector<Header>& headers;  // lower-cased names
  const std::vector<std::pair<std::string, std::string>>& query;  // decoded, in order
  std::string_view peer_address;  // the socket's peer, e.g. "10.0.0.7" or "::1"
  std::chrono::system_clock::time_point now;

  // The first header with that (lower-case) name.
  const std::string* FindHeader(std::string_view name) const;
  // The last query parameter with that name (as the Python project: last value wins).
  const std::string* Query(std::string_view name) const;
};

struct AuthFailure {
  unsigned status = 401;
  std::string message;  // {"detail": message}
  std::string reason;   // short, for logs and metrics; never contains secrets
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Retry-After
};

// 401: the sender's credentials are missing or wrong.
inline AuthFailure Unauthenticated(std::string message, std::string reason) {
  return AuthFailure{401, std::move(message), std::move(reason), {}};
}

// 503 + Retry-After: a server the method must ask (token introspection, reCAPTCHA siteverify)
// could not decide. The sender did nothing wrong and may retry.
inline AuthFailure VerifierUnavailable(std::string message, std::string reason) {
  return AuthFailure{503, std::move(message), std::move(reason), {{"Retry-After", "5"}}};
}

class Validator {
 public:
  virtual ~Validator() = default;
  virtual std::optional<AuthFailure> CheckHead(const AuthRequest& request) const {
    (void)request;
    return std::nullopt;
  }
  virtual bool NeedsAsyncCheck() const { return false; }
  // Replaces CheckHead for a method that NeedsAsyncCheck. The request's views stay valid until
  // the awaitable completes.
  virtual boost::asio::awaitable<std::optional<AuthFailure>> CheckAsync(AuthRequest request) const;
  virtual bool NeedsBody() const { return false; }
  virtual std::optional<AuthFailure> CheckBody(const AuthRequest& request,
                                               std::string_view body) const {
    (void)request;
    (void)body;
    return std::nullopt;
  }
  virtual bool NeedsAsyncBodyCheck() const { return false; }
  // Replaces CheckBody for a method that NeedsAsyncBodyCheck; `request` and `body` stay valid
  // until the awaitable completes.
  virtual boost::asio::awaitable<std::optional<AuthFailure>> CheckBodyAsync(
      AuthRequest request, std::string_view body) const;
  virtual bool NeedsPayload() const { return false; }
  virtual std::optional<AuthFailure> CheckPayload(const boost::json::value& payload) const {
    (void)payload;
    return std::nullopt;
  }

  // For GET /openapi.json: what a sender must send, as an OpenAPI 3 security scheme (nullopt
  // for methods that check no credential), and the schema the payload must follow
  // (json_schema). Never contains a secret.
  virtual std::optional<boost::json::object> SecurityScheme() const { return std::nullopt; }
  virtual const boost::json::value* PayloadSchema() const { return nullptr; }
};

// Security schemes for SecurityScheme(): an HTTP authentication scheme ("basic", "bearer",
// "digest") and an API key sent in a header, the query or a cookie.
boost::json::object HttpSecurityScheme(std::string_view scheme, std::string_view description);
boost::json::object ApiKeySecurityScheme(std::string_view in, std::string_view name,
                                         std::string_view description);

// Builds a method from the webhook's definition (`webhook_path` is its JSON path, e.g.
// "/orders"); reports every problem to `errors` with the path of the offending key. Returns null
// when the method has nothing to check (e.g. an empty `authorization`).
using ValidatorFactory = std::function<std::shared_ptr<const Validator>(
    const boost::json::object& webhook, const std::string& webhook_path, ConfigErrors& errors)>;

struct ValidatorKind {
  std::string_view key;                    // the webhooks.json key, e.g. "basic_auth"
  std::vector<std::string_view> companions;  // keys it reads too (ip_whitelist: trusted_proxies)
  ValidatorFactory build;
};

// The methods this build implements, in the order they run (the Python project's fixed order,
// not the order of the keys in the file). One explicit list: src/auth/validators.cpp.
const std::vector<ValidatorKind>& ValidatorKinds();

}  // namespace wg
