// The text formats of signature headers (auth/signature_header.hpp). Expected bytes are the RFC
// 4648 test vectors and hand-written hex, not produced by the code under test.
#include "auth/signature_header.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace wg {
namespace {

using ::testing::ElementsAre;

TEST(SignatureHeader, HexDecodesEitherCaseAndNeedsWholeBytes) {
  EXPECT_EQ(DecodeHex("00ff7Fa0"), std::string("\x00\xff\x7f\xa0", 4));
  EXPECT_EQ(DecodeHex("abc"), std::nullopt);
  EXPECT_EQ(DecodeHex("zz"), std::nullopt);
  EXPECT_EQ(DecodeHex(""), std::nullopt);
  EXPECT_TRUE(IsHex("abcDEF0"));
  EXPECT_FALSE(IsHex("ab "));
}

TEST(SignatureHeader, Base64Rfc4648VectorsWithAndWithoutPadding) {
  EXPECT_EQ(DecodeBase64("Zg=="), "f");
  EXPECT_EQ(DecodeBase64("Zg"), "f");
  EXPECT_EQ(DecodeBase64("Zm8="), "fo");
  EXPECT_EQ(DecodeBase64("Zm9vYmFy"), "foobar");
  EXPECT_EQ(DecodeBase64("+/+/"), std::string("\xfb\xff\xbf", 3));
}

TEST(SignatureHeader, Base64RefusesWhatIsNotBase64) {
  EXPECT_EQ(DecodeBase64(""), std::nullopt);
  EXPECT_EQ(DecodeBase64("Z"), std::nullopt);         // one character carries no byte
  EXPECT_EQ(DecodeBase64("Zg="), std::nullopt);       // padding that does not complete a block
  EXPECT_EQ(DecodeBase64("Zm9v-_"), std::nullopt);    // the URL alphabet is not the standard one
  EXPECT_EQ(DecodeBase64("Zm 9v"), std::nullopt);
}

TEST(SignatureHeader, UnixSecondsAreDigitsOnly) {
  EXPECT_EQ(ParseUnixSeconds("1700000000"), 1700000000);
  EXPECT_EQ(ParseUnixSeconds("0"), 0);
  EXPECT_EQ(ParseUnixSeconds("-5"), std::nullopt);
  EXPECT_EQ(ParseUnixSeconds("-0"), std::nullopt);  // found by signature_header_fuzz
  EXPECT_EQ(ParseUnixSeconds("+5"), std::nullopt);
  EXPECT_EQ(ParseUnixSeconds("17e8"), std::nullopt);
  EXPECT_EQ(ParseUnixSeconds(" 1"), std::nullopt);
  EXPECT_EQ(ParseUnixSeconds("1234567890123456789"), std::nullopt);  // 19 digits
  EXPECT_EQ(ParseUnixSeconds(""), std::nullopt);
}

TEST(SignatureHeader, StripeKeepsLastTimestampAndEveryV1) {
  StripeSignature parsed = ParseStripeSignature("t=1,v1=aa, v0=bb ,junk,t=2,v1=cc");
  EXPECT_EQ(parsed.timestamp, "2");
  EXPECT_THAT(parsed.v1, ElementsAre("aa", "cc"));
  StripeSignature empty = ParseStripeSignature(",,=,");
  EXPECT_EQ(empty.timestamp, std::nullopt);
  EXPECT_TRUE(empty.v1.empty());
}

TEST(SignatureHeader, StandardWebhooksSkipsUnreadableEntries) {
  auto parsed = ParseStandardWebhooksSignatures("v1,Zm9v nocomma v1,*** v1a,YmFy  v2,Zg");
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[0].version, "v1");
  EXPECT_EQ(parsed[0].bytes, "foo");
  EXPECT_EQ(parsed[1].version, "v1a");
  EXPECT_EQ(parsed[1].bytes, "bar");
  EXPECT_EQ(parsed[2].version, "v2");
  EXPECT_TRUE(ParseStandardWebhooksSignatures("").empty());
}

}  // namespace
}  // namespace wg
