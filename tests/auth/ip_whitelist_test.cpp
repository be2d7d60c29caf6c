#include "auth/ip_whitelist.hpp"

#include <gtest/gtest.h>

#include "auth/auth_test_support.hpp"

namespace wg {
namespace {

using test::Build;
using test::FakeRequest;
using test::Outcome;

bool InRange(std::string_view range, std::string_view address) {
  auto parsed = IpRange::Parse(range);
  EXPECT_TRUE(std::holds_alternative<IpRange>(parsed)) << range;
  auto ip = IpAddress::Parse(address);
  EXPECT_TRUE(ip) << address;
  return std::holds_alternative<IpRange>(parsed) && ip && std::get<IpRange>(parsed).Contains(*ip);
}

std::string ParseError(std::string_view range) {
  auto parsed = IpRange::Parse(range);
  auto* message = std::get_if<std::string>(&parsed);
  return message ? *message : "valid";
}

TEST(IpRangeTest, SingleAddressesAndCidrRanges) {
  EXPECT_TRUE(InRange("10.0.0.7", "10.0.0.7"));
  EXPECT_FALSE(InRange("10.0.0.7", "10.0.0.8"));
  EXPECT_TRUE(InRange("10.0.0.0/8", "10.255.1.2"));
  EXPECT_FALSE(InRange("10.0.0.0/8", "11.0.0.0"));
  EXPECT_TRUE(InRange("192.168.4.0/22", "192.168.7.255"));
  EXPECT_FALSE(InRange("192.168.4.0/22", "192.168.8.0"));
  EXPECT_FALSE(InRange("192.168.4.0/22", "192.168.3.255"));
  EXPECT_TRUE(InRange("0.0.0.0/0", "203.0.113.9"));
  EXPECT_FALSE(InRange("0.0.0.0/0", "2001:db8::1")) << "families never match";
  EXPECT_TRUE(InRange("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_FALSE(InRange("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(InRange("2001:db8::1", "2001:0db8:0000::0001")) << "normalised";
  EXPECT_TRUE(InRange("fe80::/10", "febf::1"));
  EXPECT_FALSE(InRange("fe80::/10", "fec0::1"));
  EXPECT_TRUE(InRange("::1", "::1"));
  // An IPv4-mapped IPv6 address is its IPv4 address, on either side.
  EXPECT_TRUE(InRange("10.0.0.0/8", "::ffff:10.1.2.3"));
  EXPECT_TRUE(InRange("::ffff:10.0.0.0/104", "10.1.2.3"));
  EXPECT_EQ(IpAddress::Parse("::ffff:10.1.2.3")->ToString(), "10.1.2.3");
  EXPECT_EQ(IpAddress::Parse("2001:0db8:0000::0001")->ToString(), "2001:db8::1");
}

TEST(IpRangeTest, InvalidEntriesSayWhy) {
  EXPECT_EQ(ParseError("10.0.0.256"),
            "Invalid IP address format: \"10.0.0.256\" (expected an IPv4 or IPv6 address or a "
            "CIDR range such as 10.0.0.0/8)");
  EXPECT_NE(ParseError("localhost"), "valid");
  EXPECT_NE(ParseError("010.0.0.1"), "valid") << "leading zeros are ambiguous (octal?)";
  EXPECT_NE(ParseError(""), "valid");
  EXPECT_EQ(ParseError("10.0.0.0/33"),
            "invalid CIDR range \"10.0.0.0/33\": the prefix length must be 0..32");
  EXPECT_EQ(ParseError("2001:db8::/129"),
            "invalid CIDR range \"2001:db8::/129\": the prefix length must be 0..128");
  EXPECT_NE(ParseError("10.0.0.0/"), "valid");
  EXPECT_NE(ParseError("10.0.0.0/-1"), "valid");
  EXPECT_NE(ParseError("10.0.0.0/8/8"), "valid");
  EXPECT_EQ(ParseError("10.0.0.0.0/8"),
            "invalid CIDR range \"10.0.0.0.0/8\": \"10.0.0.0.0\" is not an IP address");
  EXPECT_EQ(ParseError("10.1.0.0/8"),
            "invalid CIDR range \"10.1.0.0/8\": host bits are set (did you mean 10.0.0.0/8?)");
  EXPECT_EQ(ParseError("2001:db8::1/32"),
            "invalid CIDR range \"2001:db8::1/32\": host bits are set (did you mean "
            "2001:db8::/32?)");
}

TEST(IpWhitelistTest, PeerAddressAgainstTheList) {
  auto built = Build(BuildIpWhitelist,
                     R"({"ip_whitelist": ["203.0.113.9", "10.0.0.0/8", "2001:db8::/32"]})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  EXPECT_EQ(Outcome(v, FakeRequest().FromPeer("203.0.113.9")), "pass");
  EXPECT_EQ(Outcome(v, FakeRequest().FromPeer("10.20.30.40")), "pass");
  EXPECT_EQ(Outcome(v, FakeRequest().FromPeer("2001:db8::7")), "pass");
  EXPECT_EQ(Outcome(v, FakeRequest().FromPeer("203.0.113.10")), "IP 203.0.113.10 not in whitelist");
  EXPECT_EQ(Outcome(v, FakeRequest().FromPeer("2001:db9::7")), "IP 2001:db9::7 not in whitelist");
  EXPECT_EQ(Outcome(v, FakeRequest().FromPeer("")), "Could not determine client IP");
  auto failure = test::Check(v, FakeRequest().FromPeer("127.0.0.1"));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->status, 403u);
  // No trusted_proxies: forwarding headers are anyone's to write and are ignored.
  EXPECT_EQ(Outcome(v, FakeRequest().FromPeer("127.0.0.1").WithHeader("x-forwarded-for", "203.0.113.9")),
            "IP 127.0.0.1 not in whitelist");
  EXPECT_EQ(Outcome(v, FakeRequest().FromPeer("127.0.0.1").WithHeader("x-real-ip", "203.0.113.9")),
            "IP 127.0.0.1 not in whitelist");
}

TEST(IpWhitelistTest, ForwardedForOnlyFromATrustedProxy) {
  auto built = Build(BuildIpWhitelist,
                     R"({"ip_whitelist": ["203.0.113.9"],
                         "trusted_proxies": ["127.0.0.1", "172.16.0.0/12"]})");
  ASSERT_TRUE(built.validator) << built.ErrorText();
  const Validator& v = *built.validator;
  auto from = [](std::string peer) { return FakeRequest().FromPeer(std::move(peer)); };
  EXPECT_EQ(Outcome(v, from("127.0.0.1").WithHeader("x-forwarded-for", "203.0.113.9")), "pass");
  EXPECT_EQ(Outcome(v, from("172.20.0.5").WithHeader("x-forwarded-for", "203.0.113.9")), "pass");
  EXPECT_EQ(Outcome(v, from("198.51.100.1").WithHeader("x-forwarded-for", "203.0.113.9")),
            "IP 198.51.100.1 not in whitelist");
  // The right-most address that is not a trusted proxy is the client; the left-most is forged.
  EXPECT_EQ(Outcome(v, from("127.0.0.1").WithHeader("x-forwarded-for", "203.0.113.9, 198.51.100.7")),
            "IP 198.51.100.7 not in whitelist");
  EXPECT_EQ(Outcome(v, from("127.0.0.1").WithHeader("x-forwarded-for",
                                                "198.51.100.7, 203.0.113.9, 172.16.0.3")),
            "pass");
  // Several X-Forwarded-For headers form one list, in order.
  EXPECT_EQ(Outcome(v, from("127.0.0.1")
                           .WithHeader("x-forwarded-for", "203.0.113.9")
                           .WithHeader("x-forwarded-for", "198.51.100.7")),
            "IP 198.51.100.7 not in whitelist");
  // Only trusted proxies in the list: the request started at the left-most.
  EXPECT_EQ(Outcome(v, from("127.0.0.1").WithHeader("x-forwarded-for", "172.16.0.9, 172.16.0.3")),
            "IP 172.16.0.9 not in whitelist");
  EXPECT_EQ(Outcome(v, from("127.0.0.1").WithHeader("x-forwarded-for", "203.0.113.9, bogus")),
            "Invalid IP address format: bogus");
  // X-Real-IP when there is no X-Forwarded-For.
  EXPECT_EQ(Outcome(v, from("127.0.0.1").WithHeader("x-real-ip", "203.0.113.9")), "pass");
  EXPECT_EQ(Outcome(v, from("127.0.0.1").WithHeader("x-real-ip", "198.51.100.7")),
            "IP 198.51.100.7 not in whitelist");
  EXPECT_EQ(Outcome(v, from("127.0.0.1").WithHeader("x-real-ip", "nope")),
            "Invalid IP address format: nope");
  EXPECT_EQ(Outcome(v, from("127.0.0.1")), "IP 127.0.0.1 not in whitelist");
  EXPECT_EQ(Outcome(v, from("127.0.0.1").WithHeader("x-forwarded-for", "::ffff:203.0.113.9")), "pass");
}

TEST(IpWhitelistTest, EveryBadEntryIsAConfigErrorWithItsPath) {
  auto built = Build(BuildIpWhitelist,
                     R"({"ip_whitelist": ["10.0.0.0/8", "10.0.0.0/33", 7, "nope"],
                         "trusted_proxies": ["2001:db8::1/32"]})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/ip_whitelist/1: invalid CIDR range \"10.0.0.0/33\": the prefix length must "
            "be 0..32\n"
            "/orders/ip_whitelist/2: must be a string, got a number\n"
            "/orders/ip_whitelist/3: Invalid IP address format: \"nope\" (expected an IPv4 or IPv6 "
            "address or a CIDR range such as 10.0.0.0/8)\n"
            "/orders/trusted_proxies/0: invalid CIDR range \"2001:db8::1/32\": host bits are set "
            "(did you mean 2001:db8::/32?)\n");

  built = Build(BuildIpWhitelist, R"({"ip_whitelist": []})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(), "/orders/ip_whitelist: IP whitelist contains no valid IP addresses\n");

  built = Build(BuildIpWhitelist, R"({"ip_whitelist": "10.0.0.1", "trusted_proxies": "x"})");
  EXPECT_FALSE(built.validator);
  EXPECT_EQ(built.ErrorText(),
            "/orders/ip_whitelist: must be an array of IP addresses or CIDR ranges, got a string\n"
            "/orders/trusted_proxies: must be an array of IP addresses or CIDR ranges, got "
            "a string\n");
}

}  // namespace
}  // namespace wg
