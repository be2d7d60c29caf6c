#include "util/base64.hpp"

#include <gtest/gtest.h>

namespace wg {
namespace {

// RFC 4648 §10 test vectors.
TEST(Base64Test, EncodesTheRfcVectors) {
  EXPECT_EQ(EncodeBase64(""), "");
  EXPECT_EQ(EncodeBase64("f"), "Zg==");
  EXPECT_EQ(EncodeBase64("fo"), "Zm8=");
  EXPECT_EQ(EncodeBase64("foo"), "Zm9v");
  EXPECT_EQ(EncodeBase64("foob"), "Zm9vYg==");
  EXPECT_EQ(EncodeBase64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(EncodeBase64("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, EveryByteSurvivesARoundTrip) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t length = 1; length <= bytes.size(); length += 37) {
    std::string data = bytes.substr(bytes.size() - length);
    EXPECT_EQ(DecodeBase64(EncodeBase64(data)), data) << length;
  }
  // `printf '\xff\xfe\x00' | base64`
  EXPECT_EQ(EncodeBase64(std::string("\xff\xfe\x00", 3)), "//4A");
}

}  // namespace
}  // namespace wg
