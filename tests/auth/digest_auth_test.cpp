// The `digest_auth` method. Responses are computed in the test with OpenSSL's hash functions
// directly (RFC 7616 §3.4.1), never by the code under test; DigestResponse itself is checked
// against the RFC's own example (§3.9.1).
#include "auth/digest_auth.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>

#include "auth/auth_test_support.hpp"

namespace wg {
namespace {

using test::Build;
using test::FakeRequest;
using test::Outcome;

constexpr std::string_view kConfig =
    R"({"digest_auth": {"username": "alice", "password": "s3cret"}})";

// Hex MD5 / SHA-256 straight from OpenSSL.
std::string Hash(const EVP_MD* md, const std::string& text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned size = 0;
  EVP_Digest(text.data(), text.size(), out.data(), &size, md, nullptr);
  std::string hex;
  for (unsigned i = 0; i < size; ++i) hex += fmt::format("{:02x}", out[i]);
  return hex;
}

struct Answer {
  const EVP_MD* md = EVP_md5();
  std::string algorithm = "MD5";
  std::string username = "alice";
  std::string realm = "Webhook API";
  std::string password = "s3cret";
  std::string method = "POST";
  std::string uri = "/webhook/orders";
  std::string nonce;
  std::string nc = "00000001";
  std::string cnonce = "0a4f113b";

  std::string Response() const {
    std::string ha1 = Hash(md, username + ":" + realm + ":" + password);
    std::string ha2 = Hash(md, method + ":" + uri);
    return Hash(md, ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2);
  }
  std::string Header(std::string response = {}) const {
    return fmt::format(
        R"(Digest username="{}", realm="{}", nonce="{}", uri="{}", algorithm={}, qop=auth, )"
        R"(nc={}, cnonce="{}", response="{}")",
        username, realm, nonce, uri, algorithm, nc, cnonce,
        response.empty() ? Response() : response);
  }
};

// The value of `name` in a WWW-Authenticate challenge (quoted or not).
std::string ChallengeParam(const std::string& challenge, const std::string& name) {
  size_t at = challenge.find(name + "=");
  if (at == std::string::npos) return "";
  at += name.size() + 1;
  if (challenge[at] == '"') return challenge.substr(at + 1, challenge.find('"', at + 1) - at - 1);
  return challenge.substr(at, challenge.find(',', at) - at);
}

std::string WwwAuthenticate(const AuthFailure& failure) {
  for (const auto& [name, value] : failure.headers) {
    if (name == "WWW-Authenticate") return value;
  }
  return "";
}

// A nonce from the method's own challenge, as a client gets it.
std::string FetchNonce(const Validator& validator, std::chrono::system_clock::time_point now =
                                                       std::chrono::system_clock::now()) {
  auto failure = test::Check(validator, FakeRequest().AtTime(now));
  EXPECT_TRUE(failure);
  return failure ? ChallengeParam(WwwAuthenticate(*failure), "nonce") : "";
}

std::string With(const Validator& validator, const std::string& header) {
  return Outcome(validator, FakeRequest().WithHeader("authorization", header));
}

TEST(DigestAuthTest, ResponseMatchesTheRfc7616Example) {
  // RFC 7616 §3.9.1. The RFC prints ...0eebdec1 for MD5, a known erratum; the value below is
  // what `openssl dgst -md5` gives for the example's inputs (as does the SHA-256 one in the RFC).
  DigestInput input{"MD5",
                    "Mufasa",
                    "http-auth@example.org",
                    "Circle of Life",
                    "GET",
                    "/dir/index.html",
                    "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                    "00000001",
                    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"};
  EXPECT_EQ(DigestResponse(input), "8ca523f5e9506fed4657c9700eebdbec");
  input.algorithm = "SHA-256";
  EXPECT_EQ(DigestResponse(input),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  // MD5-sess: HA1 = MD5(MD5(user:realm:password):nonce:cnonce), computed with openssl dgst.
  input.algorithm = "MD5-sess";
  EXPECT_EQ(DigestResponse(input), "e783283f46242139c486a698fec7211d");
}

TEST(DigestAuthTest, ChallengeCarriesRealmQopAlgorithmAndNonce) {
  auto built = Build(BuildDigestAuth, kConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  auto failure = test::Check(*built.validator, FakeRequest());
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->status, 401u);
  EXPECT_EQ(failure->message, "Missing Authorization header");
  const std::string challenge = WwwAuthenticate(*failure);
  EXPECT_TRUE(challenge.starts_with(R"(Digest realm="Webhook API", qop="auth", algorithm=MD5, )"
                                    R"(nonce=")"))
      << challenge;
  EXPECT_EQ(challenge.find("stale"), std::string::npos);
  EXPECT_FALSE(ChallengeParam(challenge, "nonce").empty());
}

TEST(DigestAuthTest, AcceptsAnAnswerToItsChallenge) {
  auto built = Build(BuildDigestAuth, kConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  Answer answer;
  answer.nonce = FetchNonce(*built.validator);
  EXPECT_EQ(With(*built.validator, answer.Header()), "pass");
  answer.nc = "00000002";  // the next request on the same nonce
  EXPECT_EQ(With(*built.validator, answer.Header()), "pass");
}

TEST(DigestAuthTest, Sha256AndCustomRealm) {
  auto built = Build(BuildDigestAuth, R"({"digest_auth": {"username": "alice",
      "password": "s3cret", "realm": "Orders \"EU\"", "algorithm": "SHA-256"}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  auto failure = test::Check(*built.validator, FakeRequest());
  ASSERT_TRUE(failure);
  EXPECT_TRUE(WwwAuthenticate(*failure).starts_with(
      R"(Digest realm="Orders \"EU\"", qop="auth", algorithm=SHA-256, )"));
  Answer answer;
  answer.md = EVP_sha256();
  answer.algorithm = "SHA-256";
  answer.realm = "Orders \"EU\"";
  answer.nonce = FetchNonce(*built.validator);
  // The realm travels as a quoted-string: its quotes escaped.
  std::string header = answer.Header();
  header.replace(header.find("Orders \"EU\""), 11, R"(Orders \"EU\")");
  EXPECT_EQ(With(*built.validator, header), "pass");
}

TEST(DigestAuthTest, EveryFailureIsA401WithAChallenge) {
  auto built = Build(BuildDigestAuth, kConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  Answer good;
  good.nonce = FetchNonce(v);
  auto changed = [&good](auto change) {
    Answer answer = good;
    change(answer);
    return answer.Header();
  };

  EXPECT_EQ(With(v, "Basic YWxpY2U6czNjcmV0"), "Digest authentication required");
  EXPECT_EQ(With(v, "Digest username=alice, realm"), "Invalid Digest authorization header format");
  EXPECT_EQ(With(v, R"(Digest username="alice", username="alice")"),
            "Invalid Digest authorization header format");
  EXPECT_EQ(With(v, R"(Digest username="alice", realm="Webhook API")"),
            "Missing required Digest parameter: nonce");
  std::string no_cnonce = good.Header();
  no_cnonce.replace(no_cnonce.find("cnonce"), 6, "cnoncx");
  EXPECT_EQ(With(v, no_cnonce), "Missing required Digest parameter: cnonce");
  EXPECT_EQ(With(v, changed([](Answer& a) { a.username = "bob"; })),
            "Invalid digest auth username");
  EXPECT_EQ(With(v, changed([](Answer& a) { a.realm = "Other"; })), "Invalid digest auth realm");
  EXPECT_EQ(With(v, changed([](Answer& a) { a.algorithm = "SHA-256"; })),
            "Invalid digest auth algorithm: SHA-256");
  std::string int_qop = good.Header();
  int_qop.replace(int_qop.find("qop=auth"), 8, "qop=auth-int");
  EXPECT_EQ(With(v, int_qop), "Invalid digest auth qop: auth-int");
  EXPECT_EQ(With(v, changed([](Answer& a) { a.uri = "/webhook/other"; })),
            "Invalid digest auth uri");
  EXPECT_EQ(With(v, changed([](Answer& a) { a.nc = "1"; })), "Invalid digest auth nonce count");
  EXPECT_EQ(With(v, changed([](Answer& a) { a.password = "wrong"; })),
            "Invalid digest auth response");
  EXPECT_EQ(With(v, good.Header(std::string(32, '0'))), "Invalid digest auth response");
  // A POST answered with a response computed for GET.
  EXPECT_EQ(With(v, changed([](Answer& a) { a.method = "GET"; })), "Invalid digest auth response");

  for (const std::string& header : {good.Header(std::string(32, '0')), std::string("Basic x")}) {
    auto failure = test::Check(v, FakeRequest().WithHeader("authorization", header));
    ASSERT_TRUE(failure);
    EXPECT_EQ(failure->status, 401u);
    EXPECT_TRUE(WwwAuthenticate(*failure).starts_with("Digest realm=")) << header;
  }
}

TEST(DigestAuthTest, NoncesAreOursAndExpire) {
  auto built = Build(BuildDigestAuth, R"({"digest_auth": {"username": "alice",
      "password": "s3cret", "nonce_lifetime": 60}})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  const auto now = std::chrono::system_clock::now();

  // A nonce the client made up (as the Python project accepts), with a correct response: the
  // client knows the password, so the new challenge says stale=true.
  Answer made_up;
  made_up.nonce = "1700000000.0123456789abcdef";
  auto failure = test::Check(v, FakeRequest().WithHeader("authorization", made_up.Header()));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->message, "Invalid digest auth nonce");
  EXPECT_NE(WwwAuthenticate(*failure).find(", stale=true"), std::string::npos);

  // A nonce of another instance (another process, or before a reload) is not ours either.
  auto other = Build(BuildDigestAuth, kConfig);
  Answer foreign;
  foreign.nonce = FetchNonce(*other.validator);
  EXPECT_EQ(With(v, foreign.Header()), "Invalid digest auth nonce");

  // Our nonce, 61 s later.
  Answer old;
  old.nonce = FetchNonce(v, now - std::chrono::seconds(61));
  failure = test::Check(v, FakeRequest().WithHeader("authorization", old.Header()).AtTime(now));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->message, "Digest auth nonce expired");
  EXPECT_NE(WwwAuthenticate(*failure).find(", stale=true"), std::string::npos);
  // ... and 59 s later, still good.
  Answer recent;
  recent.nonce = FetchNonce(v, now - std::chrono::seconds(59));
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("authorization", recent.Header()).AtTime(now)),
            "pass");
  // A nonce dated in the future was not issued by us.
  Answer future;
  future.nonce = FetchNonce(v, now + std::chrono::seconds(30));
  EXPECT_EQ(Outcome(v, FakeRequest().WithHeader("authorization", future.Header()).AtTime(now)),
            "Invalid digest auth nonce");
}

TEST(DigestAuthTest, ARepeatedNonceCountIsAReplay) {
  auto built = Build(BuildDigestAuth, kConfig);
  ASSERT_TRUE(built.validator) << built.ErrorText();
  Answer answer;
  answer.nonce = FetchNonce(*built.validator);
  EXPECT_EQ(With(*built.validator, answer.Header()), "pass");
  EXPECT_EQ(With(*built.validator, answer.Header()),
            "Digest auth nonce count already used (replay detected)");
  answer.cnonce = "another";  // a new client nonce makes it a new request
  EXPECT_EQ(With(*built.validator, answer.Header()), "pass");
}

TEST(DigestAuthTest, ConfigErrorsCarryTheirPaths) {
  auto built = Build(BuildDigestAuth, R"({"digest_auth": {"username": "", "algorithm": "SHA-1",
      "qop": "auth-int", "nonce_lifetime": 1, "extra": true}})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/digest_auth/username: Digest auth credentials not configured (empty "
            "username)\n"
            "/orders/digest_auth/password: required string is missing\n"
            "/orders/digest_auth/algorithm: Invalid digest auth algorithm: SHA-1 (supported: MD5, "
            "SHA-256, MD5-sess, SHA-256-sess)\n"
            "/orders/digest_auth/qop: unsupported qop \"auth-int\" (supported: auth)\n"
            "/orders/digest_auth/nonce_lifetime: must be between 10 and 86400, got 1\n"
            "/orders/digest_auth/extra: unknown key in digest_auth (allowed: algorithm, "
            "nonce_lifetime, password, qop, realm, username)\n");

  built = Build(BuildDigestAuth, R"({"digest_auth": "alice:s3cret"})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/digest_auth: must be an object with username and password, got a string\n");
}

}  // namespace
}  // namespace wg
