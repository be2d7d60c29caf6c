// The webhook's `ip_whitelist` key (+ `trusted_proxies`): arrays of IPv4/IPv6 addresses and CIDR
// ranges ("10.0.0.0/8", "2001:db8::/32"). A request whose client IP is in none of them is refused
// with 403 `IP <ip> not in whitelist` (SPEC §3; the Python project answers 401). Unlike the Python
// project, which skips entries it cannot parse (and has no CIDR), an invalid entry is a config
// error at start with its JSON path.
#pragma once

#include <boost/json.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/validator.hpp"

namespace wg {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4

  // Dotted IPv4 or IPv6 text; an IPv4-mapped IPv6 address ("::ffff:10.0.0.1") becomes IPv4.
  static std::optional<IpAddress> Parse(std::string_view text);
  std::string ToString() const;
  unsigned Bits() const { return v6 ? 128 : 32; }
};

struct IpRange {
  IpAddress base;
  unsigned prefix = 0;  // a single address is /32 or /128

  // An address or a CIDR range; on failure, the message for the config error.
  static std::variant<IpRange, std::string> Parse(std::string_view text);
  bool Contains(const IpAddress& address) const;
};

std::shared_ptr<const Validator> BuildIpWhitelist(const boost::json::object& webhook,
                                                  const std::string& webhook_path,
                                                  ConfigErrors& errors);

}  // namespace wg
