#include "modules/log/log_module.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wg {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;

TEST(LogModuleTest, OneRedactedJsonLine) {
  auto delivery = testing::MakeDelivery(R"({"user":"ann","password":"hunter2","nested":{"api_key":"k"}})");
  std::string line = RenderLogEntry(*delivery, false, true);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_THAT(line, HasSubstr(R"("user":"ann")"));
  EXPECT_THAT(line, HasSubstr(R"("password":"[REDACTED]")"));
  EXPECT_THAT(line, HasSubstr(R"("api_key":"[REDACTED]")"));
  EXPECT_THAT(line, HasSubstr(R"("authorization":"[REDACTED]")"));
  EXPECT_THAT(line, Not(HasSubstr("hunter2")));
  EXPECT_THAT(line, Not(HasSubstr("s3cret")));
}

TEST(LogModuleTest, RedactionCanBeTurnedOff) {
  auto delivery = testing::MakeDelivery(R"({"password":"hunter2"})");
  EXPECT_THAT(RenderLogEntry(*delivery, false, false), HasSubstr("hunter2"));
}

TEST(LogModuleTest, PrettyPrintIsABlock) {
  auto delivery = testing::MakeDelivery(R"({"a":1})");
  std::string text = RenderLogEntry(*delivery, true, true);
  EXPECT_THAT(text, HasSubstr(std::string(80, '=') + "\nWEBHOOK RECEIVED"));
  EXPECT_THAT(text, HasSubstr("Payload:\n{\n  \"a\": 1\n}"));
}

}  // namespace
}  // namespace wg
