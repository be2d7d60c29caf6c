// Limits on everything a client controls. Defaults are the Python project's.
#pragma once

#include <chrono>
#include <cstddef>

namespace wg {

struct RequestLimits {
  size_t max_body_bytes = 10 * 1024 * 1024;
  size_t max_headers = 100;
  size_t max_header_bytes = 8192;  // sum of name and value lengths
  size_t max_json_depth = 50;
  size_t max_string_length = 1024 * 1024;  // characters of one JSON string value
  std::chrono::milliseconds header_timeout{10000};  // whole request head: cuts off slowloris
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive connection with no request
};

}  // namespace wg
