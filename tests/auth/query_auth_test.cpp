#include "auth/query_auth.hpp"

#include <gtest/gtest.h>

#include "auth/auth_test_support.hpp"

namespace wg {
namespace {

using test::Build;
using test::FakeRequest;
using test::Outcome;

TEST(QueryAuthTest, DefaultParameterIsApiKeyAndCaseInsensitive) {
  auto built = Build(BuildQueryAuth, R"({"query_auth": {"api_key": "Key-123"}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", "Key-123")), "pass");
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", "kEY-123")), "pass");
  // The last occurrence wins, as in the Python project.
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", "nope").WithQuery("api_key", "Key-123")), "pass");
}

TEST(QueryAuthTest, ControlCharactersAreStrippedBeforeTheCompare) {
  auto built = Build(BuildQueryAuth, R"({"query_auth": {"api_key": "Key-123"}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", "Key-123\n")), "pass");
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", std::string("Key\0-123", 8))), "pass");
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", "Key-\x7f" "123")), "pass");
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", "Key-\xc2\x85" "123")), "pass")
      << "U+0085 (NEL) is a C1 control";
}

TEST(QueryAuthTest, CaseSensitiveAndCustomName) {
  auto built = Build(BuildQueryAuth,
                     R"({"query_auth": {"parameter_name": "my.token-1", "api_key": "Key-123",
                                        "case_sensitive": true}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("my.token-1", "Key-123")), "pass");
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("my.token-1", "key-123")),
            "Invalid API key in query parameter: my.token-1");
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", "Key-123")),
            "Missing required query parameter: my.token-1");
}

TEST(QueryAuthTest, EveryFailureHasThePythonMessage) {
  auto built = Build(BuildQueryAuth, R"({"query_auth": {"api_key": "Key-123"}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  EXPECT_EQ(Outcome(v, FakeRequest()), "Missing required query parameter: api_key");
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", "")),
            "Missing required query parameter: api_key");
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", "Key-12")),
            "Invalid API key in query parameter: api_key");
  const std::string invalid =
      "Invalid query parameter value for: api_key (too long or contains invalid characters)";
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", std::string(1001, 'k'))), invalid);
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", std::string(1000, 'k'))),
            "Invalid API key in query parameter: api_key")
      << "1000 characters is still allowed";
  // 1000 characters but 2000 bytes: the limit counts characters.
  std::string accents;
  for (int i = 0; i < 1000; ++i) accents += "\xc3\xa9";
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", accents)),
            "Invalid API key in query parameter: api_key");
  EXPECT_EQ(Outcome(v, FakeRequest().WithQuery("api_key", "\x01\x02")), invalid);
  auto failure = test::Check(v, FakeRequest());
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->status, 401u);
  failure = test::Check(v, FakeRequest().WithQuery("api_key", "wrong-secret"));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->reason.find("wrong-secret"), std::string::npos) << "never log the key";
}

TEST(QueryAuthTest, ConfigErrorsCarryTheirPaths) {
  auto built = Build(BuildQueryAuth, R"({"query_auth": {"parameter_name": "api key"}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/query_auth/parameter_name: Invalid parameter name configuration: \"api key\" "
            "must be letters, digits, '_', '-' or '.'\n"
            "/orders/query_auth/api_key: Query auth API key not configured\n");

  built = Build(BuildQueryAuth, R"({"query_auth": {"api_key": 123}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/query_auth/api_key: Query auth API key must be a string\n");

  built = Build(BuildQueryAuth, R"({"query_auth": {"api_key": "", "parameter_name": ")" +
                                    std::string(101, 'p') + R"("}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/query_auth/parameter_name: Invalid parameter name configuration: longer "
            "than 100 characters\n"
            "/orders/query_auth/api_key: Query auth API key not configured\n");
}

}  // namespace
}  // namespace wg
