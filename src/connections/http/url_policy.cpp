#include "connections/http/url_policy.hpp"

#include <boost/asio.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <array>
#include <vector>

#include "config/json_reader.hpp"
#include "config/names.hpp"

namespace wg {
namespace ip = boost::asio::ip;
namespace {

bool InV4(uint32_t address, uint32_t network, int prefix) {
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (address & mask) == (network & mask);
}

constexpr uint32_t V4(int a, int b, int c, int d) {
  return (static_cast<uint32_t>(a) << 24) | (static_cast<uint32_t>(b) << 16) |
         (static_cast<uint32_t>(c) << 8) | static_cast<uint32_t>(d);
}

struct Range {
  uint32_t network;
  int prefix;
  std::string_view name;
};

constexpr std::array<Range, 14> kBlockedV4 = {{
    {V4(0, 0, 0, 0), 8, "unspecified"},
    {V4(10, 0, 0, 0), 8, "private"},
    {V4(100, 64, 0, 0), 10, "carrier-grade NAT"},
    {V4(127, 0, 0, 0), 8, "loopback"},
    {V4(169, 254, 0, 0), 16, "link-local (cloud metadata)"},
    {V4(172, 16, 0, 0), 12, "private"},
    {V4(192, 0, 0, 0), 24, "IETF protocol assignments"},
    {V4(192, 0, 2, 0), 24, "documentation"},
    {V4(192, 168, 0, 0), 16, "private"},
    {V4(198, 18, 0, 0), 15, "benchmarking"},
    {V4(198, 51, 100, 0), 24, "documentation"},
    {V4(203, 0, 113, 0), 24, "documentation"},
    {V4(224, 0, 0, 0), 4, "multicast"},
    {V4(240, 0, 0, 0), 4, "reserved"},
}};

constexpr std::array<std::string_view, 6> kMetadataHosts = {
    "metadata.google.internal", "metadata", "metadata.azure.com", "metadata.cloud.ibm.com",
    "instance-data", "instance-data.ec2.internal"};

bool IsDnsName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < host.size(); ++i) {
    char c = host[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0 || host.back() == '.';
}

}  // namespace

std::optional<std::string> BlockedAddressReason(const ip::address& address) {
  if (address.is_v6()) {
    auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) return BlockedAddressReason(ip::make_address_v4(ip::v4_mapped, v6));
    if (v6.is_loopback()) return std::string("loopback address");
    if (v6.is_unspecified()) return std::string("unspecified address");
    if (v6.is_link_local()) return std::string("link-local address");
    if (v6.is_multicast()) return std::string("multicast address");
    auto bytes = v6.to_bytes();
    if ((bytes[0] & 0xfe) == 0xfc) return std::string("private (unique local) address");
    if (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0xc0) return std::string("site-local address");
    if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8) {
      return std::string("documentation address");
    }
    if (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b) {
      return std::string("NAT64 address");  // can reach IPv4 private ranges
    }
    return std::nullopt;
  }
  uint32_t v4 = address.to_v4().to_uint();
  for (const auto& range : kBlockedV4) {
    if (InV4(v4, range.network, range.prefix)) return fmt::format("{} address", range.name);
  }
  if (v4 == V4(255, 255, 255, 255)) return std::string("broadcast address");
  return std::nullopt;
}

std::optional<std::string> BlockedHostReason(std::string_view host) {
  if (host.empty()) return std::string("URL has no host");
  if (host == "localhost" || host.ends_with(".localhost") || host == "localhost.localdomain") {
    return std::string("loopback host name");
  }
  for (auto metadata : kMetadataHosts) {
    if (host == metadata) return std::string("cloud metadata host");
  }
  if (host.find("metadata") != std::string_view::npos &&
      (host.find("internal") != std::string_view::npos || host.find("azure") != std::string_view::npos ||
       host.find("google") != std::string_view::npos)) {
    return std::string("cloud metadata host");
  }
  boost::system::error_code ec;
  auto address = ip::make_address(host, ec);
  if (!ec) {
    auto reason = BlockedAddressReason(address);
    if (reason) return *reason;
    // make_address accepts only canonical dotted quads, so this is a plain public address.
    return std::nullopt;
  }
  // Not a canonical address. Anything made only of digits, dots and hex markers is one of the
  // many numeric spellings of an address (2130706433, 0x7f.1, 0177.0.0.1, 127.1): refuse them.
  bool numeric = true;
  for (char c : host) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'x' || (c >= 'a' && c <= 'f'))) numeric = false;
  }
  bool has_digit = host.find_first_of("0123456789") != std::string_view::npos;
  if (numeric && has_digit && host.find_first_of("x.0123456789") != std::string_view::npos &&
      host.find_first_not_of("0123456789.") == std::string_view::npos) {
    return std::string("numeric host that is not a canonical IPv4 address");
  }
  if (numeric && has_digit && (host.starts_with("0x") || host.find(".0x") != std::string_view::npos)) {
    return std::string("hexadecimal host address");
  }
  if (!IsDnsName(host)) return std::string("host is not a valid DNS name");
  return std::nullopt;
}

std::optional<HttpTarget> ParseHttpTarget(const std::string& url, const std::string& path,
                                          std::string_view credentials_hint,
                                          ConfigErrors& errors) {
  if (url.size() > 8192 || url.find('\0') != std::string::npos ||
      url.find("%00") != std::string::npos) {
    errors.Add(path, "URL is too long or contains NUL");
    return std::nullopt;
  }
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    errors.Add(path, fmt::format("\"{}\" is not an absolute URL", url));
    return std::nullopt;
  }
  std::string scheme = ToLower(parsed->scheme());
  if (scheme != "http" && scheme != "https") {
    errors.Add(path, fmt::format("scheme \"{}\" is not allowed (http or https only)", scheme));
    return std::nullopt;
  }
  if (parsed->has_userinfo()) {
    errors.Add(path, fmt::format("credentials in the URL are not allowed; {}", credentials_hint));
    return std::nullopt;
  }
  HttpTarget target;
  target.tls = scheme == "https";
  target.host = ToLower(parsed->host_address());
  if (target.host.size() > 2 && target.host.front() == '[') {
    target.host = target.host.substr(1, target.host.size() - 2);
  }
  target.port = parsed->has_port() ? std::string(parsed->port()) : target.tls ? "443" : "80";
  target.host_header = std::string(parsed->encoded_host_and_port());
  target.path_and_query = std::string(parsed->encoded_path());
  if (target.path_and_query.empty()) target.path_and_query = "/";
  if (parsed->has_query()) target.path_and_query += "?" + std::string(parsed->encoded_query());
  return target;
}

boost::asio::awaitable<OutboundConnection> ConnectOutbound(boost::asio::any_io_executor executor,
                                                           HttpTarget target,
                                                           bool host_allowed_explicitly,
                                                           std::chrono::milliseconds timeout) {
  namespace asio = boost::asio;
  using asio::ip::tcp;
  constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
  OutboundConnection connection;
  tcp::resolver resolver(executor);
  auto [resolve_ec, results] = co_await resolver.async_resolve(target.host, target.port, kUseTuple);
  if (resolve_ec) {
    connection.error = fmt::format("cannot resolve {}: {}", target.host, resolve_ec.message());
    co_return connection;
  }
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) {
    if (!host_allowed_explicitly) {
      if (auto reason = BlockedAddressReason(entry.endpoint().address())) {
        connection.error = fmt::format(
            "refused: {} resolves to {} ({}); list the host in allowed_hosts to allow it",
            target.host, entry.endpoint().address().to_string(), *reason);
        connection.refused = true;
        co_return connection;
      }
    }
    endpoints.push_back(entry.endpoint());
  }
  boost::beast::tcp_stream stream(executor);
  stream.expires_after(timeout);
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, kUseTuple);
  if (connect_ec) {
    connection.error = fmt::format("cannot connect to {}:{}: {}", target.host, target.port,
                                   connect_ec.message());
    co_return connection;
  }
  stream.socket().set_option(tcp::no_delay(true));
  connection.stream.emplace(std::move(stream));
  co_return connection;
}

}  // namespace wg
