// Answers as the HTTP layer writes them: JSON bodies, the Python project's security headers.
#pragma once

#include <boost/beast/http.hpp>

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

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

HttpResponse BuildResponse(HttpAnswer answer, unsigned http_version, bool keep_alive);

}  // namespace wg
