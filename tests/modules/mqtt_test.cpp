#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

#include "config/json_reader.hpp"
#include "connections/connection_registry.hpp"
#include "connections/mqtt/mqtt_client.hpp"
#include "modules/mqtt/mqtt_module.hpp"
#include "test_support.hpp"

namespace wg {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Messages(const ConfigErrors& errors) {
  std::vector<std::string> out;
  for (const auto& error : errors.errors()) out.push_back(error.path + ": " + error.message);
  return out;
}

std::optional<MqttModuleOptions> Parse(std::string_view json, ConfigErrors& errors) {
  auto config = boost::json::parse(json).as_object();
  return ParseMqttModuleOptions(config, "/hook/module-config", errors);
}

std::optional<MqttEndpoint> ParseEndpoint(std::string_view json, ConfigErrors& errors) {
  return ParseMqttEndpoint(boost::json::parse(json).as_object(), "/broker", errors);
}

MqttModuleOptions Options(std::string_view json) {
  ConfigErrors errors;
  auto options = Parse(json, errors);
  EXPECT_TRUE(options) << (errors.empty() ? "" : Messages(errors)[0]);
  return options.value_or(MqttModuleOptions{});
}

TEST(MqttTopicTest, AcceptsTheReferenceCharacterSet) {
  for (std::string_view topic :
       {"webhooks", "home/kitchen/light", "a.b-c_d", "sensors/1/temp", "/leading", "trailing/"}) {
    EXPECT_EQ(CheckMqttTopic(topic), "") << topic;
  }
  EXPECT_EQ(CheckMqttTopic(std::string(32768, 't')), "");
}

TEST(MqttTopicTest, RejectsWildcardsReservedAndOddTopics) {
  EXPECT_THAT(CheckMqttTopic(""), HasSubstr("empty"));
  EXPECT_THAT(CheckMqttTopic(std::string(32769, 't')), HasSubstr("at most 32768"));
  EXPECT_THAT(CheckMqttTopic("home/+/light"), HasSubstr("wildcards"));
  EXPECT_THAT(CheckMqttTopic("home/#"), HasSubstr("wildcards"));
  EXPECT_THAT(CheckMqttTopic("$SYS/broker"), HasSubstr("\"$\""));
  for (std::string_view topic : {"a b", "caf\xc3\xa9", "a\nb", "a\\b", "a*b"}) {
    EXPECT_THAT(CheckMqttTopic(topic), HasSubstr("may only contain")) << topic;
  }
  EXPECT_THAT(CheckMqttTopic("a//b"), HasSubstr("\"//\""));
  EXPECT_THAT(CheckMqttTopic("a/../b"), HasSubstr("\"..\""));
  EXPECT_THAT(CheckMqttTopic("a--b"), HasSubstr("\"--\""));
}

TEST(MqttModuleConfigTest, DefaultsAreQos1NotRetainedJson) {
  auto options = Options(R"({"topic": "webhooks/events"})");
  EXPECT_EQ(options.topic, "webhooks/events");
  EXPECT_EQ(options.qos, 1);
  EXPECT_FALSE(options.retain);
  EXPECT_EQ(options.format, MqttFormat::kJson);
  EXPECT_EQ(options.envelope, MqttEnvelope::kNone);
}

TEST(MqttModuleConfigTest, QosRetainAndPrefix) {
  auto options =
      Options(R"({"topic": "events", "topic_prefix": "home/", "qos": "2", "retained": true})");
  EXPECT_EQ(options.topic, "home/events");
  EXPECT_EQ(options.qos, 2);
  EXPECT_TRUE(options.retain);
  EXPECT_TRUE(Options(R"({"topic": "t", "retain": true})").retain);
  EXPECT_EQ(Options(R"({"topic": "t", "qos": 0, "format": "raw"})").format, MqttFormat::kRaw);
}

TEST(MqttModuleConfigTest, EveryProblemIsReportedWithItsPath) {
  ConfigErrors errors;
  EXPECT_FALSE(Parse(R"({"topic": "home/#", "qos": 3, "retained": "maybe", "format": "xml",
                         "topic_prefix": "$SYS", "device_id": "d", "colour": "red"})",
                     errors));
  EXPECT_THAT(
      Messages(errors),
      UnorderedElementsAre(HasSubstr("/hook/module-config/topic: must not contain the wildcards"),
                           HasSubstr("/hook/module-config/qos: must be between 0 and 2, got 3"),
                           HasSubstr("/hook/module-config/retained: must be true or false"),
                           HasSubstr("/hook/module-config/format: unknown format \"xml\""),
                           HasSubstr("/hook/module-config/topic_prefix: must not start with \"$\""),
                           HasSubstr("/hook/module-config/device_id: only used with"),
                           HasSubstr("/hook/module-config/colour: unknown key")));
}

TEST(MqttModuleConfigTest, TopicIsRequiredUnlessTasmota) {
  ConfigErrors errors;
  EXPECT_FALSE(Parse(R"({})", errors));
  EXPECT_FALSE(Parse(R"({"topic": 5})", errors));
  EXPECT_FALSE(Parse(R"({"topic": "a", "retain": true, "retained": false})", errors));
  auto messages = Messages(errors);
  ASSERT_EQ(messages.size(), 3u) << ::testing::PrintToString(messages);
  EXPECT_EQ(messages[0], "/hook/module-config/topic: required string is missing");
  EXPECT_THAT(messages[1], StartsWith("/hook/module-config/topic: "));
  EXPECT_THAT(messages[2], HasSubstr("/hook/module-config/retain: \"retain\" and \"retained\""));
}

TEST(MqttModuleConfigTest, TasmotaTopics) {
  EXPECT_EQ(Options(R"({"tasmota_format": true})").topic, "cmnd/webhook/webhook");
  EXPECT_EQ(
      Options(R"({"tasmota_format": true, "device_name": "plug1", "command": "POWER"})").topic,
      "cmnd/plug1/POWER");
  EXPECT_EQ(
      Options(R"({"tasmota_format": true, "tasmota_type": "stat", "device_name": "p"})").topic,
      "stat/p/status");
  EXPECT_EQ(
      Options(R"({"tasmota_format": true, "tasmota_type": "tele", "topic_prefix": "site"})").topic,
      "site/tele/webhook/telemetry");
  EXPECT_EQ(Options(R"({"tasmota_format": true})").envelope, MqttEnvelope::kTasmota);

  ConfigErrors errors;
  EXPECT_FALSE(Parse(R"({"tasmota_format": true, "tasmota_type": "cmd", "device_name": "a/b",
                         "topic": "x", "shelly_gen2_format": true})",
                     errors));
  EXPECT_FALSE(Parse(R"({"topic": "t", "device_name": "x"})", errors));
  EXPECT_THAT(Messages(errors),
              UnorderedElementsAre(
                  HasSubstr("/hook/module-config/tasmota_type: unknown Tasmota type \"cmd\""),
                  HasSubstr("/hook/module-config/device_name: must be 1 to 255"),
                  HasSubstr("/hook/module-config/topic: not used with \"tasmota_format\""),
                  HasSubstr("/hook/module-config/tasmota_format: shelly_gen2_format and "
                            "tasmota_format exclude each other"),
                  HasSubstr("/hook/module-config/device_name: only used with \"tasmota_format\"")));
}

TEST(MqttMessageBodyTest, JsonFormat) {
  auto options = Options(R"({"topic": "t"})");
  auto object = testing::MakeDelivery(R"({"a": 1, "b": [true, null, "x"]})");
  EXPECT_EQ(MqttMessageBody(options, *object), R"({"a":1,"b":[true,null,"x"]})");
  auto text = testing::MakeDelivery(R"("hello")");
  EXPECT_EQ(MqttMessageBody(options, *text), "hello");  // a string is sent as its text
  auto number = testing::MakeDelivery("42");
  EXPECT_EQ(MqttMessageBody(options, *number), "42");
  auto blob = testing::MakeDelivery("{}");
  blob->data_type = DataType::kBlob;
  blob->payload = nullptr;
  blob->body = std::string("\x00\xff raw", 6);
  EXPECT_EQ(MqttMessageBody(options, *blob), std::string("\x00\xff raw", 6));
}

TEST(MqttMessageBodyTest, RawFormatSendsTheBodyAsReceived) {
  auto options = Options(R"({"topic": "t", "format": "raw"})");
  auto delivery = testing::MakeDelivery(R"({ "a" : 1 })");
  EXPECT_EQ(MqttMessageBody(options, *delivery), R"({ "a" : 1 })");
}

TEST(MqttMessageBodyTest, ShellyGen2Envelope) {
  auto options = Options(R"({"topic": "shellies/rpc", "shelly_gen2_format": true})");
  EXPECT_EQ(options.envelope, MqttEnvelope::kShellyGen2);
  auto object = testing::MakeDelivery(R"({"on": true})");
  EXPECT_EQ(MqttMessageBody(options, *object),
            R"({"id":"webhook","source":"webhook","params":{"on":true}})");
  auto list = testing::MakeDelivery(R"([1, 2])");
  auto named = Options(R"({"topic": "t", "shelly_gen2_format": true, "device_id": "shelly-1"})");
  EXPECT_EQ(MqttMessageBody(named, *list),
            R"({"id":"shelly-1","source":"webhook","params":{"data":[1,2]}})");
}

TEST(MqttMessageBodyTest, TasmotaEnvelope) {
  auto options = Options(R"({"tasmota_format": true, "command": "POWER"})");
  auto object = testing::MakeDelivery(R"({"state": "ON"})");
  EXPECT_EQ(MqttMessageBody(options, *object), R"({"state":"ON"})");
  auto text = testing::MakeDelivery(R"("ON")");
  EXPECT_EQ(MqttMessageBody(options, *text), R"({"data":"ON"})");
}

TEST(MqttConnectionTest, DefaultsAsTheReference) {
  ConfigErrors errors;
  auto endpoint = ParseEndpoint(R"({"type": "mqtt"})", errors);
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->host, "localhost");
  EXPECT_EQ(endpoint->port, 1883);
  EXPECT_EQ(endpoint->keepalive, 60);
  EXPECT_EQ(endpoint->protocol_version, 4);  // 3.1.1
  EXPECT_FALSE(endpoint->tls);
  EXPECT_EQ(endpoint->client_id, "");  // the client makes a unique one

  auto full = ParseEndpoint(R"({"type": "mqtt", "host": "broker", "port": "1884",
                                "username": "u", "password": "p", "client_id": "gw-1",
                                "keepalive": 30, "mqtt_version": "5.0", "timeout": 2})",
                            errors);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->host, "broker");
  EXPECT_EQ(full->port, 1884);
  EXPECT_EQ(full->username, "u");
  EXPECT_EQ(full->password, "p");
  EXPECT_EQ(full->client_id, "gw-1");
  EXPECT_EQ(full->keepalive, 30);
  EXPECT_EQ(full->protocol_version, 5);
  EXPECT_EQ(full->timeout.count(), 2000);
  EXPECT_EQ(ParseEndpoint(R"({"tls": true})", errors)->port, 8883);
  EXPECT_TRUE(errors.empty()) << Messages(errors)[0];
}

TEST(MqttConnectionTest, InvalidSettingsNameTheirPath) {
  ConfigErrors errors;
  EXPECT_FALSE(ParseEndpoint(R"({"type": "mqtt", "port": 0, "keepalive": 1, "password": "p",
                                 "mqtt_version": "4", "tls_cert_file": "/c.pem", "ssl": true})",
                             errors));
  EXPECT_FALSE(ParseEndpoint(R"({"tls": true, "tls_ca_cert_file": "/nonexistent/ca.pem",
                                 "mqtt_version": "3.1", "client_id": "a-very-long-client-id-0123"})",
                             errors));
  EXPECT_THAT(
      Messages(errors),
      UnorderedElementsAre(HasSubstr("/broker/port: must be between 1 and 65535"),
                           HasSubstr("/broker/keepalive: must be between 5 and 65535"),
                           HasSubstr("/broker/password: a password needs a \"username\""),
                           HasSubstr("/broker/mqtt_version: unknown MQTT version \"4\""),
                           HasSubstr("/broker/tls_cert_file: has no effect without"),
                           HasSubstr("/broker/tls_key_file: tls_cert_file and tls_key_file"),
                           HasSubstr("/broker/ssl: unknown key"),
                           HasSubstr("/broker/tls_ca_cert_file: cannot read"),
                           HasSubstr("/broker/client_id: MQTT 3.1 allows at most 23")));
}

TEST(MqttConnectionTest, RefusalsDecideWhetherToRetry) {
  EXPECT_EQ(ClassifyMqttConnack(3, 4), OutcomeKind::kRetryable);        // server unavailable
  EXPECT_EQ(ClassifyMqttConnack(4, 4), OutcomeKind::kPermanent);        // bad user name or password
  EXPECT_EQ(ClassifyMqttConnack(5, 4), OutcomeKind::kPermanent);        // not authorised
  EXPECT_EQ(ClassifyMqttConnack(0x86, 5), OutcomeKind::kPermanent);     // bad user name or password
  EXPECT_EQ(ClassifyMqttConnack(0x89, 5), OutcomeKind::kRetryable);     // server busy
  EXPECT_EQ(ClassifyMqttPublishReason(0x87), OutcomeKind::kPermanent);  // not authorised
  EXPECT_EQ(ClassifyMqttPublishReason(0x90), OutcomeKind::kPermanent);  // topic name invalid
  EXPECT_EQ(ClassifyMqttPublishReason(0x97), OutcomeKind::kRetryable);  // quota exceeded
}

TEST(MqttClientTest, BrokerDownIsRetryableAndNamesTheAddress) {
  // A port nobody listens on: bound, then closed again.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const int port = acceptor.local_endpoint().port();
  acceptor.close();

  MqttEndpoint endpoint;
  endpoint.host = "127.0.0.1";
  endpoint.port = port;
  MqttClient client("broker", endpoint);
  EXPECT_THAT(client.client_id(), StartsWith("webhook-gateway-"));
  MqttMessage message{"t", "{}", 1, false};
  Outcome first = testing::RunAwaitable(client.Publish(message));
  EXPECT_EQ(first.kind, OutcomeKind::kRetryable);
  EXPECT_THAT(first.message,
              HasSubstr(fmt::format("mqtt \"broker\": cannot connect to 127.0.0.1:{}", port)));
  // During the backoff it fails at once, saying so.
  Outcome second = testing::RunAwaitable(client.Publish(message));
  EXPECT_EQ(second.kind, OutcomeKind::kRetryable);
  EXPECT_THAT(client.State(), StartsWith("down: cannot connect"));
}

TEST(MqttModuleTest, FactoryNeedsAnMqttConnection) {
  ConfigErrors errors;
  std::map<std::string, ConnectionConfig, std::less<>> connections = {
      {"cache", ConnectionConfig{"cache", "redis-rq", boost::json::object{{"host", "h"}}}},
      {"broker", ConnectionConfig{"broker", "mqtt", boost::json::object{{"host", "h"}}}}};
  auto registry = ConnectionRegistry::Build(connections, errors);
  ASSERT_TRUE(errors.empty());
  ModuleContext context;
  context.connections = registry.get();
  boost::json::object config{{"topic", "t"}};
  EXPECT_FALSE(CreateMqttModule(ModuleSettings{config, "/a", nullptr}, context, errors));
  EXPECT_FALSE(
      CreateMqttModule(ModuleSettings{config, "/b", &connections.at("cache")}, context, errors));
  EXPECT_TRUE(
      CreateMqttModule(ModuleSettings{config, "/c", &connections.at("broker")}, context, errors));
  EXPECT_THAT(Messages(errors),
              UnorderedElementsAre(HasSubstr("/a: mqtt needs a \"connection\" of type \"mqtt\""),
                                   HasSubstr("/b: connection \"cache\" has type \"redis-rq\"")));
  EXPECT_EQ(registry->Health().at("broker").as_string(), "not connected yet");
}

}  // namespace
}  // namespace wg
