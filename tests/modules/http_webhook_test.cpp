#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>

#include "config/json_reader.hpp"
#include "connections/http/url_policy.hpp"

namespace wg {
namespace {

TEST(UrlPolicyTest, BlocksLoopbackPrivateAndMetadataAddresses) {
  for (auto address : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                       "0.0.0.0", "100.64.0.1", "224.0.0.1", "::1", "fe80::1", "fc00::1",
                       "::ffff:127.0.0.1", "::ffff:10.0.0.1"}) {
    EXPECT_TRUE(BlockedAddressReason(boost::asio::ip::make_address(address))) << address;
  }
  for (auto address : {"93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"}) {
    EXPECT_FALSE(BlockedAddressReason(boost::asio::ip::make_address(address))) << address;
  }
}

TEST(UrlPolicyTest, BlocksHostSpellingTricks) {
  for (auto host : {"localhost", "api.localhost", "127.0.0.1", "127.1", "127.0.1", "0177.0.0.1",
                    "0x7f.0.0.1", "2130706433", "0x7f000001", "127.000.000.001",
                    "metadata.google.internal", "metadata", "169.254.169.254", "0.0.0.0", "",
                    "bad host", "under$core"}) {
    EXPECT_TRUE(BlockedHostReason(host)) << host;
  }
  for (auto host : {"example.com", "hooks.slack.com", "1e100.net", "deadbeef.example", "8.8.8.8"}) {
    EXPECT_FALSE(BlockedHostReason(host)) << host;
  }
}

TEST(UrlPolicyTest, SplitsHttpAndHttpsUrls) {
  ConfigErrors errors;
  auto plain = ParseHttpTarget("http://Hooks.Example.com/in?a=1", "/u", "", errors);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->host, "hooks.example.com");
  EXPECT_EQ(plain->port, "80");
  EXPECT_EQ(plain->path_and_query, "/in?a=1");
  auto secure = ParseHttpTarget("HTTPS://hooks.example.com", "/u", "", errors);
  ASSERT_TRUE(secure);
  EXPECT_TRUE(secure->tls);
  EXPECT_EQ(secure->port, "443");
  EXPECT_EQ(secure->path_and_query, "/");
  auto other_port = ParseHttpTarget("https://[2001:db8::1]:8443/x", "/u", "", errors);
  ASSERT_TRUE(other_port);
  EXPECT_EQ(other_port->host, "2001:db8::1");
  EXPECT_EQ(other_port->port, "8443");
  EXPECT_EQ(other_port->host_header, "[2001:db8::1]:8443");
  EXPECT_TRUE(errors.empty());
  EXPECT_FALSE(ParseHttpTarget("ftp://hooks.example.com/x", "/u", "", errors));
  EXPECT_FALSE(ParseHttpTarget("https://user:pw@hooks.example.com/x", "/u", "use headers", errors));
  ASSERT_EQ(errors.size(), 2u);
}

}  // namespace
}  // namespace wg
