// The `oauth1` method. Signatures come from outside our code: the OAuth Core 1.0 example
// (Appendix A.5, checked with `openssl dgst -sha1 -hmac`) and values computed with Python's
// hmac/hashlib/base64 from the base string written out by hand (commands next to them).
#include "auth/oauth1.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "auth/auth_test_support.hpp"

namespace wg {
namespace {

using test::Build;
using test::FakeRequest;
using test::Outcome;

using Clock = std::chrono::system_clock;
Clock::time_point At(int64_t seconds) { return Clock::time_point(std::chrono::seconds(seconds)); }

// OAuth Core 1.0 Appendix A.5: GET http://photos.example.net/photos?file=vacation.jpg&size=original
//   printf '%s'
//   'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key
//   %3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26
//   oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3D
//   original' | openssl dgst -sha1 -hmac 'kd94hf93k423kf44&pfkkdhi9sl3r4s00' -binary | base64
//   -> tR3+Ty81lMeYAr/Fid0kMTYa/WM=
constexpr std::string_view kPhotosConfig = R"({"oauth1": {"consumer_key": "dpf43f3p2l4k3l03",
    "consumer_secret": "kd94hf93k423kf44", "token_secret": "pfkkdhi9sl3r4s00"}})";
constexpr int64_t kPhotosTime = 1191242096;

std::string PhotosHeader(std::string_view signature = "tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D",
                         std::string_view nonce = "kllo9940pd9333jh", std::string_view extra = "") {
  return fmt::format(
      R"(OAuth realm="http://photos.example.net/", oauth_consumer_key="dpf43f3p2l4k3l03", )"
      R"(oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", )"
      R"(oauth_signature="{}", oauth_timestamp="1191242096", oauth_nonce="{}", )"
      R"(oauth_version="1.0"{})",
      signature, nonce, extra);
}

FakeRequest Photos(std::string header) {
  return FakeRequest()
      .At("GET", "/photos?file=vacation.jpg&size=original")
      .AtTime(At(kPhotosTime + 10))
      .WithHeader("host", "photos.example.net")
      .WithHeader("authorization", std::move(header));
}

TEST(Oauth1Test, AcceptsTheOAuthCoreExample) {
  auto built = Build(BuildOauth1, kPhotosConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_EQ(Outcome(*built.validator, Photos(PhotosHeader())), "pass");
  // The default port spelled out, and any case, name the same URL (RFC 5849 §3.4.1.2).
  auto fresh = Build(BuildOauth1, kPhotosConfig);
  auto request = Photos(PhotosHeader());
  request.headers[0].value = "Photos.Example.NET:80";
  EXPECT_EQ(Outcome(*fresh.validator, request), "pass");
}

// RFC 5849 §3.4.1's parameters (query, form body, header) with HMAC-SHA256, over
// https://hooks.example.com:8443/webhook/orders, consumer secret "j49sj&d8e d" and token secret
// "dh893hdasih9":
//   q = lambda s: urllib.parse.quote(s, safe='~')
//   params = "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2"
//            "&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA256&oauth_timestamp=137131201"
//            "&oauth_token=kkk9d7dh3k39sjv7"
//   base = "POST&" + q(url) + "&" + q(params); key = q("j49sj&d8e d") + "&" + q("dh893hdasih9")
//   base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha256).digest())
//   url https://hooks.example.com:8443/webhook/orders ->
//   C3Nmetlxw1DediMRIfI7QuHr2MDA64uem+hgr02WbQ8= url https://example.com/gw/webhook/orders ->
//   kCNeZRIentd8Sc0DU+WqlC+ougjjkJRfjqXPp5iqMaY=
constexpr std::string_view kFormConfig = R"({"oauth1": {"consumer_key": "9djdj82h48djs9d2",
    "consumer_secret": "j49sj&d8e d", "token_secret": "dh893hdasih9",
    "signature_method": "HMAC-SHA256"}})";
constexpr std::string_view kFormBody = "c2&a3=2+q";
constexpr std::string_view kFormTarget = "/webhook/orders?b5=%3D%253D&a3=a&c%40=&a2=r%20b";

FakeRequest FormRequest(std::string_view signature) {
  return FakeRequest()
      .At("POST", std::string(kFormTarget))
      .AtTime(At(137131201))
      .WithHeader("host", "Hooks.Example.com:8443")
      .WithHeader("x-forwarded-proto", "https")
      .WithHeader("content-type", "application/x-www-form-urlencoded; charset=utf-8")
      .WithHeader("authorization",
                  fmt::format(R"(OAuth realm="Example",oauth_consumer_key="9djdj82h48djs9d2",)"
                              R"(oauth_token="kkk9d7dh3k39sjv7",)"
                              R"(oauth_signature_method="HMAC-SHA256",)"
                              R"(oauth_timestamp="137131201",oauth_nonce="7d8f3e4a",)"
                              R"(oauth_signature="{}")",
                              signature));
}

TEST(Oauth1Test, SignsQueryFormBodyAndHeaderParametersOverTheAbsoluteUrl) {
  auto built = Build(BuildOauth1, kFormConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  constexpr std::string_view kSignature = "C3Nmetlxw1DediMRIfI7QuHr2MDA64uem%2Bhgr02WbQ8%3D";
  EXPECT_EQ(Outcome(v, FormRequest(kSignature), kFormBody), "pass");

  auto replayed = FormRequest(kSignature);
  EXPECT_EQ(Outcome(v, replayed, kFormBody),
            "OAuth 1.0 nonce has already been used (replay attack detected)");

  auto fresh = Build(BuildOauth1, kFormConfig);
  EXPECT_EQ(Outcome(*fresh.validator, FormRequest(kSignature), "c2&a3=2+r"),
            "Invalid OAuth 1.0 signature")
      << "the form body is signed";
  auto json_body = FormRequest(kSignature);
  json_body.headers[2].value = "application/json";
  EXPECT_EQ(Outcome(*fresh.validator, json_body, kFormBody), "Invalid OAuth 1.0 signature")
      << "only a form body is signed";
  auto plain_http = FormRequest(kSignature);
  plain_http.headers.erase(plain_http.headers.begin() + 1);
  EXPECT_EQ(Outcome(*fresh.validator, plain_http, kFormBody), "Invalid OAuth 1.0 signature")
      << "without X-Forwarded-Proto the URL is http://";
  // The failures above did not use up the nonce: only a verified signature records it.
  EXPECT_EQ(Outcome(*fresh.validator, FormRequest(kSignature), kFormBody), "pass");
}

TEST(Oauth1Test, PublicUrlReplacesSchemeHostAndPort) {
  auto built = Build(BuildOauth1, R"({"oauth1": {"consumer_key": "9djdj82h48djs9d2",
      "consumer_secret": "j49sj&d8e d", "token_secret": "dh893hdasih9",
      "signature_method": "HMAC-SHA256", "public_url": "https://example.com/gw/"}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  auto request = FormRequest("kCNeZRIentd8Sc0DU%2BWqlC%2BougjjkJRfjqXPp5iqMaY%3D");
  request.headers[0].value = "10.0.0.5:8080";  // what the proxy sends us
  EXPECT_EQ(Outcome(*built.validator, request, kFormBody), "pass");
}

TEST(Oauth1Test, Plaintext) {
  auto built = Build(BuildOauth1, R"({"oauth1": {"consumer_key": "ck",
      "consumer_secret": "j49sj&d8e d", "token_secret": "dh893hdasih9",
      "signature_method": "PLAINTEXT", "verify_timestamp": false, "verify_nonce": false}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_FALSE(built.validator->NeedsBody());
  // The signature is q(consumer secret) & q(token secret), percent-encoded again in the header:
  //   q(q("j49sj&d8e d") + "&" + q("dh893hdasih9")) -> j49sj%2526d8e%2520d%26dh893hdasih9
  auto header = [](std::string_view signature) {
    return FakeRequest().WithHeader(
        "authorization",
        fmt::format(R"(OAuth oauth_consumer_key="ck", oauth_signature_method="PLAINTEXT", )"
                    R"(oauth_signature="{}")",
                    signature));
  };
  EXPECT_EQ(Outcome(*built.validator, header("j49sj%2526d8e%2520d%26dh893hdasih9")), "pass");
  EXPECT_EQ(Outcome(*built.validator, header("j49sj%26d8e%20d%26dh893hdasih9")),
            "Invalid OAuth 1.0 signature");
}

TEST(Oauth1Test, EveryFailureHasItsMessage) {
  auto built = Build(BuildOauth1, kPhotosConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  auto failure = test::Check(v, FakeRequest());
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->status, 401u);
  EXPECT_EQ(failure->message, "Missing Authorization header");

  EXPECT_EQ(Outcome(v, Photos("Bearer abc")), "OAuth 1.0 authentication required");
  EXPECT_EQ(Outcome(v, Photos(R"(OAuth oauth_consumer_key="dpf43f3p2l4k3l03)")),
            "Invalid OAuth 1.0 authorization header format");
  EXPECT_EQ(Outcome(v, Photos(R"(OAuth oauth_consumer_key="%zz")")),
            "Invalid OAuth 1.0 authorization header format");
  EXPECT_EQ(Outcome(v, Photos(R"(OAuth oauth_consumer_key="dpf43f3p2l4k3l03")")),
            "Missing required OAuth 1.0 parameter: oauth_signature_method");
  std::string header = PhotosHeader();
  EXPECT_EQ(Outcome(v, Photos(std::string(header).replace(header.find("oauth_nonce"), 11,
                                                          "oauth_nonse"))),
            "Missing required OAuth 1.0 parameter: oauth_nonce");
  EXPECT_EQ(Outcome(v, Photos(std::string(header).replace(header.find("oauth_timestamp"), 15,
                                                          "oauth_timestanp"))),
            "Missing required OAuth 1.0 parameter: oauth_timestamp");
  EXPECT_EQ(Outcome(v, Photos(std::string(header).replace(header.find("dpf43f3p2l4k3l03"), 16,
                                                          "dpf43f3p2l4k3l04"))),
            "Invalid OAuth 1.0 consumer key");
  EXPECT_EQ(
      Outcome(v, Photos(std::string(header).replace(header.find("HMAC-SHA1"), 9, "RSA-SHA1"))),
      "Invalid OAuth 1.0 signature method: RSA-SHA1");
  EXPECT_EQ(Outcome(v, Photos(std::string(header).replace(header.find("\"1.0\""), 5, "\"2.0\""))),
            "Invalid OAuth 1.0 version: 2.0");
  EXPECT_EQ(
      Outcome(v, Photos(std::string(header).replace(header.find("1191242096"), 10, "11912420xx"))),
      "Invalid OAuth 1.0 timestamp");
  EXPECT_EQ(Outcome(v, Photos(PhotosHeader("tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D", " "))),
            "Invalid OAuth 1.0 nonce format");
  EXPECT_EQ(Outcome(v, Photos(PhotosHeader()).AtTime(At(kPhotosTime + 301))),
            "OAuth 1.0 timestamp out of window (diff: 301s, max: 300s)");
  EXPECT_EQ(Outcome(v, Photos(PhotosHeader()).AtTime(At(kPhotosTime - 400))),
            "OAuth 1.0 timestamp out of window (diff: 400s, max: 300s)");
  EXPECT_EQ(Outcome(v, Photos(PhotosHeader("tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3E"))),
            "Invalid OAuth 1.0 signature");
  EXPECT_EQ(Outcome(v, Photos(PhotosHeader("not base64!"))), "Invalid OAuth 1.0 signature");
  EXPECT_EQ(
      Outcome(v, Photos(PhotosHeader()).At("POST", "/photos?file=vacation.jpg&size=original")),
      "Invalid OAuth 1.0 signature");
  EXPECT_EQ(Outcome(v, Photos(PhotosHeader()).At("GET", "/photos?file=vacation.jpg&size=small")),
            "Invalid OAuth 1.0 signature");
  auto no_host = Photos(PhotosHeader());
  no_host.headers.erase(no_host.headers.begin());
  EXPECT_EQ(Outcome(v, no_host), "Invalid OAuth 1.0 signature");
  EXPECT_EQ(Outcome(v, Photos(PhotosHeader("tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D",
                                           "kllo9940pd9333jh", R"(, oauth_nonce="x")"))),
            "Invalid OAuth 1.0 authorization header format")
      << "a parameter twice";
}

TEST(Oauth1Test, TheNonceStoreIsBoundedAndFailsClosed) {
  // The store is checked only after the signature: fill it through PLAINTEXT.
  auto built = Build(BuildOauth1, R"({"oauth1": {"consumer_key": "ck", "consumer_secret": "cs",
      "signature_method": "PLAINTEXT", "verify_timestamp": false}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  auto request = [](int nonce) {
    return FakeRequest().WithHeader(
        "authorization",
        fmt::format(R"(OAuth oauth_consumer_key="ck", oauth_signature_method="PLAINTEXT", )"
                    R"(oauth_signature="cs%26", oauth_nonce="n{}")",
                    nonce));
  };
  EXPECT_EQ(Outcome(*built.validator, request(0)), "pass");
  EXPECT_EQ(Outcome(*built.validator, request(0)),
            "OAuth 1.0 nonce has already been used (replay attack detected)");
  for (int i = 1; i < 100'000; ++i) ASSERT_EQ(Outcome(*built.validator, request(i)), "pass");
  auto failure = test::Check(*built.validator, request(100'000));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->status, 503u);
  EXPECT_EQ(failure->message, "Server nonce storage full, please retry later");
  ASSERT_EQ(failure->headers.size(), 1u);
  EXPECT_EQ(failure->headers[0].first, "Retry-After");
  // Once the nonces expire (now + window + 60 s), there is room again.
  EXPECT_EQ(
      Outcome(*built.validator, request(100'001).AtTime(Clock::now() + std::chrono::seconds(361))),
      "pass");
}

TEST(Oauth1Test, ConfigErrorsCarryTheirPaths) {
  auto built = Build(BuildOauth1, R"({"oauth1": {"consumer_key": "", "signature_method":
      "RSA-SHA1", "timestamp_window": 0, "public_url": "hooks.example.com", "extra": 1}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/oauth1/consumer_key: OAuth 1.0 consumer credentials not configured (empty "
            "consumer_key)\n"
            "/orders/oauth1/consumer_secret: required string is missing\n"
            "/orders/oauth1/signature_method: Invalid OAuth 1.0 signature method: RSA-SHA1 "
            "(supported: HMAC-SHA1, HMAC-SHA256, PLAINTEXT)\n"
            "/orders/oauth1/timestamp_window: must be between 1 and 86400, got 0\n"
            "/orders/oauth1/public_url: must be http(s)://host[:port][/path prefix], e.g. "
            "https://hooks.example.com\n"
            "/orders/oauth1/extra: unknown key in oauth1 (allowed: consumer_key, consumer_secret, "
            "public_url, signature_method, timestamp_window, token_secret, verify_nonce, "
            "verify_timestamp)\n");
}

}  // namespace
}  // namespace wg
