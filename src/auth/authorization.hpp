// The webhook's `authorization` key: "Bearer <token>" (the request must carry exactly that
// scheme) or any other string (the whole header must equal it). Messages as the Python project.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/constant_time.hpp"

namespace wg {

struct AuthResult {
  bool ok = true;
  std::string message;  // for the 401 body
  std::string reason;   // short machine-readable reason for logs and metrics
  static AuthResult Ok() { return {}; }
  static AuthResult Fail(std::string message, std::string reason) {
    return {false, std::move(message), std::move(reason)};
  }
};

class AuthorizationRule {
 public:
  // An empty or blank value means no check (as the Python project).
  static std::optional<AuthorizationRule> FromConfig(std::string_view value);

  // `header` is the request's Authorization header, if any.
  AuthResult Check(std::optional<std::string_view> header) const;
  bool bearer() const { return bearer_; }

 private:
  AuthorizationRule(bool bearer, std::string_view secret) : bearer_(bearer), secret_(secret) {}
  bool bearer_;
  SecretMatcher secret_;
};

}  // namespace wg
