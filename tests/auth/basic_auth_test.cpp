#include "auth/basic_auth.hpp"

#include <gtest/gtest.h>

#include "auth/auth_test_support.hpp"

namespace wg {
namespace {

using test::Build;
using test::FakeRequest;
using test::Outcome;

// Fixtures computed independently with Python:
//   base64.b64encode(b"alice:s3cret")       -> YWxpY2U6czNjcmV0
//   base64.b64encode(b"alice:wrong")        -> YWxpY2U6d3Jvbmc=
//   base64.b64encode(b"bob:s3cret")         -> Ym9iOnMzY3JldA==
//   base64.b64encode(b"alice")              -> YWxpY2U=
//   base64.b64encode(b"alice:s3c:ret")      -> YWxpY2U6czNjOnJldA==
//   base64.b64encode(b"alice:s3cretX")      -> YWxpY2U6czNjcmV0WA==
//   base64.b64encode(b"j\xe9r\xf4me:pw")    -> auly9G1lOnB3      (latin-1 bytes)
//   base64.b64encode("jérôme:pw".encode())  -> asOpcsO0bWU6cHc=  (UTF-8 bytes)
constexpr std::string_view kConfig =
    R"({"basic_auth": {"username": "alice", "password": "s3cret"}})";

std::string With(const Validator& validator, std::string header) {
  return Outcome(validator, FakeRequest().WithHeader("authorization", std::move(header)));
}

TEST(BasicAuthTest, AcceptsTheConfiguredCredentials) {
  auto built = Build(BuildBasicAuth, kConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_EQ(With(*built.validator, "Basic YWxpY2U6czNjcmV0"), "pass");
}

TEST(BasicAuthTest, PasswordMaySplitAtTheFirstColonOnly) {
  auto built = Build(BuildBasicAuth,
                     R"({"basic_auth": {"username": "alice", "password": "s3c:ret"}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_EQ(With(*built.validator, "Basic YWxpY2U6czNjOnJldA=="), "pass");
}

TEST(BasicAuthTest, Latin1CredentialsMatchTheirUtf8Spelling) {
  auto built = Build(BuildBasicAuth,
                     R"({"basic_auth": {"username": "jérôme", "password": "pw"}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_EQ(With(*built.validator, "Basic asOpcsO0bWU6cHc="), "pass");
  EXPECT_EQ(With(*built.validator, "Basic auly9G1lOnB3"), "pass");
}

TEST(BasicAuthTest, EveryFailureHasThePythonMessage) {
  auto built = Build(BuildBasicAuth, kConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  EXPECT_EQ(Outcome(v, FakeRequest()), "Missing Authorization header");
  auto failure = test::Check(v, FakeRequest());
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->status, 401u);
  EXPECT_TRUE(failure->headers.empty()) << "no WWW-Authenticate, as the Python project";

  EXPECT_EQ(With(v, "Bearer YWxpY2U6czNjcmV0"), "Basic authentication required");
  EXPECT_EQ(With(v, "basic YWxpY2U6czNjcmV0"), "Basic authentication required");
  EXPECT_EQ(With(v, "Basic\tYWxpY2U6czNjcmV0"), "Invalid Basic authentication format");
  EXPECT_EQ(With(v, "Basic"), "Invalid Basic authentication format");
  EXPECT_EQ(With(v, "Basic "), "Invalid Basic authentication format: missing credentials");
  EXPECT_EQ(With(v, "Basic  YWxpY2U6czNjcmV0"), "Invalid Basic authentication format");
  EXPECT_EQ(With(v, "Basic YWxpY2U6 czNjcmV0"), "Invalid base64 encoding: whitespace not allowed");
  EXPECT_EQ(With(v, "Basic YWxpY2U6czNjcmV0!"), "Invalid base64 encoding format");
  EXPECT_EQ(With(v, "Basic YWxpY2U6czNjcmV0==="), "Invalid base64 encoding format");
  EXPECT_EQ(With(v, "Basic YWxp=Y2U6czNjcmV0"), "Invalid base64 encoding format");
  EXPECT_EQ(With(v, "Basic YWxpY2U6czNjcmV"), "Invalid base64 encoding in Authorization header");
  EXPECT_EQ(With(v, "Basic YWxpY2U6czNjcmV0="), "Invalid base64 encoding in Authorization header");
  EXPECT_EQ(With(v, "Basic YWxpY2U="), "Invalid basic auth format");
  EXPECT_EQ(With(v, "Basic YWxpY2U6d3Jvbmc="), "Invalid credentials");
  EXPECT_EQ(With(v, "Basic Ym9iOnMzY3JldA=="), "Invalid credentials");
  EXPECT_EQ(With(v, "Basic YWxpY2U6czNjcmV0WA=="), "Invalid credentials");
}

TEST(BasicAuthTest, ConfigErrorsCarryTheirPaths) {
  auto built = Build(BuildBasicAuth, R"({"basic_auth": {"username": "", "extra": 1}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/basic_auth/password: required string is missing\n"
            "/orders/basic_auth/extra: unknown key in basic_auth (allowed: password, username)\n"
            "/orders/basic_auth/username: Basic auth credentials not configured (empty username)\n");

  built = Build(BuildBasicAuth, R"({"basic_auth": "alice:s3cret"})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/basic_auth: must be an object with username and password, got a string\n");

  built = Build(BuildBasicAuth, R"({"basic_auth": {"username": "a:b", "password": "x"}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(), "/orders/basic_auth/username: must not contain ':'\n");
}

}  // namespace
}  // namespace wg
