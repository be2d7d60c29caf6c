// The webhook's `recaptcha` key (reference §2.8.11): the sender's reCAPTCHA token is verified
// by Google's siteverify API before the webhook is accepted.
// - `secret_key` (required); `version` "v3" (default) or "v2"; `min_score` (0.5, v3 only).
// - `token_source` "header" (default): the header named by `token_field` (default
//   X-Recaptcha-Token), checked before the body is read. "body": the field `recaptcha_token`,
//   `recaptcha` or `g-recaptcha-response` of a JSON object or of a form-encoded body.
// - Verification: POST secret, response (and remoteip: the socket's peer, only when it is a
//   public address — the reference trusts X-Forwarded-For, which any sender can write) to
//   `verify_url`, 5 s deadline.
// Answers: no token or a refused token 401 with the reference's messages; Google unreachable,
// answering non-200 or no JSON: 503 + Retry-After (the sender did nothing wrong).
// Our additions: `verify_url` (default https://www.google.com/recaptcha/api/siteverify; any
// compatible service, e.g. hCaptcha or Cloudflare Turnstile), `expected_action` (v3: the token's
// action must match), `allowed_hosts` and `ssl_ca_cert` as oauth2's introspection endpoint.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "auth/validator.hpp"

namespace wg {

std::shared_ptr<const Validator> BuildRecaptcha(const boost::json::object& webhook,
                                                const std::string& webhook_path,
                                                ConfigErrors& errors);

}  // namespace wg
