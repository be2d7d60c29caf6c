#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/json_reader.hpp"
#include "connections/connection_registry.hpp"
#include "connections/rabbitmq/rabbitmq_client.hpp"
#include "modules/rabbitmq/rabbitmq_module.hpp"

namespace wg {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Messages(const ConfigErrors& errors) {
  std::vector<std::string> out;
  for (const auto& error : errors.errors()) out.push_back(error.path + ": " + error.message);
  return out;
}

std::optional<RabbitmqModuleOptions> Parse(std::string_view json, ConfigErrors& errors) {
  auto config = boost::json::parse(json).as_object();
  return ParseRabbitmqModuleOptions(config, "/hook/module-config", errors);
}

TEST(RabbitmqQueueNameTest, AcceptsTheReferenceCharacterSet) {
  for (std::string_view name : {"webhook_events", "webhook-events", "webhook.events",
                                "webhook:events", "a", "Orders2024", "getter", "published"}) {
    EXPECT_EQ(CheckRabbitmqQueueName(name), "") << name;
  }
  EXPECT_EQ(CheckRabbitmqQueueName(std::string(255, 'q')), "");
}

TEST(RabbitmqQueueNameTest, RejectsWhatTheReferenceRejects) {
  EXPECT_THAT(CheckRabbitmqQueueName(""), HasSubstr("empty"));
  EXPECT_THAT(CheckRabbitmqQueueName(std::string(256, 'q')), HasSubstr("at most 255"));
  for (std::string_view name : {"a b", "a/b", "a\\b", "caf\xc3\xa9", "q\n", "q*"}) {
    EXPECT_THAT(CheckRabbitmqQueueName(name), HasSubstr("may only contain")) << name;
  }
  EXPECT_THAT(CheckRabbitmqQueueName("a..b"), HasSubstr("\"..\""));
  EXPECT_THAT(CheckRabbitmqQueueName("a--b"), HasSubstr("\"--\""));
  EXPECT_THAT(CheckRabbitmqQueueName("amq.gen-1"), HasSubstr("amq."));
  EXPECT_THAT(CheckRabbitmqQueueName("AMQ.events"), HasSubstr("amq."));
  for (std::string_view name :
       {"delete", "Purge", "publish.events", "get_all", "ack-queue", "amqdefault"}) {
    EXPECT_THAT(CheckRabbitmqQueueName(name), HasSubstr("AMQP word")) << name;
  }
}

TEST(RabbitmqModuleConfigTest, DefaultsPublishToTheDefaultExchangeWithTheQueueAsKey) {
  ConfigErrors errors;
  auto options = Parse(R"({"queue_name": "webhooks"})", errors);
  ASSERT_TRUE(options) << Messages(errors)[0];
  EXPECT_EQ(options->queue_name, "webhooks");
  EXPECT_EQ(options->exchange, "");
  EXPECT_EQ(options->routing_key, "webhooks");
  EXPECT_TRUE(options->declare_queue);
  EXPECT_FALSE(options->mandatory);
}

TEST(RabbitmqModuleConfigTest, ExchangeDoesNotDeclareTheQueueUnlessAsked) {
  ConfigErrors errors;
  auto options = Parse(R"({"queue_name": "q1", "exchange": "events", "routing_key": "order.*",
                           "mandatory": "true"})",
                       errors);
  ASSERT_TRUE(options);
  EXPECT_EQ(options->exchange, "events");
  EXPECT_EQ(options->routing_key, "order.*");
  EXPECT_FALSE(options->declare_queue);
  EXPECT_TRUE(options->mandatory);

  auto declared =
      Parse(R"({"queue_name": "q1", "exchange": "events", "declare_queue": true})", errors);
  ASSERT_TRUE(declared);
  EXPECT_TRUE(declared->declare_queue);
  EXPECT_EQ(declared->routing_key, "q1");

  auto no_queue = Parse(R"({"exchange": "amq.topic", "routing_key": "orders.created"})", errors);
  ASSERT_TRUE(no_queue);
  EXPECT_EQ(no_queue->queue_name, "");
  EXPECT_TRUE(errors.empty());
}

TEST(RabbitmqModuleConfigTest, EveryProblemIsReportedWithItsPath) {
  ConfigErrors errors;
  EXPECT_FALSE(Parse(R"({"queue_name": "amq.x", "exchange": "bad exchange", "mandatory": 3,
                         "routing_key": "a\u0001", "durable": true})",
                     errors));
  EXPECT_THAT(Messages(errors),
              UnorderedElementsAre(
                  HasSubstr("/hook/module-config/queue_name: must not start with \"amq.\""),
                  HasSubstr("/hook/module-config/exchange: must be 1 to 255"),
                  HasSubstr("/hook/module-config/mandatory: must be true or false"),
                  HasSubstr("/hook/module-config/routing_key: must be at most 255 bytes"),
                  HasSubstr("/hook/module-config/durable: unknown key")));
}

TEST(RabbitmqModuleConfigTest, QueueNameIsRequiredWithoutAnExchangeAndKey) {
  ConfigErrors errors;
  EXPECT_FALSE(Parse(R"({})", errors));
  EXPECT_FALSE(Parse(R"({"exchange": "events"})", errors));
  EXPECT_FALSE(
      Parse(R"({"exchange": "events", "routing_key": "k", "declare_queue": true})", errors));
  EXPECT_FALSE(Parse(R"({"queue_name": 5})", errors));
  auto messages = Messages(errors);
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_THAT(messages[0], HasSubstr("/hook/module-config/queue_name: required string is missing"));
  EXPECT_THAT(messages[2], HasSubstr("declare_queue is true"));
}

TEST(RabbitmqModuleConfigTest, DefaultExchangeRoutesOnlyByQueueName) {
  ConfigErrors errors;
  EXPECT_FALSE(Parse(R"({"queue_name": "q1", "routing_key": "q2"})", errors));
  EXPECT_THAT(Messages(errors), UnorderedElementsAre(HasSubstr("/hook/module-config/routing_key")));
}

TEST(RabbitmqConnectionTest, DefaultsAndThePythonProjectsPassKey) {
  ConfigErrors errors;
  auto endpoint = ParseRabbitmqEndpoint(
      boost::json::parse(R"({"type": "rabbitmq", "host": "mq", "pass": "s3cret"})").as_object(),
      "/mq", errors);
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->host, "mq");
  EXPECT_EQ(endpoint->port, 5672);
  EXPECT_EQ(endpoint->user, "guest");
  EXPECT_EQ(endpoint->password, "s3cret");
  EXPECT_EQ(endpoint->vhost, "/");

  auto with_password = ParseRabbitmqEndpoint(
      boost::json::parse(R"({"type": "rabbitmq", "host": "mq", "port": "5673", "user": "u",
                             "password": "p", "vhost": "prod"})")
          .as_object(),
      "/mq", errors);
  ASSERT_TRUE(with_password);
  EXPECT_EQ(with_password->port, 5673);
  EXPECT_EQ(with_password->user, "u");
  EXPECT_EQ(with_password->password, "p");
  EXPECT_EQ(with_password->vhost, "prod");
  EXPECT_TRUE(errors.empty());
}

TEST(RabbitmqConnectionTest, InvalidSettingsNameTheirPath) {
  ConfigErrors errors;
  EXPECT_FALSE(ParseRabbitmqEndpoint(
      boost::json::parse(R"({"type": "rabbitmq", "port": 70000, "pass": "a", "password": "b",
                             "ssl": true})")
          .as_object(),
      "/mq", errors));
  EXPECT_THAT(Messages(errors),
              UnorderedElementsAre(HasSubstr("/mq/host: required string is missing"),
                                   HasSubstr("/mq/port: must be between"),
                                   HasSubstr("/mq/password: give either \"pass\" or \"password\""),
                                   HasSubstr("/mq/ssl: unknown key")));
}

TEST(RabbitmqConnectionTest, BrokerReplyCodesDecideWhetherToRetry) {
  EXPECT_EQ(ClassifyAmqpReplyCode(403), OutcomeKind::kPermanent);  // ACCESS_REFUSED
  EXPECT_EQ(ClassifyAmqpReplyCode(404), OutcomeKind::kPermanent);  // NOT_FOUND
  EXPECT_EQ(ClassifyAmqpReplyCode(406), OutcomeKind::kPermanent);  // PRECONDITION_FAILED
  EXPECT_EQ(ClassifyAmqpReplyCode(530), OutcomeKind::kPermanent);  // NOT_ALLOWED (vhost)
  EXPECT_EQ(ClassifyAmqpReplyCode(320), OutcomeKind::kRetryable);  // CONNECTION_FORCED
  EXPECT_EQ(ClassifyAmqpReplyCode(541), OutcomeKind::kRetryable);  // INTERNAL_ERROR
}

TEST(RabbitmqModuleTest, FactoryNeedsARabbitmqConnection) {
  ConfigErrors errors;
  std::map<std::string, ConnectionConfig, std::less<>> connections = {
      {"cache", ConnectionConfig{"cache", "redis-rq", boost::json::object{{"host", "h"}}}},
      {"mq", ConnectionConfig{"mq", "rabbitmq", boost::json::object{{"host", "h"}}}}};
  auto registry = ConnectionRegistry::Build(connections, errors);
  ASSERT_TRUE(errors.empty());
  ModuleContext context;
  context.connections = registry.get();
  boost::json::object config{{"queue_name", "q"}};
  EXPECT_FALSE(CreateRabbitmqModule(ModuleSettings{config, "/a", nullptr}, context, errors));
  EXPECT_FALSE(CreateRabbitmqModule(ModuleSettings{config, "/b", &connections.at("cache")}, context,
                                    errors));
  EXPECT_TRUE(
      CreateRabbitmqModule(ModuleSettings{config, "/c", &connections.at("mq")}, context, errors));
  EXPECT_THAT(
      Messages(errors),
      UnorderedElementsAre(HasSubstr("/a: rabbitmq needs a \"connection\" of type \"rabbitmq\""),
                           HasSubstr("/b: connection \"cache\" has type \"redis-rq\"")));
  EXPECT_EQ(registry->Health().at("mq").as_string(), "not connected yet");
}

}  // namespace
}  // namespace wg
