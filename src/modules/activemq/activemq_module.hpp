// `activemq`: sends each webhook as one STOMP SEND (ActiveMQ, Artemis, RabbitMQ's STOMP plugin)
// and counts it delivered only after the broker's RECEIPT (connections/stomp/stomp_client.hpp).
//
// The body is the payload's JSON (application/json), or the raw bytes of a blob with their
// content type. The request headers go along as STOMP headers (as in the Python project), except
// names a broker would act on (destination, receipt, persistent, expires, priority, reply-to,
// queue arguments such as x-message-ttl, amqp-*, JMS*); `webhook-delivery-id` carries the
// delivery id, so a consumer can drop the duplicate a retry may cause.
//
// module-config:
//   destination       required; 1-255 of A-Z a-z 0-9 _ - . : without "..", "--" and not starting
//                     with ActiveMQ. VirtualTopic. Consumer. Queue. Topic. (the Python rules)
//   destination_type  "queue" (default): /queue/<destination>; "topic": /topic/<destination>
//   persistent        true (default): the broker keeps the message on disk
//
// Connection (type "activemq"): host (localhost), port (61613), user, password, virtual_host
// (/), timeout (10 s). Unlike the Python project, loopback and private addresses are allowed:
// connections.json is the operator's file, and brokers usually run beside the gateway.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "modules/module.hpp"

namespace wg {

struct ActivemqModuleOptions {
  std::string destination;  // "/queue/<name>" or "/topic/<name>"
  bool persistent = true;
};

// Why `name` is not an acceptable destination name, or "" when it is.
std::string CheckActivemqDestination(std::string_view name);

// Whether a request header may go along as a STOMP header of the SEND.
bool ForwardableStompHeader(std::string_view lower_case_name);

std::optional<ActivemqModuleOptions> ParseActivemqModuleOptions(const boost::json::object& config,
                                                                const std::string& path,
                                                                ConfigErrors& errors);

std::unique_ptr<Module> CreateActivemqModule(const ModuleSettings& settings,
                                             const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
