#include "http/response.hpp"

#include <array>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <iterator>

#include "observability/logger.hpp"

namespace wg {
namespace http = boost::beast::http;
namespace {

struct HeaderLine {
  std::string_view name;
  std::string_view value;
};

// The Python project's security headers, on every answer.
constexpr std::array<HeaderLine, 7> kDefaultHeaders = {{
    {"Content-Type", "application/json"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"X-XSS-Protection", "1; mode=block"},
    {"Referrer-Policy", "strict-origin-when-cross-origin"},
    {"Permissions-Policy",
     "geolocation=(), microphone=(), camera=(), payment=(), usb=(), magnetometer=(), "
     "gyroscope=(), accelerometer=()"},
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
     "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"},
}};

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  // A line break would end the header early and let the rest pass as another header or body.
  if (name.find_first_of("\r\n") != std::string_view::npos ||
      value.find_first_of("\r\n") != std::string_view::npos) {
    return;
  }
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

void AppendNumber(std::string& out, uint64_t number) {
  char digits[24];
  auto written = std::to_chars(std::begin(digits), std::end(digits), number);
  out.append(digits, written.ptr);
}

// The default header lines, built once: most answers add no header of their own.
const std::string& DefaultHeaderBlock() {
  static const std::string block = [] {
    std::string out;
    for (const auto& header : kDefaultHeaders) AppendHeader(out, header.name, header.value);
    return out;
  }();
  return block;
}

}  // namespace

HttpAnswer HttpAnswer::Error(unsigned status, std::string_view detail) {
  std::string body = "{\"detail\":\"";
  AppendJsonEscaped(body, detail);
  body += "\"}";
  return {status, std::move(body), {}, false};
}

std::string SerializeResponse(HttpAnswer answer, unsigned http_version, bool keep_alive,
                              bool with_body) {
  const bool keep = keep_alive && !answer.close;
  std::string out;
  out.reserve(DefaultHeaderBlock().size() + 96 + (with_body ? answer.body.size() : 0));
  out += http_version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  AppendNumber(out, answer.status);
  out += ' ';
  out += http::obsolete_reason(static_cast<http::status>(answer.status));
  out += "\r\n";
  if (answer.headers.empty()) {
    out += DefaultHeaderBlock();
  } else {
    std::vector<bool> used(answer.headers.size(), false);
    for (const auto& header : kDefaultHeaders) {
      std::string_view value = header.value;
      for (size_t i = 0; i < answer.headers.size(); ++i) {
        if (boost::beast::iequals(answer.headers[i].first, header.name)) {
          value = answer.headers[i].second;
          used[i] = true;
        }
      }
      AppendHeader(out, header.name, value);
    }
    for (size_t i = 0; i < answer.headers.size(); ++i) {
      if (!used[i]) AppendHeader(out, answer.headers[i].first, answer.headers[i].second);
    }
  }
  out += "Content-Length: ";
  AppendNumber(out, answer.body.size());
  out += "\r\n";
  if (!keep && http_version >= 11) out += "Connection: close\r\n";
  if (keep && http_version < 11) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (with_body) out += answer.body;
  return out;
}

}  // namespace wg
