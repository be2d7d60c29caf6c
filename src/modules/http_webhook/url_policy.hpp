// Outbound URL rules of http_webhook (SSRF): no loopback, private, link-local, multicast,
// reserved or metadata destinations, no numeric host tricks, checked on the literal host at
// start and again on every address DNS returns at delivery. A host listed in `allowed_hosts`
// skips the checks: that is how a user allows e.g. 127.0.0.1 on purpose.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace wg {

// Why an address must not be contacted, or nullopt.
std::optional<std::string> BlockedAddressReason(const boost::asio::ip::address& address);

// Why a URL host (as written, lower-cased, without brackets) must not be contacted, or nullopt.
std::optional<std::string> BlockedHostReason(std::string_view host);

}  // namespace wg
