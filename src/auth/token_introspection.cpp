#include "auth/token_introspection.hpp"

#include <fmt/format.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "config/json_reader.hpp"
#include "util/base64.hpp"

namespace wg {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr size_t kMaxResponseBytes = 64 * 1024;

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

TokenIntrospector::TokenIntrospector(OutboundEndpoint endpoint, std::string client_id,
                                     std::string client_secret, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {
  if (!client_id.empty() && !client_secret.empty()) {
    authorization_ = "Basic " + EncodeBase64(client_id + ":" + client_secret);
  }
}

std::string TokenIntrospector::Body(const std::string& token) const {
  return "token=" + FormEncode(token) + "&token_type_hint=access_token";
}

asio::awaitable<IntrospectionResult> TokenIntrospector::Introspect(std::string token) const {
  auto executor = co_await asio::this_coro::executor;
  http::request<http::string_body> request(http::verb::post, endpoint_.target.path_and_query, 11);
  request.set(http::field::accept, "application/json");
  request.set(http::field::content_type, "application/x-www-form-urlencoded");
  if (!authorization_.empty()) request.set(http::field::authorization, authorization_);
  request.body() = Body(token);
  auto exchanging = ExchangeOnce(executor, endpoint_, timeout_, std::move(request),
                                 kMaxResponseBytes);
  HttpExchange exchange = co_await std::move(exchanging);
  if (exchange.status == 0) co_return Failed(std::move(exchange.error));
  if (exchange.status != 200) {
    IntrospectionResult result = Failed(fmt::format("HTTP {}", exchange.status));
    result.http_status = exchange.status;
    co_return result;
  }
  co_return ReadTokenInfo(exchange.body);
}

}  // namespace wg
