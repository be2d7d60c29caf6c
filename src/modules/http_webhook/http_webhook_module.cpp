#include "modules/http_webhook/http_webhook_module.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "config/names.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <set>

#include "config/json_reader.hpp"
#include "connections/http/http_client.hpp"

namespace wg {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr size_t kMaxIdlePerThread = 64;
constexpr size_t kMaxResponseBytes = 1024 * 1024;

// Never forwarded: they describe the incoming connection, not the webhook.
constexpr std::array<std::string_view, 12> kHopByHop = {
    "host", "connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection",
    "proxy-authenticate", "proxy-authorization", "te", "trailer", "content-length", "expect"};

// Credentials of the incoming request: forwarded only when named in allowed_headers, so that a
// sender's secret does not leak to the destination by default.
constexpr std::array<std::string_view, 5> kCredentialHeaders = {
    "authorization", "cookie", "x-api-key", "x-auth-token", "x-access-token"};


struct Options {
  HttpTarget target;
  http::verb method = http::verb::post;
  std::vector<std::pair<std::string, std::string>> headers;  // custom headers
  bool forward_headers = false;
  std::optional<std::set<std::string>> allowed_headers;  // lower-case
  bool host_allowed_explicitly = false;
  std::chrono::milliseconds timeout{30000};
  std::shared_ptr<asio::ssl::context> tls;  // https only
};

class HttpWebhookModule final : public Module {
 public:
  explicit HttpWebhookModule(Options options) : options_(std::move(options)) {}

  asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    auto executor = co_await asio::this_coro::executor;
    auto request = BuildRequest(*delivery);
    // A pooled connection may have been closed by the server meanwhile: one fresh retry then.
    for (int round = 0; round < 2; ++round) {
      bool reused = false;
      std::optional<HttpStream> stream = TakeIdle(executor);
      if (stream) {
        reused = true;
      } else {
        auto opening = OpenHttpStream(executor, options_.target, options_.host_allowed_explicitly,
                                      options_.timeout, options_.tls);
        HttpConnection connection = co_await std::move(opening);
        if (!connection.stream) {
          co_return connection.refused ? Outcome::Permanent(std::move(connection.error))
                                       : Outcome::Retryable(std::move(connection.error));
        }
        stream.emplace(std::move(*connection.stream));
      }
      stream->ExpiresAfter(options_.timeout);
      auto writing = stream->Write(request);
      beast::error_code ec = co_await std::move(writing);
      beast::flat_buffer buffer;
      HttpStream::ResponseParser parser;
      parser.body_limit(kMaxResponseBytes);
      if (!ec) {
        auto reading = stream->Read(buffer, parser);
        ec = co_await std::move(reading);
      }
      if (ec) {
        if (reused && round == 0 && buffer.size() == 0 && ec != beast::error::timeout) {
          continue;  // stale keep-alive connection
        }
        if (ec == beast::error::timeout) {
          co_return Outcome::Retryable(fmt::format("timed out after {} ms", options_.timeout.count()));
        }
        co_return Outcome::Retryable(fmt::format("connection failed: {}", ec.message()));
      }
      auto& response = parser.get();
      unsigned status = response.result_int();
      if (response.keep_alive()) ReturnIdle(executor, std::move(*stream));
      if (status >= 200 && status < 300) co_return Outcome::Delivered();
      std::string body = response.body().substr(0, 200);
      std::string message = fmt::format("HTTP {} from {}{}", status, options_.target.host_header,
                                        body.empty() ? "" : ": " + body);
      if (status == 408 || status == 429 || status >= 500) co_return Outcome::Retryable(message);
      co_return Outcome::Permanent(message);
    }
    co_return Outcome::Retryable("connection closed by the server");
  }

 private:
  http::request<http::string_body> BuildRequest(const Delivery& delivery) const {
    http::request<http::string_body> request(options_.method, options_.target.path_and_query, 11);
    if (options_.forward_headers) {
      for (const auto& header : delivery.headers) {
        if (!Forwardable(header.name, header.value)) continue;
        request.set(header.name, header.value);
      }
    }
    for (const auto& [name, value] : options_.headers) {
      if (options_.allowed_headers && !options_.allowed_headers->contains(ToLower(name))) continue;
      request.set(name, value);
    }
    request.set(http::field::host, options_.target.host_header);
    request.set(http::field::user_agent, "webhook-gateway");
    // Delivery is at least once (a retry after a lost answer, a restart after a crash): the
    // same id on every attempt lets the receiver drop duplicates.
    request.set("X-Webhook-Delivery-Id", delivery.id);
    if (delivery.data_type == DataType::kBlob) {
      request.set(http::field::content_type, delivery.content_type.empty()
                                                 ? "application/octet-stream"
                                                 : delivery.content_type);
      request.body() = delivery.body;
    } else {
      request.set(http::field::content_type, "application/json");
      request.body() = boost::json::serialize(delivery.payload);
    }
    request.keep_alive(true);
    request.prepare_payload();
    return request;
  }

  bool Forwardable(const std::string& name, const std::string& value) const {
    for (auto hop : kHopByHop) {
      if (name == hop) return false;
    }
    if (!IsHeaderToken(name) || !IsSafeHeaderValue(value)) return false;
    if (options_.allowed_headers) return options_.allowed_headers->contains(name);
    for (auto credential : kCredentialHeaders) {
      if (name == credential) return false;
    }
    return true;
  }

  // Idle keep-alive connections, kept per I/O thread: a socket is only used on its own thread.
  std::optional<HttpStream> TakeIdle(const asio::any_io_executor& executor) {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[&asio::query(executor, asio::execution::context)];
    if (idle.empty()) return std::nullopt;
    HttpStream stream = std::move(idle.back());
    idle.pop_back();
    return stream;
  }

  void ReturnIdle(const asio::any_io_executor& executor, HttpStream stream) {
    std::lock_guard lock(mutex_);
    auto& idle = idle_[&asio::query(executor, asio::execution::context)];
    if (idle.size() < kMaxIdlePerThread) idle.push_back(std::move(stream));
  }

  Options options_;
  std::mutex mutex_;
  std::map<asio::execution_context*, std::vector<HttpStream>> idle_;
};

}  // namespace

std::unique_ptr<Module> CreateHttpWebhookModule(const ModuleSettings& settings,
                                                const ModuleContext& context, ConfigErrors& errors) {
  ObjectReader reader(settings.config, settings.path, errors);
  const size_t before = errors.size();
  Options options;
  auto url = reader.String("url", true);
  std::string method = reader.StringOr("method", "POST");
  if (method == "POST") options.method = http::verb::post;
  else if (method == "PUT") options.method = http::verb::put;
  else if (method == "PATCH") options.method = http::verb::patch;
  else errors.Add(reader.PathOf("method"), fmt::format("must be POST, PUT or PATCH, got \"{}\"", method));

  if (const auto* headers = reader.Object("headers")) {
    options.headers = ParseConfiguredHeaders(*headers, reader.PathOf("headers"), errors);
  }
  options.forward_headers = reader.Bool("forward_headers", false);
  if (auto allowed = reader.StringList("allowed_headers")) {
    options.allowed_headers.emplace();
    for (const auto& name : *allowed) options.allowed_headers->insert(ToLower(name));
  }
  std::set<std::string> allowed_hosts;
  if (auto hosts = reader.StringList("allowed_hosts")) {
    for (const auto& host : *hosts) allowed_hosts.insert(ToLower(host));
  }
  double timeout = reader.Number("timeout", 30.0, 0.001, 3600);
  std::string ca_file = reader.StringOr("ssl_ca_cert", "");
  options.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  reader.RejectUnknownKeys("http_webhook module-config");

  if (url) {
    auto target = ParseHttpTarget(*url, reader.PathOf("url"), "use module-config.headers", errors);
    if (target) {
      if (!allowed_hosts.empty()) {
        if (!allowed_hosts.contains(target->host)) {
          errors.Add(reader.PathOf("url"),
                     fmt::format("host \"{}\" is not in allowed_hosts", target->host));
        }
        options.host_allowed_explicitly = true;
      } else if (auto reason = BlockedHostReason(target->host)) {
        errors.Add(reader.PathOf("url"),
                   fmt::format("refused destination \"{}\": {} (list it in allowed_hosts to allow it)",
                               target->host, *reason));
      }
      if (target->tls) {
        options.tls = MakeTlsClientContext(ca_file, reader.PathOf("ssl_ca_cert"), errors);
      }
      options.target = std::move(*target);
    }
  }
  if (errors.size() != before) return nullptr;
  return std::make_unique<HttpWebhookModule>(std::move(options));
}

}  // namespace wg
