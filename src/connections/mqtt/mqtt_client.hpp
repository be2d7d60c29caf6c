// One shared MQTT client per connection name of connections.json, on libmosquitto.
//
// libmosquitto is not asynchronous in an Asio sense, so each client owns one small thread that
// owns the mosquitto handle and drives it with poll() (mosquitto_loop_read/write/misc); modules
// hand it messages through a queue and co_await the broker's acknowledgement: PUBACK for qos 1,
// PUBCOMP for qos 2, the write to the socket for qos 0. Only that thread ever touches the handle.
//
// A lost connection is never resumed by libmosquitto itself (it would resend what was in flight
// behind our back): the handle is destroyed, everything in flight fails as retryable, and a new
// handle connects on demand after a backoff (100 ms doubling to 5 s). While the broker is down,
// publishes fail at once as retryable and the chain's retry policy decides when to try again.
// A refused login (bad credentials, not authorised) is permanent until the next attempt.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "config/json_reader.hpp"
#include "connections/client_thread.hpp"
#include "modules/module.hpp"

namespace wg {

struct MqttEndpoint {
  std::string host = "localhost";
  int port = 1883;
  std::string username;  // empty: no login
  std::string password;
  std::string client_id;     // empty: "webhook-gateway-" + random, unique per client
  int keepalive = 60;        // seconds
  int protocol_version = 4;  // MQTT_PROTOCOL_V31 (3), V311 (4) or V5 (5)
  bool tls = false;
  bool tls_insecure = false;     // skip the host name check (the chain is still verified)
  std::string tls_ca_cert_file;  // empty with tls: the system's CA directory
  std::string tls_cert_file;
  std::string tls_key_file;
  std::chrono::milliseconds timeout{10000};  // CONNACK and each acknowledgement
};

// Reads a connection of type "mqtt": `host` (localhost), `port` (1883, 8883 with tls),
// `username`, `password`, `client_id`, `keepalive` (60), `mqtt_version` ("3.1.1"; "3.1", "5"),
// `tls` (false), `tls_insecure` (false), `tls_ca_cert_file`, `tls_cert_file`, `tls_key_file`,
// `timeout` (seconds, 10).
std::optional<MqttEndpoint> ParseMqttEndpoint(const boost::json::object& settings,
                                              const std::string& path, ConfigErrors& errors);

struct MqttMessage {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = false;
};

// Whether a refused CONNACK is worth another attempt (server unavailable, busy, quota) or not
// (bad credentials, not authorised, client id or protocol refused). `code` is the MQTT 3 return
// code or the MQTT 5 reason code, as libmosquitto reports it.
OutcomeKind ClassifyMqttConnack(int code, int protocol_version);
// The same for an MQTT 5 PUBACK/PUBREC reason code >= 0x80.
OutcomeKind ClassifyMqttPublishReason(int reason_code);

class MqttClient {
 public:
  MqttClient(std::string name, MqttEndpoint endpoint);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Delivered once the broker acknowledged the message as its qos requires.
  boost::asio::awaitable<Outcome> Publish(MqttMessage message);

  // "connected", "connecting", "not connected yet" or "down: <last error>".
  std::string State() const;
  const std::string& name() const { return name_; }
  const std::string& client_id() const { return endpoint_.client_id; }

  struct Request;
  class Session;

 private:
  void Enqueue(std::shared_ptr<Request> request);
  void Run();

  std::string name_;
  MqttEndpoint endpoint_;
  ClientThread<Request> thread_{"not connected yet"};  // started by the first Publish
};

}  // namespace wg
