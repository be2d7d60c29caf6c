#include "http/request_parser.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include "util/ascii.hpp"

namespace wg {
namespace http = boost::beast::http;

namespace {

// What a body's Content-Length may reserve at once; a longer body grows the string as it comes.
constexpr std::uint64_t kMaxReserve = 8 * 1024 * 1024;

}  // namespace

RequestParser::RequestParser() {
  header_limit(static_cast<std::uint32_t>(kMaxRequestHeadBytes));
  headers_.reserve(16);
}

void RequestParser::on_request_impl(http::verb method, boost::beast::string_view method_string,
                                    boost::beast::string_view target, int version,
                                    boost::beast::error_code&) {
  method_ = method;
  method_string_ = std::string_view(method_string);
  target_ = std::string_view(target);
  version_ = static_cast<unsigned>(version);
}

void RequestParser::on_field_impl(http::field name, boost::beast::string_view name_string,
                                  boost::beast::string_view value, boost::beast::error_code&) {
  std::string lowered(std::string_view{name_string});
  for (char& c : lowered) c = AsciiLower(c);
  headers_.push_back({std::move(lowered), std::string(std::string_view{value})});
  switch (name) {
    case http::field::host:
      has_host_ = true;
      break;
    case http::field::expect:
      // The first Expect field decides, as a lookup of the field would.
      if (!seen_expect_) expects_continue_ = boost::beast::iequals(value, "100-continue");
      seen_expect_ = true;
      break;
    case http::field::transfer_encoding:
      ++transfer_encodings_;
      only_chunked_ =
          only_chunked_ && boost::beast::iequals(TrimBlanks(std::string_view{value}), "chunked");
      break;
    default:
      break;
  }
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      boost::beast::error_code&) {
  if (content_length) body_.reserve(static_cast<size_t>(std::min(*content_length, kMaxReserve)));
}

size_t RequestParser::on_body_impl(boost::beast::string_view body, boost::beast::error_code&) {
  body_.append(body.data(), body.size());
  return body.size();
}

void RequestParser::on_chunk_header_impl(std::uint64_t, boost::beast::string_view extensions,
                                         boost::beast::error_code& ec) {
  if (extensions.size() > kMaxChunkExtensionBytes) ec = http::error::bad_chunk_extension;
}

size_t RequestParser::on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                         boost::beast::error_code&) {
  body_.append(body.data(), body.size());
  return body.size();
}

}  // namespace wg
