#include "auth/ip_whitelist.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>
#include <vector>

#include "config/json_reader.hpp"
#include "util/ascii.hpp"

namespace wg {
namespace {

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
constexpr size_t kMaxEchoedLength = 64;  // of a bad X-Forwarded-For entry in a 403 body

AuthFailure Refuse(std::string message, std::string reason) {
  return AuthFailure{403, std::move(message), std::move(reason), {}};
}

std::vector<IpRange> ParseList(const boost::json::value& value, const std::string& path,
                               ConfigErrors& errors) {
  std::vector<IpRange> ranges;
  if (!value.is_array()) {
    errors.Add(path, fmt::format("must be an array of IP addresses or CIDR ranges, got {}",
                                 JsonKindName(value)));
    return ranges;
  }
  const auto& array = value.get_array();
  for (size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_string()) {
      errors.Add(JoinPath(path, i), fmt::format("must be a string, got {}", JsonKindName(array[i])));
      continue;
    }
    auto parsed = IpRange::Parse(array[i].get_string());
    if (auto* message = std::get_if<std::string>(&parsed)) {
      errors.Add(JoinPath(path, i), *message);
      continue;
    }
    ranges.push_back(std::get<IpRange>(parsed));
  }
  return ranges;
}

bool InAny(const std::vector<IpRange>& ranges, const IpAddress& address) {
  for (const auto& range : ranges) {
    if (range.Contains(address)) return true;
  }
  return false;
}

class IpWhitelistValidator final : public Validator {
 public:
  IpWhitelistValidator(std::vector<IpRange> allowed, std::vector<IpRange> trusted_proxies)
      : allowed_(std::move(allowed)), trusted_proxies_(std::move(trusted_proxies)) {}

  std::optional<AuthFailure> CheckHead(const AuthRequest& request) const override {
    std::optional<IpAddress> peer = IpAddress::Parse(request.peer_address);
    if (!peer) return Refuse("Could not determine client IP", "no_client_ip");
    IpAddress client = *peer;
    // Forwarding headers are anyone's to write: they count only when the connection comes from
    // a proxy the config trusts.
    if (InAny(trusted_proxies_, *peer)) {
      std::string forwarded_for;
      for (const auto& header : request.headers) {
        if (header.name != "x-forwarded-for") continue;
        if (!forwarded_for.empty()) forwarded_for += ',';
        forwarded_for += header.value;
      }
      const std::string* real_ip = request.FindHeader("x-real-ip");
      if (!TrimBlanks(forwarded_for).empty()) {
        auto from_header = FromForwardedFor(forwarded_for);
        if (auto* failure = std::get_if<AuthFailure>(&from_header)) return std::move(*failure);
        client = std::get<IpAddress>(from_header);
      } else if (real_ip != nullptr && !TrimBlanks(*real_ip).empty()) {
        std::string_view text = TrimBlanks(*real_ip);
        auto parsed = IpAddress::Parse(text);
        if (!parsed) return BadAddress(text);
        client = *parsed;
      }
    }
    if (!InAny(allowed_, client)) {
      return Refuse(fmt::format("IP {} not in whitelist", client.ToString()), "ip_not_allowed");
    }
    return std::nullopt;
  }

 private:
  static AuthFailure BadAddress(std::string_view text) {
    return Refuse(fmt::format("Invalid IP address format: {}", text.substr(0, kMaxEchoedLength)),
                  "bad_forwarded_ip");
  }

  // "client, proxy1, proxy2": every proxy appends the address it received the request from.
  // The left-most entries are whatever the client chose to send, so taking the first one (as
  // the Python project does) lets anyone claim a whitelisted address. The right-most entry that
  // is not one of our trusted proxies was appended by a trusted proxy, so it is the real client
  // of our proxy chain. An entry we can't parse before that point means the chain is broken.
  std::variant<IpAddress, AuthFailure> FromForwardedFor(std::string_view list) const {
    std::optional<IpAddress> leftmost;
    while (!list.empty()) {
      size_t comma = list.rfind(',');
      std::string_view entry =
          TrimBlanks(comma == std::string_view::npos ? list : list.substr(comma + 1));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
      if (entry.empty()) continue;
      auto address = IpAddress::Parse(entry);
      if (!address) return BadAddress(entry);
      if (!InAny(trusted_proxies_, *address)) return *address;
      leftmost = address;
    }
    // Every entry is a trusted proxy: the request started at the left-most of them.
    if (leftmost) return *leftmost;
    return Refuse("Could not determine client IP", "no_client_ip");
  }

  std::vector<IpRange> allowed_;
  std::vector<IpRange> trusted_proxies_;
};

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string copy(text);  // inet_pton wants a NUL-terminated string
  IpAddress address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) return address;
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) != 1) return std::nullopt;
  if (std::memcmp(address.bytes.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0) {
    std::memmove(address.bytes.data(), address.bytes.data() + 12, 4);
    std::memset(address.bytes.data() + 4, 0, 12);
    return address;
  }
  address.v6 = true;
  return address;
}

std::string IpAddress::ToString() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buffer, sizeof(buffer));
  return buffer;
}

std::variant<IpRange, std::string> IpRange::Parse(std::string_view text) {
  size_t slash = text.find('/');
  auto address = IpAddress::Parse(text.substr(0, slash));
  if (!address) {
    if (slash == std::string_view::npos) {
      return fmt::format("Invalid IP address format: \"{}\" (expected an IPv4 or IPv6 address or "
                         "a CIDR range such as 10.0.0.0/8)",
                         text);
    }
    return fmt::format("invalid CIDR range \"{}\": \"{}\" is not an IP address", text,
                       text.substr(0, slash));
  }
  IpRange range{*address, address->Bits()};
  if (slash == std::string_view::npos) return range;

  std::string_view digits = text.substr(slash + 1);
  unsigned prefix = 0;
  bool ok = !digits.empty() && digits.size() <= 3;
  for (char c : digits) {
    if (c < '0' || c > '9') ok = false;
    else prefix = prefix * 10 + static_cast<unsigned>(c - '0');
  }
  // "::ffff:10.0.0.0/104" was parsed as IPv4: its prefix counts from the IPv4 part.
  bool mapped_v6 = !address->v6 && text.substr(0, slash).find(':') != std::string_view::npos;
  unsigned max = mapped_v6 ? 128 : address->Bits();
  if (!ok || prefix > max || (mapped_v6 && prefix < 96)) {
    return fmt::format("invalid CIDR range \"{}\": the prefix length must be {}..{}", text,
                       mapped_v6 ? 96 : 0, max);
  }
  range.prefix = mapped_v6 ? prefix - 96 : prefix;
  IpAddress network = range.base;
  for (unsigned bit = range.prefix; bit < network.Bits(); ++bit) {
    network.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  if (network.bytes != range.base.bytes) {
    // Most often a typo; accepting it would silently widen or shift the range the user meant.
    return fmt::format("invalid CIDR range \"{}\": host bits are set (did you mean {}/{}?)", text,
                       network.ToString(), range.prefix);
  }
  return range;
}

bool IpRange::Contains(const IpAddress& address) const {
  if (address.v6 != base.v6) return false;
  unsigned full_bytes = prefix / 8;
  if (std::memcmp(address.bytes.data(), base.bytes.data(), full_bytes) != 0) return false;
  unsigned rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xFFu << (8 - rest));
  return (address.bytes[full_bytes] & mask) == (base.bytes[full_bytes] & mask);
}

std::shared_ptr<const Validator> BuildIpWhitelist(const boost::json::object& webhook,
                                                  const std::string& webhook_path,
                                                  ConfigErrors& errors) {
  const std::string path = JoinPath(webhook_path, "ip_whitelist");
  const size_t errors_before = errors.size();
  std::vector<IpRange> allowed = ParseList(webhook.at("ip_whitelist"), path, errors);
  std::vector<IpRange> trusted_proxies;
  if (const auto* proxies = webhook.if_contains("trusted_proxies")) {
    trusted_proxies = ParseList(*proxies, JoinPath(webhook_path, "trusted_proxies"), errors);
  }
  if (errors.size() != errors_before) return nullptr;
  if (allowed.empty()) {
    // An empty list would refuse every request; say so at start rather than answer 403 forever.
    errors.Add(path, "IP whitelist contains no valid IP addresses");
    return nullptr;
  }
  return std::make_shared<IpWhitelistValidator>(std::move(allowed), std::move(trusted_proxies));
}

}  // namespace wg
