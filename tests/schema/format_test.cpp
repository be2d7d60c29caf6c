// The formats we check, with valid and invalid values from RFC 3339, 5321, 1123, 3986, 4122.
#include <gtest/gtest.h>

#include "schema/schema_test_support.hpp"

namespace wg {
namespace {

std::string Check(std::string_view format, std::string_view value) {
  std::string schema = R"({"format": ")" + std::string(format) + R"("})";
  std::string payload = boost::json::serialize(boost::json::value(boost::json::string(value)));
  return test::Validate(schema, payload);
}

void ExpectValid(std::string_view format, std::initializer_list<std::string_view> values) {
  for (auto value : values) EXPECT_EQ(Check(format, value), "pass") << format << ": " << value;
}

void ExpectInvalid(std::string_view format, std::initializer_list<std::string_view> values) {
  for (auto value : values) {
    EXPECT_EQ(Check(format, value), " format: must be a valid " + std::string(format))
        << format << ": " << value;
  }
}

TEST(JsonSchemaFormatTest, DateTime) {
  ExpectValid("date-time", {"2024-02-29T23:59:59Z", "1985-04-12T23:20:50.52Z",
                            "1996-12-19T16:39:57-08:00", "1990-12-31T23:59:60Z",
                            "2024-01-01t00:00:00z"});
  ExpectInvalid("date-time", {"2023-02-29T00:00:00Z", "2024-01-01 00:00:00Z",
                              "2024-01-01T00:00:00", "2024-13-01T00:00:00Z",
                              "2024-01-01T24:00:00Z", "2024-01-01T00:00:00.Z",
                              "2024-01-01T00:00:00+0100", "24-01-01T00:00:00Z"});
}

TEST(JsonSchemaFormatTest, DateAndTime) {
  ExpectValid("date", {"2000-02-29", "2024-12-31"});
  ExpectInvalid("date", {"1900-02-29", "2024-04-31", "2024-1-01", "2024-01-01T00:00:00Z"});
  ExpectValid("time", {"08:30:06Z", "08:30:06.283185+01:00"});
  ExpectInvalid("time", {"08:30:06", "8:30:06Z", "08:60:00Z", "08:30:06+25:00"});
}

TEST(JsonSchemaFormatTest, Email) {
  ExpectValid("email", {"joe.bloggs@example.com", "te~st+tag@sub.example.org",
                        "user@[192.168.0.1]", "user@[IPv6:::1]"});
  ExpectInvalid("email", {"plainaddress", "@example.com", "joe@", ".joe@example.com",
                          "joe.@example.com", "jo..e@example.com", "joe@-example.com",
                          "jo e@example.com"});
}

TEST(JsonSchemaFormatTest, HostnameAndAddresses) {
  ExpectValid("hostname", {"example.com", "a-b.c1", "localhost"});
  ExpectInvalid("hostname", {"-a.com", "a-.com", "a..com", "exa_mple.com", ""});
  ExpectValid("ipv4", {"192.168.0.1", "0.0.0.0", "255.255.255.255"});
  ExpectInvalid("ipv4", {"256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.4 ", "a.b.c.d"});
  ExpectValid("ipv6", {"::1", "2001:db8::8a2e:370:7334", "::ffff:192.168.0.1"});
  ExpectInvalid("ipv6", {"12345::", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "::g"});
}

TEST(JsonSchemaFormatTest, UriAndUuid) {
  ExpectValid("uri", {"https://example.com/a?b=c#d", "urn:isbn:0451450523", "mailto:a@b.c"});
  ExpectInvalid("uri", {"/relative/path", "http://exa mple.com", "://x"});
  ExpectValid("uri-reference", {"/relative/path", "#frag", "https://example.com"});
  ExpectInvalid("uri-reference", {"\\\\windows\\path", "http://a b"});
  ExpectValid("uuid", {"2eb8aa08-aa98-11ea-b4aa-73b441d16380", "2EB8AA08-AA98-11EA-B4AA-73B441D16380"});
  ExpectInvalid("uuid", {"2eb8aa08aa9811eab4aa73b441d16380", "2eb8aa08-aa98-11ea-b4aa-73b441d1638",
                         "2eb8aa08-aa98-11ea-b4aa-73b441d1638g"});
}

TEST(JsonSchemaFormatTest, OnlyStringsAreChecked) {
  EXPECT_EQ(Check("email", "x"), " format: must be a valid email");
  EXPECT_EQ(test::Validate(R"({"format": "email"})", "12"), "pass");
}

}  // namespace
}  // namespace wg
