// OAuth 2.0 token introspection (RFC 7662) for the `oauth2` method: one HTTP POST of
// `token=<t>&token_type_hint=access_token` to the configured endpoint, with HTTP Basic client
// credentials when both are set, under one deadline for connect, handshake, write and read.
// The endpoint (http or https) follows the outbound rules of connections/http: loopback,
// private and metadata addresses are refused unless the host is listed in `allowed_hosts`.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "connections/http/http_client.hpp"

namespace wg {

class ConfigErrors;

// What the server said about a token.
struct TokenInfo {
  bool active = false;
  std::vector<std::string> scopes;  // `scope`, space-separated in RFC 7662 (a list is read too)
  std::optional<std::chrono::system_clock::time_point> expires_at;  // `exp`
};

// A `scope` value: RFC 7662's space-separated string, or a list of strings.
std::vector<std::string> ScopesOf(const boost::json::value& scope);

struct IntrospectionResult {
  std::optional<TokenInfo> token;  // set when the server answered 200 with a JSON object
  unsigned http_status = 0;        // the status otherwise; 0 when there was no answer
  std::string error;               // for logs: why there is no token info (no secret in it)
};

class TokenIntrospector {
 public:
  TokenIntrospector(OutboundEndpoint endpoint, std::string client_id,
                    std::string client_secret, std::chrono::milliseconds timeout);

  boost::asio::awaitable<IntrospectionResult> Introspect(std::string token) const;

 private:
  std::string Body(const std::string& token) const;

  OutboundEndpoint endpoint_;
  std::string authorization_;  // "Basic ..." or empty
  std::chrono::milliseconds timeout_;
};

}  // namespace wg
