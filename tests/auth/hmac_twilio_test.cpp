// `hmac` with "provider": "twilio". Expected signatures computed with Python's standard library:
//   sig = lambda token, s: base64.b64encode(hmac.new(token.encode(), s.encode(),
//                                                    hashlib.sha1).digest()).decode()
// The form example is Twilio's own documentation example (auth token 12345).
#include <gtest/gtest.h>

#include "auth/auth_test_support.hpp"
#include "auth/hmac.hpp"

namespace wg {
namespace {

using test::Build;
using test::FakeRequest;
using test::Outcome;

constexpr std::string_view kConfig = R"({"hmac": {"provider": "twilio", "secret": "12345"}})";

// sig("12345", "https://mycompany.com/myapp.php?foo=1&bar=2" + "CallSidCA1234567890ABCDE"
//     "Caller+12349013030Digits1234From+12349013030To+18005551212") -> 0/KCTR6DLpKmkAf8muzZqo1nDgQ=
// The same with "https://mycompany.com:443/..."                      ->
// EpDEmp1PyjDYp77YxYU3GILBWzE=
constexpr std::string_view kFormBody =
    "To=%2B18005551212&CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234"
    "&From=%2B12349013030";

FakeRequest FormRequest(std::string signature) {
  return FakeRequest()
      .At("POST", "/myapp.php?foo=1&bar=2")
      .WithQuery("foo", "1")
      .WithQuery("bar", "2")
      .WithHeader("host", "mycompany.com")
      .WithHeader("x-forwarded-proto", "https")
      .WithHeader("content-type", "application/x-www-form-urlencoded")
      .WithHeader("x-twilio-signature", std::move(signature));
}

// body = '{"event":"x"}'; hashlib.sha256(body.encode()).hexdigest() -> ebc2c4ea...479d
// sig("12345", "https://mycompany.com/webhook/orders?bodySHA256=<that>") ->
// XnT7xJ5QbnI0Vtc5I4lsD6s3ILo=
constexpr std::string_view kJsonBody = R"({"event":"x"})";
constexpr std::string_view kBodyHash =
    "ebc2c4ea03938ee05e18c1a712d9fa02de923d6f2db34b68fe1f8dcf651e479d";

FakeRequest JsonRequest(std::string signature) {
  return FakeRequest()
      .At("POST", "/webhook/orders?bodySHA256=" + std::string(kBodyHash))
      .WithQuery("bodySHA256", std::string(kBodyHash))
      .WithHeader("host", "mycompany.com")
      .WithHeader("x-forwarded-proto", "https")
      .WithHeader("content-type", "application/json")
      .WithHeader("x-twilio-signature", std::move(signature));
}

TEST(HmacTwilioTest, AcceptsTwiliosDocumentedFormExample) {
  auto built = Build(BuildHmac, kConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_EQ(Outcome(*built.validator, FormRequest("0/KCTR6DLpKmkAf8muzZqo1nDgQ="), kFormBody),
            "pass");
  // Twilio sometimes signs the URL with the default port written out.
  EXPECT_EQ(Outcome(*built.validator, FormRequest("EpDEmp1PyjDYp77YxYU3GILBWzE="), kFormBody),
            "pass");
}

TEST(HmacTwilioTest, AcceptsAJsonBodyCoveredByBodySha256) {
  auto built = Build(BuildHmac, kConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_EQ(Outcome(*built.validator, JsonRequest("XnT7xJ5QbnI0Vtc5I4lsD6s3ILo="), kJsonBody),
            "pass");
}

TEST(HmacTwilioTest, PublicUrlNamesTheUrlTwilioCalls) {
  auto built = Build(BuildHmac, R"({"hmac": {"provider": "twilio", "secrets": ["old", "12345"],
      "public_url": "https://mycompany.com"}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  auto request = FormRequest("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  request.headers[0].value = "127.0.0.1:8000";  // as a proxy may pass it
  request.headers.erase(request.headers.begin() + 1);
  EXPECT_EQ(Outcome(*built.validator, request, kFormBody), "pass");
}

TEST(HmacTwilioTest, EveryFailureIsA401) {
  auto built = Build(BuildHmac, kConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  const std::string good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

  auto missing = FormRequest(good);
  missing.headers.pop_back();
  auto failure = test::Check(v, missing, kFormBody);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->status, 401u);
  EXPECT_EQ(failure->message, "Missing X-Twilio-Signature header");
  EXPECT_EQ(Outcome(v, FormRequest("not base64!"), kFormBody),
            "Invalid HMAC signature format (must be base64)");
  auto no_host = FormRequest(good);
  no_host.headers.erase(no_host.headers.begin());
  EXPECT_EQ(Outcome(v, no_host, kFormBody), "Cannot verify the Twilio signature: no Host header");

  EXPECT_EQ(Outcome(v, FormRequest("FpDEmp1PyjDYp77YxYU3GILBWzE="), kFormBody),
            "Invalid HMAC signature");
  std::string changed(kFormBody);
  changed.replace(changed.find("Digits=1234"), 11, "Digits=1235");
  EXPECT_EQ(Outcome(v, FormRequest(good), changed), "Invalid HMAC signature");
  EXPECT_EQ(Outcome(v, FormRequest(good).At("POST", "/myapp.php?foo=1&bar=3"), kFormBody),
            "Invalid HMAC signature");
  auto plain_http = FormRequest(good);
  plain_http.headers.erase(plain_http.headers.begin() + 1);
  EXPECT_EQ(Outcome(v, plain_http, kFormBody), "Invalid HMAC signature");
  EXPECT_EQ(Outcome(v, JsonRequest("XnT7xJ5QbnI0Vtc5I4lsD6s3ILo="), R"({"event":"y"})"),
            "Invalid HMAC signature")
      << "the body must match bodySHA256";

  auto other_token = Build(BuildHmac, R"({"hmac": {"provider": "twilio", "secret": "54321"}})");
  EXPECT_EQ(Outcome(*other_token.validator, FormRequest(good), kFormBody),
            "Invalid HMAC signature");
}

TEST(HmacTwilioTest, PublicUrlOnlyForTwilio) {
  auto built = Build(BuildHmac, R"({"hmac": {"provider": "github", "secret": "s",
      "public_url": "https://mycompany.com"}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(), "/orders/hmac/public_url: only with \"provider\": \"twilio\"\n");
  built = Build(BuildHmac, R"({"hmac": {"provider": "twilio", "secret": "s",
      "public_url": "ftp://mycompany.com"}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/hmac/public_url: must be http(s)://host[:port][/path prefix], e.g. "
            "https://hooks.example.com\n");
}

}  // namespace
}  // namespace wg
