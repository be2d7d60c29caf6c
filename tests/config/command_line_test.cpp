#include "config/command_line.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wg {
namespace {

TEST(CommandLineTest, FlagsWin) {
  auto result = ParseCommandLine(
      {"--webhooks", "w.json", "--connections=c.json", "--listen", "127.0.0.1:9000", "--threads",
       "3", "--check-config", "--max-in-flight", "7"},
      testing::FakeEnvironment({{"WEBHOOKS_CONFIG_FILE", "env.json"}}));
  ASSERT_TRUE(result.errors.empty());
  EXPECT_EQ(result.options.sources.webhooks_path, "w.json");
  EXPECT_TRUE(result.options.sources.webhooks_path_explicit);
  EXPECT_EQ(result.options.sources.connections_path, "c.json");
  EXPECT_EQ(result.options.listen_address, "127.0.0.1");
  EXPECT_EQ(result.options.listen_port, 9000);
  EXPECT_EQ(result.options.threads, 3);
  EXPECT_TRUE(result.options.check_config);
  EXPECT_EQ(result.options.max_in_flight, 7u);
}

TEST(CommandLineTest, EnvironmentIsTheFallback) {
  auto result = ParseCommandLine({}, testing::FakeEnvironment({{"WEBHOOKS_CONFIG_FILE", "env.json"},
                                                               {"CONNECTIONS_CONFIG_FILE", "c.json"},
                                                               {"PORT", "8123"},
                                                               {"MAX_CONCURRENT_TASKS", "5"}}));
  ASSERT_TRUE(result.errors.empty());
  EXPECT_EQ(result.options.sources.webhooks_path, "env.json");
  EXPECT_EQ(result.options.sources.connections_path, "c.json");
  EXPECT_EQ(result.options.listen_port, 8123);
  EXPECT_EQ(result.options.max_in_flight, 5u);
}

TEST(CommandLineTest, DefaultsWithoutAnything) {
  auto result = ParseCommandLine({}, testing::FakeEnvironment({}));
  EXPECT_EQ(result.options.sources.webhooks_path, "webhooks.json");
  EXPECT_FALSE(result.options.sources.webhooks_path_explicit);
  EXPECT_EQ(result.options.listen_port, 8000);
  EXPECT_EQ(result.options.max_in_flight, 100u);
}

TEST(CommandLineTest, EveryBadFlagIsReported) {
  auto result = ParseCommandLine({"--listen", "nowhere", "--threads", "0", "--bogus", "--webhooks"},
                                 testing::FakeEnvironment({}));
  ASSERT_EQ(result.errors.size(), 4u);
  EXPECT_EQ(result.errors[0], "--listen: \"nowhere\" is not ADDR:PORT");
  EXPECT_EQ(result.errors[1], "--threads: \"0\" must be 1..256");
  EXPECT_EQ(result.errors[2], "unknown option \"--bogus\" (see --help)");
  EXPECT_EQ(result.errors[3], "--webhooks needs a value");
}

TEST(CommandLineTest, EtcdBackendFromTheEnvironmentWithTheReferenceDefaults) {
  auto result = ParseCommandLine({}, testing::FakeEnvironment({{"CONFIG_BACKEND", "etcd"}}));
  ASSERT_TRUE(result.errors.empty());
  ASSERT_TRUE(result.options.sources.etcd);
  const EtcdSettings& etcd = *result.options.sources.etcd;
  EXPECT_EQ(etcd.Endpoint(), "http://localhost:2379");
  EXPECT_EQ(etcd.prefix, "/cwm/");
  EXPECT_EQ(etcd.ns, "default");

  result = ParseCommandLine(
      {"--etcd", "10.0.0.5:12379", "--etcd-prefix", "/gw/"},
      testing::FakeEnvironment(
          {{"CONFIG_BACKEND", "etcd"}, {"ETCD_HOST", "ignored"}, {"ETCD_NAMESPACE", "tenant_1"}}));
  ASSERT_TRUE(result.errors.empty());
  EXPECT_EQ(result.options.sources.etcd->Endpoint(), "http://10.0.0.5:12379");
  EXPECT_EQ(result.options.sources.etcd->prefix, "/gw/");
  EXPECT_EQ(result.options.sources.etcd->ns, "tenant_1");

  EXPECT_FALSE(ParseCommandLine({}, testing::FakeEnvironment({})).options.sources.etcd);
}

TEST(CommandLineTest, EveryBadEtcdSettingIsReported) {
  auto result = ParseCommandLine(
      {"--etcd", "localhost", "--etcd-prefix", "cwm", "--etcd-namespace", "a/b"},
      testing::FakeEnvironment({{"CONFIG_BACKEND", "etcd"}, {"ETCD_PORT", "http"}}));
  ASSERT_EQ(result.errors.size(), 4u);
  EXPECT_EQ(result.errors[0], "ETCD_PORT: \"http\" is not a port number");
  EXPECT_EQ(result.errors[1], "--etcd: \"localhost\" is not HOST:PORT");
  EXPECT_EQ(result.errors[2], "etcd prefix \"cwm\" must start with '/'");
  EXPECT_EQ(result.errors[3], "etcd namespace \"a/b\" must match [A-Za-z0-9_-]{1,64}");

  result = ParseCommandLine({"--config-backend", "consul"}, testing::FakeEnvironment({}));
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0], "config backend \"consul\" is unknown: use file or etcd");
}

TEST(CommandLineTest, HelpExplainsEveryFlag) {
  std::string help = HelpText();
  for (auto flag :
       {"--webhooks", "--connections", "--listen", "--threads", "--check-config", "--max-in-flight",
        "--max-queued", "--max-body-bytes", "--log-level", "--log-format", "--shutdown-timeout",
        "--idle-timeout", "--config-backend", "--etcd", "--etcd-prefix", "--etcd-namespace"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace wg
