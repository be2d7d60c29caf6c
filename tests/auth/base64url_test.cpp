#include "auth/base64url.hpp"

#include <gtest/gtest.h>

namespace wg {
namespace {

// RFC 4648 §10 test vectors, in the URL alphabet without padding.
TEST(JwtBase64UrlTest, DecodesTheRfcVectors) {
  EXPECT_EQ(DecodeBase64Url(""), "");
  EXPECT_EQ(DecodeBase64Url("Zg"), "f");
  EXPECT_EQ(DecodeBase64Url("Zm8"), "fo");
  EXPECT_EQ(DecodeBase64Url("Zm9v"), "foo");
  EXPECT_EQ(DecodeBase64Url("Zm9vYg"), "foob");
  EXPECT_EQ(DecodeBase64Url("Zm9vYmE"), "fooba");
  EXPECT_EQ(DecodeBase64Url("Zm9vYmFy"), "foobar");
  EXPECT_EQ(DecodeBase64Url("-_8"), std::string("\xfb\xff", 2));  // "+/8=" in standard base64
}

TEST(JwtBase64UrlTest, RefusesEverythingElse) {
  EXPECT_FALSE(DecodeBase64Url("Zg=="));   // padding
  EXPECT_FALSE(DecodeBase64Url("+/8"));    // standard alphabet
  EXPECT_FALSE(DecodeBase64Url("Zm 9v"));  // whitespace
  EXPECT_FALSE(DecodeBase64Url("Zm9vY"));  // a lone digit after whole groups
  EXPECT_FALSE(DecodeBase64Url("Zh"));     // "f" with unused bits set
  EXPECT_FALSE(DecodeBase64Url("Zm9"));    // "fo" needs Zm8
}

}  // namespace
}  // namespace wg
