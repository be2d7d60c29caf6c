#include "auth/jwt.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>

#include "auth/auth_test_support.hpp"
#include "auth/jwt_test_support.hpp"

namespace wg {
namespace {

using test::Build;
using test::FakeRequest;
using test::JwsFixtures;
using test::Outcome;

int64_t Now() { return test::NowSeconds(); }

// Claims valid for the next hour, plus `extra` members (",\"iss\":\"x\"").
std::string Claims(const std::string& extra = "") {
  return R"({"sub":"sender","exp":)" + std::to_string(Now() + 3600) + extra + "}";
}

std::string JsonString(const std::string& text) {
  return boost::json::serialize(boost::json::value(text));
}

std::string Config(const std::string& algorithm, const std::string& secret,
                   const std::string& extra = "") {
  return R"({"jwt": {"algorithm": ")" + algorithm + R"(", "secret": )" + JsonString(secret) +
         extra + "}}";
}

std::string WithToken(const Validator& validator, const std::string& token) {
  return Outcome(validator, FakeRequest().WithHeader("authorization", "Bearer " + token));
}

struct AlgorithmCase {
  std::string alg;
  std::string key;  // fixture key name, or hmac:<secret>
};

void PrintTo(const AlgorithmCase& c, std::ostream* out) { *out << c.alg << " with " << c.key; }

class JwtAlgorithmTest : public ::testing::TestWithParam<AlgorithmCase> {};

// The secret in the config: the HMAC secret, or the fixture's PEM public key.
std::string SecretFor(const AlgorithmCase& c) {
  return c.key.starts_with("hmac:") ? c.key.substr(5) : JwsFixtures::Get().Public(c.key);
}

TEST_P(JwtAlgorithmTest, AcceptsAValidTokenAndRefusesATamperedOne) {
  const AlgorithmCase& c = GetParam();
  auto built = Build(BuildJwt, Config(c.alg, SecretFor(c)));
  ASSERT_TRUE(built.validator) << built.ErrorText();
  std::string token = JwsFixtures::Get().Sign(c.alg, c.key, Claims());
  EXPECT_EQ(WithToken(*built.validator, token), "pass");

  // Another payload under the same signature.
  std::string forged = JwsFixtures::Get().Sign(c.alg, c.key, Claims(R"(,"admin":true)"));
  std::string tampered = forged.substr(0, forged.rfind('.')) + token.substr(token.rfind('.'));
  EXPECT_EQ(WithToken(*built.validator, tampered), "Invalid JWT signature");
  // A signature one bit off, and one cut short.
  std::string flipped = token;
  char& last = flipped[flipped.rfind('.') + 1];
  last = last == 'A' ? 'B' : 'A';
  EXPECT_EQ(WithToken(*built.validator, flipped), "Invalid JWT signature");
  // Three bytes fewer: the first four digits of the signature left out.
  const size_t signature_at = token.rfind('.') + 1;
  std::string shorter = token.substr(0, signature_at) + token.substr(signature_at + 4);
  EXPECT_EQ(WithToken(*built.validator, shorter), "Invalid JWT signature");
}

INSTANTIATE_TEST_SUITE_P(
    EveryAlgorithm, JwtAlgorithmTest,
    ::testing::Values(AlgorithmCase{"HS256", "hmac:s3cret-key"},
                      AlgorithmCase{"HS384", "hmac:s3cret-key"},
                      AlgorithmCase{"HS512", "hmac:s3cret-key"}, AlgorithmCase{"RS256", "rsa"},
                      AlgorithmCase{"RS384", "rsa"}, AlgorithmCase{"RS512", "rsa"},
                      AlgorithmCase{"PS256", "rsa"}, AlgorithmCase{"PS384", "rsa"},
                      AlgorithmCase{"PS512", "rsa"}, AlgorithmCase{"ES256", "ec256"},
                      AlgorithmCase{"ES384", "ec384"}, AlgorithmCase{"ES512", "ec521"}),
    [](const auto& info) { return info.param.alg; });

TEST(JwtTest, TheAuthorizationHeaderMustCarryABearerToken) {
  auto built = Build(BuildJwt, Config("HS256", "s3cret-key"));
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  auto failure = test::Check(v, FakeRequest());
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->status, 401u);
  EXPECT_EQ(failure->message, "Missing Authorization header");
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("authorization", "Basic YWxpY2U6czNjcmV0")),
            "JWT Bearer token required");
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("authorization", "bearer x.y.z")),
            "JWT Bearer token required");
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("authorization", "Bearer ")),
            "Invalid JWT token format");
}

TEST(JwtTest, AlgNoneIsNeverAccepted) {
  auto built = Build(BuildJwt, Config("HS256", "s3cret-key"));
  ASSERT_TRUE(built.validator) << built.ErrorText();
  std::string claims = test::Base64UrlEncode(Claims());
  for (std::string alg : {"none", "None", "NONE"}) {
    std::string header = test::Base64UrlEncode(R"({"alg":")" + alg + R"(","typ":"JWT"})");
    EXPECT_EQ(WithToken(*built.validator, header + "." + claims + "."), "Invalid JWT algorithm");
  }
  // A header without alg.
  std::string token =
      JwsFixtures::Get().Sign("HS256", "hmac:s3cret-key", R"({"typ":"JWT"})", Claims());
  EXPECT_EQ(WithToken(*built.validator, token), "Invalid JWT algorithm");
}

TEST(JwtTest, OnlyTheConfiguredAlgorithmIsAccepted) {
  auto built = Build(BuildJwt, Config("hs256", "s3cret-key"));  // case-insensitive in config
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_EQ(
      WithToken(*built.validator, JwsFixtures::Get().Sign("HS512", "hmac:s3cret-key", Claims())),
      "Invalid JWT algorithm");
  // The token's header spells the name exactly (RFC 7518).
  std::string lower =
      JwsFixtures::Get().Sign("HS256", "hmac:s3cret-key", R"({"alg":"hs256"})", Claims());
  EXPECT_EQ(WithToken(*built.validator, lower), "Invalid JWT algorithm");
}

TEST(JwtTest, APublicKeyIsNeverUsedAsAnHmacSecret) {
  // The classic confusion: the attacker signs HS256 with the (public) PEM text as the key.
  const std::string& pem = JwsFixtures::Get().Public("rsa");
  auto built = Build(BuildJwt, Config("RS256", pem));
  ASSERT_TRUE(built.validator) << built.ErrorText();
  std::string hex;  // openssl's -macopt hexkey: the PEM text's bytes as the HMAC key
  for (unsigned char c : pem) hex += fmt::format("{:02x}", c);
  std::string confused =
      JwsFixtures::Get().Sign("HS256", "hmachex:" + hex, R"({"alg":"HS256"})", Claims());
  EXPECT_EQ(WithToken(*built.validator, confused), "Invalid JWT algorithm");

  // Configuring it that way is refused at start.
  auto refused = Build(BuildJwt, Config("HS256", pem));
  EXPECT_FALSE(refused.validator);
  EXPECT_EQ(refused.ErrorText(),
            "/orders/jwt/secret: an RSA public key cannot verify HS256 (HS* needs a plain secret, "
            "RS*/PS* a PEM RSA public key, ES256/384/512 a PEM EC key on P-256/384/521)\n");
}

TEST(JwtTest, TheKeyMustSuitTheAlgorithm) {
  auto built = Build(BuildJwt, Config("RS256", "s3cret-key"));
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/jwt/secret: an HMAC secret cannot verify RS256 (HS* needs a plain secret, "
            "RS*/PS* a PEM RSA public key, ES256/384/512 a PEM EC key on P-256/384/521)\n");
  built = Build(BuildJwt, Config("ES256", JwsFixtures::Get().Public("rsa")));
  EXPECT_FALSE(built.validator);
  built = Build(BuildJwt, Config("ES384", JwsFixtures::Get().Public("ec256")));
  EXPECT_FALSE(built.validator);
  EXPECT_NE(built.ErrorText().find("an EC P-256 public key cannot verify ES384"), std::string::npos)
      << built.ErrorText();
  built = Build(BuildJwt, Config("RS256", JwsFixtures::Get().Public("ed25519")));
  EXPECT_EQ(built.ErrorText(),
            "/orders/jwt/secret: public key type is not supported (RSA or EC keys only)\n");
  built = Build(BuildJwt, Config("RS256", JwsFixtures::Get().Public("rsa1024")));
  EXPECT_EQ(built.ErrorText(),
            "/orders/jwt/secret: RSA public key has 1024 bits; at least 2048 are required\n");
  built = Build(BuildJwt, Config("RS256", JwsFixtures::Get().Private("rsa")));
  EXPECT_EQ(built.ErrorText(),
            "/orders/jwt/secret: must be a PEM public key (-----BEGIN PUBLIC KEY-----), not a "
            "private key\n");
  built = Build(BuildJwt, Config("RS256", "-----BEGIN PUBLIC KEY-----\nnot a key\n"));
  EXPECT_EQ(built.ErrorText(),
            "/orders/jwt/secret: is not a PEM public key (-----BEGIN PUBLIC KEY-----) that can be "
            "read\n");

  // An ES256 key with a token of the right family but the wrong curve.
  built = Build(BuildJwt, Config("ES256", JwsFixtures::Get().Public("ec256")));
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_EQ(WithToken(*built.validator, JwsFixtures::Get().Sign("ES384", "ec384", Claims())),
            "Invalid JWT algorithm");
  // An RS256 key and a token signed by another RSA key.
  built = Build(BuildJwt, Config("RS256", JwsFixtures::Get().Public("rsa")));
  ASSERT_TRUE(built.validator) << built.ErrorText();
  EXPECT_EQ(WithToken(*built.validator, JwsFixtures::Get().Sign("RS256", "rsa1024", Claims())),
            "Invalid JWT signature");
}

TEST(JwtTest, ExpiryIsCheckedWithThirtySecondsOfLeeway) {
  auto built = Build(BuildJwt, Config("HS256", "s3cret-key"));
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  auto sign = [](const std::string& claims) {
    return JwsFixtures::Get().Sign("HS256", "hmac:s3cret-key", claims);
  };
  EXPECT_EQ(WithToken(v, sign(R"({"exp":)" + std::to_string(Now() - 10) + "}")), "pass");
  EXPECT_EQ(WithToken(v, sign(R"({"exp":)" + std::to_string(Now() - 60) + "}")),
            "JWT token expired");
  EXPECT_EQ(WithToken(v, sign(R"({"sub":"x"})")), "JWT missing required claim: exp");
  EXPECT_EQ(WithToken(v, sign(R"({"exp":"tomorrow"})")),
            "JWT validation failed: invalid claim exp");

  auto lax = Build(BuildJwt, Config("HS256", "s3cret-key", R"(, "verify_exp": false)"));
  ASSERT_TRUE(lax.validator) << lax.ErrorText();
  EXPECT_EQ(WithToken(*lax.validator, sign(R"({"sub":"x"})")), "pass");
  EXPECT_EQ(WithToken(*lax.validator, sign(R"({"exp":)" + std::to_string(Now() - 60) + "}")),
            "pass");
}

TEST(JwtTest, NotBeforeAndIssuedAtMustNotBeInTheFuture) {
  auto built = Build(BuildJwt, Config("HS256", "s3cret-key"));
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  auto sign = [](const std::string& claims) {
    return JwsFixtures::Get().Sign("HS256", "hmac:s3cret-key", claims);
  };
  EXPECT_EQ(WithToken(v, sign(Claims(R"(,"nbf":)" + std::to_string(Now() + 10)))), "pass");
  EXPECT_EQ(WithToken(v, sign(Claims(R"(,"nbf":)" + std::to_string(Now() + 120)))),
            "JWT token not yet valid");
  EXPECT_EQ(WithToken(v, sign(Claims(R"(,"iat":)" + std::to_string(Now() + 120)))),
            "JWT token not yet valid");
  EXPECT_EQ(WithToken(v, sign(Claims(R"(,"iat":)" + std::to_string(Now() - 120)))), "pass");
  EXPECT_EQ(WithToken(v, sign(Claims(R"(,"nbf":null)"))),
            "JWT validation failed: invalid claim nbf");
}

TEST(JwtTest, IssuerAndAudienceAreCheckedWhenConfigured) {
  auto built = Build(
      BuildJwt,
      Config("HS256", "s3cret-key", R"(, "issuer": "https://idp.example", "audience": "gateway")"));
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  auto sign = [](const std::string& extra) {
    return JwsFixtures::Get().Sign("HS256", "hmac:s3cret-key", Claims(extra));
  };
  EXPECT_EQ(WithToken(v, sign(R"(,"iss":"https://idp.example","aud":"gateway")")), "pass");
  EXPECT_EQ(WithToken(v, sign(R"(,"iss":"https://idp.example","aud":["other","gateway"])")),
            "pass");
  EXPECT_EQ(WithToken(v, sign(R"(,"iss":"https://evil.example","aud":"gateway")")),
            "Invalid JWT issuer");
  EXPECT_EQ(WithToken(v, sign(R"(,"aud":"gateway")")), "JWT missing required claim: iss");
  EXPECT_EQ(WithToken(v, sign(R"(,"iss":"https://idp.example","aud":"other")")),
            "Invalid JWT audience");
  EXPECT_EQ(WithToken(v, sign(R"(,"iss":"https://idp.example","aud":["other"])")),
            "Invalid JWT audience");
  EXPECT_EQ(WithToken(v, sign(R"(,"iss":"https://idp.example")")),
            "JWT missing required claim: aud");

  // Not configured: not checked.
  auto open = Build(BuildJwt, Config("HS256", "s3cret-key"));
  ASSERT_TRUE(open.validator) << open.ErrorText();
  EXPECT_EQ(WithToken(*open.validator, sign(R"(,"iss":"anyone","aud":"anything")")), "pass");
}

TEST(JwtTest, MalformedTokensAreRefusedBeforeAnyKeyIsUsed) {
  auto built = Build(BuildJwt, Config("HS256", "s3cret-key"));
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  std::string good = JwsFixtures::Get().Sign("HS256", "hmac:s3cret-key", Claims());
  const size_t dot = good.find('.');
  const size_t last = good.rfind('.');
  for (const std::string& token : {
           std::string("abc"),
           std::string("a.b"),
           good + ".x",
           good.substr(0, dot) + "=." + good.substr(dot + 1),     // padding
           "+" + good.substr(1),                                  // standard alphabet
           good.substr(0, last) + ". " + good.substr(last + 1),   // whitespace
           test::Base64UrlEncode("not json") + good.substr(dot),  // header not JSON
           test::Base64UrlEncode("[1]") + good.substr(dot),       // header not an object
           good.substr(0, dot + 1) + test::Base64UrlEncode("[]") + good.substr(last),
           good.substr(0, dot) + "." + good.substr(last + 1),  // two parts
           JwsFixtures::Get().Sign("HS256", "hmac:s3cret-key", R"({"alg":"HS256","crit":["b64"]})",
                                   Claims()),
           JwsFixtures::Get().Sign("HS256", "hmac:s3cret-key",
                                   Claims(R"(,"pad":")" + std::string(8200, 'x') + "\"")),
       }) {
    EXPECT_EQ(WithToken(v, token), "Invalid JWT token format") << token.substr(0, 80);
  }
  // Non-canonical base64url: the last digit of a 2-byte tail with its unused bits set.
  std::string signature = good.substr(last + 1);
  ASSERT_EQ(signature.size(), 43u);  // 32 bytes: 42 full digits + one with 2 unused bits
  std::string tail = signature;
  // The last digit's value is a multiple of 4 (2 unused bits); the next digit sets one of them.
  tail.back() = static_cast<char>(tail.back() + 1);
  EXPECT_EQ(WithToken(v, good.substr(0, last + 1) + tail), "Invalid JWT token format");
}

TEST(JwtTest, ConfigErrorsCarryTheirPaths) {
  auto built = Build(BuildJwt, R"({"jwt": {"algorithm": "none", "secret": "x"}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/jwt/algorithm: JWT algorithm validation failed: 'none' is not allowed\n");
  built = Build(BuildJwt, R"({"jwt": {"algorithm": "MD5", "secret": "x"}})");
  EXPECT_EQ(built.ErrorText(),
            "/orders/jwt/algorithm: JWT algorithm validation failed: 'MD5' is not allowed\n");
  built = Build(BuildJwt, R"({"jwt": {"algorithm": "EdDSA", "secret": "x"}})");
  EXPECT_EQ(built.ErrorText(),
            "/orders/jwt/algorithm: JWT algorithm validation failed: unsupported algorithm "
            "'EdDSA' (allowed: HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 ES512 PS256 "
            "PS384 PS512)\n");
  built = Build(BuildJwt, R"({"jwt": {"secret": "", "leeway": 5}})");
  EXPECT_EQ(built.ErrorText(),
            "/orders/jwt/leeway: unknown key in jwt (allowed: algorithm, audience, issuer, "
            "secret, verify_exp)\n"
            "/orders/jwt/secret: JWT secret is required and cannot be empty\n");
  built = Build(BuildJwt, R"({"jwt": "s3cret"})");
  EXPECT_EQ(built.ErrorText(),
            "/orders/jwt: must be an object with secret and algorithm, got a string\n");
}

}  // namespace
}  // namespace wg
