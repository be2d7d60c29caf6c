#include "auth/oauth2.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>

#include "auth/auth_test_support.hpp"
#include "auth/introspection_cache.hpp"
#include "auth/jwt_test_support.hpp"

namespace wg {
namespace {

using test::Build;
using test::FakeRequest;
using test::JwsFixtures;
using test::Outcome;

std::string Expiring(int64_t offset, const std::string& extra = "") {
  return R"({"exp":)" + std::to_string(test::NowSeconds() + offset) + extra + "}";
}

std::string WithAuthorization(const Validator& validator, const std::string& value) {
  return Outcome(validator, FakeRequest().WithHeader("authorization", value));
}

TEST(Oauth2Test, LocalJwtChecksTheSignatureExpiryAndScopes) {
  auto built = Build(BuildOauth2, R"({"oauth2": {"jwt_secret": "s3cret-key",
      "required_scope": ["webhooks:write"], "audience": "gateway"}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  EXPECT_FALSE(v.NeedsAsyncCheck());
  auto sign = [](const std::string& claims) {
    return "Bearer " + JwsFixtures::Get().Sign("HS256", "hmac:s3cret-key", claims);
  };
  EXPECT_EQ(WithAuthorization(
                v, sign(Expiring(600, R"(,"aud":"gateway","scope":"read webhooks:write")"))),
            "pass");
  EXPECT_EQ(
      WithAuthorization(v, sign(Expiring(600, R"(,"aud":"gateway","scope":["webhooks:write"])"))),
      "pass");
  EXPECT_EQ(WithAuthorization(v, sign(Expiring(600, R"(,"aud":"gateway","scope":"read")"))),
            "OAuth 2.0 token missing required scopes");
  EXPECT_EQ(WithAuthorization(v, sign(Expiring(600, R"(,"aud":"gateway")"))),
            "OAuth 2.0 token missing required scopes");
  EXPECT_EQ(
      WithAuthorization(v, sign(Expiring(-600, R"(,"aud":"gateway","scope":"webhooks:write")"))),
      "OAuth 2.0 token expired");
  EXPECT_EQ(WithAuthorization(v, sign(Expiring(600, R"(,"aud":"other","scope":"webhooks:write")"))),
            "Invalid OAuth 2.0 token: Invalid JWT audience");
  std::string other_key =
      "Bearer " +
      JwsFixtures::Get().Sign("HS256", "hmac:other-key",
                              Expiring(600, R"(,"aud":"gateway","scope":"webhooks:write")"));
  EXPECT_EQ(WithAuthorization(v, other_key), "Invalid OAuth 2.0 token: Invalid JWT signature");
  EXPECT_EQ(WithAuthorization(v, "Bearer not-a-jwt"),
            "Invalid OAuth 2.0 token: Invalid JWT token format");
}

TEST(Oauth2Test, ThePemKeyDecidesWhichDefaultAlgorithmApplies) {
  // Default jwt_algorithms ["HS256", "RS256"]: with a public key only RS256 remains, so the
  // key's PEM text used as an HMAC secret gets nowhere.
  const std::string& pem = JwsFixtures::Get().Public("rsa");
  auto built = Build(BuildOauth2, R"({"oauth2": {"jwt_secret": )" +
                                      boost::json::serialize(boost::json::value(pem)) + "}}");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_EQ(WithAuthorization(*built.validator,
                              "Bearer " + JwsFixtures::Get().Sign("RS256", "rsa", Expiring(600))),
            "pass");
  std::string hex;
  for (unsigned char c : pem) hex += fmt::format("{:02x}", c);
  EXPECT_EQ(WithAuthorization(
                *built.validator,
                "Bearer " + JwsFixtures::Get().Sign("HS256", "hmachex:" + hex, Expiring(600))),
            "Invalid OAuth 2.0 token: Invalid JWT algorithm");
  EXPECT_EQ(WithAuthorization(*built.validator,
                              "Bearer " + JwsFixtures::Get().Sign("PS256", "rsa", Expiring(600))),
            "Invalid OAuth 2.0 token: Invalid JWT algorithm");
}

TEST(Oauth2Test, TheTokenComesAfterTheTokenType) {
  auto built = Build(BuildOauth2, R"({"oauth2": {"validate_token": false}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  EXPECT_EQ(WithAuthorization(v, "Bearer anything"), "pass");
  EXPECT_EQ(Outcome(v, FakeRequest()), "OAuth 2.0 Bearer token required");
  EXPECT_EQ(WithAuthorization(v, "Basic YWxpY2U6czNjcmV0"), "OAuth 2.0 Bearer token required");
  EXPECT_EQ(WithAuthorization(v, "Bearer "), "Empty OAuth 2.0 token");
  EXPECT_EQ(WithAuthorization(v, "Bearer    "), "Empty OAuth 2.0 token");
  EXPECT_EQ(WithAuthorization(v, "Bearer"), "Empty OAuth 2.0 token");
  auto failure = test::Check(v, FakeRequest());
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->status, 401u);

  auto custom =
      Build(BuildOauth2, R"({"oauth2": {"validate_token": false, "token_type": "Token"}})");
  ASSERT_TRUE(custom.validator) << custom.ErrorText();
  EXPECT_EQ(WithAuthorization(*custom.validator, "Token abc"), "pass");
  EXPECT_EQ(WithAuthorization(*custom.validator, "Bearer abc"), "OAuth 2.0 Token token required");
}

TEST(Oauth2Test, IntrospectionIsAwaitedAndItsEndpointChecked) {
  auto built = Build(BuildOauth2, R"({"oauth2": {
      "introspection_endpoint": "http://127.0.0.1:9/introspect", "allowed_hosts": ["127.0.0.1"],
      "client_id": "gw", "client_secret": "pw"}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_TRUE(built.validator->NeedsAsyncCheck());

  built = Build(BuildOauth2, R"({"oauth2": {"introspection_endpoint": "http://127.0.0.1:9/x"}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/oauth2/introspection_endpoint: refused endpoint host \"127.0.0.1\": loopback "
            "address (list it in allowed_hosts to allow it)\n");
  built = Build(BuildOauth2, R"({"oauth2": {"introspection_endpoint": "ftp://idp.example/x"}})");
  EXPECT_EQ(built.ErrorText(),
            "/orders/oauth2/introspection_endpoint: scheme \"ftp\" is not allowed (http or "
            "https only)\n");
  built =
      Build(BuildOauth2, R"({"oauth2": {"introspection_endpoint": "http://u:p@idp.example/x"}})");
  EXPECT_EQ(built.ErrorText(),
            "/orders/oauth2/introspection_endpoint: credentials in the URL are not allowed; use "
            "client_id and client_secret\n");
}

TEST(Oauth2Test, ConfigErrorsCarryTheirPaths) {
  auto built = Build(BuildOauth2, R"({"oauth2": {}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/oauth2: OAuth 2.0 validation not properly configured (missing "
            "introspection_endpoint or jwt_secret)\n");
  built = Build(BuildOauth2, R"({"oauth2": {"jwt_secret": "k", "jwt_algorithms": ["none"]}})");
  EXPECT_EQ(built.ErrorText(),
            "/orders/oauth2/jwt_algorithms: JWT algorithm validation failed: 'none' is not "
            "allowed\n");
  built = Build(BuildOauth2, R"({"oauth2": {"jwt_secret": "k", "jwt_algorithms": ["RS256"]}})");
  EXPECT_EQ(built.ErrorText(),
            "/orders/oauth2/jwt_secret: an HMAC secret cannot verify RS256 (HS* needs a plain "
            "secret, RS*/PS* a PEM RSA public key, ES256/384/512 a PEM EC key on P-256/384/521)\n");
  built = Build(BuildOauth2, R"({"oauth2": {"jwt_secret": "k", "required_scope": 5, "x": 1}})");
  EXPECT_EQ(built.ErrorText(),
            "/orders/oauth2/required_scope: must be a list of scopes or a space-separated string\n"
            "/orders/oauth2/x: unknown key in oauth2 (allowed: allowed_hosts, audience, client_id, "
            "client_secret, introspection_endpoint, issuer, jwt_algorithms, jwt_secret, "
            "required_scope, ssl_ca_cert, token_type, validate_token, verify_exp)\n");
}

TEST(Oauth2IntrospectionCacheTest, KeepsAnswersForTheirTimeAndWithinItsSize) {
  using std::chrono::seconds;
  IntrospectionCache cache(seconds(60), 2);
  const auto t0 = std::chrono::system_clock::time_point(seconds(1'700'000'000));
  EXPECT_FALSE(cache.Find("a", t0));
  cache.Store("a", TokenInfo{true, {"read"}, std::nullopt}, t0);
  cache.Store("b", TokenInfo{false, {}, std::nullopt}, t0);  // negative answers are kept too
  ASSERT_TRUE(cache.Find("a", t0 + seconds(59)));
  EXPECT_TRUE(cache.Find("a", t0)->active);
  EXPECT_EQ(cache.Find("a", t0)->scopes, std::vector<std::string>{"read"});
  EXPECT_FALSE(cache.Find("b", t0)->active);
  EXPECT_FALSE(cache.Find("a", t0 + seconds(60)));

  cache.Store("c", TokenInfo{true, {}, std::nullopt}, t0);  // full: one entry gives way
  int kept = cache.Find("a", t0).has_value() + cache.Find("b", t0).has_value() +
             cache.Find("c", t0).has_value();
  EXPECT_EQ(kept, 2);
  EXPECT_TRUE(cache.Find("c", t0));

  // An active token is not kept past its own exp.
  cache.Store("d", TokenInfo{true, {}, t0 + seconds(5)}, t0);
  EXPECT_TRUE(cache.Find("d", t0 + seconds(4)));
  EXPECT_FALSE(cache.Find("d", t0 + seconds(5)));
}

}  // namespace
}  // namespace wg
