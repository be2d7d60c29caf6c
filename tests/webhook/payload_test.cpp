#include "webhook/payload.hpp"

#include <gtest/gtest.h>

#include "util/utf8.hpp"

namespace wg {
namespace {

std::string Nested(int levels) {
  return std::string(static_cast<size_t>(levels), '[') + "1" + std::string(static_cast<size_t>(levels), ']');
}

TEST(PayloadTest, JsonAcceptsAnyValue) {
  RequestLimits limits;
  EXPECT_TRUE(ParsePayload(DataType::kJson, R"({"a":[1,2]})", limits).ok);
  EXPECT_TRUE(ParsePayload(DataType::kJson, "[1]", limits).ok);
  EXPECT_TRUE(ParsePayload(DataType::kJson, "\"text\"", limits).ok);
  EXPECT_TRUE(ParsePayload(DataType::kJson, "42", limits).ok);
}

TEST(PayloadTest, MalformedOrEmptyJson) {
  RequestLimits limits;
  for (std::string body : {"", "{", "{'a':1}", "[1,]", "nul", "{\"a\":1} x"}) {
    auto result = ParsePayload(DataType::kJson, body, limits);
    EXPECT_FALSE(result.ok) << body;
    EXPECT_EQ(result.status, 400u);
    EXPECT_EQ(result.detail, "Malformed JSON payload");
  }
}

TEST(PayloadTest, InvalidUtf8JsonIsRejected) {
  RequestLimits limits;
  auto result = ParsePayload(DataType::kJson, "{\"a\":\"\xff\xfe\"}", limits);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.detail, "Malformed JSON payload");
}

TEST(PayloadTest, DepthLimitCountsLikeThePythonProject) {
  RequestLimits limits;
  EXPECT_TRUE(ParsePayload(DataType::kJson, Nested(50), limits).ok);
  auto deep = ParsePayload(DataType::kJson, Nested(51), limits);
  EXPECT_FALSE(deep.ok);
  EXPECT_EQ(deep.detail, "JSON too deeply nested: 51 levels (max: 50)");
  auto deeper = ParsePayload(DataType::kJson, Nested(5000), limits);
  EXPECT_FALSE(deeper.ok);
  EXPECT_EQ(deeper.status, 400u);
}

TEST(PayloadTest, StringLengthLimitCountsCharacters) {
  RequestLimits limits;
  limits.max_string_length = 10;
  EXPECT_TRUE(ParsePayload(DataType::kJson, R"({"a":"0123456789"})", limits).ok);
  EXPECT_TRUE(ParsePayload(DataType::kJson, "{\"a\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", limits).ok)
      << "6 characters in 12 bytes";
  auto result = ParsePayload(DataType::kJson, R"({"a":"01234567890"})", limits);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.detail, "String too long: 11 chars (max: 10)");
}

TEST(PayloadTest, BlobKeepsBytes) {
  RequestLimits limits;
  auto result = ParsePayload(DataType::kBlob, std::string("\x00\xff", 2), limits);
  EXPECT_TRUE(result.ok);
  EXPECT_TRUE(result.payload.is_null());
}

TEST(PayloadTest, TextMustBeUtf8) {
  RequestLimits limits;
  auto ok = ParsePayload(DataType::kText, "hello", limits);
  ASSERT_TRUE(ok.ok);
  EXPECT_EQ(ok.payload.as_string(), "hello");
  EXPECT_FALSE(ParsePayload(DataType::kText, "\xc3\x28", limits).ok);
}

TEST(PayloadTest, FormBecomesAnObject) {
  RequestLimits limits;
  auto result = ParsePayload(DataType::kForm, "a=1&b=hello+world&c=%C3%A9&a=2&flag", limits);
  ASSERT_TRUE(result.ok);
  auto& object = result.payload.as_object();
  EXPECT_EQ(object.at("a").as_string(), "2");
  EXPECT_EQ(object.at("b").as_string(), "hello world");
  EXPECT_EQ(object.at("c").as_string(), "\xc3\xa9");
  EXPECT_EQ(object.at("flag").as_string(), "");
  EXPECT_FALSE(ParsePayload(DataType::kForm, "a=%zz", limits).ok);
  EXPECT_FALSE(ParsePayload(DataType::kForm, "a=%4", limits).ok);
}

TEST(Utf8Test, RejectsOverlongsAndSurrogates) {
  EXPECT_TRUE(IsValidUtf8("plain \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));
}

}  // namespace
}  // namespace wg
