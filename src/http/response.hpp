// Answers as the HTTP layer writes them: JSON bodies, the Python project's security headers.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wg {

struct HttpAnswer {
  unsigned status = 200;
  std::string body;  // JSON
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // the connection cannot be reused (e.g. an unread body)

  static HttpAnswer Json(unsigned status, std::string body) { return {status, std::move(body), {}, false}; }
  // {"detail": "<message>"}, the error shape of the Python project.
  static HttpAnswer Error(unsigned status, std::string_view detail);
};

// The answer as bytes on the wire: status line, the security headers (an answer's header of the
// same name replaces one, names compared without case), the answer's other headers,
// Content-Length, Connection when it differs from the version's default, then the body unless
// `with_body` is false (HEAD: Content-Length still tells the body's size). Written directly
// rather than through a Beast serializer: it runs for every request (docs/performance.md).
std::string SerializeResponse(HttpAnswer answer, unsigned http_version, bool keep_alive,
                              bool with_body = true);

}  // namespace wg
