#include "auth/authorization.hpp"

#include <gtest/gtest.h>

namespace wg {
namespace {

TEST(AuthorizationTest, BlankConfigMeansNoCheck) {
  EXPECT_FALSE(AuthorizationRule::FromConfig(""));
  EXPECT_FALSE(AuthorizationRule::FromConfig("   "));
}

TEST(AuthorizationTest, BearerAcceptsTheExactToken) {
  auto rule = AuthorizationRule::FromConfig("Bearer s3cret");
  ASSERT_TRUE(rule);
  EXPECT_TRUE(rule->Check("Bearer s3cret").ok);
  EXPECT_TRUE(rule->Check("Bearer s3cret  ").ok) << "trailing whitespace is trimmed";
}

TEST(AuthorizationTest, BearerFailuresUseThePythonMessages) {
  auto rule = AuthorizationRule::FromConfig("Bearer s3cret");
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->Check(std::nullopt).message,
            "Invalid Bearer token format: must start with 'Bearer '");
  EXPECT_EQ(rule->Check("Basic abc").message,
            "Invalid Bearer token format: must start with 'Bearer '");
  EXPECT_EQ(rule->Check("bearer s3cret").message,
            "Invalid Bearer token format: must start with 'Bearer '");
  EXPECT_EQ(rule->Check("Bearer ").message, "Invalid Bearer token format: token cannot be empty");
  EXPECT_EQ(rule->Check("Bearer    ").message,
            "Invalid Bearer token format: token cannot be whitespace only");
  EXPECT_EQ(rule->Check("Bearer  s3cret").message,
            "Invalid Bearer token format: token cannot start with whitespace");
  EXPECT_EQ(rule->Check("Bearer s3cre").message, "Unauthorized");
  EXPECT_EQ(rule->Check("Bearer s3cretX").message, "Unauthorized");
  EXPECT_EQ(rule->Check(std::string_view("Bearer s3\ncret")).message,
            "Invalid header format: contains forbidden character");
  EXPECT_EQ(rule->Check(std::string("Bearer ") + std::string(9000, 'a')).message,
            "Header too long: 9007 characters (max: 8192)");
}

TEST(AuthorizationTest, PlainValueMustMatchWholeHeader) {
  auto rule = AuthorizationRule::FromConfig("my-static-key");
  ASSERT_TRUE(rule);
  EXPECT_TRUE(rule->Check("my-static-key").ok);
  EXPECT_TRUE(rule->Check(" my-static-key ").ok);
  EXPECT_FALSE(rule->Check("Bearer my-static-key").ok);
  EXPECT_EQ(rule->Check(std::nullopt).message, "Unauthorized");
}

TEST(ConstantTimeTest, ComparesContentNotLength) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  SecretMatcher matcher("token");
  EXPECT_TRUE(matcher.Matches("token"));
  EXPECT_FALSE(matcher.Matches("Token"));
  EXPECT_FALSE(matcher.Matches("toke"));
  EXPECT_FALSE(matcher.Matches(""));
  EXPECT_FALSE(matcher.Matches(std::string_view("token\0", 6))) << "the padding is not the secret";
  EXPECT_FALSE(matcher.Matches(std::string(200, 'x')));
  EXPECT_FALSE(matcher.Matches("tokentoken"));
  std::string long_secret(130, 's');  // padded to 192 bytes
  SecretMatcher long_matcher(long_secret);
  EXPECT_TRUE(long_matcher.Matches(long_secret));
  EXPECT_FALSE(long_matcher.Matches(long_secret + "s"));
  EXPECT_FALSE(long_matcher.Matches(long_secret.substr(1)));
  EXPECT_FALSE(long_matcher.Matches(long_secret + std::string(62, '\0')));
}

}  // namespace
}  // namespace wg
