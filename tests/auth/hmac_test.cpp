// The `hmac` method, built from its webhooks.json config as at start. Every expected signature
// below was computed outside our code (the command is next to it), never by the code under test.
#include "auth/hmac.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>

#include "config/json_reader.hpp"

namespace wg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kBody = R"({"order":1})";
constexpr int64_t kNow = 1700000000;  // the timestamp the fixtures sign

struct Built {
  std::shared_ptr<const Validator> validator;
  std::vector<std::string> errors;  // "path: message"
};

Built Build(std::string_view hmac_json) {
  boost::json::object webhook;
  webhook["module"] = "log";
  webhook["hmac"] = boost::json::parse(hmac_json);
  ConfigErrors errors("webhooks.json");
  Built built;
  built.validator = BuildHmac(webhook, "/orders", errors);
  for (const auto& error : errors.errors())
    built.errors.push_back(error.path + ": " + error.message);
  return built;
}

std::shared_ptr<const Validator> MustBuild(std::string_view hmac_json) {
  Built built = Build(hmac_json);
  EXPECT_THAT(built.errors, ElementsAre());
  EXPECT_TRUE(built.validator);
  return built.validator;
}

// Runs both stages as the pipeline does: the head, then (if the head passed) the body.
// Returns "" when the request passes, else the 401 message.
std::string Check(const Validator& validator, std::vector<Header> headers,
                  std::string_view body = kBody, int64_t now = kNow) {
  std::vector<std::pair<std::string, std::string>> query;
  AuthRequest request{"POST",
                      "/webhook/orders",
                      "/webhook/orders",
                      headers,
                      query,
                      "127.0.0.1",
                      std::chrono::system_clock::time_point(std::chrono::seconds(now))};
  if (auto failure = validator.CheckHead(request)) {
    EXPECT_EQ(failure->status, 401u);
    return failure->message;
  }
  if (!validator.NeedsBody()) return "";
  if (auto failure = validator.CheckBody(request, body)) {
    EXPECT_EQ(failure->status, 401u);
    return failure->message.empty() ? "(empty message)" : failure->message;
  }
  return "";
}

// printf '{"order":1}' | openssl dgst -sha256 -hmac 'topsecret'
constexpr std::string_view kSha256 =
    "720b7ef2f5464dcc1263beeb276a26786f99b2f47f703b0613a05fcf8bb03efa";
// printf '{"order":1}' | openssl dgst -sha1 -hmac 'topsecret'
constexpr std::string_view kSha1 = "99b488dbf7940a4be77e895a77100d3f3fc37976";
// printf '{"order":1}' | openssl dgst -sha512 -hmac 'topsecret'
constexpr std::string_view kSha512 =
    "7d8cac43ae81bc44e951d0b48cd042b950bdaa07f41fe3dfbe3c09c1eaf207a3a1f5f0accd5a1c1e657ced517642d4"
    "0813e5194714ebf184528b140e01757f5a";
// printf '{"order":1}' | openssl dgst -sha256 -hmac 'newsecret'
constexpr std::string_view kSha256NewSecret =
    "3ede5892e9decd90732a33c1c86eca418964c948405751cbfbb1ce4914afcfb7";

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// --- generic (the Python project's behaviour) ---

TEST(HmacTest, GenericAcceptsBareOrPrefixedHexInAnyCase) {
  auto validator = MustBuild(R"({"secret": "topsecret"})");
  EXPECT_EQ(Check(*validator, {{"x-hmac-signature", std::string(kSha256)}}), "");
  EXPECT_EQ(Check(*validator, {{"x-hmac-signature", "sha256=" + std::string(kSha256)}}), "");
  EXPECT_EQ(Check(*validator, {{"x-hmac-signature", "SHA256=" + Upper(kSha256)}}), "");
}

TEST(HmacTest, GenericFailuresUseThePythonMessages) {
  auto validator = MustBuild(R"({"secret": "topsecret", "header": "X-Signature"})");
  EXPECT_EQ(Check(*validator, {}), "Missing X-Signature header");
  EXPECT_EQ(Check(*validator, {{"x-signature", ""}}), "Missing X-Signature header");
  EXPECT_EQ(Check(*validator, {{"x-signature", "not-hex"}}),
            "Invalid HMAC signature format (must be hexadecimal)");
  EXPECT_EQ(Check(*validator, {{"x-signature", "sha256="}}),
            "Invalid HMAC signature format (must be hexadecimal)");
  EXPECT_EQ(Check(*validator, {{"x-signature", std::string(kSha256NewSecret)}}),
            "Invalid HMAC signature");
  EXPECT_EQ(Check(*validator, {{"x-signature", std::string(kSha256)}}, R"({"order":2})"),
            "Invalid HMAC signature")
      << "another body";
  EXPECT_EQ(Check(*validator, {{"x-signature", std::string(kSha256.substr(1))}}),
            "Invalid HMAC signature")
      << "odd length";
  EXPECT_EQ(Check(*validator, {{"x-signature", "sha1=" + std::string(kSha256)}}),
            "Invalid HMAC signature")
      << "a prefix naming another algorithm";
  EXPECT_EQ(Check(*validator, {{"x-signature", std::string(kSha1)}}), "Invalid HMAC signature");
}

TEST(HmacTest, GenericSha1AndSha512) {
  auto sha1 =
      MustBuild(R"({"secret": "topsecret", "algorithm": "SHA1", "header": "X-Hub-Signature"})");
  EXPECT_EQ(Check(*sha1, {{"x-hub-signature", "sha1=" + std::string(kSha1)}}), "");
  EXPECT_EQ(Check(*sha1, {{"x-hub-signature", std::string(kSha256)}}), "Invalid HMAC signature");
  auto sha512 = MustBuild(R"({"secret": "topsecret", "algorithm": "sha512"})");
  EXPECT_EQ(Check(*sha512, {{"x-hmac-signature", std::string(kSha512)}}), "");
  EXPECT_EQ(Check(*sha512, {{"x-hmac-signature", std::string(kSha256)}}), "Invalid HMAC signature");
}

TEST(HmacTest, RotationAcceptsAnyConfiguredSecret) {
  auto validator = MustBuild(R"({"secrets": ["newsecret", "topsecret"]})");
  EXPECT_EQ(Check(*validator, {{"x-hmac-signature", std::string(kSha256)}}), "");
  EXPECT_EQ(Check(*validator, {{"x-hmac-signature", std::string(kSha256NewSecret)}}), "");
  auto both = MustBuild(R"({"secret": "newsecret", "secrets": ["topsecret"]})");
  EXPECT_EQ(Check(*both, {{"x-hmac-signature", std::string(kSha256)}}), "");
  EXPECT_EQ(Check(*both, {{"x-hmac-signature", std::string(kSha256NewSecret)}}), "");
  auto old_only = MustBuild(R"({"secrets": ["topsecret"]})");
  EXPECT_EQ(Check(*old_only, {{"x-hmac-signature", std::string(kSha256NewSecret)}}),
            "Invalid HMAC signature");
}

TEST(HmacTest, ConfigErrorsAtStartWithTheirPaths) {
  EXPECT_THAT(Build(R"({})").errors,
              ElementsAre("/orders/hmac/secret: HMAC secret not configured (set \"secret\" or "
                          "\"secrets\")"));
  EXPECT_THAT(Build(R"("x")").errors, ElementsAre("/orders/hmac: must be an object, got a string"));
  EXPECT_THAT(
      Build(R"({"secret": "", "algorithm": "md5", "header": "", "colour": 1})").errors,
      ElementsAre("/orders/hmac/header: must not be empty",
                  "/orders/hmac/algorithm: Unsupported HMAC algorithm: md5 (supported: sha256, "
                  "sha1, sha512)",
                  "/orders/hmac/secret: HMAC secret not configured (empty)",
                  HasSubstr("/orders/hmac/colour: unknown key in hmac")));
  EXPECT_THAT(Build(R"({"secrets": ["a", 7], "provider": "bitbucket"})").errors,
              ElementsAre(HasSubstr("/orders/hmac/provider: unknown HMAC provider \"bitbucket\""),
                          "/orders/hmac/secrets/1: must be a string, got a number"));
  EXPECT_THAT(Build(R"({"secrets": []})").errors,
              ElementsAre("/orders/hmac/secrets: must list at least one secret"));
  EXPECT_THAT(Build(R"({"secret": "s", "provider": "github", "algorithm": "sha1",
                        "header": "X", "tolerance": 10})")
                  .errors,
              ElementsAre(HasSubstr("/orders/hmac/header: only without \"provider\""),
                          HasSubstr("/orders/hmac/algorithm: only without \"provider\""),
                          HasSubstr("/orders/hmac/tolerance: only for the timestamped")));
  EXPECT_THAT(Build(R"({"secret": "s", "provider": "stripe", "tolerance": 0})").errors,
              ElementsAre("/orders/hmac/tolerance: must be between 1 and 604800, got 0"));
  EXPECT_THAT(Build(R"({"secret": "whsk_abc", "provider": "standard_webhooks"})").errors,
              ElementsAre(HasSubstr("/orders/hmac/secret: whsk_ is the sender's private key")));
  EXPECT_THAT(Build(R"({"secrets": ["whsec_!!", "whpk_AAAA"], "provider": "svix"})").errors,
              ElementsAre(HasSubstr("/orders/hmac/secrets/0: must be whsec_"),
                          HasSubstr("/orders/hmac/secrets/1: a whpk_ public key must be")));
}

// --- github ---

// GitHub's documented example: printf 'Hello, World!' | openssl dgst -sha256 -hmac
// "It's a Secret to Everybody"
TEST(HmacTest, GithubDocumentedExample) {
  auto validator = MustBuild(R"({"provider": "github", "secret": "It's a Secret to Everybody"})");
  const std::string good =
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  EXPECT_EQ(Check(*validator, {{"x-hub-signature-256", good}}, "Hello, World!"), "");
  EXPECT_EQ(Check(*validator, {{"x-hub-signature-256", good}}, "Hello, World?"),
            "Invalid HMAC signature");
  EXPECT_EQ(Check(*validator, {}, "Hello, World!"), "Missing X-Hub-Signature-256 header");
  EXPECT_EQ(Check(*validator, {{"x-hub-signature-256", "sha256=zz"}}, "Hello, World!"),
            "Invalid HMAC signature format (must be hexadecimal)");
  auto wrong_secret = MustBuild(R"({"provider": "github", "secret": "other"})");
  EXPECT_EQ(Check(*wrong_secret, {{"x-hub-signature-256", good}}, "Hello, World!"),
            "Invalid HMAC signature");
}

// --- gitlab ---

TEST(HmacTest, GitlabTokenIsComparedWholeAndNeedsNoBody) {
  auto validator = MustBuild(R"({"provider": "gitlab", "secrets": ["tok-new", "tok-old"]})");
  EXPECT_FALSE(validator->NeedsBody());
  EXPECT_EQ(Check(*validator, {{"x-gitlab-token", "tok-old"}}), "");
  EXPECT_EQ(Check(*validator, {{"x-gitlab-token", "tok-new"}}), "");
  EXPECT_EQ(Check(*validator, {{"x-gitlab-token", "tok-ne"}}), "Invalid GitLab token");
  EXPECT_EQ(Check(*validator, {{"x-gitlab-token", "TOK-NEW"}}), "Invalid GitLab token");
  EXPECT_EQ(Check(*validator, {}), "Missing X-Gitlab-Token header");
}

// --- shopify ---

// printf '{"order":1}' | openssl dgst -sha256 -hmac 'shpss_app' -binary | base64
constexpr std::string_view kShopify = "AtROGqGSs1mfasQgvGRLLq7lIxfGE+kJbMrUlAzF50A=";

TEST(HmacTest, ShopifyBase64) {
  auto validator = MustBuild(R"({"provider": "shopify", "secret": "shpss_app"})");
  EXPECT_EQ(Check(*validator, {{"x-shopify-hmac-sha256", std::string(kShopify)}}), "");
  EXPECT_EQ(Check(*validator, {{"x-shopify-hmac-sha256", std::string(kShopify)}}, "{}"),
            "Invalid HMAC signature");
  EXPECT_EQ(Check(*validator, {{"x-shopify-hmac-sha256", "%%%"}}),
            "Invalid HMAC signature format (must be base64)");
  EXPECT_EQ(Check(*validator, {}), "Missing X-Shopify-Hmac-Sha256 header");
  auto wrong_secret = MustBuild(R"({"provider": "shopify", "secret": "shpss_other"})");
  EXPECT_EQ(Check(*wrong_secret, {{"x-shopify-hmac-sha256", std::string(kShopify)}}),
            "Invalid HMAC signature");
}

// --- stripe ---

// printf '1700000000.{"order":1}' | openssl dgst -sha256 -hmac 'whsec_stripe123'
constexpr std::string_view kStripe =
    "5d71082d63baa3a18460ac4443d45c54a71d5fb34bd7fb8d7f09156fd80c8541";

TEST(HmacTest, StripeSignedPayloadIsTimestampDotBody) {
  auto validator = MustBuild(R"({"provider": "stripe", "secret": "whsec_stripe123"})");
  const std::string good = "t=1700000000,v1=" + std::string(kStripe);
  EXPECT_EQ(Check(*validator, {{"stripe-signature", good}}), "");
  // During Stripe's own rotation several v1 entries are sent; one matching is enough.
  EXPECT_EQ(
      Check(*validator, {{"stripe-signature", "t=1700000000,v1=" + std::string(kSha256) +
                                                  ",v1=" + std::string(kStripe) + ",v0=abc"}}),
      "");
  EXPECT_EQ(Check(*validator, {{"stripe-signature", good}}, R"({"order":2})"),
            "Invalid HMAC signature");
  EXPECT_EQ(Check(*validator, {{"stripe-signature", "t=1700000000,v1=" + std::string(kSha256)}}),
            "Invalid HMAC signature");
  EXPECT_EQ(Check(*validator, {}), "Missing Stripe-Signature header");
  EXPECT_EQ(Check(*validator, {{"stripe-signature", "v1=" + std::string(kStripe)}}),
            "Invalid Stripe-Signature header format (expected t=<timestamp>,v1=<hex>)");
  EXPECT_EQ(Check(*validator, {{"stripe-signature", "t=1700000000"}}),
            "Invalid Stripe-Signature header format (expected t=<timestamp>,v1=<hex>)");
  EXPECT_EQ(Check(*validator, {{"stripe-signature", "t=17e8,v1=" + std::string(kStripe)}}),
            "Invalid Stripe-Signature header format (expected t=<timestamp>,v1=<hex>)");
  EXPECT_EQ(Check(*validator, {{"stripe-signature", good}}, kBody, kNow + 300), "");
  EXPECT_EQ(Check(*validator, {{"stripe-signature", good}}, kBody, kNow + 301),
            "Webhook timestamp too old (tolerance: 300 seconds)");
  EXPECT_EQ(Check(*validator, {{"stripe-signature", good}}, kBody, kNow - 301),
            "Webhook timestamp too new (tolerance: 300 seconds)");
  auto strict = MustBuild(R"({"provider": "stripe", "secret": "whsec_stripe123", "tolerance": 5})");
  EXPECT_EQ(Check(*strict, {{"stripe-signature", good}}, kBody, kNow + 6),
            "Webhook timestamp too old (tolerance: 5 seconds)");
  auto wrong_secret = MustBuild(R"({"provider": "stripe", "secrets": ["whsec_x", "whsec_y"]})");
  EXPECT_EQ(Check(*wrong_secret, {{"stripe-signature", good}}), "Invalid HMAC signature");
}

// --- slack ---

// printf 'v0:1700000000:{"order":1}' | openssl dgst -sha256 -hmac 'slacksigning'
constexpr std::string_view kSlack =
    "51f3ccb0117534f79361223da6e9e945952c4763923caa3a9e03468b47ea1958";

TEST(HmacTest, SlackSignsVersionTimestampAndBody) {
  auto validator = MustBuild(R"({"provider": "slack", "secret": "slacksigning"})");
  const std::vector<Header> good = {{"x-slack-signature", "v0=" + std::string(kSlack)},
                                    {"x-slack-request-timestamp", "1700000000"}};
  EXPECT_EQ(Check(*validator, good), "");
  EXPECT_EQ(Check(*validator, good, "{}"), "Invalid HMAC signature");
  EXPECT_EQ(Check(*validator,
                  {{"x-slack-signature", "v0=" + std::string(kSlack)},
                   {"x-slack-request-timestamp", "1700000001"}},
                  kBody, kNow + 1),
            "Invalid HMAC signature")
      << "the timestamp is signed";
  EXPECT_EQ(Check(*validator, {good[1]}), "Missing X-Slack-Signature header");
  EXPECT_EQ(Check(*validator, {good[0]}), "Missing X-Slack-Request-Timestamp header");
  EXPECT_EQ(Check(*validator, {{"x-slack-signature", std::string(kSlack)}, good[1]}),
            "Invalid HMAC signature format (must be v0=<hex>)");
  EXPECT_EQ(Check(*validator, {good[0], {"x-slack-request-timestamp", "yesterday"}}),
            "Invalid X-Slack-Request-Timestamp header (must be Unix seconds)");
  // A sign is not a digit ("-0" once passed as zero; found by signature_header_fuzz).
  EXPECT_EQ(Check(*validator, {good[0], {"x-slack-request-timestamp", "-0"}}),
            "Invalid X-Slack-Request-Timestamp header (must be Unix seconds)");
  EXPECT_EQ(Check(*validator, good, kBody, kNow + 3600),
            "Webhook timestamp too old (tolerance: 300 seconds)");
  auto wrong_secret = MustBuild(R"({"provider": "slack", "secret": "other"})");
  EXPECT_EQ(Check(*wrong_secret, good), "Invalid HMAC signature");
}

// --- standard webhooks / svix ---

// The test vector of standard-webhooks' own libraries:
// printf 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' | openssl dgst -sha256
//   -mac HMAC -macopt hexkey:$(echo -n MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw | base64 -d | xxd -p)
//   -binary | base64
constexpr std::string_view kStdSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kStdBody = R"({"test": 2432232314})";
constexpr int64_t kStdNow = 1614265330;
constexpr std::string_view kStdV1 = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
// openssl genpkey -algorithm ed25519 -out sk.pem
// printf 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' > msg
// openssl pkeyutl -sign -rawin -inkey sk.pem -in msg | base64 -w0
// openssl pkey -in sk.pem -pubout -outform DER | tail -c 32 | base64
constexpr std::string_view kStdPublicKey = "whpk_ujxl7Vg3ozjFJYoE+F0j3jt4PUfCsPfkzeZL1ySopZ0=";
constexpr std::string_view kStdV1a =
    "v1a,72CnF+veM+SrHlorimuFyjGSNstQON6afjIOB1hACb8Qof3J7Xih3WdbKo0uEZTSMPsduHpCg+Qp/FRRIl2UDw==";

std::vector<Header> StdHeaders(std::string_view prefix, std::string_view signature) {
  return {{std::string(prefix) + "id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
          {std::string(prefix) + "timestamp", "1614265330"},
          {std::string(prefix) + "signature", std::string(signature)}};
}

TEST(HmacTest, StandardWebhooksSpecVector) {
  auto validator =
      MustBuild(fmt::format(R"({{"provider": "standard_webhooks", "secret": "{}"}})", kStdSecret));
  EXPECT_EQ(Check(*validator, StdHeaders("webhook-", kStdV1), kStdBody, kStdNow), "");
  EXPECT_EQ(Check(*validator, StdHeaders("svix-", kStdV1), kStdBody, kStdNow), "")
      << "svix-* names too";
  // Space-separated entries; unknown versions and a wrong v1 are skipped.
  EXPECT_EQ(
      Check(*validator,
            StdHeaders("webhook-", "v2,abcd v1,AAAA" + std::string(" ") + std::string(kStdV1)),
            kStdBody, kStdNow),
      "");
  EXPECT_EQ(Check(*validator, StdHeaders("webhook-", kStdV1), R"({"test": 1})", kStdNow),
            "Invalid HMAC signature");
  EXPECT_EQ(Check(*validator, StdHeaders("webhook-", "v2,abcd"), kStdBody, kStdNow),
            "Invalid HMAC signature");
  auto headers = StdHeaders("webhook-", kStdV1);
  headers[0].value = "msg_other";
  EXPECT_EQ(Check(*validator, headers, kStdBody, kStdNow), "Invalid HMAC signature")
      << "the id is signed";
  EXPECT_EQ(
      Check(*validator, {StdHeaders("webhook-", kStdV1)[0], StdHeaders("webhook-", kStdV1)[2]},
            kStdBody, kStdNow),
      "Missing webhook-timestamp header");
  EXPECT_EQ(Check(*validator, {StdHeaders("svix-", kStdV1)[0], StdHeaders("svix-", kStdV1)[1]},
                  kStdBody, kStdNow),
            "Missing svix-signature header");
  EXPECT_EQ(
      Check(*validator, {StdHeaders("webhook-", kStdV1)[1], StdHeaders("webhook-", kStdV1)[2]},
            kStdBody, kStdNow),
      "Missing webhook-id header");
  EXPECT_EQ(Check(*validator, StdHeaders("webhook-", kStdV1), kStdBody, kStdNow + 301),
            "Webhook timestamp too old (tolerance: 300 seconds)");
  EXPECT_EQ(Check(*validator, StdHeaders("webhook-", kStdV1), kStdBody, kStdNow - 301),
            "Webhook timestamp too new (tolerance: 300 seconds)");
  headers = StdHeaders("webhook-", kStdV1);
  headers[1].value = "1614265330.5";
  EXPECT_EQ(Check(*validator, headers, kStdBody, kStdNow),
            "Invalid webhook-timestamp header (must be Unix seconds)");

  // The secret without its whsec_ prefix is the same key; another secret is not.
  auto bare = MustBuild(R"({"provider": "svix", "secret": "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})");
  EXPECT_EQ(Check(*bare, StdHeaders("webhook-", kStdV1), kStdBody, kStdNow), "");
  auto wrong = MustBuild(R"({"provider": "svix", "secret": "whsec_AAAAAAAAAAAAAAAAAAAAAAAA"})");
  EXPECT_EQ(Check(*wrong, StdHeaders("svix-", kStdV1), kStdBody, kStdNow),
            "Invalid HMAC signature");
}

TEST(HmacTest, StandardWebhooksEd25519) {
  auto validator = MustBuild(fmt::format(
      R"({{"provider": "standard_webhooks", "secrets": ["{}", "whsec_AAAAAAAAAAAAAAAAAAAAAAAA"]}})",
      kStdPublicKey));
  EXPECT_EQ(Check(*validator, StdHeaders("webhook-", kStdV1a), kStdBody, kStdNow), "");
  EXPECT_EQ(Check(*validator, StdHeaders("webhook-", kStdV1a), R"({"test": 1})", kStdNow),
            "Invalid HMAC signature");
  EXPECT_EQ(Check(*validator, StdHeaders("webhook-", kStdV1), kStdBody, kStdNow),
            "Invalid HMAC signature")
      << "v1 with a secret we do not hold";
  auto hmac_only =
      MustBuild(fmt::format(R"({{"provider": "standard_webhooks", "secret": "{}"}})", kStdSecret));
  EXPECT_EQ(Check(*hmac_only, StdHeaders("webhook-", kStdV1a), kStdBody, kStdNow),
            "Invalid HMAC signature")
      << "v1a needs a pinned whpk_ key";
  EXPECT_EQ(
      Check(*hmac_only, StdHeaders("webhook-", std::string(kStdV1a) + " " + std::string(kStdV1)),
            kStdBody, kStdNow),
      "");
}

}  // namespace
}  // namespace wg
