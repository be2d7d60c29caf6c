// One shared RabbitMQ client per connection name of connections.json. rabbitmq-c is a blocking
// library, so each client owns one small thread that owns the AMQP connection and its channel;
// modules hand it messages through a queue and co_await the broker's publisher confirm.
//
// The thread publishes everything queued so far as one batch on the channel, then waits for the
// confirms of the whole batch (matched by delivery tag, honouring basic.ack's `multiple` flag), so
// many webhooks share one round trip instead of paying one each. A lost connection is rebuilt on
// demand with exponential backoff (100 ms doubling to 5 s); while it is down, publishes fail at
// once as retryable and the chain's retry policy decides when to try again.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "config/json_reader.hpp"
#include "modules/module.hpp"

namespace wg {

struct RabbitmqEndpoint {
  std::string host = "localhost";
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
  std::chrono::milliseconds timeout{10000};  // connect, login, declarations, confirms
};

// Reads `host` (required), `port` (5672), `user` (guest), `pass` or `password` (guest), `vhost`
// (/), `timeout` (seconds, 10) of a connection of type "rabbitmq".
std::optional<RabbitmqEndpoint> ParseRabbitmqEndpoint(const boost::json::object& settings,
                                                      const std::string& path,
                                                      ConfigErrors& errors);

// One message to publish, with what must exist before it can be routed.
struct RabbitmqMessage {
  std::string exchange;  // "" = the default exchange
  std::string routing_key;
  bool mandatory = false;      // an unroutable message (basic.return) is a permanent failure
  std::string check_exchange;  // non-empty: make sure this exchange exists (passive declare, once)
  std::string declare_queue;   // non-empty: declare this queue durable (once per connection)
  bool bind_queue = false;     // also bind declare_queue to `exchange` with `routing_key`
  std::string body;
  std::string content_type;
  std::string message_id;
  std::vector<std::pair<std::string, std::string>> headers;
};

// The broker's reply code of a channel or connection close decides whether to try again.
OutcomeKind ClassifyAmqpReplyCode(int reply_code);

class RabbitmqClient {
 public:
  RabbitmqClient(std::string name, RabbitmqEndpoint endpoint);
  ~RabbitmqClient();
  RabbitmqClient(const RabbitmqClient&) = delete;
  RabbitmqClient& operator=(const RabbitmqClient&) = delete;

  // Delivered once the broker confirmed the message (basic.ack).
  boost::asio::awaitable<Outcome> Publish(RabbitmqMessage message);

  // "connected", "connecting", "not connected yet" or "down: <last error>".
  std::string State() const;
  const std::string& name() const { return name_; }

  struct Request;
  class Session;

 private:
  void Enqueue(std::shared_ptr<Request> request);
  void Run();

  std::string name_;
  RabbitmqEndpoint endpoint_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Request>> queue_;
  bool stopping_ = false;
  std::string state_ = "not connected yet";
  std::thread thread_;  // started by the first Publish
};

}  // namespace wg
