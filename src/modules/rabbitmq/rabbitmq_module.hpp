// `rabbitmq`: publishes each webhook as one persistent message (delivery mode 2, content type
// application/json, body = the payload's JSON or the raw bytes of a blob, the request headers as
// AMQP headers, message_id = the delivery id) and counts it delivered only after the broker's
// publisher confirm.
//
// module-config:
//   queue_name     the queue; declared durable once per connection (required unless `exchange`
//                  and `routing_key` are both given)
//   exchange       "" (the default exchange). A named exchange must already exist (checked once
//                  with a passive declare; a missing one is a permanent failure): the gateway
//                  does not guess its type. With an exchange the queue is only declared (and
//                  bound to the exchange with the routing key) when `declare_queue` is true.
//   routing_key    defaults to queue_name
//   declare_queue  true without an exchange, false with one
//   mandatory      false; when true a message the broker cannot route is a permanent failure
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "modules/module.hpp"

namespace wg {

struct RabbitmqModuleOptions {
  std::string queue_name;
  std::string exchange;
  std::string routing_key;
  bool declare_queue = true;
  bool mandatory = false;
};

// Why `name` is not an acceptable queue name (the Python project's rules), or "" when it is.
std::string CheckRabbitmqQueueName(std::string_view name);

// Reads and validates module-config; every problem is reported with its JSON path.
std::optional<RabbitmqModuleOptions> ParseRabbitmqModuleOptions(const boost::json::object& config,
                                                                const std::string& path,
                                                                ConfigErrors& errors);

std::unique_ptr<Module> CreateRabbitmqModule(const ModuleSettings& settings,
                                             const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
