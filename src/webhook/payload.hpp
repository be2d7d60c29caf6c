// Turns a request body into the payload modules receive, by the webhook's data_type, enforcing
// JSON depth and string-length limits. Errors carry the status and message for the sender.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>

#include "modules/module.hpp"
#include "webhook/limits.hpp"

namespace wg {

struct PayloadResult {
  bool ok = true;
  unsigned status = 200;
  std::string detail;
  boost::json::value payload;
};

PayloadResult ParsePayload(DataType type, std::string_view body, const RequestLimits& limits);

bool IsValidUtf8(std::string_view text);

}  // namespace wg
