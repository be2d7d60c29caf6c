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

TEST(LogModuleTest, SensitiveKeysMatchInAnyCaseWithDashOrUnderscore) {
  auto delivery = testing::MakeDelivery(
      R"({"X-Api-Key":"k1","Refresh-Token":"k2","MyCREDIT_CARD_no":"k3","apple":"kept","ke":"y"})");
  std::string line = RenderLogEntry(*delivery, false, true);
  EXPECT_THAT(line, HasSubstr(R"("X-Api-Key":"[REDACTED]")"));
  EXPECT_THAT(line, HasSubstr(R"("Refresh-Token":"[REDACTED]")"));
  EXPECT_THAT(line, HasSubstr(R"("MyCREDIT_CARD_no":"[REDACTED]")"));
  EXPECT_THAT(line, HasSubstr(R"("apple":"kept")"));
  EXPECT_THAT(line, HasSubstr(R"("ke":"y")"));
  EXPECT_THAT(line, Not(HasSubstr("k1")));
  EXPECT_THAT(line, Not(HasSubstr("k2")));
  EXPECT_THAT(line, Not(HasSubstr("k3")));
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
