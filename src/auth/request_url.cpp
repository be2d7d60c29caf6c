#include "auth/request_url.hpp"

#include "config/json_reader.hpp"
#include "util/ascii.hpp"

namespace wg {
namespace {

bool IsDigits(std::string_view text) {
  if (text.empty() || text.size() > 5) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "host", "host:port", "[v6]" or "[v6]:port" into `origin`; false when malformed.
bool SplitAuthority(std::string_view authority, RequestOrigin& origin) {
  if (authority.empty()) return false;
  for (char c : authority) {
    if (c == '/' || c == '?' || c == '#' || c == '@' || c == ' ' || c == '\t') return false;
  }
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(0, close + 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      has_port = true;
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    has_port = true;
  }
  if (host.empty() || (has_port && !IsDigits(port))) return false;
  origin.host = AsciiLower(host);
  origin.port = std::string(port);
  return true;
}

std::string_view DefaultPort(std::string_view scheme) { return scheme == "https" ? "443" : "80"; }

}  // namespace

std::optional<RequestOrigin> ParsePublicUrl(std::string_view text) {
  RequestOrigin origin;
  size_t separator = text.find("://");
  if (separator == std::string_view::npos) return std::nullopt;
  origin.scheme = AsciiLower(text.substr(0, separator));
  if (origin.scheme != "http" && origin.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(separator + 3);
  size_t slash = rest.find('/');
  if (!SplitAuthority(rest.substr(0, slash), origin)) return std::nullopt;
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash);
    if (prefix.find_first_of("?#") != std::string_view::npos) return std::nullopt;
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    origin.path_prefix = std::string(prefix);
  }
  return origin;
}

std::optional<RequestOrigin> ReadPublicUrl(ObjectReader& reader) {
  auto text = reader.String("public_url");
  if (!text) return std::nullopt;
  auto origin = ParsePublicUrl(*text);
  if (!origin) {
    reader.errors().Add(reader.PathOf("public_url"),
                        "must be http(s)://host[:port][/path prefix], e.g. "
                        "https://hooks.example.com");
  }
  return origin;
}

std::optional<RequestOrigin> FindRequestOrigin(const AuthRequest& request,
                                               const std::optional<RequestOrigin>& configured) {
  if (configured) return configured;
  const std::string* host = request.FindHeader("host");
  if (host == nullptr) return std::nullopt;
  RequestOrigin origin;
  origin.scheme = "http";
  if (const std::string* proto = request.FindHeader("x-forwarded-proto")) {
    std::string first = AsciiLower(std::string_view(*proto).substr(0, proto->find(',')));
    while (!first.empty() && (first.back() == ' ' || first.back() == '\t')) first.pop_back();
    while (!first.empty() && (first.front() == ' ' || first.front() == '\t')) first.erase(0, 1);
    if (first == "https" || first == "http") origin.scheme = first;
  }
  if (!SplitAuthority(*host, origin)) return std::nullopt;
  return origin;
}

bool IsFormBody(const AuthRequest& request) {
  const std::string* type = request.FindHeader("content-type");
  if (type == nullptr) return false;
  std::string_view media = std::string_view(*type).substr(0, type->find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  return EqualsIgnoreCase(media, "application/x-www-form-urlencoded");
}

std::string BaseWithoutDefaultPort(const RequestOrigin& origin) {
  std::string base = origin.scheme + "://" + origin.host;
  if (!origin.port.empty() && origin.port != DefaultPort(origin.scheme)) base += ":" + origin.port;
  return base + origin.path_prefix;
}

std::string BaseWithPort(const RequestOrigin& origin) {
  std::string_view port = origin.port.empty() ? DefaultPort(origin.scheme) : origin.port;
  return origin.scheme + "://" + origin.host + ":" + std::string(port) + origin.path_prefix;
}

}  // namespace wg
