// The bytes of an answer on the wire, parsed back with Beast's response parser: what a client
// reads, not how we build it.
#include "http/response.hpp"

#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

namespace wg {
namespace {
namespace http = boost::beast::http;

http::response<http::string_body> Parse(const std::string& wire, bool head_request = false) {
  http::response_parser<http::string_body> parser;
  parser.skip(head_request);
  parser.eager(true);
  boost::beast::error_code ec;
  size_t used = parser.put(boost::asio::buffer(wire), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(used, wire.size()) << "nothing after the message";
  return parser.release();
}

TEST(ResponseTest, JsonAnswerWithSecurityHeaders) {
  std::string wire = SerializeResponse(HttpAnswer::Json(200, R"({"message":"200 OK"})"), 11, true);
  EXPECT_EQ(wire.rfind("HTTP/1.1 200 OK\r\n", 0), 0U);
  auto response = Parse(wire);
  EXPECT_EQ(response.result_int(), 200U);
  EXPECT_EQ(response.body(), R"({"message":"200 OK"})");
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_EQ(response["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(response["X-Frame-Options"], "DENY");
  EXPECT_EQ(response["Referrer-Policy"], "strict-origin-when-cross-origin");
  EXPECT_NE(response["Content-Security-Policy"].find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(response[http::field::content_length], "20");
  EXPECT_TRUE(response.keep_alive());
  EXPECT_EQ(response.find(http::field::connection), response.end()) << "1.1 keeps alive by default";
}

TEST(ResponseTest, CloseAndHttp10KeepAlive) {
  auto closing = Parse(SerializeResponse(HttpAnswer::Error(400, "Bad Request"), 11, false));
  EXPECT_EQ(closing.result_int(), 400U);
  EXPECT_EQ(closing.body(), R"({"detail":"Bad Request"})");
  EXPECT_EQ(closing[http::field::connection], "close");
  EXPECT_FALSE(closing.keep_alive());

  HttpAnswer unread = HttpAnswer::Error(413, "too large");
  unread.close = true;  // the answer's own close wins over the caller's keep-alive
  EXPECT_FALSE(Parse(SerializeResponse(unread, 11, true)).keep_alive());

  std::string old = SerializeResponse(HttpAnswer::Json(200, "{}"), 10, true);
  EXPECT_EQ(old.rfind("HTTP/1.0 200 OK\r\n", 0), 0U);
  auto response = Parse(old);
  EXPECT_EQ(response[http::field::connection], "keep-alive");
  EXPECT_TRUE(response.keep_alive());
  EXPECT_FALSE(Parse(SerializeResponse(HttpAnswer::Json(200, "{}"), 10, false)).keep_alive());
}

TEST(ResponseTest, AnswerHeadersReplaceDefaultsOrAreAdded) {
  HttpAnswer answer = HttpAnswer::Json(200, "# HELP x\n");
  answer.headers.emplace_back("content-type", "text/plain; version=0.0.4");
  answer.headers.emplace_back("Retry-After", "1");
  auto response = Parse(SerializeResponse(answer, 11, true));
  EXPECT_EQ(response[http::field::content_type], "text/plain; version=0.0.4");
  size_t content_types = 0;
  for (const auto& field : response) content_types += field.name() == http::field::content_type;
  EXPECT_EQ(content_types, 1U);
  EXPECT_EQ(response["Retry-After"], "1");
  EXPECT_EQ(response["X-Frame-Options"], "DENY");
}

TEST(ResponseTest, HeaderWithLineBreakIsDropped) {
  HttpAnswer answer = HttpAnswer::Json(401, "{}");
  answer.headers.emplace_back("WWW-Authenticate", "Basic realm=\"x\"\r\nSet-Cookie: a=b");
  std::string wire = SerializeResponse(answer, 11, true);
  EXPECT_EQ(wire.find("Set-Cookie"), std::string::npos);
  auto response = Parse(wire);
  EXPECT_EQ(response.find(http::field::www_authenticate), response.end());
}

TEST(ResponseTest, HeadAnswerKeepsContentLengthWithoutBody) {
  std::string wire = SerializeResponse(HttpAnswer::Json(200, R"({"status":"ok"})"), 11, true, false);
  EXPECT_EQ(wire.substr(wire.size() - 4), "\r\n\r\n");
  auto response = Parse(wire, true);
  EXPECT_EQ(response[http::field::content_length], "15");
  EXPECT_TRUE(response.body().empty());
}

}  // namespace
}  // namespace wg
