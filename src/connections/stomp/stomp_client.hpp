// One shared STOMP 1.2 client per connection of type "activemq" (ActiveMQ, Artemis, RabbitMQ's
// STOMP plugin, any STOMP broker).
//
// The client owns one TCP connection and one small thread with an event loop. Every SEND asks
// for a RECEIPT, and a webhook counts as delivered only once the broker has sent it: sends are
// pipelined (many in flight on the one connection, each matched by its receipt id). A broker
// ERROR for a frame fails that webhook permanently (the broker refused it), and so does a
// refused login (ERROR to CONNECT: wrong credentials do not heal by retrying); a lost connection,
// or a receipt that does not come within the timeout, fails the sends in flight as retryable and
// the connection is opened again on the next send, after a backoff (100 ms doubling to 5 s)
// while it keeps failing. During the backoff, sends fail at once as retryable: the chain's
// retry policy decides when to try again.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "config/json_reader.hpp"
#include "modules/module.hpp"

namespace wg {

struct StompEndpoint {
  std::string host = "localhost";
  int port = 61613;
  std::string user;
  std::string password;
  std::string virtual_host = "/";            // the CONNECT frame's host header
  std::chrono::milliseconds timeout{10000};  // connect, login, each receipt
};

// Reads `host` (localhost), `port` (61613), `user`, `password`, `virtual_host` (/), `timeout`
// (seconds, 10) of a connection of type "activemq".
std::optional<StompEndpoint> ParseStompEndpoint(const boost::json::object& settings,
                                                const std::string& path, ConfigErrors& errors);

struct StompMessage {
  std::string destination;  // "/queue/orders", "/topic/orders"
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // sent as they are
};

class StompClient {
 public:
  StompClient(std::string name, StompEndpoint endpoint);
  ~StompClient();  // sends still in flight fail as retryable
  StompClient(const StompClient&) = delete;
  StompClient& operator=(const StompClient&) = delete;

  // Delivered once the broker's RECEIPT for the SEND arrived.
  boost::asio::awaitable<Outcome> Send(StompMessage message);

  // "connected", "not connected yet" or "down: <last error>".
  std::string State() const;
  const std::string& name() const { return name_; }

  class Session;

 private:
  const std::string name_;
  const StompEndpoint endpoint_;
  std::once_flag started_;
  std::unique_ptr<Session> session_;  // lives on the thread below
  std::thread thread_;
};

}  // namespace wg
