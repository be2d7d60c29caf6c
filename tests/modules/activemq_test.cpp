#include <gtest/gtest.h>

#include "config/json_reader.hpp"
#include "connections/stomp/stomp_client.hpp"
#include "modules/activemq/activemq_module.hpp"

namespace wg {
namespace {

std::optional<ActivemqModuleOptions> Parse(std::string_view text, ConfigErrors& errors) {
  return ParseActivemqModuleOptions(boost::json::parse(text).as_object(), "/hook/module-config",
                                    errors);
}

TEST(ActivemqModuleTest, QueueByDefaultTopicWhenAsked) {
  ConfigErrors errors("webhooks.json");
  auto queue = Parse(R"({"destination": "orders.created"})", errors);
  ASSERT_TRUE(queue) << errors.errors()[0].message;
  EXPECT_EQ(queue->destination, "/queue/orders.created");
  EXPECT_TRUE(queue->persistent);
  auto topic = Parse(R"({"destination": "events", "destination_type": "topic",
                         "persistent": false})",
                     errors);
  ASSERT_TRUE(topic);
  EXPECT_EQ(topic->destination, "/topic/events");
  EXPECT_FALSE(topic->persistent);
}

TEST(ActivemqModuleTest, EveryProblemIsReportedWithItsPath) {
  ConfigErrors errors("webhooks.json");
  EXPECT_FALSE(Parse(R"({"destination": "a/b", "destination_type": "fanout", "ttl": 5})", errors));
  ASSERT_EQ(errors.size(), 3u);
  std::vector<std::string> paths;
  for (const auto& error : errors.errors()) paths.push_back(error.path);
  EXPECT_EQ(paths,
            (std::vector<std::string>{"/hook/module-config/ttl", "/hook/module-config/destination",
                                      "/hook/module-config/destination_type"}));

  ConfigErrors missing("webhooks.json");
  EXPECT_FALSE(Parse("{}", missing));
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing.errors()[0].path, "/hook/module-config/destination");
}

TEST(ActivemqModuleTest, DestinationRulesOfThePythonProject) {
  EXPECT_EQ(CheckActivemqDestination("orders-v2.created:eu"), "");
  EXPECT_NE(CheckActivemqDestination(""), "");
  EXPECT_NE(CheckActivemqDestination(std::string(256, 'a')), "");
  EXPECT_NE(CheckActivemqDestination("a..b"), "");
  EXPECT_NE(CheckActivemqDestination("a--b"), "");
  EXPECT_NE(CheckActivemqDestination("a\\b"), "");
  EXPECT_NE(CheckActivemqDestination("ActiveMQ.Advisory"), "");
  EXPECT_NE(CheckActivemqDestination("virtualtopic.orders"), "");
}

TEST(ActivemqModuleTest, HeadersABrokerWouldActOnStayBehind) {
  for (auto name : {"x-github-event", "user-agent", "x-request-id", "stripe-signature"}) {
    EXPECT_TRUE(ForwardableStompHeader(name)) << name;
  }
  for (auto name :
       {"destination", "receipt", "persistent", "expires", "priority", "reply-to", "content-length",
        "x-message-ttl", "x-max-length", "x-queue-type", "x-dead-letter-exchange",
        "amqp-message-id", "jmsxgroupid", "webhook-delivery-id", ""}) {
    EXPECT_FALSE(ForwardableStompHeader(name)) << name;
  }
}

TEST(ActivemqModuleTest, ConnectionSettings) {
  ConfigErrors errors("connections.json");
  auto endpoint = ParseStompEndpoint(
      boost::json::parse(R"({"type": "activemq", "host": "mq", "port": 61614, "user": "u",
                             "password": "p", "virtual_host": "/prod"})")
          .as_object(),
      "/broker", errors);
  ASSERT_TRUE(endpoint);
  EXPECT_EQ(endpoint->host, "mq");
  EXPECT_EQ(endpoint->port, 61614);
  EXPECT_EQ(endpoint->virtual_host, "/prod");

  auto defaults = ParseStompEndpoint(boost::json::parse(R"({"type": "activemq"})").as_object(),
                                     "/broker", errors);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->host, "localhost");
  EXPECT_EQ(defaults->port, 61613);

  EXPECT_FALSE(ParseStompEndpoint(
      boost::json::parse(R"({"type": "activemq", "port": 70000, "vhost": "/"})").as_object(),
      "/broker", errors));
  EXPECT_EQ(errors.size(), 2u);
}

}  // namespace
}  // namespace wg
