#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio.hpp>
#include <thread>

#include "connections/connection_registry.hpp"
#include "connections/sqs/sqs_client.hpp"
#include "modules/aws_sqs/aws_sqs_module.hpp"
#include "modules/aws_sqs/sqs_message.hpp"
#include "test_support.hpp"

namespace wg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

boost::json::object Object(std::string_view text) { return boost::json::parse(text).as_object(); }

std::vector<std::string> Messages(const ConfigErrors& errors) {
  std::vector<std::string> out;
  for (const auto& error : errors.errors()) out.push_back(error.path + ": " + error.message);
  return out;
}

std::vector<std::string> Names(const SqsMessage& message) {
  std::vector<std::string> out;
  for (const auto& attribute : message.attributes) out.push_back(attribute.name);
  return out;
}

TEST(SqsConnectionTest, SettingsDefaultsAndRegionAlias) {
  ConfigErrors errors;
  auto settings = ParseSqsSettings(
      Object(R"({"type":"aws_sqs","aws_access_key_id":"AK","aws_secret_access_key":"SK"})"),
      "/queue", errors);
  ASSERT_TRUE(settings) << ::testing::PrintToString(Messages(errors));
  EXPECT_EQ(settings->region, "us-east-1");
  EXPECT_EQ(SqsClient("queue", *settings).EndpointUrl(), "https://sqs.us-east-1.amazonaws.com/");

  auto aliased = ParseSqsSettings(
      Object(R"({"aws_access_key_id":"AK","aws_secret_access_key":"SK","region":"eu-west-1",
                 "endpoint_url":"http://127.0.0.1:9324/"})"),
      "/queue", errors);
  ASSERT_TRUE(aliased) << ::testing::PrintToString(Messages(errors));
  EXPECT_EQ(aliased->region, "eu-west-1");
  EXPECT_EQ(SqsClient("queue", *aliased).EndpointUrl(), "http://127.0.0.1:9324/");

  ConfigErrors bad;
  EXPECT_FALSE(ParseSqsSettings(
      Object(R"({"aws_access_key_id":"AK","region_name":"US East","endpoint_url":"ftp://x",
                 "bucket":"b"})"),
      "/queue", bad));
  EXPECT_THAT(Messages(bad),
              UnorderedElementsAre(HasSubstr("/queue/aws_secret_access_key: is required"),
                                   HasSubstr("/queue/region_name: must be 1 to 64"),
                                   HasSubstr("/queue/endpoint_url: must be http://host"),
                                   HasSubstr("/queue/bucket")));
  ConfigErrors both;
  EXPECT_FALSE(ParseSqsSettings(Object(R"({"aws_access_key_id":"AK","aws_secret_access_key":"SK",
      "region":"eu-west-1","region_name":"eu-west-1"})"),
                                "/queue", both));
  EXPECT_THAT(Messages(both), ElementsAre(HasSubstr("/queue/region: give region_name")));
}

TEST(SqsConfigTest, QueueUrlOrQueueName) {
  ConfigErrors errors;
  auto by_url = ParseSqsQueueOptions(
      Object(R"({"queue_url":"https://sqs.eu-west-1.amazonaws.com/123456789012/orders"})"),
      "/w/module-config", false, errors);
  ASSERT_TRUE(by_url) << ::testing::PrintToString(Messages(errors));
  EXPECT_FALSE(by_url->fifo);
  EXPECT_FALSE(by_url->delay_seconds);

  auto by_name = ParseSqsQueueOptions(Object(R"({"queue_name":"orders","delay_seconds":"15"})"),
                                      "/w/module-config", false, errors);
  ASSERT_TRUE(by_name) << ::testing::PrintToString(Messages(errors));
  EXPECT_TRUE(by_name->create_queue);
  EXPECT_EQ(by_name->delay_seconds, 15);

  // A stand-in's queue URL passes when the connection has an endpoint_url.
  EXPECT_TRUE(ParseSqsQueueOptions(Object(R"({"queue_url":"http://localhost:9324/queues/q"})"),
                                   "/w", true, errors));
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(Messages(errors));

  ConfigErrors bad;
  EXPECT_FALSE(ParseSqsQueueOptions(Object(R"({"queue_url":"http://localhost:9324/queues/q",
      "create_queue":false,"delay_seconds":901,"message_deduplication_id":"x","extra":1})"),
                                    "/w/module-config", false, bad));
  EXPECT_THAT(
      Messages(bad),
      UnorderedElementsAre(
          HasSubstr("/w/module-config/queue_url: must start with https://sqs."),
          HasSubstr("/w/module-config/create_queue: applies to queue_name only"),
          HasSubstr("/w/module-config/delay_seconds"),
          HasSubstr("/w/module-config/message_deduplication_id: applies to FIFO queues only"),
          HasSubstr("/w/module-config/extra")));

  for (const char* name : {"a--b", "a__b", "bad name", "", "x.fifo.fifo"}) {
    ConfigErrors errors_of_name;
    boost::json::object config{{"queue_name", name}};
    EXPECT_FALSE(ParseSqsQueueOptions(config, "/w", false, errors_of_name)) << name;
  }
  ConfigErrors long_name;
  boost::json::object config{{"queue_name", std::string(81, 'q')}};
  EXPECT_FALSE(ParseSqsQueueOptions(config, "/w", false, long_name));
  ConfigErrors neither;
  EXPECT_FALSE(ParseSqsQueueOptions(Object("{}"), "/w/module-config", false, neither));
  EXPECT_THAT(Messages(neither),
              ElementsAre("/w/module-config: aws_sqs needs exactly one of \"queue_url\" and "
                          "\"queue_name\""));
}

TEST(SqsConfigTest, FifoQueues) {
  ConfigErrors errors;
  auto fifo = ParseSqsQueueOptions(
      Object(R"({"queue_name":"orders.fifo","message_group_id":"{webhook_id}"})"), "/w", false,
      errors);
  ASSERT_TRUE(fifo) << ::testing::PrintToString(Messages(errors));
  EXPECT_TRUE(fifo->fifo);
  EXPECT_EQ(fifo->message_deduplication_id, "{delivery_id}");

  ConfigErrors bad;
  EXPECT_FALSE(ParseSqsQueueOptions(Object(R"({"queue_name":"orders.fifo","delay_seconds":5})"),
                                    "/w", false, bad));
  EXPECT_THAT(Messages(bad), UnorderedElementsAre(HasSubstr("/w/message_group_id: is required"),
                                                  HasSubstr("/w/delay_seconds: FIFO queues")));
}

TEST(SqsMessageTest, BodyIsPayloadJsonOrBlobBytesOrBase64) {
  auto delivery = testing::MakeDelivery("{ \"a\" : [1, 2] }");
  EXPECT_EQ(BuildSqsMessage(*delivery).body, R"({"a":[1,2]})");
  delivery->data_type = DataType::kBlob;
  delivery->payload = nullptr;
  delivery->body = "plain text \xc3\xa9";
  SqsMessage text = BuildSqsMessage(*delivery);
  EXPECT_EQ(text.body, delivery->body);
  EXPECT_THAT(Names(text), ::testing::Not(::testing::Contains("webhook-body-encoding")));
  delivery->body = std::string("\x00\xff", 2);
  SqsMessage binary = BuildSqsMessage(*delivery);
  EXPECT_EQ(binary.body, "AP8=");
  EXPECT_EQ(binary.attributes.at(1).name, "webhook-body-encoding");
  EXPECT_EQ(binary.attributes.at(1).value, "base64");
}

TEST(SqsMessageTest, SqsText) {
  EXPECT_TRUE(IsSqsText("tab\there \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsSqsText(std::string("nul\0", 4)));
  EXPECT_FALSE(IsSqsText("\x01"));
  EXPECT_FALSE(IsSqsText("\xc3"));          // truncated
  EXPECT_FALSE(IsSqsText("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsSqsText("\xef\xbf\xbf"));  // U+FFFF
  EXPECT_FALSE(IsSqsText("\xed\xa0\x80"));  // a surrogate
}

TEST(SqsMessageTest, AtMostTenAttributesDeliveryIdFirstThenHeadersByName) {
  auto delivery = testing::MakeDelivery();
  delivery->headers.clear();
  for (char c = 'z'; c >= 'a'; --c) delivery->headers.push_back({fmt::format("x-{}", c), "v"});
  delivery->headers.push_back({"x-b", "second value of x-b"});
  delivery->headers.push_back({"a-long", std::string(257, 'l')});
  delivery->headers.push_back({"a-empty", ""});
  delivery->headers.push_back({"a-control", "bell\x07"});
  delivery->headers.push_back({"aws.trace", "v"});
  delivery->headers.push_back({"a!bang", "v"});
  delivery->headers.push_back({"webhook-delivery-id", "forged"});
  delivery->headers.push_back({"a-max", std::string(256, 'm')});
  SqsMessage message = BuildSqsMessage(*delivery);
  EXPECT_THAT(Names(message), ElementsAre("webhook-delivery-id", "a-max", "x-a", "x-b", "x-c",
                                          "x-d", "x-e", "x-f", "x-g", "x-h"));
  EXPECT_EQ(message.attributes[0].value, delivery->id);
  EXPECT_EQ(message.attributes[3].value, "v");  // the first x-b
}

TEST(SqsMessageTest, Forms) {
  auto delivery = testing::MakeDelivery(R"({"n":"a b&c"})");
  delivery->headers = {{"x-event", "order.created"}};
  SqsQueueOptions options;
  options.delay_seconds = 30;
  EXPECT_EQ(SqsSendMessageForm(options, "https://sqs.us-east-1.amazonaws.com/1/q",
                               BuildSqsMessage(*delivery), *delivery),
            "Action=SendMessage&Version=2012-11-05&"
            "QueueUrl=https%3A%2F%2Fsqs.us-east-1.amazonaws.com%2F1%2Fq&"
            "MessageBody=%7B%22n%22%3A%22a%20b%26c%22%7D&DelaySeconds=30&"
            "MessageAttribute.1.Name=webhook-delivery-id&MessageAttribute.1.Value.DataType=String&"
            "MessageAttribute.1.Value.StringValue=01a2261f-0000-7000-8000-000000000001&"
            "MessageAttribute.2.Name=x-event&MessageAttribute.2.Value.DataType=String&"
            "MessageAttribute.2.Value.StringValue=order.created");

  SqsQueueOptions fifo;
  fifo.fifo = true;
  fifo.message_group_id = "g-{webhook_id}";
  fifo.message_deduplication_id = "{delivery_id}";
  delivery->headers.clear();
  std::string form = SqsSendMessageForm(fifo, "u", BuildSqsMessage(*delivery), *delivery);
  EXPECT_THAT(form, HasSubstr("&MessageGroupId=g-orders&MessageDeduplicationId=01a2261f-0000-"
                              "7000-8000-000000000001&"));
  EXPECT_EQ(SqsGetQueueUrlForm("orders"), "Action=GetQueueUrl&Version=2012-11-05&QueueName=orders");
  EXPECT_EQ(SqsCreateQueueForm("o.fifo", true),
            "Action=CreateQueue&Version=2012-11-05&QueueName=o.fifo&Attribute.1.Name=FifoQueue&"
            "Attribute.1.Value=true");
  EXPECT_EQ(CheckSqsMessageId("ok-{x}!"), "");
  EXPECT_NE(CheckSqsMessageId("no spaces"), "");
  EXPECT_NE(CheckSqsMessageId(std::string(129, 'a')), "");
}

TEST(SqsAnswerTest, FailureClasses) {
  const std::string non_existent =
      "<?xml version=\"1.0\"?><ErrorResponse><Error><Type>Sender</Type>"
      "<Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not "
      "exist &amp; never did.</Message></Error></ErrorResponse>";
  auto [code, message] = ParseSqsError(non_existent);
  EXPECT_TRUE(IsSqsNonExistentQueue(code));
  EXPECT_EQ(message, "The specified queue does not exist & never did.");
  auto missing = ClassifySqsAnswer(0, "", 400, non_existent, "aws_sqs SendMessage q");
  EXPECT_EQ(missing.kind, OutcomeKind::kPermanent);
  EXPECT_EQ(missing.message,
            "aws_sqs SendMessage q: HTTP 400 AWS.SimpleQueueService.NonExistentQueue: The "
            "specified queue does not exist & never did.");
  EXPECT_EQ(ClassifySqsAnswer(7, "Failed to connect", 0, "", "s").kind, OutcomeKind::kRetryable);
  EXPECT_EQ(ClassifySqsAnswer(0, "", 500, "", "s").kind, OutcomeKind::kRetryable);
  EXPECT_EQ(ClassifySqsAnswer(0, "", 503, "", "s").kind, OutcomeKind::kRetryable);
  EXPECT_EQ(ClassifySqsAnswer(0, "", 400, "<Error><Code>RequestThrottled</Code></Error>", "s").kind,
            OutcomeKind::kRetryable);
  EXPECT_EQ(
      ClassifySqsAnswer(0, "", 400, "<Error><Code>InvalidParameterValue</Code></Error>", "s").kind,
      OutcomeKind::kPermanent);
  EXPECT_EQ(
      ClassifySqsAnswer(0, "", 403, "<Error><Code>SignatureDoesNotMatch</Code></Error>", "s").kind,
      OutcomeKind::kPermanent);
  EXPECT_EQ(ClassifySqsAnswer(0, "", 403, "<Error><Code>AccessDenied</Code></Error>", "s").kind,
            OutcomeKind::kPermanent);

  EXPECT_EQ(Md5Hex("hello"), "5d41402abc4b2a76b9719d911017c592");
  std::string sent =
      "<SendMessageResponse><SendMessageResult><MD5OfMessageBody>"
      "5d41402abc4b2a76b9719d911017c592</MD5OfMessageBody><MessageId>m-1</MessageId>"
      "</SendMessageResult></SendMessageResponse>";
  EXPECT_TRUE(CheckSqsSendAnswer(sent, "hello", "s").delivered());
  EXPECT_EQ(CheckSqsSendAnswer(sent, "hellO", "s").kind, OutcomeKind::kRetryable);
  EXPECT_EQ(CheckSqsSendAnswer("Action: X is not implemented", "hello", "s").kind,
            OutcomeKind::kPermanent);
  EXPECT_EQ(ParseSqsQueueUrl("<GetQueueUrlResult><QueueUrl>http://localhost:1/queues/q</QueueUrl>"
                             "</GetQueueUrlResult>"),
            "http://localhost:1/queues/q");
}

// SigV4, recomputed here from the AWS spec, independent of the client's signing.
std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

std::string Hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  return Hmac(Hmac(Hmac(Hmac(fmt::format("AWS4{}", secret), date), region), service),
              "aws4_request");
}

TEST(SqsSigningTest, SigningKeyMatchesTheAwsDocumentationVector) {
  // docs.aws.amazon.com "Examples of how to derive a signing key for Signature Version 4".
  EXPECT_EQ(
      Hex(SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
      "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SqsSigningTest, SendMessageIsSignedForSqsInTheConnectionsRegion) {
  namespace asio = boost::asio;
  asio::io_context server_io;
  asio::ip::tcp::acceptor acceptor(server_io, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = acceptor.local_endpoint().port();
  std::string captured;
  std::thread server([&] {
    asio::ip::tcp::socket socket(server_io);
    acceptor.accept(socket);
    asio::streambuf buffer;
    asio::read_until(socket, buffer, "\r\n\r\n");
    std::string head(asio::buffers_begin(buffer.data()), asio::buffers_end(buffer.data()));
    auto at = head.find("Content-Length: ");
    size_t length = at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
    size_t header_end = head.find("\r\n\r\n") + 4;
    if (buffer.size() < header_end + length) {
      asio::read(socket, buffer, asio::transfer_exactly(header_end + length - buffer.size()));
    }
    captured.assign(asio::buffers_begin(buffer.data()), asio::buffers_end(buffer.data()));
    std::string answer =
        "<SendMessageResponse><SendMessageResult><MessageId>m-1</MessageId></SendMessageResult>"
        "</SendMessageResponse>";
    asio::write(socket, asio::buffer(fmt::format(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                            answer.size(), answer)));
  });

  ConfigErrors errors;
  auto settings = ParseSqsSettings(
      Object(fmt::format(R"({{"aws_access_key_id":"AKIDEXAMPLE","aws_secret_access_key":"SECRET",
                            "region_name":"eu-west-1","endpoint_url":"http://127.0.0.1:{}"}})",
                         port)),
      "/queue", errors);
  ASSERT_TRUE(settings);
  SqsClient client("queue", *settings);
  AwsRequest request;
  request.method = "POST";
  request.url = client.EndpointUrl();
  request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  request.body = "Action=SendMessage&Version=2012-11-05&QueueUrl=q&MessageBody=hi";
  auto response = testing::RunAwaitable([&]() -> boost::asio::awaitable<AwsResponse> {
    auto performing = client.AsyncPerform(request, boost::asio::use_awaitable);
    co_return co_await std::move(performing);
  }());
  server.join();
  EXPECT_EQ(response.status, 200);

  // Headers by lower-cased name, and the body.
  std::map<std::string, std::string> headers;
  size_t line_start = captured.find("\r\n") + 2;
  std::string request_line = captured.substr(0, line_start - 2);
  EXPECT_EQ(request_line, "POST / HTTP/1.1");
  while (true) {
    size_t line_end = captured.find("\r\n", line_start);
    if (line_end == line_start) break;
    std::string line = captured.substr(line_start, line_end - line_start);
    std::string name = line.substr(0, line.find(':'));
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    headers[name] = line.substr(line.find(':') + 2);
    line_start = line_end + 2;
  }
  std::string body = captured.substr(line_start + 2);
  EXPECT_EQ(body, request.body);

  const std::string& authorization = headers["authorization"];
  const std::string amz_date = headers["x-amz-date"];  // the client's clock: 20261203T101500Z
  ASSERT_EQ(amz_date.size(), 16u) << captured;
  const std::string date = amz_date.substr(0, 8);
  std::string credential = "Credential=AKIDEXAMPLE/" + date + "/eu-west-1/sqs/aws4_request";
  ASSERT_THAT(authorization, HasSubstr("AWS4-HMAC-SHA256 " + credential));
  std::string signed_names = authorization.substr(authorization.find("SignedHeaders=") + 14);
  signed_names = signed_names.substr(0, signed_names.find(','));
  std::string canonical_headers;
  size_t from = 0;
  while (from <= signed_names.size()) {
    size_t to = signed_names.find(';', from);
    if (to == std::string::npos) to = signed_names.size();
    std::string name = signed_names.substr(from, to - from);
    canonical_headers += name + ":" + headers[name] + "\n";
    from = to + 1;
  }
  EXPECT_THAT(signed_names, HasSubstr("content-type"));
  EXPECT_THAT(signed_names, HasSubstr("host"));
  EXPECT_THAT(signed_names, HasSubstr("x-amz-date"));
  std::string canonical_request =
      fmt::format("POST\n/\n\n{}\n{}\n{}", canonical_headers, signed_names, Sha256Hex(body));
  std::string string_to_sign =
      fmt::format("AWS4-HMAC-SHA256\n{}\n{}/eu-west-1/sqs/aws4_request\n{}", amz_date, date,
                  Sha256Hex(canonical_request));
  std::string expected = Hex(Hmac(SigningKey("SECRET", date, "eu-west-1", "sqs"), string_to_sign));
  EXPECT_THAT(authorization, HasSubstr("Signature=" + expected)) << canonical_request;
}

TEST(AwsSqsModuleTest, FactoryNeedsAnAwsSqsConnection) {
  ConfigErrors errors;
  std::map<std::string, ConnectionConfig, std::less<>> connections = {
      {"cache", ConnectionConfig{"cache", "redis-rq", boost::json::object{{"host", "h"}}}},
      {"queue", ConnectionConfig{"queue", "aws_sqs", Object(R"({"aws_access_key_id":"AK",
                                            "aws_secret_access_key":"SK"})")}}};
  auto registry = ConnectionRegistry::Build(connections, errors);
  ASSERT_TRUE(errors.empty()) << ::testing::PrintToString(Messages(errors));
  ModuleContext context;
  context.connections = registry.get();
  boost::json::object config{{"queue_name", "orders"}};
  EXPECT_FALSE(CreateAwsSqsModule(ModuleSettings{config, "/a", nullptr}, context, errors));
  EXPECT_FALSE(
      CreateAwsSqsModule(ModuleSettings{config, "/b", &connections.at("cache")}, context, errors));
  EXPECT_TRUE(
      CreateAwsSqsModule(ModuleSettings{config, "/c", &connections.at("queue")}, context, errors));
  EXPECT_THAT(
      Messages(errors),
      UnorderedElementsAre(HasSubstr("/a: aws_sqs needs a \"connection\" of type \"aws_sqs\""),
                           HasSubstr("/b: connection \"cache\" has type \"redis-rq\"")));
  EXPECT_EQ(registry->Health().at("queue").as_string(), "not used yet");
}

}  // namespace
}  // namespace wg
