#include "modules/websocket/websocket_module.hpp"

#include <fmt/format.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <set>

#include "config/json_reader.hpp"
#include "config/names.hpp"
#include "connections/http/http_client.hpp"

namespace wg {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxReplyBytes = 1024 * 1024;

struct Options {
  OutboundEndpoint endpoint;
  bool raw = false;  // format "raw"
  bool include_headers = false;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10000};
  bool wait_for_response = false;
};

// A handshake the server refused: worth another attempt only when the server says so.
Outcome HandshakeRefused(const std::string& where, unsigned status) {
  std::string message =
      fmt::format("{}: the server refused the WebSocket handshake with {}", where, status);
  if (status >= 500 || status == 429 || status == 408) return Outcome::Retryable(message);
  return Outcome::Permanent(message);
}

template <typename NextLayer>
asio::awaitable<Outcome> SendOver(NextLayer next, const Options& options,
                                  const std::string& message, bool binary) {
  const HttpTarget& target = options.endpoint.target;
  const std::string where = fmt::format("websocket {}:{}", target.host, target.port);
  websocket::stream<NextLayer> ws(std::move(next));
  beast::get_lowest_layer(ws).expires_never();  // the WebSocket's own timeouts apply
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = options.timeout;  // also the close handshake
  timeouts.idle_timeout = options.timeout;
  timeouts.keep_alive_pings = false;
  ws.set_option(timeouts);
  ws.set_option(websocket::stream_base::decorator([&options](websocket::request_type& request) {
    request.set(http::field::user_agent, "webhook-gateway");
    for (const auto& [name, value] : options.headers) request.set(name, value);
  }));
  ws.read_message_max(kMaxReplyBytes);

  websocket::response_type response;
  auto [handshake_ec] =
      co_await ws.async_handshake(response, target.host_header, target.path_and_query, kUseTuple);
  if (handshake_ec) {
    if (handshake_ec == websocket::error::upgrade_declined && response.result_int() != 0) {
      co_return HandshakeRefused(where, response.result_int());
    }
    co_return Outcome::Retryable(
        fmt::format("{}: handshake failed: {}", where, handshake_ec.message()));
  }
  ws.binary(binary);
  auto [write_ec, written] = co_await ws.async_write(asio::buffer(message), kUseTuple);
  if (write_ec) {
    co_return Outcome::Retryable(fmt::format("{}: send failed: {}", where, write_ec.message()));
  }
  if (options.wait_for_response) {
    beast::flat_buffer reply;
    auto [read_ec, read] = co_await ws.async_read(reply, kUseTuple);
    if (read_ec) {
      co_return Outcome::Retryable(
          fmt::format("{}: no reply: {}", where,
                      read_ec == beast::error::timeout ? "timed out" : read_ec.message()));
    }
  }
  // The server answers our close frame only after everything before it: the message was read.
  auto [close_ec] = co_await ws.async_close(websocket::close_code::normal, kUseTuple);
  if (close_ec) {
    co_return Outcome::Retryable(fmt::format(
        "{}: the server did not complete the close handshake, so the message may not have been "
        "read: {}",
        where, close_ec == beast::error::timeout ? "timed out" : close_ec.message()));
  }
  co_return Outcome::Delivered();
}

class WebsocketModule final : public Module {
 public:
  explicit WebsocketModule(Options options) : options_(std::move(options)) {}

  asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    bool binary = false;
    std::string message;
    if (options_.raw) {
      if (delivery->data_type == DataType::kBlob) {
        message = delivery->body;
        binary = true;
      } else {
        message = json::serialize(delivery->payload);
      }
    } else {
      json::object wrapped;
      wrapped["payload"] =
          delivery->data_type == DataType::kBlob ? json::value(delivery->body) : delivery->payload;
      if (options_.include_headers) {
        json::object headers;
        for (const auto& header : delivery->headers) headers[header.name] = header.value;
        wrapped["headers"] = std::move(headers);
      }
      message = json::serialize(wrapped);
    }
    auto executor = co_await asio::this_coro::executor;
    auto opening = OpenHttpStream(executor, options_.endpoint.target,
                                  options_.endpoint.host_allowed_explicitly, options_.timeout,
                                  options_.endpoint.tls);
    HttpConnection connection = co_await std::move(opening);
    if (!connection.stream) {
      std::string error = fmt::format("websocket {}:{}: {}", options_.endpoint.target.host,
                                      options_.endpoint.target.port, connection.error);
      co_return connection.refused ? Outcome::Permanent(error) : Outcome::Retryable(error);
    }
    auto stream = std::move(*connection.stream).Release();
    if (auto* plain = std::get_if<HttpStream::Plain>(&stream)) {
      auto sending = SendOver(std::move(*plain), options_, message, binary);
      co_return co_await std::move(sending);
    }
    auto sending =
        SendOver(std::move(std::get<HttpStream::Secure>(stream)), options_, message, binary);
    co_return co_await std::move(sending);
  }

 private:
  Options options_;
};

}  // namespace

std::unique_ptr<Module> CreateWebsocketModule(const ModuleSettings& settings,
                                              const ModuleContext& context, ConfigErrors& errors) {
  ObjectReader reader(settings.config, settings.path, errors);
  const size_t before = errors.size();
  Options options;
  auto url = reader.String("url", true);
  std::string format = reader.StringOr("format", "json");
  options.include_headers = reader.Bool("include_headers", false);
  double timeout = reader.Number("timeout", 10, 0.1, 600);
  options.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  options.wait_for_response = reader.Bool("wait_for_response", false);
  if (const auto* headers = reader.Object("headers")) {
    options.headers = ParseConfiguredHeaders(*headers, reader.PathOf("headers"), errors);
  }
  std::set<std::string> allowed_hosts;
  if (auto hosts = reader.StringList("allowed_hosts")) {
    for (const auto& host : *hosts) allowed_hosts.insert(ToLower(host));
  }
  std::string ca_file = reader.StringOr("ssl_ca_cert", "");
  reader.Allow({"max_retries"});  // the Python project's internal retries: the chain's retry here
  reader.RejectUnknownKeys("websocket module-config");
  if (format == "raw") {
    options.raw = true;
  } else if (format != "json") {
    errors.Add(reader.PathOf("format"), "must be \"json\" or \"raw\"");
  }
  if (url) {
    // Same rules as http(s): ws is http's scheme for the handshake, wss https's.
    std::string lower = ToLower(*url);
    std::string as_http;
    if (lower.starts_with("ws://")) {
      as_http = "http://" + url->substr(5);
    } else if (lower.starts_with("wss://")) {
      as_http = "https://" + url->substr(6);
    } else {
      errors.Add(reader.PathOf("url"), "must be a ws:// or wss:// URL");
    }
    if (!as_http.empty()) {
      auto endpoint =
          ParseOutboundEndpoint(as_http, reader.PathOf("url"), allowed_hosts, ca_file,
                                reader.PathOf("ssl_ca_cert"), "use module-config.headers", errors);
      if (endpoint) options.endpoint = std::move(*endpoint);
    }
  }
  if (errors.size() != before) return nullptr;
  return std::make_unique<WebsocketModule>(std::move(options));
}

}  // namespace wg
