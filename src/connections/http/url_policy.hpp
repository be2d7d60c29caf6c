// Outbound URL rules (SSRF) of every outbound HTTP call: http_webhook, oauth2's token
// introspection, recaptcha: no loopback, private, link-local, multicast,
// reserved or metadata destinations, no numeric host tricks, checked on the literal host at
// start and again on every address DNS returns at delivery. A host listed in `allowed_hosts`
// skips the checks: that is how a user allows e.g. 127.0.0.1 on purpose.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>

#include <optional>
#include <string>
#include <string_view>

namespace wg {

// Why an address must not be contacted, or nullopt.
std::optional<std::string> BlockedAddressReason(const boost::asio::ip::address& address);

// Why a URL host (as written, lower-cased, without brackets) must not be contacted, or nullopt.
std::optional<std::string> BlockedHostReason(std::string_view host);

class ConfigErrors;

// An http:// or https:// URL, split for a request.
struct HttpTarget {
  bool tls = false;  // https
  std::string host;  // lower-case, without brackets
  std::string port;
  std::string host_header;
  std::string path_and_query;
};

// Parses an absolute http or https URL; reports problems at
// `path`. `credentials_hint` says where credentials go instead of the URL.
std::optional<HttpTarget> ParseHttpTarget(const std::string& url, const std::string& path,
                                          std::string_view credentials_hint,
                                          ConfigErrors& errors);

struct OutboundConnection {
  std::optional<boost::beast::tcp_stream> stream;
  std::string error;     // when there is no stream
  bool refused = false;  // an address the rules forbid: retrying will not help
};

// Resolves and connects under `timeout`, refusing forbidden addresses unless the host is
// allowed explicitly. The stream's deadline is left at `timeout` from the start.
boost::asio::awaitable<OutboundConnection> ConnectOutbound(boost::asio::any_io_executor executor,
                                                           HttpTarget target,
                                                           bool host_allowed_explicitly,
                                                           std::chrono::milliseconds timeout);

}  // namespace wg
