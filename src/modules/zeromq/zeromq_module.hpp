// `zeromq`: sends each webhook as one ZeroMQ message, PUB or PUSH, over a socket shared by every
// webhook with the same endpoint, socket type and bind setting (connections/zeromq/).
//
// ZeroMQ has no acknowledgement; what "delivered" means:
//   PUSH  the message was accepted into the send queue of a connected peer (PULL). With no peer
//         connected, or every peer's queue full, it waits up to `timeout` and then fails as
//         retryable, so the chain's retry (or acknowledge "delivered": an error answer) applies.
//         A message still in ZeroMQ's queue when the peer goes away is lost.
//   PUB   the message was handed to ZeroMQ: fire-and-forget by nature. ZeroMQ drops it for
//         subscribers that are not connected and subscribed at that moment. Only the first
//         message after the socket opened waits (up to `timeout`) for a first subscriber.
//
// module-config:
//   endpoint       required; tcp://host:port or ipc://path (at most 512 characters).
//                  inproc:// is refused: it only reaches sockets inside the gateway's process.
//                  Connecting to a tcp host follows the outbound URL rules of http_webhook (no
//                  loopback, private, link-local, metadata ... addresses, for the host and every
//                  address it resolves to) unless the host is in allowed_hosts.
//   socket_type    "PUB" (default) or "PUSH". REQ and DEALER are refused (a reply protocol the
//                  gateway does not speak).
//   bind           false (default): connect to the endpoint, where the peer binds; true: the
//                  gateway binds it (when the first webhook is sent to it) and peers connect.
//   topic          PUB only, optional: sent as a first frame [topic, body] for subscribers to
//                  filter on; without it every message is one frame.
//   format         "json" (default): objects and arrays as compact JSON, a string payload as its
//                  text, a blob as its bytes; "raw": the request body exactly as received
//   timeout        5 (seconds, 0.1 to 600): PUSH's wait for a peer, PUB's for a first subscriber
//   allowed_hosts  hosts the outbound rules let through (e.g. "127.0.0.1")
// Messages (all frames) are limited to 16 MiB; a larger one fails permanently.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "connections/zeromq/zeromq_client.hpp"
#include "modules/module.hpp"

namespace wg {

enum class ZeromqFormat { kJson, kRaw };

struct ZeromqModuleOptions {
  ZeromqTarget target;
  std::string topic;  // PUB: the first frame; empty: one frame
  ZeromqFormat format = ZeromqFormat::kJson;
  std::chrono::milliseconds timeout{5000};
};

// Reads and validates module-config; every problem is reported with its JSON path.
std::optional<ZeromqModuleOptions> ParseZeromqModuleOptions(const boost::json::object& config,
                                                            const std::string& path,
                                                            ConfigErrors& errors);

// The frames of one webhook's message: [topic, body] or [body].
std::vector<std::string> ZeromqFrames(const ZeromqModuleOptions& options, const Delivery& delivery);

std::unique_ptr<Module> CreateZeromqModule(const ModuleSettings& settings,
                                           const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
