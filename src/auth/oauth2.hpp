// The webhook's `oauth2` key (reference §2.8.10). The token is the text after
// `<token_type> ` (default "Bearer") in Authorization, checked in the first way configured:
// 1. `introspection_endpoint`: RFC 7662 introspection (token_introspection.hpp) with
//    `client_id` / `client_secret`, 5 s deadline; `active` must be true. Answers are cached
//    for 60 s, at most 10,000 tokens (introspection_cache.hpp); the Python project asks every
//    time. An endpoint that cannot be reached, or answers 5xx or no JSON, gives 503: the
//    gateway could not authenticate, the sender did nothing wrong and may retry.
//    Our additions: `allowed_hosts`, as http_webhook, to allow e.g. a loopback endpoint, and
//    `ssl_ca_cert`, a PEM bundle to verify an https endpoint with instead of the system store.
// 2. `jwt_secret`: local JWT verification (jwt_verifier.hpp) with `jwt_algorithms` (default
//    ["HS256", "RS256"], only those the key is made for), `issuer`, `audience`, `verify_exp`.
// 3. `validate_token: false`: any non-empty token passes.
// `required_scope` (list or space-separated string) must all be in the token's `scope`
// (introspection answer or JWT claim). Neither way configured is an error at start.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "auth/validator.hpp"

namespace wg {

std::shared_ptr<const Validator> BuildOauth2(const boost::json::object& webhook,
                                             const std::string& webhook_path, ConfigErrors& errors);

}  // namespace wg
