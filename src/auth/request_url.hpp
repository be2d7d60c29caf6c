// The absolute URL a sender signed, for the methods whose signature covers it (oauth1 and the
// hmac provider twilio). The gateway serves plain HTTP, usually behind a TLS-terminating proxy,
// so the URL is rebuilt from the request:
//   - with `public_url` in the method's config ("https://hooks.example.com", or with a path
//     prefix the proxy strips: "https://example.com/gateway"), that scheme, host and port, then
//     the prefix and the request target;
//   - else the scheme of X-Forwarded-Proto ("http" without it: what we serve), the Host header
//     and the request target. Trusting these headers is safe: they only choose which URL the
//     signature must cover, and without the secret no one can sign a URL of their choice.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/validator.hpp"

namespace wg {

struct RequestOrigin {
  std::string scheme;       // lower case: "https"
  std::string host;         // lower case; an IPv6 address keeps its brackets
  std::string port;         // as sent; empty when none was given
  std::string path_prefix;  // from public_url: "" or "/gateway" (no trailing '/')
};

// A config's `public_url`: http(s)://host[:port][/prefix], nothing after the path.
std::optional<RequestOrigin> ParsePublicUrl(std::string_view text);

class ObjectReader;

// Reads the optional "public_url" key of a method's config; a malformed one is a config error.
std::optional<RequestOrigin> ReadPublicUrl(ObjectReader& reader);

// `configured` when set, else from the headers; nullopt without a (valid) Host header.
std::optional<RequestOrigin> FindRequestOrigin(const AuthRequest& request,
                                               const std::optional<RequestOrigin>& configured);

// "scheme://host[:port]" + prefix; the port is left out when it is the scheme's default
// (80, 443), as RFC 5849 §3.4.1.2 normalizes it.
std::string BaseWithoutDefaultPort(const RequestOrigin& origin);
// The same with the port always written (the scheme's default when none was sent): some
// senders (Twilio) sign the URL in that form.
std::string BaseWithPort(const RequestOrigin& origin);

// Content-Type application/x-www-form-urlencoded: the body's fields are signed too.
bool IsFormBody(const AuthRequest& request);

}  // namespace wg
