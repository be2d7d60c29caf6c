#include "config/config_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>

#include "test_support.hpp"

namespace wg {
namespace {
using ::testing::HasSubstr;

class ConfigLoaderTest : public ::testing::Test {
 protected:
  LoadResult Load(std::optional<std::string> webhooks,
                  std::optional<std::string> connections = std::nullopt,
                  std::map<std::string, std::string> env = {}) {
    return LoadConfigFromText(webhooks, connections, testing::FakeEnvironment(env), context_);
  }

  std::vector<std::string> Messages(const LoadResult& result) {
    std::vector<std::string> out;
    for (const auto& error : result.errors) out.push_back(ConfigErrors::Format(error));
    return out;
  }

  boost::asio::thread_pool pool_{1};
  ModuleContext context_{&pool_, nullptr, "/tmp"};
};

TEST_F(ConfigLoaderTest, LoadsModuleAndChainWebhooks) {
  auto result = Load(R"({
    "single": {"module": "log", "authorization": "Bearer t"},
    "chained": {"chain": ["log", {"module": "save_to_disk", "module-config": {"base_dir": "/tmp/wg-test"},
                                  "retry": {"enabled": true, "max_attempts": 4}}],
                "chain-config": {"execution": "parallel", "continue_on_error": false,
                                 "timeout": 5, "success": "any"}}
  })");
  ASSERT_TRUE(result.config) << ::testing::PrintToString(Messages(result));
  auto single = result.config->Find("single");
  ASSERT_TRUE(single);
  EXPECT_EQ(single->chain.items.size(), 1u);
  EXPECT_EQ(single->validators.size(), 1u) << "authorization";
  auto chained = result.config->Find("chained");
  ASSERT_EQ(chained->chain.items.size(), 2u);
  EXPECT_EQ(chained->chain.items[1].module_name, "save_to_disk");
  EXPECT_EQ(chained->chain.items[1].retry.Attempts(), 4);
  EXPECT_EQ(chained->chain.settings.execution, Execution::kParallel);
  EXPECT_FALSE(chained->chain.settings.continue_on_error);
  EXPECT_EQ(chained->chain.settings.timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(chained->chain.settings.success, SuccessPolicy::kAny);
}

TEST_F(ConfigLoaderTest, ChainDefaults) {
  auto result = Load(R"({"c": {"chain": ["log"]}})");
  ASSERT_TRUE(result.config);
  const auto& settings = result.config->Find("c")->chain.settings;
  EXPECT_EQ(settings.execution, Execution::kSequential);
  EXPECT_TRUE(settings.continue_on_error);
  EXPECT_EQ(settings.timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(settings.success, SuccessPolicy::kAll);
}

TEST_F(ConfigLoaderTest, AcknowledgeDefaultsToPersisted) {
  auto result = Load(R"({"a": {"module": "log"},
                         "b": {"module": "log", "acknowledge": "received"},
                         "c": {"module": "log", "acknowledge": "delivered"}})");
  ASSERT_TRUE(result.config) << ::testing::PrintToString(Messages(result));
  EXPECT_EQ(result.config->Find("a")->acknowledge, Acknowledge::kPersisted);
  EXPECT_EQ(result.config->Find("b")->acknowledge, Acknowledge::kReceived);
  EXPECT_EQ(result.config->Find("c")->acknowledge, Acknowledge::kDelivered);

  auto bad = Load(R"({"a": {"module": "log", "acknowledge": "eventually"}})");
  EXPECT_FALSE(bad.config);
  EXPECT_THAT(Messages(bad), ::testing::ElementsAre(HasSubstr(
      "/a/acknowledge: must be one of persisted, received, delivered; got \"eventually\"")));
}

TEST_F(ConfigLoaderTest, ChainBeatsModule) {
  auto result = Load(R"({"c": {"module": "save_to_disk", "chain": ["log"]}})");
  ASSERT_TRUE(result.config);
  ASSERT_EQ(result.config->Find("c")->chain.items.size(), 1u);
  EXPECT_EQ(result.config->Find("c")->chain.items[0].module_name, "log");
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0].path, "/c/module");
}

TEST_F(ConfigLoaderTest, DefaultFallbackAndSynthesisedDefault) {
  auto result = Load(std::nullopt);
  ASSERT_TRUE(result.config);
  EXPECT_TRUE(result.config->default_webhook_synthesised);
  EXPECT_TRUE(result.config->Find("anything"));

  auto explicit_only = Load(R"({"a": {"module": "log"}})");
  EXPECT_FALSE(explicit_only.config->Find("b"));
}

TEST_F(ConfigLoaderTest, ReportsEveryErrorWithItsPath) {
  auto result = Load(R"({
    "orders": {"chain": [{"module": "reddis"}, {"module": "log", "colour": "red"}],
               "chain-config": {"execution": "sideways"}},
    "billing": {"module": "log", "authorization": "{$BILLING_TOKEN}"},
    "archive": {"module": "save_to_disk", "connection": "nope"}
  })");
  EXPECT_FALSE(result.config);
  auto messages = Messages(result);
  ASSERT_EQ(messages.size(), 5u) << ::testing::PrintToString(messages);
  EXPECT_THAT(
      messages,
      ::testing::UnorderedElementsAre(
          HasSubstr("webhooks.json: /orders/chain/0/module: unknown module \"reddis\" (known: "
                    "activemq, aws_sqs, clickhouse, discard, http_webhook, kafka, log, mariadb, "
                    "mqtt, mysql, "),
          HasSubstr("webhooks.json: /orders/chain/1/colour: unknown key in chain item"),
          HasSubstr("webhooks.json: /orders/chain-config/execution: must be \"sequential\" or "
                    "\"parallel\", got \"sideways\""),
          HasSubstr("webhooks.json: /billing/authorization: environment variable BILLING_TOKEN is "
                    "not set"),
          HasSubstr("webhooks.json: /archive/connection: unknown connection \"nope\"")));
}

TEST_F(ConfigLoaderTest, ChainLengthLimits) {
  auto empty = Load(R"({"c": {"chain": []}})");
  ASSERT_EQ(empty.errors.size(), 1u);
  EXPECT_EQ(empty.errors[0].message, "Chain must contain at least 1 module");

  std::string items;
  for (int i = 0; i < 21; ++i) items += i ? ",\"log\"" : "\"log\"";
  auto long_chain = Load(R"({"c": {"chain": [)" + items + "]}}");
  ASSERT_EQ(long_chain.errors.size(), 1u);
  EXPECT_EQ(long_chain.errors[0].message, "Chain length 21 exceeds security limit 20");
}

TEST_F(ConfigLoaderTest, TypeErrorsAreReported) {
  auto result = Load(R"({
    "a": {"module": "log", "data_type": "xml"},
    "b": {"chain": "log"},
    "c": {"chain": [42]},
    "d": {"module": "log", "retry": {"enabled": "yes", "max_attempts": 0}},
    "e": "not an object",
    "f": {"chain": ["log"], "chain-config": {"timeout": -1, "success": "most"}}
  })");
  auto messages = Messages(result);
  EXPECT_THAT(messages, ::testing::IsSupersetOf({
      HasSubstr("/a/data_type: must be one of json, blob, form, text; got \"xml\""),
      HasSubstr("/b/chain: must be an array of chain items, got a string"),
      HasSubstr("/c/chain/0: chain item must be a module name or an object, got a number"),
      HasSubstr("/d/retry/enabled: must be true or false"),
      HasSubstr("/d/retry/max_attempts: must be between 1 and 20, got 0"),
      HasSubstr("/e: webhook definition must be an object, got a string"),
      HasSubstr("/f/chain-config/timeout: must be between"),
      HasSubstr("/f/chain-config/success: must be \"all\" or \"any\""),
  }));
}

TEST_F(ConfigLoaderTest, MissingModuleAndNotYetSupportedFeatures) {
  auto result = Load(R"({
    "a": {"data_type": "json"},
    "b": {"module": "gcp_pubsub"},
    "c": {"module": "log", "recaptcha": {"secret_key": ""}}
  })");
  auto messages = Messages(result);
  EXPECT_THAT(messages,
              ::testing::UnorderedElementsAre(
                  HasSubstr("/a: needs \"module\" or \"chain\""),
                  HasSubstr("/b/module: module \"gcp_pubsub\" is not available in this build yet"),
                  HasSubstr("/c/recaptcha/secret_key: reCAPTCHA secret key not configured (empty "
                            "secret_key)")));
}

TEST_F(ConfigLoaderTest, SyntaxErrorsGiveLineAndColumn) {
  auto result = Load("{\n  \"a\": {\"module\": \"log\",}\n}");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(ConfigErrors::Format(result.errors[0]),
              HasSubstr("webhooks.json: /: invalid JSON at line 2, column"));
}

TEST_F(ConfigLoaderTest, ConnectionsAreValidatedAndUsable) {
  auto result = Load(R"({"a": {"module": "log", "connection": "main"}})",
                     R"({"main": {"type": "redis-rq", "host": "127.0.0.1"}, "broken": {"host": "x"}})");
  auto messages = Messages(result);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "connections.json: /broken/type: required string \"type\" is missing");
}

TEST_F(ConfigLoaderTest, ModuleConfigErrorsHavePaths) {
  auto result = Load(R"({
    "a": {"module": "save_to_disk", "module-config": {"base_dir": "/etc"}},
    "b": {"module": "save_to_disk", "module-config": {"path": "../escape"}},
    "c": {"chain": [{"module": "http_webhook", "module-config": {"url": "http://127.0.0.1:9/x"}}]},
    "d": {"module": "http_webhook", "module-config": {"url": "ftp://example.com/"}},
    "e": {"module": "log", "module-config": {"pretty_print": "sometimes"}}
  })");
  auto messages = Messages(result);
  EXPECT_THAT(messages, ::testing::UnorderedElementsAre(
      HasSubstr("/a/module-config/base_dir: \"/etc\" is inside the system directory /etc"),
      HasSubstr("/b/module-config/path: must not contain \"..\""),
      HasSubstr("/c/chain/0/module-config/url: refused destination \"127.0.0.1\": loopback"),
      HasSubstr("/d/module-config/url: scheme \"ftp\" is not allowed"),
      HasSubstr("/e/module-config/pretty_print: must be true or false")));
}

TEST_F(ConfigLoaderTest, SubstitutedNumbersAndBooleansAreAccepted) {
  auto result = Load(R"({"a": {"module": "log", "retry": {"enabled": "{$RETRY:true}",
                                                          "max_attempts": "{$ATTEMPTS}"}}})",
                     std::nullopt, {{"ATTEMPTS", "7"}});
  ASSERT_TRUE(result.config) << ::testing::PrintToString(Messages(result));
  EXPECT_EQ(result.config->Find("a")->chain.items[0].retry.Attempts(), 7);
}

TEST_F(ConfigLoaderTest, UnreachableIdsAreWarnedAbout) {
  auto result = Load(R"({"stats": {"module": "log"}})");
  ASSERT_TRUE(result.config);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_THAT(result.warnings[0].message, HasSubstr("can never be called"));
}

// From etcd, webhooks of other namespaces are kept as "<ns>/<id>" and answer only there; the
// file backend ignores the namespace, as the Python project does.
TEST(GatewayConfigTest, FindUsesTheNamespaceOnlyForAConfigFromEtcd) {
  GatewayConfig config;
  auto plain = std::make_shared<WebhookDefinition>();
  auto tenant = std::make_shared<WebhookDefinition>();
  config.webhooks["orders"] = plain;
  config.webhooks["tenant1/orders"] = tenant;
  EXPECT_EQ(config.Find("orders", "tenant1"), plain) << "file backend: namespace ignored";

  config.namespaced = true;
  config.default_namespace = "default";
  EXPECT_EQ(config.Find("orders"), plain);
  EXPECT_EQ(config.Find("orders", "default"), plain);
  EXPECT_EQ(config.Find("orders", "tenant1"), tenant);
  EXPECT_EQ(config.Find("orders", "tenant2"), nullptr);
  config.webhooks["default"] = plain;
  EXPECT_EQ(config.Find("missing", "tenant1"), nullptr) << "no catch-all across namespaces";
}

}  // namespace
}  // namespace wg
