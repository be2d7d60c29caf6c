// credential_cleanup: what modules (and the spool) get of a webhook's payload and headers.
#include "webhook/credential_cleanup.hpp"

#include <gtest/gtest.h>

#include "config/json_reader.hpp"
#include "webhook/payload.hpp"

namespace wg {
namespace {

namespace json = boost::json;

struct Parsed {
  std::optional<CredentialCleanup> cleanup;
  std::string errors;  // "path: message" lines
};

Parsed FromConfig(std::string_view config_json) {
  ConfigErrors errors("webhooks.json");
  Parsed parsed;
  parsed.cleanup =
      CredentialCleanup::FromConfig(json::parse(config_json), "/orders/credential_cleanup", errors);
  for (const auto& error : errors.errors())
    parsed.errors += error.path + ": " + error.message + "\n";
  return parsed;
}

std::string Cleaned(const CredentialCleanup& cleanup, std::string_view payload_json) {
  json::value payload = json::parse(payload_json);
  cleanup.Clean(payload);
  return json::serialize(payload);
}

TEST(CredentialCleanupTest, MasksTheReferenceNamesAndPatternsByDefault) {
  CredentialCleanup cleanup;
  EXPECT_EQ(Cleaned(cleanup,
                    R"({"password":"p","Passwd":"p","pwd":1,"bearer":true,"sessionid":null,)"
                    R"("csrf":"c","author":"a","monkey":"m","event_key":"k","X-Service-Token":"t",)"
                    R"("amount":12,"name":"n","signature":"s"})"),
            R"({"password":"***REDACTED***","Passwd":"***REDACTED***","pwd":"***REDACTED***",)"
            R"("bearer":"***REDACTED***","sessionid":"***REDACTED***","csrf":"***REDACTED***",)"
            R"("author":"***REDACTED***","monkey":"***REDACTED***","event_key":"***REDACTED***",)"
            R"("X-Service-Token":"***REDACTED***","amount":12,"name":"n","signature":"s"})");
}

TEST(CredentialCleanupTest, SearchesObjectsAndArraysInsteadOfMaskingThem) {
  CredentialCleanup cleanup;
  EXPECT_EQ(Cleaned(cleanup, R"({"auth":{"user":"u","token":"t"},"items":[{"secret":"s"},"x"],)"
                             R"("keys":["k1","k2"]})"),
            R"({"auth":{"user":"u","token":"***REDACTED***"},"items":[{"secret":"***REDACTED***"},)"
            R"("x"],"keys":["k1","k2"]})");
  EXPECT_EQ(Cleaned(cleanup, R"([{"api_key":"k"},{"id":1}])"),
            R"([{"api_key":"***REDACTED***"},{"id":1}])");
  EXPECT_EQ(Cleaned(cleanup, R"("password")"), R"("password")") << "a scalar payload stays";
}

TEST(CredentialCleanupTest, RemoveModeKeepsTheOrderOfTheRest) {
  auto parsed = FromConfig(R"({"mode": "remove"})");
  ASSERT_TRUE(parsed.cleanup) << parsed.errors;
  EXPECT_EQ(
      Cleaned(*parsed.cleanup, R"({"a":1,"token":"t","b":2,"nested":{"pwd":"p","c":3},"d":4})"),
      R"({"a":1,"b":2,"nested":{"c":3},"d":4})");
}

TEST(CredentialCleanupTest, ExtraFieldsAndDisabling) {
  auto parsed = FromConfig(R"({"fields": ["SSN", "card_number"]})");
  ASSERT_TRUE(parsed.cleanup) << parsed.errors;
  EXPECT_EQ(Cleaned(*parsed.cleanup, R"({"ssn":"1","Card_Number":"2","zip":"3"})"),
            R"({"ssn":"***REDACTED***","Card_Number":"***REDACTED***","zip":"3"})");

  parsed = FromConfig(R"({"enabled": false})");
  ASSERT_TRUE(parsed.cleanup) << parsed.errors;
  EXPECT_EQ(Cleaned(*parsed.cleanup, R"({"password":"p"})"), R"({"password":"p"})");
}

TEST(CredentialCleanupTest, Headers) {
  std::vector<Header> headers = {{"authorization", "Bearer x"},
                                 {"x-api-key", "k"},
                                 {"cookie", "c"},
                                 {"x-hub-signature-256", "sha256=ab"},
                                 {"content-type", "application/json"}};
  CredentialCleanup cleanup;
  std::vector<Header> masked = headers;
  EXPECT_TRUE(cleanup.Clean(masked));
  EXPECT_EQ(masked[0].value, "***REDACTED***");
  EXPECT_EQ(masked[1].value, "***REDACTED***");
  EXPECT_EQ(masked[2].value, "c");
  EXPECT_EQ(masked[3].value, "sha256=ab");
  EXPECT_EQ(masked[4].value, "application/json");

  auto remove = FromConfig(R"({"mode": "remove"})");
  std::vector<Header> removed = headers;
  EXPECT_TRUE(remove.cleanup->Clean(removed));
  ASSERT_EQ(removed.size(), 3u);
  EXPECT_EQ(removed[0].name, "cookie");
}

TEST(CredentialCleanupTest, ConfigErrorsCarryTheirPaths) {
  auto parsed = FromConfig(R"({"mode": "hash", "fields": "ssn", "enable": true})");
  EXPECT_FALSE(parsed.cleanup);
  EXPECT_EQ(parsed.errors,
            "/orders/credential_cleanup/mode: must be mask or remove, got \"hash\"\n"
            "/orders/credential_cleanup/fields: must be an array of strings, got a string\n"
            "/orders/credential_cleanup/enable: unknown key in credential_cleanup (allowed: "
            "enabled, fields, mode)\n");
  parsed = FromConfig("true");
  EXPECT_EQ(parsed.errors,
            "/orders/credential_cleanup: must be an object (enabled, mode, fields), got a "
            "boolean\n");
}

DeliveryParts Parts(std::string body) {
  return {"d1",
          "orders",
          {{"authorization", "Basic YWxpY2U6czNjcmV0"}, {"x-id", "7"}},
          std::move(body),
          std::chrono::system_clock::now()};
}

// What is spooled is the delivery's headers and body: no secret may remain in them, and the
// body must parse back to the cleaned payload (recovery and replay build the delivery again).
TEST(CredentialCleanupTest, DeliveryBodyIsTheCleanedPayloadAgain) {
  RequestLimits limits;
  CredentialCleanup cleanup;
  auto built = BuildDelivery(DataType::kJson, Parts(R"({"user": "u", "password": "hunter2"})"),
                             limits, cleanup);
  ASSERT_TRUE(built.delivery);
  EXPECT_EQ(json::serialize(built.delivery->payload),
            R"({"user":"u","password":"***REDACTED***"})");
  EXPECT_EQ(built.delivery->body, R"({"user":"u","password":"***REDACTED***"})");
  EXPECT_EQ(built.delivery->headers[0].value, "***REDACTED***");
  EXPECT_EQ(built.delivery->headers[1].value, "7");

  auto again = BuildDelivery(DataType::kJson, Parts(built.delivery->body), limits, cleanup);
  ASSERT_TRUE(again.delivery);
  EXPECT_EQ(again.delivery->payload, built.delivery->payload);

  // Nothing to clean: the body stays byte for byte.
  auto untouched = BuildDelivery(DataType::kJson, Parts(R"({"user": "u"})"), limits, cleanup);
  EXPECT_EQ(untouched.delivery->body, R"({"user": "u"})");

  auto form =
      BuildDelivery(DataType::kForm, Parts("user=a+b&token=s%26t&note=100%25"), limits, cleanup);
  ASSERT_TRUE(form.delivery);
  EXPECT_EQ(form.delivery->body, "user=a%20b&token=%2A%2A%2AREDACTED%2A%2A%2A&note=100%25");
  auto form_again = BuildDelivery(DataType::kForm, Parts(form.delivery->body), limits, cleanup);
  EXPECT_EQ(form_again.delivery->payload, form.delivery->payload);

  // A blob is passed on as it came; only its headers are cleaned.
  auto blob = BuildDelivery(DataType::kBlob, Parts("password=x"), limits, cleanup);
  EXPECT_EQ(blob.delivery->body, "password=x");
  EXPECT_EQ(blob.delivery->headers[0].value, "***REDACTED***");
}

}  // namespace
}  // namespace wg
