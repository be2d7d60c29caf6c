// One shared ZeroMQ sender per target (endpoint, socket type, bind or connect), on libzmq.
//
// ZeroMQ sockets must stay on one thread, so each client owns a small thread with its own ZeroMQ
// context and socket, created on the first message (never by --check-config). Modules hand it
// messages through a queue and co_await the outcome; the thread sends without blocking and waits
// in zmq_poll() for the socket, its wake-up descriptor or the next deadline.
//
// ZeroMQ has no acknowledgement, so "delivered" means what ZeroMQ can promise:
// - PUSH: the message was accepted into the send queue of a connected peer. A connecting socket
//   uses ZMQ_IMMEDIATE, so with no peer connected (or every peer's queue full, ZMQ_SNDHWM) the
//   message waits up to its timeout and then fails as retryable; nothing piles up in memory
//   for a peer that is not there. A message in that queue when the peer goes away is lost.
// - PUB: the message was handed to ZeroMQ, which drops it for subscribers that are not there:
//   fire-and-forget by nature. Only right after the socket is opened does a message wait (up to
//   its timeout) for the first subscription, so that the webhook that opened the socket is not
//   lost while the subscriber connects (ZeroMQ's "slow joiner"). The socket is an XPUB for that;
//   subscribers see an ordinary publisher.
// tcp:// hosts of connecting sockets are resolved here and every address is checked against the
// outbound URL rules (url_policy.hpp) unless the host is allowed explicitly; ZeroMQ then
// connects to the checked address, so DNS cannot point it elsewhere later.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "connections/client_thread.hpp"
#include "modules/module.hpp"

namespace wg {

enum class ZeromqSocketType { kPub, kPush };

struct ZeromqTarget {
  std::string endpoint;  // as configured: tcp://host:port or ipc://path
  ZeromqSocketType socket_type = ZeromqSocketType::kPub;
  bool bind = false;  // false: connect
  // tcp://: the host (lower-case, without brackets) and port of the endpoint; empty for ipc://.
  std::string tcp_host;
  std::string tcp_port;
  bool host_allowed_explicitly = false;  // listed in allowed_hosts: no address checks

  // What identifies one shared client: two modules with the same key share its socket.
  std::string Key() const;
  // "zeromq PUSH tcp://127.0.0.1:5555" (+ " (bind)"), for messages and /health.
  std::string Name() const;
};

// Largest message (all frames together) a module may hand over.
constexpr size_t kMaxZeromqMessageBytes = 16 * 1024 * 1024;

class ZeromqClient {
 public:
  explicit ZeromqClient(ZeromqTarget target);
  ~ZeromqClient();
  ZeromqClient(const ZeromqClient&) = delete;
  ZeromqClient& operator=(const ZeromqClient&) = delete;

  // Sends one message of one or more frames; see above for what "delivered" means. `timeout`
  // bounds the wait for a peer (PUSH) or for the first subscriber (PUB).
  boost::asio::awaitable<Outcome> Send(std::vector<std::string> frames,
                                       std::chrono::milliseconds timeout);

  // "not used yet", "connected" (the last message went out), "bound" or "down: <last error>".
  std::string State() const;
  const std::string& name() const { return name_; }

  struct Request;
  class Session;

 private:
  void Enqueue(std::shared_ptr<Request> request);
  void Run();

  const ZeromqTarget target_;
  const std::string name_;
  ClientThread<Request> thread_{"not used yet"};  // started by the first Send
};

}  // namespace wg
