// The webhook's `digest_auth` key: HTTP Digest authentication (RFC 7616) with qop "auth".
//
// Keys: username, password (required, not empty), realm ("Webhook API"), algorithm ("MD5";
// also "SHA-256", "MD5-sess", "SHA-256-sess"), qop ("auth", the only one), and ours:
// nonce_lifetime (seconds a nonce is accepted, default 300).
//
// Unlike the Python project, which accepts any nonce the client makes up (so a captured header
// can be replayed forever), the gateway issues its nonces: every 401 carries
//   WWW-Authenticate: Digest realm="...", qop="auth", algorithm=MD5, nonce="..."
// A nonce is "<unix seconds>.<hex HMAC-SHA256(key, "<seconds>:<realm>")>" with a random key made
// when the method is built. So it needs no server state and expires after nonce_lifetime (the
// challenge then says stale=true, and clients answer it without asking their user again); after
// a config reload, or at another gateway process, it is unknown and the client gets a new one.
//
// Replays: qop "auth" does not cover the body, so a captured Authorization header could carry
// another body. Each accepted (nonce, nc, cnonce) is therefore remembered until its nonce
// expires and refused the second time; a client sends a new nc or cnonce with every request.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "auth/validator.hpp"

namespace wg {

std::shared_ptr<const Validator> BuildDigestAuth(const boost::json::object& webhook,
                                                 const std::string& webhook_path,
                                                 ConfigErrors& errors);

// What the client hashes (RFC 7616 §3.4.1), qop "auth".
struct DigestInput {
  std::string_view algorithm;  // "MD5", "SHA-256", "MD5-sess", "SHA-256-sess"
  std::string_view username;
  std::string_view realm;
  std::string_view password;
  std::string_view method;
  std::string_view uri;
  std::string_view nonce;
  std::string_view nc;
  std::string_view cnonce;
};

// The lower-case hex `response` a client must send; empty for an unknown algorithm.
std::string DigestResponse(const DigestInput& input);

}  // namespace wg
