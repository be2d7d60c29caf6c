// Turns a request body into the payload modules receive, by the webhook's data_type, enforcing
// JSON depth and string-length limits. Errors carry the status and message for the sender.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>
#include <string_view>

#include "modules/module.hpp"
#include "webhook/credential_cleanup.hpp"
#include "webhook/limits.hpp"

namespace wg {

struct PayloadResult {
  bool ok = true;
  unsigned status = 200;
  std::string detail;
  boost::json::value payload;
};

PayloadResult ParsePayload(DataType type, std::string_view body, const RequestLimits& limits);

// The shared, immutable delivery every chain item receives, with the body parsed by the
// webhook's data_type and credentials cleaned (credential_cleanup.hpp); on a parse error, the
// status and message for the sender. When cleaning changed a json or form payload, `body` is
// that payload encoded again, so what is spooled holds no secret and parses to the same payload.
struct DeliveryParts {
  std::string delivery_id;
  std::string webhook_id;
  std::vector<Header> headers;
  std::string body;
  std::chrono::system_clock::time_point received_at;
};
struct BuiltDelivery {
  std::shared_ptr<const Delivery> delivery;  // null on error
  unsigned status = 200;
  std::string detail;
};
BuiltDelivery BuildDelivery(DataType type, DeliveryParts parts, const RequestLimits& limits,
                            const CredentialCleanup& cleanup);

}  // namespace wg
