#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <fmt/format.h>

#include "connections/s3/s3_client.hpp"
#include "modules/s3/s3_object.hpp"
#include "test_support.hpp"

namespace wg {
namespace {

using std::chrono::system_clock;

boost::json::object Object(std::string_view text) { return boost::json::parse(text).as_object(); }

std::vector<std::string> Messages(const ConfigErrors& errors) {
  std::vector<std::string> out;
  for (const auto& error : errors.errors()) out.push_back(error.path + ": " + error.message);
  return out;
}

// 2026-01-02 03:04:05.123456 UTC
system_clock::time_point FixedTime() {
  return system_clock::time_point(std::chrono::seconds(1767323045)) +
         std::chrono::microseconds(123456);
}

TEST(S3ConfigTest, DefaultsNeedOnlyABucket) {
  ConfigErrors errors;
  auto options = ParseS3ObjectOptions(Object(R"({"bucket":"webhooks"})"), "/w/module-config",
                                      errors);
  ASSERT_TRUE(options) << ::testing::PrintToString(Messages(errors));
  EXPECT_EQ(options->bucket, "webhooks");
  EXPECT_EQ(options->prefix, "webhooks");
  EXPECT_EQ(options->filename_pattern, "webhook_{uuid}.json");
  EXPECT_EQ(options->content_type, "application/json");
  EXPECT_FALSE(options->include_headers);
}

TEST(S3ConfigTest, EveryProblemNamesItsPath) {
  ConfigErrors errors;
  auto options = ParseS3ObjectOptions(
      Object(R"({"prefix":"a//b","filename_pattern":"x_{date}.json","colour":1})"),
      "/w/module-config", errors);
  EXPECT_FALSE(options);
  auto messages = Messages(errors);
  auto has = [&](std::string_view start) {
    return std::any_of(messages.begin(), messages.end(),
                       [&](const std::string& m) { return m.rfind(start, 0) == 0; });
  };
  EXPECT_TRUE(has("/w/module-config/bucket:")) << ::testing::PrintToString(messages);
  EXPECT_TRUE(has("/w/module-config/prefix: must not contain \"//\""));
  EXPECT_TRUE(has("/w/module-config/filename_pattern: unknown placeholder \"{date}\""));
  EXPECT_TRUE(has("/w/module-config/colour"));
}

TEST(S3ConfigTest, PrefixRules) {
  for (std::string_view bad : {"../x", "a/../b", "/lead", "trail/", "sp ace", "a//b", "dollar$"}) {
    ConfigErrors errors;
    auto config = Object(R"({"bucket":"b-1"})");
    config["prefix"] = bad;
    EXPECT_FALSE(ParseS3ObjectOptions(config, "", errors)) << bad;
    ASSERT_EQ(errors.size(), 1u) << bad;
    EXPECT_EQ(errors.errors()[0].path, "/prefix") << bad;
  }
  ConfigErrors errors;
  auto config = Object(R"({"bucket":"b-1"})");
  config["prefix"] = std::string(256, 'a');
  EXPECT_FALSE(ParseS3ObjectOptions(config, "", errors));
  config["prefix"] = "in/coming_hooks-2";
  ConfigErrors fine;
  EXPECT_TRUE(ParseS3ObjectOptions(config, "", fine));
}

TEST(S3ConfigTest, FilenameAndBucketRules) {
  for (std::string_view bad : {"a/b.json", "{uuid", "x y.json", "{UUID}.json", "../x"}) {
    ConfigErrors errors;
    auto config = Object(R"({"bucket":"b-1"})");
    config["filename_pattern"] = bad;
    EXPECT_FALSE(ParseS3ObjectOptions(config, "", errors)) << bad;
  }
  for (std::string_view bad : {"ab", "Upper", "-start", "end-", "under_score"}) {
    ConfigErrors errors;
    auto config = Object("{}");
    config["bucket"] = bad;
    EXPECT_FALSE(ParseS3ObjectOptions(config, "", errors)) << bad;
  }
}

TEST(S3KeyTest, LayoutIsPrefixThenUtcHourFolders) {
  S3ObjectOptions options;
  options.bucket = "b";
  Delivery delivery;
  delivery.id = "0190-delivery";
  delivery.webhook_id = "orders";
  EXPECT_EQ(BuildS3ObjectKey(options, delivery, "u-u-i-d", FixedTime()),
            "webhooks/2026/01/02/03/webhook_u-u-i-d.json");
  options.prefix = "in/s3";
  options.filename_pattern = "{webhook_id}_{delivery_id}_{timestamp}_{uuid}.bin";
  EXPECT_EQ(BuildS3ObjectKey(options, delivery, "U", FixedTime()),
            "in/s3/2026/01/02/03/orders_0190-delivery_2026-01-02T03-04-05.123456_U.bin");
}

TEST(S3MetadataTest, NamesAreLowerCasedWithUnderscores) {
  std::vector<Header> headers = {{"X-Request-Id", "abc  123 "},
                                 {"content-type", "application/json"},
                                 {"x-long", std::string(1025, 'a')},
                                 {"x-utf8", "caf\xc3\xa9"},
                                 {"x-ctl", "a\x01" "b"},
                                 {"x-request-id", "second"},
                                 {"x-max", std::string(1024, 'b')}};
  auto metadata = S3MetadataHeaders(headers);
  ASSERT_EQ(metadata.size(), 3u);
  EXPECT_EQ(metadata[0].first, "x-amz-meta-x_request_id");
  EXPECT_EQ(metadata[0].second, "abc 123");
  EXPECT_EQ(metadata[1].first, "x-amz-meta-content_type");
  EXPECT_EQ(metadata[1].second, "application/json");
  EXPECT_EQ(metadata[2].first, "x-amz-meta-x_max");
}

TEST(S3MetadataTest, TotalStaysWithinTwoKilobytes) {
  std::vector<Header> headers;
  for (int i = 0; i < 5; ++i) headers.push_back({"h" + std::to_string(i), std::string(1000, 'v')});
  auto metadata = S3MetadataHeaders(headers);
  EXPECT_EQ(metadata.size(), 2u);
}

TEST(S3BodyTest, CompactJsonOrRawBytes) {
  Delivery delivery;
  delivery.data_type = DataType::kJson;
  delivery.body = "{ \"a\" : [1, 2] }";
  delivery.payload = boost::json::parse(delivery.body);
  EXPECT_EQ(S3ObjectBody(delivery), R"({"a":[1,2]})");
  delivery.data_type = DataType::kBlob;
  delivery.body = std::string("\x00\xff raw", 6);
  delivery.payload = nullptr;
  EXPECT_EQ(S3ObjectBody(delivery), delivery.body);
}

TEST(S3SigningTest, Inputs) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("Welcome to Amazon S3."),
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(S3SigV4Provider("eu-west-1"), "aws:amz:eu-west-1:s3");
  EXPECT_EQ(S3UriEncode("a/b c+d~e_.-%", true), "a/b%20c%2Bd~e_.-%25");
  EXPECT_EQ(S3UriEncode("a/b", false), "a%2Fb");
}

TEST(S3SigningTest, UrlsPathStyleWithEndpointVirtualHostedOnAws) {
  S3Settings settings;
  settings.region = "eu-west-1";
  EXPECT_EQ(S3ObjectUrl(settings, "bkt", "p/2026/x y.json"),
            "https://bkt.s3.eu-west-1.amazonaws.com/p/2026/x%20y.json");
  settings.endpoint_url = "http://127.0.0.1:14568";
  settings.path_style = true;
  EXPECT_EQ(S3ObjectUrl(settings, "bkt", "k"), "http://127.0.0.1:14568/bkt/k");
}

TEST(S3ConnectionTest, SettingsAndDefaults) {
  ConfigErrors errors;
  auto settings = ParseS3Settings(
      Object(R"({"type":"s3","aws_access_key_id":"AK","aws_secret_access_key":"SK",
                 "endpoint_url":"http://127.0.0.1:14568/"})"),
      "/store", errors);
  ASSERT_TRUE(settings) << ::testing::PrintToString(Messages(errors));
  EXPECT_EQ(settings->region, "us-east-1");
  EXPECT_EQ(settings->endpoint_url, "http://127.0.0.1:14568");
  EXPECT_TRUE(settings->path_style);

  ConfigErrors bad;
  EXPECT_FALSE(ParseS3Settings(Object(R"({"aws_access_key_id":"AK","aws_secret_access_key":"SK",
      "region":"US East","endpoint_url":"ftp://x","extra":1})"), "/store", bad));
  auto messages = Messages(bad);
  EXPECT_EQ(messages.size(), 3u) << ::testing::PrintToString(messages);
}

TEST(S3ClassifyTest, FailureClasses) {
  EXPECT_TRUE(ClassifyS3Answer(0, "", 200, "", "put").delivered());
  EXPECT_EQ(ClassifyS3Answer(7, "Failed to connect", 0, "", "put").kind, OutcomeKind::kRetryable);
  EXPECT_EQ(ClassifyS3Answer(0, "", 500, "", "put").kind, OutcomeKind::kRetryable);
  EXPECT_EQ(ClassifyS3Answer(0, "", 429, "", "put").kind, OutcomeKind::kRetryable);
  auto slow = ClassifyS3Answer(
      0, "", 503, "<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>", "put");
  EXPECT_EQ(slow.kind, OutcomeKind::kRetryable);
  auto missing = ClassifyS3Answer(
      0, "", 404,
      "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does "
      "not exist</Message></Error>",
      "s3 PUT s3://nope/k");
  EXPECT_EQ(missing.kind, OutcomeKind::kPermanent);
  EXPECT_EQ(missing.message,
            "s3 PUT s3://nope/k: HTTP 404 NoSuchBucket: The specified bucket does not exist");
  EXPECT_EQ(ClassifyS3Answer(0, "", 403, "<Error><Code>SignatureDoesNotMatch</Code></Error>", "p")
                .kind,
            OutcomeKind::kPermanent);
  EXPECT_EQ(ClassifyS3Answer(0, "", 400, "", "p").kind, OutcomeKind::kPermanent);
}

TEST(S3ClientTest, RefusedConnectionCompletesOnTheCallersExecutor) {
  // A port nobody listens on: bind, read the port, close.
  boost::asio::io_context probe;
  boost::asio::ip::tcp::acceptor acceptor(probe, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto port = acceptor.local_endpoint().port();
  acceptor.close();

  S3Settings settings;
  settings.access_key_id = "AK";
  settings.secret_access_key = "SK";
  settings.endpoint_url = fmt::format("http://127.0.0.1:{}", port);
  settings.path_style = true;
  S3Client client("store", settings);
  EXPECT_EQ(client.State(), "not used yet");
  S3Request request;
  request.url = S3ObjectUrl(settings, "bkt", "k");
  request.body = "{}";
  auto response = testing::RunAwaitable(
      [&]() -> boost::asio::awaitable<S3Response> {
        auto performing = client.AsyncPerform(request, boost::asio::use_awaitable);
        co_return co_await std::move(performing);
      }());
  EXPECT_NE(response.curl_code, 0);
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(ClassifyS3Answer(response.curl_code, response.curl_error, response.status,
                             response.body, "put").kind,
            OutcomeKind::kRetryable);
  EXPECT_EQ(client.State().rfind("down: ", 0), 0u) << client.State();
}

}  // namespace
}  // namespace wg
