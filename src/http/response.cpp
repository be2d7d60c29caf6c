#include "http/response.hpp"

#include "observability/logger.hpp"

namespace wg {
namespace http = boost::beast::http;

HttpAnswer HttpAnswer::Error(unsigned status, std::string_view detail) {
  std::string body = "{\"detail\":\"";
  AppendJsonEscaped(body, detail);
  body += "\"}";
  return {status, std::move(body), {}, false};
}

HttpResponse BuildResponse(HttpAnswer answer, unsigned http_version, bool keep_alive) {
  HttpResponse response(static_cast<http::status>(answer.status), http_version);
  response.set(http::field::content_type, "application/json");
  response.set("X-Content-Type-Options", "nosniff");
  response.set("X-Frame-Options", "DENY");
  response.set("X-XSS-Protection", "1; mode=block");
  response.set("Referrer-Policy", "strict-origin-when-cross-origin");
  response.set("Permissions-Policy",
               "geolocation=(), microphone=(), camera=(), payment=(), usb=(), magnetometer=(), "
               "gyroscope=(), accelerometer=()");
  response.set("Content-Security-Policy",
               "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
               "frame-ancestors 'none'; base-uri 'self'; form-action 'self'");
  for (auto& [name, value] : answer.headers) response.set(name, value);
  response.body() = std::move(answer.body);
  response.keep_alive(keep_alive && !answer.close);
  response.prepare_payload();
  return response;
}

}  // namespace wg
