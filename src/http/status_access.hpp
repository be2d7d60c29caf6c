// Who may read GET /stats and GET /metrics: the Python project's STATS_AUTH_TOKEN and
// STATS_ALLOWED_IPS (flags --stats-token, --stats-allowed-ips). With a token, a request needs
// `Authorization: Bearer <token>` (or the bare token), compared in constant time: none gives 401
// `Authentication required`, a wrong one 401 `Invalid authentication token`. With a list of
// addresses and CIDR ranges, the socket's peer must be in it, else 403 `Access denied from this
// IP address`. Neither set: the pages are public, as in the Python project.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/constant_time.hpp"
#include "auth/ip_whitelist.hpp"
#include "http/response.hpp"
#include "modules/module.hpp"

namespace wg {

class StatusAccess {
 public:
  // `allowed_ips`: comma-separated; an entry that is not an address or range is the error.
  static std::variant<StatusAccess, std::string> Make(
      const std::optional<std::string>& token, const std::optional<std::string>& allowed_ips);

  // nullopt when the request may read the page.
  std::optional<HttpAnswer> Check(const std::vector<Header>& headers,
                                  std::string_view peer_address) const;

 private:
  std::optional<SecretMatcher> token_;
  std::vector<IpRange> allowed_;
};

}  // namespace wg
