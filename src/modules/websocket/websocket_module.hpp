// `websocket`: sends each webhook as one message to a ws:// or wss:// endpoint.
//
// Every webhook opens its own connection (as the Python project), sends one message and closes
// it with the close handshake. A WebSocket has no acknowledgement of its own; the server's
// answer to our close frame comes after it has read the message, so only a completed close
// handshake (or, with wait_for_response, a reply) counts as delivered. A refused connection, a
// 5xx or 429 to the handshake, or a broken connection is retryable; another refused handshake
// (403, 404, ...) is permanent.
//
// module-config:
//   url               ws:// or wss:// (required). SSRF rules as http_webhook: no private,
//                     loopback or metadata addresses, for the URL and for every resolved
//                     address, unless the host is in allowed_hosts
//   format            "json" (default): {"payload": ...} (+ "headers" with include_headers);
//                     "raw": the payload's JSON, or a blob's bytes as a binary message
//   include_headers   false
//   headers           extra handshake headers {name: value}
//   timeout           10 (seconds, each of connect, handshake, send, reply, close)
//   wait_for_response false; true: delivered only once the server sent a message back
//   allowed_hosts     hosts the SSRF rules let through (e.g. "127.0.0.1")
//   ssl_ca_cert       PEM bundle for wss:// instead of the system's CA store
#pragma once

#include <memory>

#include "modules/module.hpp"

namespace wg {

std::unique_ptr<Module> CreateWebsocketModule(const ModuleSettings& settings,
                                              const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
