#include "config/etcd_wire.hpp"

#include <fmt/format.h>

#include <boost/asio/this_coro.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <charconv>

#include "util/base64.hpp"

namespace wg {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace {

constexpr size_t kMaxAuthAnswerBytes = 64 * 1024;

// The end of the key range that holds every key starting with `prefix` (etcd's prefix rule).
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(prefix.back());
    if (last < 0xff) {
      ++last;
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // every key
}

// etcd's JSON gateway writes 64-bit numbers as strings.
int64_t Int64Field(const json::value* value) {
  if (value == nullptr) return 0;
  if (value->is_int64()) return value->as_int64();
  if (value->is_uint64()) return static_cast<int64_t>(value->as_uint64());
  if (value->is_string()) {
    int64_t number = 0;
    const auto& text = value->as_string();
    std::from_chars(text.data(), text.data() + text.size(), number);
    return number;
  }
  return 0;
}

}  // namespace

OutboundEndpoint EtcdEndpoint(const EtcdSettings& settings, std::string path) {
  OutboundEndpoint endpoint;
  endpoint.target.host = settings.host;
  endpoint.target.port = settings.port;
  endpoint.target.host_header = fmt::format("{}:{}", settings.host, settings.port);
  endpoint.target.path_and_query = std::move(path);
  endpoint.host_allowed_explicitly = true;
  return endpoint;
}

HttpStream::Request EtcdPost(const EtcdSettings& settings, std::string_view path,
                             const json::object& body, std::string_view token) {
  HttpStream::Request request(http::verb::post, path, 11);
  request.set(http::field::host, fmt::format("{}:{}", settings.host, settings.port));
  request.set(http::field::content_type, "application/json");
  if (!token.empty()) request.set(http::field::authorization, token);
  request.body() = json::serialize(body);
  request.prepare_payload();
  return request;
}

json::object EtcdPrefixRange(const EtcdSettings& settings) {
  return {{"key", EncodeBase64(settings.prefix)},
          {"range_end", EncodeBase64(PrefixEnd(settings.prefix))}};
}

asio::awaitable<EtcdToken> EtcdAuthenticate(const EtcdSettings& settings,
                                            std::chrono::milliseconds timeout) {
  EtcdToken result;
  if (settings.username.empty()) co_return result;
  auto endpoint = EtcdEndpoint(settings, "/v3/auth/authenticate");
  json::object credentials{{"name", settings.username}, {"password", settings.password}};
  auto exchanging = ExchangeOnce(co_await asio::this_coro::executor, endpoint, timeout,
                                 EtcdPost(settings, endpoint.target.path_and_query, credentials),
                                 kMaxAuthAnswerBytes);
  HttpExchange exchange = co_await std::move(exchanging);
  if (exchange.status == 0) {
    result.error = exchange.error;
    co_return result;
  }
  boost::system::error_code ec;
  json::value answer = json::parse(exchange.body, ec);
  const json::value* token =
      !ec && answer.is_object() ? answer.as_object().if_contains("token") : nullptr;
  if (exchange.status != 200 || token == nullptr || !token->is_string()) {
    const json::value* message =
        !ec && answer.is_object() ? answer.as_object().if_contains("message") : nullptr;
    result.error =
        fmt::format("etcd refused the user \"{}\" ({}): {}", settings.username, exchange.status,
                    message != nullptr && message->is_string() ? std::string(message->as_string())
                                                               : exchange.body.substr(0, 200));
    co_return result;
  }
  result.token = std::string(token->as_string());
  co_return result;
}

int64_t EtcdHeaderRevision(const json::object& holder) {
  const json::value* header = holder.if_contains("header");
  if (header == nullptr || !header->is_object()) return 0;
  return Int64Field(header->as_object().if_contains("revision"));
}

}  // namespace wg
