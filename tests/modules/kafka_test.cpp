#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "config/json_reader.hpp"
#include "connections/connection_registry.hpp"
#include "connections/kafka/kafka_client.hpp"
#include "modules/kafka/kafka_module.hpp"
#include "test_support.hpp"

namespace wg {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Messages(const ConfigErrors& errors) {
  std::vector<std::string> out;
  for (const auto& error : errors.errors()) out.push_back(error.path + ": " + error.message);
  return out;
}

std::optional<KafkaModuleOptions> Parse(std::string_view json, ConfigErrors& errors) {
  auto config = boost::json::parse(json).as_object();
  return ParseKafkaModuleOptions(config, "/hook/module-config", errors);
}

KafkaModuleOptions Options(std::string_view json) {
  ConfigErrors errors;
  auto options = Parse(json, errors);
  EXPECT_TRUE(options) << (errors.empty() ? "" : Messages(errors)[0]);
  return options.value_or(KafkaModuleOptions{});
}

std::optional<KafkaEndpoint> ParseEndpoint(std::string_view json, ConfigErrors& errors) {
  return ParseKafkaEndpoint(boost::json::parse(json).as_object(), "/events", errors);
}

TEST(KafkaTopicTest, AcceptsKafkasCharacterSet) {
  for (std::string_view topic : {"webhooks", "orders.v1", "a-b_c.d", "x", "Topic-9"}) {
    EXPECT_EQ(CheckKafkaTopic(topic), "") << topic;
  }
  EXPECT_EQ(CheckKafkaTopic(std::string(249, 't')), "");
}

TEST(KafkaTopicTest, RejectsWhatKafkaRejects) {
  EXPECT_THAT(CheckKafkaTopic(""), HasSubstr("empty"));
  EXPECT_THAT(CheckKafkaTopic(std::string(250, 't')), HasSubstr("at most 249"));
  for (std::string_view topic : {"a b", "a/b", "caf\xc3\xa9", "a:b", "a*b"}) {
    EXPECT_THAT(CheckKafkaTopic(topic), HasSubstr("may only contain")) << topic;
  }
  EXPECT_THAT(CheckKafkaTopic("."), HasSubstr("\".\""));
  EXPECT_THAT(CheckKafkaTopic(".."), HasSubstr("\"..\""));
  EXPECT_THAT(CheckKafkaTopic("__consumer_offsets"), HasSubstr("internal"));
}

TEST(KafkaModuleConfigTest, DefaultsAndKeys) {
  auto options = Options(R"({"topic": "webhooks"})");
  EXPECT_EQ(options.topic, "webhooks");
  EXPECT_FALSE(options.key);
  EXPECT_FALSE(options.key_pointer);
  EXPECT_EQ(options.partition, -1);
  EXPECT_FALSE(options.forward_headers);

  options =
      Options(R"({"topic": "t", "key": "static", "partition": "2", "forward_headers": true})");
  EXPECT_EQ(options.key, "static");
  EXPECT_EQ(options.partition, 2);
  EXPECT_TRUE(options.forward_headers);
  EXPECT_EQ(Options(R"({"topic": "t", "key_pointer": "/order/id"})").key_pointer, "/order/id");
}

TEST(KafkaModuleConfigTest, EveryErrorHasItsPath) {
  ConfigErrors errors;
  EXPECT_FALSE(Parse(R"({"topic": "a b", "key": "k", "key_pointer": "order", "partition": -1,
                         "forward_headers": "maybe", "acks": 1})",
                     errors));
  auto messages = Messages(errors);
  EXPECT_THAT(messages, Contains(HasSubstr("/hook/module-config/topic: may only contain")));
  EXPECT_THAT(messages, Contains(HasSubstr("/hook/module-config/key_pointer: \"key\"")));
  EXPECT_THAT(messages, Contains(HasSubstr("/hook/module-config/key_pointer: must be a JSON "
                                           "pointer")));
  EXPECT_THAT(messages, Contains(HasSubstr("/hook/module-config/partition")));
  EXPECT_THAT(messages, Contains(HasSubstr("/hook/module-config/forward_headers")));
  EXPECT_THAT(messages, Contains(HasSubstr("/hook/module-config/acks")));

  ConfigErrors missing;
  EXPECT_FALSE(Parse(R"({"key": "k"})", missing));
  EXPECT_THAT(Messages(missing), Contains(HasSubstr("/hook/module-config/topic: required")));
}

TEST(KafkaModuleConfigTest, JsonPointerSyntax) {
  EXPECT_EQ(CheckJsonPointer("/order/id"), "");
  EXPECT_EQ(CheckJsonPointer("/a~1b/~0c/0"), "");
  EXPECT_THAT(CheckJsonPointer(""), HasSubstr("starting with"));
  EXPECT_THAT(CheckJsonPointer("order/id"), HasSubstr("starting with"));
  EXPECT_THAT(CheckJsonPointer("/a~2"), HasSubstr("\"~\""));
  EXPECT_THAT(CheckJsonPointer("/a~"), HasSubstr("\"~\""));
}

TEST(KafkaMessageKeyTest, StaticKeyPointerAndNone) {
  auto delivery = testing::MakeDelivery(
      R"({"order": {"id": "A-17", "n": 42, "tags": ["x"], "a/b": true}, "none": null})");
  std::optional<std::string> key;
  std::string error;

  EXPECT_TRUE(KafkaMessageKey(Options(R"({"topic": "t"})"), *delivery, key, error));
  EXPECT_FALSE(key);
  EXPECT_TRUE(KafkaMessageKey(Options(R"({"topic": "t", "key": "k1"})"), *delivery, key, error));
  EXPECT_EQ(key, "k1");

  auto pointer = [&](std::string_view p) {
    KafkaModuleOptions options;
    options.topic = "t";
    options.key_pointer = std::string(p);
    key.reset();
    error.clear();
    return KafkaMessageKey(options, *delivery, key, error);
  };
  EXPECT_TRUE(pointer("/order/id"));
  EXPECT_EQ(key, "A-17");  // a string as its text, not quoted
  EXPECT_TRUE(pointer("/order/n"));
  EXPECT_EQ(key, "42");
  EXPECT_TRUE(pointer("/order/tags"));
  EXPECT_EQ(key, R"(["x"])");
  EXPECT_TRUE(pointer("/order/tags/0"));
  EXPECT_EQ(key, "x");
  EXPECT_TRUE(pointer("/order/a~1b"));
  EXPECT_EQ(key, "true");

  EXPECT_FALSE(pointer("/order/missing"));
  EXPECT_EQ(error, "key_pointer \"/order/missing\": the payload has no value there");
  EXPECT_FALSE(pointer("/none"));
  EXPECT_FALSE(pointer("/order/tags/5"));

  auto blob = testing::MakeDelivery();
  blob->data_type = DataType::kBlob;
  blob->payload = nullptr;
  KafkaModuleOptions options;
  options.key_pointer = "/id";
  EXPECT_FALSE(KafkaMessageKey(options, *blob, key, error));
  EXPECT_THAT(error, HasSubstr("blob"));
}

TEST(KafkaMessageValueTest, JsonTextAndBlob) {
  auto delivery = testing::MakeDelivery(R"({ "a" : [1, "two"] })");
  EXPECT_EQ(KafkaMessageValue(*delivery), R"({"a":[1,"two"]})");
  delivery->payload = "plain words";
  EXPECT_EQ(KafkaMessageValue(*delivery), "plain words");
  delivery->data_type = DataType::kBlob;
  delivery->body = std::string("\x00\xff", 2);
  EXPECT_EQ(KafkaMessageValue(*delivery), std::string("\x00\xff", 2));
}

TEST(KafkaEndpointTest, DefaultsAndIdempotentProducer) {
  ConfigErrors errors;
  auto endpoint = ParseEndpoint(R"({"type": "kafka"})", errors);
  ASSERT_TRUE(endpoint) << Messages(errors)[0];
  EXPECT_EQ(endpoint->bootstrap_servers, "localhost:9092");
  EXPECT_THAT(endpoint->properties, Contains(Pair("enable.idempotence", "true")));
  EXPECT_THAT(endpoint->properties, Contains(Pair("acks", "all")));
  EXPECT_THAT(endpoint->properties, Contains(Pair("message.timeout.ms", "10000")));

  endpoint = ParseEndpoint(R"({"bootstrap_servers": "k1:9092, k2:9093", "timeout": "2.5",
                               "security_protocol": "sasl_plaintext", "sasl_mechanism": "PLAIN",
                               "sasl_username": "u", "sasl_password": "p"})",
                           errors);
  ASSERT_TRUE(endpoint) << Messages(errors)[0];
  EXPECT_THAT(endpoint->properties, Contains(Pair("message.timeout.ms", "2500")));
  EXPECT_THAT(endpoint->properties, Contains(Pair("security.protocol", "sasl_plaintext")));
  EXPECT_THAT(endpoint->properties, Contains(Pair("sasl.username", "u")));
}

TEST(KafkaEndpointTest, ErrorsHaveTheirPaths) {
  ConfigErrors errors;
  EXPECT_FALSE(ParseEndpoint(R"({"bootstrap_servers": "k1:9092,nohost", "timeout": 0,
                                 "security_protocol": "carrier_pigeon", "sasl_username": "u",
                                 "servers": "x"})",
                             errors));
  auto messages = Messages(errors);
  EXPECT_THAT(messages, Contains(HasSubstr("/events/bootstrap_servers: \"nohost\" is not "
                                           "host:port")));
  EXPECT_THAT(messages, Contains(HasSubstr("/events/timeout")));
  EXPECT_THAT(messages, Contains(HasSubstr("/events/security_protocol: refused by librdkafka")));
  EXPECT_THAT(messages, Contains(HasSubstr("/events/sasl_password")));
  EXPECT_THAT(messages, Contains(HasSubstr("/events/servers")));
  ConfigErrors port;
  EXPECT_FALSE(ParseEndpoint(R"({"bootstrap_servers": "k1:99999"})", port));
  EXPECT_THAT(Messages(port), Contains(HasSubstr("bad port")));
}

TEST(KafkaErrorTest, Classification) {
  for (auto code : {RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT,
                    RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__QUEUE_FULL,
                    RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR__FATAL}) {
    EXPECT_EQ(ClassifyKafkaError(code), OutcomeKind::kRetryable) << rd_kafka_err2name(code);
  }
  for (auto code :
       {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC,
        RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
        RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR__AUTHENTICATION}) {
    EXPECT_EQ(ClassifyKafkaError(code), OutcomeKind::kPermanent) << rd_kafka_err2name(code);
  }
}

TEST(KafkaClientTest, UnreachableBrokerIsRetryableAfterTheTimeout) {
  ConfigErrors errors;
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto endpoint = ParseEndpoint(R"({"bootstrap_servers": "127.0.0.1:1", "timeout": 0.5})", errors);
  ASSERT_TRUE(endpoint);
  KafkaClient client("events", *endpoint);
  KafkaMessage message;
  message.topic = "webhooks";
  message.value = "{}";
  Outcome outcome = testing::RunAwaitable(client.Produce(message));
  EXPECT_EQ(outcome.kind, OutcomeKind::kRetryable);
  EXPECT_THAT(outcome.message,
              HasSubstr("kafka \"events\": delivery to topic \"webhooks\" failed: Local: "
                        "Message timed out"));
}

TEST(KafkaModuleTest, FactoryNeedsAKafkaConnection) {
  ConfigErrors errors;
  std::map<std::string, ConnectionConfig, std::less<>> connections = {
      {"cache", ConnectionConfig{"cache", "redis-rq", boost::json::object{{"host", "h"}}}},
      {"events",
       ConnectionConfig{"events", "kafka", boost::json::object{{"bootstrap_servers", "h:9092"}}}}};
  auto registry = ConnectionRegistry::Build(connections, errors);
  ASSERT_TRUE(errors.empty());
  ModuleContext context;
  context.connections = registry.get();
  boost::json::object config{{"topic", "t"}};
  EXPECT_FALSE(CreateKafkaModule(ModuleSettings{config, "/a", nullptr}, context, errors));
  EXPECT_FALSE(
      CreateKafkaModule(ModuleSettings{config, "/b", &connections.at("cache")}, context, errors));
  EXPECT_TRUE(
      CreateKafkaModule(ModuleSettings{config, "/c", &connections.at("events")}, context, errors));
  EXPECT_THAT(Messages(errors),
              UnorderedElementsAre(HasSubstr("/a: kafka needs a \"connection\" of type \"kafka\""),
                                   HasSubstr("/b: connection \"cache\" has type \"redis-rq\"")));
  EXPECT_EQ(registry->Health().at("events").as_string(), "not connected yet");
}

}  // namespace
}  // namespace wg
