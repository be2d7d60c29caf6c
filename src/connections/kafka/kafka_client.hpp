// One shared Kafka producer per connection name of connections.json, on librdkafka.
//
// The producer is idempotent (enable.idempotence=true, acks=all): librdkafka retries sends
// itself without duplicating or reordering them. rd_kafka_producev only queues a message; the
// broker's answer comes back as a delivery report, which librdkafka hands out from
// rd_kafka_poll. So each client owns one thread that polls the producer and resumes the awaiting
// coroutine with the report: a webhook counts as delivered only when its report says so.
//
// While no broker answers, librdkafka keeps the message until `timeout` (message.timeout.ms)
// and then reports it as timed out: a retryable failure, and the chain's retry policy decides
// when to try again. The producer is created on the first message (no threads for a
// connection nobody uses) and recreated after a fatal error of the idempotent producer.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "config/json_reader.hpp"
#include "modules/module.hpp"

struct rd_kafka_s;

namespace wg {

struct KafkaEndpoint {
  std::string bootstrap_servers = "localhost:9092";
  std::string client_id = "webhook-gateway";
  std::chrono::milliseconds timeout{10000};  // message.timeout.ms: queued, sent and acknowledged
  // librdkafka properties as they are passed to rd_kafka_conf_set, security settings included.
  std::vector<std::pair<std::string, std::string>> properties;
};

// Reads a connection of type "kafka": `bootstrap_servers` ("localhost:9092", comma-separated
// host:port), `client_id` ("webhook-gateway"), `timeout` (seconds, 10), `security_protocol`
// (plaintext, ssl, sasl_plaintext, sasl_ssl), `sasl_mechanism` (PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512), `sasl_username`, `sasl_password`, `ssl_ca_location`. Every value is also
// checked by librdkafka itself, so a setting it refuses is reported here with its path.
std::optional<KafkaEndpoint> ParseKafkaEndpoint(const boost::json::object& settings,
                                                const std::string& path, ConfigErrors& errors);

struct KafkaMessage {
  std::string topic;
  std::optional<std::string> key;  // none: librdkafka's partitioner spreads the messages
  int32_t partition = -1;          // -1: chosen by the partitioner
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Whether a librdkafka error code, from a delivery report or from rd_kafka_producev, is worth
// another attempt (broker down, timeout, leader moving) or not (unknown topic or partition,
// message too large, not authorised, invalid message).
OutcomeKind ClassifyKafkaError(int error_code);

class KafkaClient {
 public:
  KafkaClient(std::string name, KafkaEndpoint endpoint);
  ~KafkaClient();
  KafkaClient(const KafkaClient&) = delete;
  KafkaClient& operator=(const KafkaClient&) = delete;

  // Delivered once librdkafka's delivery report for the message says so.
  boost::asio::awaitable<Outcome> Produce(KafkaMessage message);

  // "not connected yet", "connected" (a message was acknowledged) or "down: <last error>".
  std::string State() const;
  const std::string& name() const { return name_; }

  struct Request;
  // Called from the polling thread by librdkafka's callbacks.
  void OnDeliveryReport(std::unique_ptr<Request> request, int error_code);
  void OnError(int error_code, const char* reason);

 private:
  rd_kafka_s* CreateProducer(std::string& error);
  void Run();
  std::string Describe(std::string_view error) const;

  std::string name_;
  KafkaEndpoint endpoint_;
  mutable std::mutex mutex_;
  rd_kafka_s* producer_ = nullptr;  // created by the first Produce
  bool fatal_ = false;              // the producer must be replaced
  bool stopping_ = false;
  std::string state_ = "not connected yet";
  std::string last_error_;
  std::thread thread_;  // polls producer_ for delivery reports
};

}  // namespace wg
