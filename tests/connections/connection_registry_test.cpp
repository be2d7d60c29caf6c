#include "connections/connection_registry.hpp"

#include <gtest/gtest.h>

#include "config/json_reader.hpp"

namespace wg {
namespace {

std::map<std::string, ConnectionConfig, std::less<>> Connections(int redis_port,
                                                                 std::string_view s3_region) {
  std::map<std::string, ConnectionConfig, std::less<>> connections;
  connections.emplace("queue", ConnectionConfig{"queue", "redis",
                                                {{"host", "127.0.0.1"}, {"port", redis_port}}});
  connections.emplace("events", ConnectionConfig{"events", "redis",
                                                 {{"host", "127.0.0.1"}, {"port", 6380}}});
  connections.emplace("archive", ConnectionConfig{"archive", "s3",
                                                  {{"aws_access_key_id", "AKIA"},
                                                   {"aws_secret_access_key", "secret"},
                                                   {"region", s3_region}}});
  return connections;
}

TEST(ConnectionRegistryTest, AReloadKeepsTheClientsWhoseSettingsDidNotChange) {
  ConfigErrors errors;
  auto first = ConnectionRegistry::Build(Connections(6379, "eu-west-1"), errors);
  ASSERT_TRUE(errors.empty());
  ASSERT_TRUE(first->Redis("queue"));
  EXPECT_EQ(first->kept(), 0u);

  auto same = ConnectionRegistry::Build(Connections(6379, "eu-west-1"), errors, first.get());
  EXPECT_EQ(same->kept(), 3u);
  EXPECT_EQ(same->Redis("queue"), first->Redis("queue"));
  EXPECT_EQ(same->S3("archive"), first->S3("archive"));

  auto changed = ConnectionRegistry::Build(Connections(7000, "eu-west-2"), errors, same.get());
  EXPECT_EQ(changed->kept(), 1u);  // "events" only
  EXPECT_NE(changed->Redis("queue"), same->Redis("queue"));
  EXPECT_NE(changed->S3("archive"), same->S3("archive"));
  EXPECT_EQ(changed->Redis("events"), first->Redis("events"));
  EXPECT_TRUE(errors.empty());
}

}  // namespace
}  // namespace wg
