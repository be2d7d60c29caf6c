#include "auth/header_auth.hpp"

#include <gtest/gtest.h>

#include "auth/auth_test_support.hpp"

namespace wg {
namespace {

using test::Build;
using test::FakeRequest;
using test::Outcome;

TEST(HeaderAuthTest, DefaultHeaderIsXApiKeyAndCaseInsensitive) {
  auto built = Build(BuildHeaderAuth, R"({"header_auth": {"api_key": "Key-123"}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("x-api-key", "Key-123")), "pass");
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("x-api-key", "key-123")), "pass");
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("x-api-key", "KEY-123")), "pass");
}

TEST(HeaderAuthTest, CaseSensitiveWhenAsked) {
  auto built = Build(BuildHeaderAuth,
                     R"({"header_auth": {"header_name": "X-Token", "api_key": "Key-123",
                                         "case_sensitive": true}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("x-token", "Key-123")), "pass");
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("x-token", "key-123")),
            "Invalid API key in header: X-Token");
}

TEST(HeaderAuthTest, FailuresNameTheConfiguredHeader) {
  auto built = Build(BuildHeaderAuth,
                     R"({"header_auth": {"header_name": "X-Token", "api_key": "Key-123"}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  EXPECT_EQ(Outcome(v, FakeRequest()), "Missing required header: X-Token");
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("x-api-key", "Key-123")),
            "Missing required header: X-Token");
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("x-token", "")), "Missing required header: X-Token");
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("x-token", "Key-12")),
            "Invalid API key in header: X-Token");
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("x-token", "Key-1234")),
            "Invalid API key in header: X-Token");
  auto failure = test::Check(v, FakeRequest());
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->status, 401u);
}

TEST(HeaderAuthTest, ConfigErrorsCarryTheirPaths) {
  auto built = Build(BuildHeaderAuth, R"({"header_auth": {"header_name": "X Token"}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/header_auth/header_name: \"X Token\" is not a valid HTTP header name\n"
            "/orders/header_auth/api_key: Header auth API key not configured\n");

  built = Build(BuildHeaderAuth, R"({"header_auth": {"api_key": "", "case_sensitive": "maybe"}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/header_auth/case_sensitive: must be true or false, got a string\n"
            "/orders/header_auth/api_key: Header auth API key not configured\n");

  built = Build(BuildHeaderAuth, R"({"header_auth": {"api_key": 5}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(), "/orders/header_auth/api_key: must be a string, got a number\n");

  built = Build(BuildHeaderAuth, R"({"header_auth": true})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(), "/orders/header_auth: must be an object with api_key, got a boolean\n");
}

}  // namespace
}  // namespace wg
