#include "http/status_access.hpp"

#include <fmt/format.h>

#include "util/ascii.hpp"

namespace wg {

std::variant<StatusAccess, std::string> StatusAccess::Make(
    const std::optional<std::string>& token, const std::optional<std::string>& allowed_ips) {
  StatusAccess access;
  if (token && !token->empty()) access.token_.emplace(*token);
  std::string_view rest = allowed_ips ? std::string_view(*allowed_ips) : std::string_view();
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view entry = TrimBlanks(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (entry.empty()) continue;
    auto range = IpRange::Parse(entry);
    if (auto* error = std::get_if<std::string>(&range)) {
      return fmt::format("\"{}\": {}", entry, *error);
    }
    access.allowed_.push_back(std::get<IpRange>(range));
  }
  return access;
}

std::optional<HttpAnswer> StatusAccess::Check(const std::vector<Header>& headers,
                                              std::string_view peer_address) const {
  if (token_) {
    const std::string* authorization = nullptr;
    for (const auto& header : headers) {
      if (header.name == "authorization") authorization = &header.value;
    }
    if (authorization == nullptr || authorization->empty()) {
      return HttpAnswer::Error(401, "Authentication required");
    }
    std::string_view presented = *authorization;
    if (presented.starts_with("Bearer ")) presented.remove_prefix(7);
    if (!token_->Matches(TrimBlanks(presented))) {
      return HttpAnswer::Error(401, "Invalid authentication token");
    }
  }
  if (!allowed_.empty()) {
    std::optional<IpAddress> peer = IpAddress::Parse(peer_address);
    bool allowed = false;
    for (const auto& range : allowed_) allowed = allowed || (peer && range.Contains(*peer));
    if (!allowed) return HttpAnswer::Error(403, "Access denied from this IP address");
  }
  return std::nullopt;
}

}  // namespace wg
