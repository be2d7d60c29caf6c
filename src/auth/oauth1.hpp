// The webhook's `oauth1` key: an OAuth 1.0a signed request (RFC 5849), as a consumer sends it
// with `Authorization: OAuth oauth_consumer_key="...", oauth_signature="...", ...`.
//
// Keys: consumer_key, consumer_secret (required), token_secret (""), signature_method
// ("HMAC-SHA1" default, "HMAC-SHA256", "PLAINTEXT"; RSA-SHA1 is refused at start),
// verify_timestamp (true), timestamp_window (300 s, either way), verify_nonce (true), and ours:
// public_url (the URL the sender signs, see request_url.hpp).
//
// The signature base string is RFC 5849 §3.4.1: METHOD & the base string URI & the normalized
// parameters, where the URI is absolute (scheme://host[:port]/path, default port left out),
// rebuilt from public_url, or X-Forwarded-Proto ("http") and the Host header; and the
// parameters are the query's, the oauth_* of the header (not realm, not oauth_signature) and,
// for an application/x-www-form-urlencoded body, the body's. The Python project signs the path
// alone; a standard client library signs the absolute URL, which is what we check.
//
// Nonces are remembered in memory (at most 100 000) until timestamp + window + 60 s and a second
// use is refused; a nonce is only remembered once its signature verified, so unsigned requests
// cannot use up nonces. When the store is full of live nonces the answer is 503 + Retry-After.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "auth/validator.hpp"

namespace wg {

std::shared_ptr<const Validator> BuildOauth1(const boost::json::object& webhook,
                                             const std::string& webhook_path, ConfigErrors& errors);

}  // namespace wg
