// The parser of every request: Beast's HTTP/1 parser (basic_parser) keeping the head as the
// pipeline takes it. Header names go lower-cased into one vector, in the order sent, rather
// than into http::fields, which allocates a node per field and was then copied into that vector
// anyway. The body goes into a string. While parsing it notes what the session checks before
// reading a body: Transfer-Encoding, Host and Expect.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "modules/module.hpp"

namespace wg {

// Request heads larger than this (request line + all header lines) get 431.
constexpr size_t kMaxRequestHeadBytes = 16 * 1024;
// Longer chunk extensions are a malformed body: they would only hold bytes in the buffer.
constexpr size_t kMaxChunkExtensionBytes = 1024;

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  RequestParser();

  boost::beast::http::verb method() const { return method_; }
  std::string_view method_string() const { return method_string_; }
  std::string_view target() const { return target_; }
  unsigned version() const { return version_; }
  // Names lower-cased; the session moves them into the pipeline.
  std::vector<Header>& headers() { return headers_; }
  std::string& body() { return body_; }

  bool has_host() const { return has_host_; }
  bool expects_continue() const { return expects_continue_; }
  // Transfer-Encoding fields seen, and whether each was exactly "chunked" (blanks aside).
  size_t transfer_encodings() const { return transfer_encodings_; }
  bool only_chunked() const { return only_chunked_; }

 private:
  void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_string,
                       boost::beast::string_view target, int version,
                       boost::beast::error_code& ec) override;
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         boost::beast::error_code& ec) override;
  size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                            boost::beast::error_code& ec) override;
  size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                            boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
  std::string method_string_;
  std::string target_;
  unsigned version_ = 11;
  std::vector<Header> headers_;
  std::string body_;
  bool has_host_ = false;
  bool expects_continue_ = false;
  bool seen_expect_ = false;
  size_t transfer_encodings_ = 0;
  bool only_chunked_ = true;
};

}  // namespace wg
