// How oauth1 and the twilio provider rebuild the URL the sender signed.
#include "auth/request_url.hpp"

#include <gtest/gtest.h>

#include "auth/auth_params.hpp"

namespace wg {
namespace {

std::string Rebuilt(std::vector<Header> headers, std::optional<RequestOrigin> configured = {}) {
  std::vector<std::pair<std::string, std::string>> query;
  AuthRequest request{
      "POST", "/w", "/w", headers, query, "127.0.0.1", std::chrono::system_clock::now()};
  auto origin = FindRequestOrigin(request, configured);
  if (!origin) return "none";
  return BaseWithoutDefaultPort(*origin) + " " + BaseWithPort(*origin);
}

TEST(RequestUrlTest, FromHostAndForwardedProto) {
  EXPECT_EQ(Rebuilt({{"host", "Hooks.Example.com"}}),
            "http://hooks.example.com http://hooks.example.com:80");
  EXPECT_EQ(Rebuilt({{"host", "hooks.example.com:443"}, {"x-forwarded-proto", "HTTPS, http"}}),
            "https://hooks.example.com https://hooks.example.com:443");
  EXPECT_EQ(Rebuilt({{"host", "[::1]:8080"}}), "http://[::1]:8080 http://[::1]:8080");
  EXPECT_EQ(Rebuilt({{"host", "[::1]"}, {"x-forwarded-proto", "gopher"}}),
            "http://[::1] http://[::1]:80");
  EXPECT_EQ(Rebuilt({}), "none");
  EXPECT_EQ(Rebuilt({{"host", "a.com:x"}}), "none");
  EXPECT_EQ(Rebuilt({{"host", "a.com/path"}}), "none");
  EXPECT_EQ(Rebuilt({{"host", ""}}), "none");
}

TEST(RequestUrlTest, PublicUrlWins) {
  auto configured = ParsePublicUrl("HTTPS://Example.com:8443/gateway/");
  ASSERT_TRUE(configured);
  EXPECT_EQ(Rebuilt({{"host", "10.0.0.1"}}, configured),
            "https://example.com:8443/gateway https://example.com:8443/gateway");
  EXPECT_FALSE(ParsePublicUrl("example.com"));
  EXPECT_FALSE(ParsePublicUrl("ftp://example.com"));
  EXPECT_FALSE(ParsePublicUrl("https://example.com/a?b=c"));
  EXPECT_FALSE(ParsePublicUrl("https://"));
}

TEST(AuthParamsTest, TokensQuotedStringsAndErrors) {
  auto params = ParseAuthParams(R"(a=1,  B="x, \"y\"" ,, c="")", ParamNames::kLowerCase);
  ASSERT_TRUE(params);
  ASSERT_EQ(params->items.size(), 3u);
  EXPECT_EQ(*params->Find("a"), "1");
  EXPECT_EQ(*params->Find("b"), R"(x, "y")");
  EXPECT_EQ(*params->Find("c"), "");
  EXPECT_EQ(ParseAuthParams("B=1", ParamNames::kAsSent)->items[0].first, "B");
  for (std::string_view bad : {"a", R"(a="x)", R"(a="x" b=1)", "a=1, a=2", "=1"}) {
    EXPECT_FALSE(ParseAuthParams(bad, ParamNames::kAsSent)) << bad;
  }
}

}  // namespace
}  // namespace wg
