#include "modules/discard/discard_module.hpp"

#include <gtest/gtest.h>

#include "config/json_reader.hpp"
#include "modules/registry.hpp"
#include "test_support.hpp"

namespace wg {
namespace {

TEST(DiscardModuleTest, AcceptsEveryDeliveryFromTheRegistry) {
  const ModuleEntry* entry = FindModule("discard");
  ASSERT_NE(entry, nullptr);
  boost::json::object config;
  ConfigErrors errors("webhooks.json");
  ModuleContext context{nullptr, nullptr, "/tmp"};
  auto module = entry->create(ModuleSettings{config, "/ping/chain/0/module-config", nullptr},
                              context, errors);
  ASSERT_TRUE(module);
  EXPECT_EQ(errors.size(), 0U);
  Outcome outcome = testing::RunAwaitable(module->Deliver(testing::MakeDelivery()));
  EXPECT_TRUE(outcome.delivered()) << outcome.message;
}

TEST(DiscardModuleTest, RefusesAnyKey) {
  boost::json::object config{{"base_dir", "/tmp"}};
  ConfigErrors errors("webhooks.json");
  ModuleContext context{nullptr, nullptr, "/tmp"};
  CreateDiscardModule(ModuleSettings{config, "/ping/chain/0/module-config", nullptr}, context,
                      errors);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors.errors()[0].path, "/ping/chain/0/module-config/base_dir");
}

}  // namespace
}  // namespace wg
