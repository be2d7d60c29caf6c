#include "http/request_parser.hpp"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace wg {
namespace {
namespace http = boost::beast::http;

// Parses `text` whole, as the session does with bytes already read; the error, if any.
boost::beast::error_code ParseAll(RequestParser& parser, std::string_view text) {
  parser.eager(true);
  boost::beast::error_code ec;
  while (!text.empty() && !parser.is_done()) {
    size_t used = parser.put(boost::asio::buffer(text.data(), text.size()), ec);
    if (ec) return ec;
    if (used == 0) break;
    text.remove_prefix(used);
  }
  return ec;
}

TEST(RequestParserTest, KeepsTheHeadAsThePipelineTakesIt) {
  RequestParser parser;
  ASSERT_FALSE(ParseAll(parser,
                        "POST /webhook/orders?x=1 HTTP/1.1\r\n"
                        "Host: example.test\r\n"
                        "Content-Type: application/json\r\n"
                        "X-Custom-HEADER:  spaced value \r\n"
                        "Content-Length: 7\r\n"
                        "\r\n"
                        "{\"a\":1}"));
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(parser.method(), http::verb::post);
  EXPECT_EQ(parser.method_string(), "POST");
  EXPECT_EQ(parser.target(), "/webhook/orders?x=1");
  EXPECT_EQ(parser.version(), 11u);
  EXPECT_TRUE(parser.keep_alive());
  EXPECT_TRUE(parser.has_host());
  EXPECT_FALSE(parser.expects_continue());
  EXPECT_EQ(parser.transfer_encodings(), 0u);
  ASSERT_EQ(parser.headers().size(), 4u);
  EXPECT_EQ(parser.headers()[0].name, "host");
  EXPECT_EQ(parser.headers()[2].name, "x-custom-header");
  EXPECT_EQ(parser.headers()[2].value, "spaced value") << "optional whitespace trimmed";
  EXPECT_EQ(parser.body(), "{\"a\":1}");
}

TEST(RequestParserTest, CollectsAChunkedBodyAndNotesTheFraming) {
  RequestParser parser;
  ASSERT_FALSE(ParseAll(parser,
                        "POST /webhook/a HTTP/1.1\r\n"
                        "Host: h\r\n"
                        "Transfer-Encoding:  Chunked \r\n"
                        "Expect: 100-continue\r\n"
                        "Connection: close\r\n"
                        "\r\n"
                        "3\r\nabc\r\n2;name=value\r\nde\r\n0\r\n\r\n"));
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(parser.body(), "abcde");
  EXPECT_EQ(parser.transfer_encodings(), 1u);
  EXPECT_TRUE(parser.only_chunked());
  EXPECT_TRUE(parser.expects_continue());
  EXPECT_FALSE(parser.keep_alive());
}

TEST(RequestParserTest, NotesTransferCodingsOtherThanChunkedAlone) {
  RequestParser twice;
  ParseAll(twice,
           "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n"
           "Transfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(twice.transfer_encodings(), 2u);
  EXPECT_FALSE(twice.only_chunked());

  RequestParser gzip;
  ParseAll(gzip, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  EXPECT_EQ(gzip.transfer_encodings(), 1u);
  EXPECT_FALSE(gzip.only_chunked());

  RequestParser no_host;
  ParseAll(no_host, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_FALSE(no_host.has_host());
}

TEST(RequestParserTest, RefusesLongChunkExtensionsAndLongHeads) {
  RequestParser parser;
  std::string text = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
                     std::string(kMaxChunkExtensionBytes + 10, 'x') + "\r\na\r\n0\r\n\r\n";
  EXPECT_EQ(ParseAll(parser, text), http::error::bad_chunk_extension);

  RequestParser long_head;
  std::string head =
      "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(kMaxRequestHeadBytes, 'y') + "\r\n\r\n";
  EXPECT_EQ(ParseAll(long_head, head), http::error::header_limit);
}

TEST(RequestParserTest, TheFirstExpectFieldDecides) {
  RequestParser parser;
  ParseAll(parser,
           "POST / HTTP/1.1\r\nHost: h\r\nExpect: nothing\r\nExpect: 100-continue\r\n"
           "Content-Length: 0\r\n\r\n");
  EXPECT_FALSE(parser.expects_continue());
}

}  // namespace
}  // namespace wg
