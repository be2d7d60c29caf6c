// The webhook's `jwt` key (reference §2.8.3): {"secret", "algorithm" (default HS256), "issuer",
// "audience", "verify_exp" (default true)}; the request carries `Authorization: Bearer <jwt>`.
// `secret` is the HMAC key for HS*, or a PEM public key (-----BEGIN PUBLIC KEY-----) for RS*,
// PS* and ES*: the Python project has only this one key. Verification rules (only the
// configured algorithm, never `none`, 30 s leeway, exp required): jwt_verifier.hpp. Failures
// are 401 with the Python project's messages.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "auth/jwt_verifier.hpp"
#include "auth/validator.hpp"

namespace wg {

std::shared_ptr<const Validator> BuildJwt(const boost::json::object& webhook,
                                          const std::string& webhook_path, ConfigErrors& errors);

// The message the `jwt` method answers for a rejection ("Invalid JWT signature", ...).
std::string JwtRejectionMessage(const JwtRejection& rejection);

}  // namespace wg
