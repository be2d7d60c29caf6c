#include "webhook/webhook_id.hpp"

#include <gtest/gtest.h>

namespace wg {
namespace {

TEST(WebhookIdTest, AcceptsOrdinaryIds) {
  for (auto id : {"orders", "Order-1", "a", "github_push", "x9"}) {
    EXPECT_FALSE(ValidateWebhookId(id)) << id;
  }
}

TEST(WebhookIdTest, MessagesOfThePythonProject) {
  EXPECT_EQ(*ValidateWebhookId("stats"), "Webhook ID 'stats' is reserved and cannot be used");
  EXPECT_EQ(*ValidateWebhookId("Health"), "Webhook ID 'Health' is reserved and cannot be used");
  EXPECT_EQ(*ValidateWebhookId("-x"),
            "Invalid webhook ID format. Must start with alphanumeric and contain only "
            "alphanumeric, underscore, and hyphen characters");
  EXPECT_EQ(*ValidateWebhookId("a.b"),
            "Invalid webhook ID format. Must start with alphanumeric and contain only "
            "alphanumeric, underscore, and hyphen characters");
  EXPECT_EQ(*ValidateWebhookId("internal_x"), "Webhook ID cannot start with reserved prefix 'internal_'");
  EXPECT_EQ(*ValidateWebhookId("x_admin"), "Webhook ID cannot end with reserved suffix '_admin'");
  EXPECT_EQ(*ValidateWebhookId("a--b"), "Webhook ID cannot contain consecutive underscores or hyphens");
  EXPECT_EQ(*ValidateWebhookId(std::string(65, 'a')), "Webhook ID too long: 65 characters (max: 64)");
  EXPECT_FALSE(ValidateWebhookId(std::string(64, 'a')));
}

TEST(WebhookIdTest, Namespaces) {
  EXPECT_TRUE(IsValidNamespace("team-a_1"));
  EXPECT_FALSE(IsValidNamespace(""));
  EXPECT_FALSE(IsValidNamespace("a.b"));
  EXPECT_FALSE(IsValidNamespace(std::string(65, 'a')));
}

}  // namespace
}  // namespace wg
