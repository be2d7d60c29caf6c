#include "config/env_substitution.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wg {
namespace {
namespace json = boost::json;

json::value Substitute(std::string text, ConfigErrors& errors) {
  json::value doc = json::parse(text);
  auto env = testing::FakeEnvironment({{"TOKEN", "S3cr&t;id(x)"}, {"HOST", "video-server"},
                                       {"EMPTY", ""}});
  SubstituteEnvironment(doc, env, errors);
  return doc;
}

TEST(EnvSubstitutionTest, ReplacesWholeAndEmbeddedReferencesVerbatim) {
  ConfigErrors errors("webhooks.json");
  auto doc = Substitute(
      R"({"a":"{$TOKEN}","b":"Bearer {$TOKEN}!","c":["{$HOST}:{$PORT:5432}"],"d":"{$EMPTY}"})",
      errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(doc.at("a").as_string(), "S3cr&t;id(x)") << "no sanitising of secrets";
  EXPECT_EQ(doc.at("b").as_string(), "Bearer S3cr&t;id(x)!");
  EXPECT_EQ(doc.at("c").at(0).as_string(), "video-server:5432");
  EXPECT_EQ(doc.at("d").as_string(), "");
}

TEST(EnvSubstitutionTest, DefaultsMayBeEmpty) {
  ConfigErrors errors("webhooks.json");
  auto doc = Substitute(R"({"a":"{$MISSING:}","b":"x{$MISSING:y}z"})", errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(doc.at("a").as_string(), "");
  EXPECT_EQ(doc.at("b").as_string(), "xyz");
}

TEST(EnvSubstitutionTest, MissingVariableIsAnErrorWithPath) {
  ConfigErrors errors("webhooks.json");
  Substitute(R"({"orders":{"authorization":"Bearer {$ORDERS_TOKEN}"},"x":["{$ALSO_MISSING}"]})",
             errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(ConfigErrors::Format(errors.errors()[0]),
            "webhooks.json: /orders/authorization: environment variable ORDERS_TOKEN is not set "
            "and has no default (write {$ORDERS_TOKEN:default} to give one)");
  EXPECT_EQ(errors.errors()[1].path, "/x/0");
}

TEST(EnvSubstitutionTest, TextThatIsNotAReferenceStays) {
  ConfigErrors errors("webhooks.json");
  auto doc = Substitute(R"({"a":"{$ not a ref","b":"price {$}","c":"{$UNCLOSED:abc"})", errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(doc.at("a").as_string(), "{$ not a ref");
  EXPECT_EQ(doc.at("b").as_string(), "price {$}");
  EXPECT_EQ(doc.at("c").as_string(), "{$UNCLOSED:abc");
}

}  // namespace
}  // namespace wg
