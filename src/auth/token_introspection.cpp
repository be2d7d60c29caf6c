#include "auth/token_introspection.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "config/json_reader.hpp"

namespace wg {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxResponseBytes = 64 * 1024;

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::string FormEncode(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

IntrospectionResult Failed(std::string error) {
  IntrospectionResult result;
  result.error = std::move(error);
  return result;
}

// RFC 7662 §2.2: `active` is required; only a JSON true means active.
IntrospectionResult ReadTokenInfo(const std::string& body) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return Failed("introspection answer is not a JSON object");
  const boost::json::object& object = value.get_object();
  TokenInfo info;
  const boost::json::value* active = object.if_contains("active");
  info.active = active != nullptr && active->is_bool() && active->get_bool();
  if (const boost::json::value* scope = object.if_contains("scope")) info.scopes = ScopesOf(*scope);
  if (const boost::json::value* exp = object.if_contains("exp"); exp && exp->is_number()) {
    auto seconds = static_cast<int64_t>(exp->to_number<double>());
    info.expires_at = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
  }
  IntrospectionResult result;
  result.http_status = 200;
  result.token = std::move(info);
  return result;
}

}  // namespace

std::vector<std::string> ScopesOf(const boost::json::value& scope) {
  std::vector<std::string> scopes;
  if (scope.is_string()) {
    std::string_view rest = scope.get_string();
    while (!rest.empty()) {
      size_t space = rest.find(' ');
      if (space != 0) scopes.emplace_back(rest.substr(0, space));
      if (space == std::string_view::npos) break;
      rest.remove_prefix(space + 1);
    }
  } else if (scope.is_array()) {
    for (const auto& entry : scope.get_array()) {
      if (entry.is_string()) scopes.emplace_back(entry.get_string());
    }
  }
  return scopes;
}

std::optional<IntrospectionEndpoint> ParseIntrospectionEndpoint(
    const std::string& url, const std::string& path, const std::set<std::string>& allowed_hosts,
    ConfigErrors& errors) {
  auto target = ParseHttpTarget(url, path, "use client_id and client_secret", errors);
  if (!target) return std::nullopt;
  IntrospectionEndpoint endpoint{std::move(*target), false};
  endpoint.host_allowed_explicitly = allowed_hosts.contains(endpoint.target.host);
  if (!endpoint.host_allowed_explicitly) {
    if (auto reason = BlockedHostReason(endpoint.target.host)) {
      errors.Add(path, fmt::format("refused endpoint host \"{}\": {} (list it in allowed_hosts "
                                   "to allow it)",
                                   endpoint.target.host, *reason));
      return std::nullopt;
    }
  }
  return endpoint;
}

TokenIntrospector::TokenIntrospector(IntrospectionEndpoint endpoint, std::string client_id,
                                     std::string client_secret, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {
  if (!client_id.empty() && !client_secret.empty()) {
    authorization_ = "Basic " + Base64(client_id + ":" + client_secret);
  }
}

std::string TokenIntrospector::Body(const std::string& token) const {
  return "token=" + FormEncode(token) + "&token_type_hint=access_token";
}

asio::awaitable<IntrospectionResult> TokenIntrospector::Introspect(std::string token) const {
  auto executor = co_await asio::this_coro::executor;
  const HttpTarget& target = endpoint_.target;
  // One deadline, set by ConnectOutbound, for connect, write and read.
  auto connecting = ConnectOutbound(executor, target, endpoint_.host_allowed_explicitly, timeout_);
  OutboundConnection connection = co_await std::move(connecting);
  if (!connection.stream) co_return Failed(std::move(connection.error));
  beast::tcp_stream& stream = *connection.stream;
  http::request<http::string_body> request(http::verb::post, target.path_and_query, 11);
  request.set(http::field::host, target.host_header);
  request.set(http::field::user_agent, "webhook-gateway");
  request.set(http::field::accept, "application/json");
  request.set(http::field::content_type, "application/x-www-form-urlencoded");
  if (!authorization_.empty()) request.set(http::field::authorization, authorization_);
  request.body() = Body(token);
  request.keep_alive(false);
  request.prepare_payload();
  auto [write_ec, written] = co_await http::async_write(stream, request, kUseTuple);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  beast::error_code read_ec = write_ec;
  if (!write_ec) {
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    read_ec = ec;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (read_ec == beast::error::timeout) {
    co_return Failed(fmt::format("no answer within {} ms", timeout_.count()));
  }
  if (read_ec) co_return Failed(fmt::format("exchange failed: {}", read_ec.message()));
  const auto& response = parser.get();
  if (response.result_int() != 200) {
    IntrospectionResult result = Failed(fmt::format("HTTP {}", response.result_int()));
    result.http_status = response.result_int();
    co_return result;
  }
  co_return ReadTokenInfo(response.body());
}

}  // namespace wg
