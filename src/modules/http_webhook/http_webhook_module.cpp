#include "modules/http_webhook/http_webhook_module.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <set>

#include "config/json_reader.hpp"
#include "config/names.hpp"
#include "connections/http/http_client.hpp"

namespace wg {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr size_t kMaxIdlePerThread = 64;
// Below the keep-alive timeout of common servers (Node and Apache: 5 s), so that a kept
// connection is not reused just as the server closes it.
constexpr std::chrono::milliseconds kMaxIdleAge{4000};
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
    auto request = BuildRequest(*delivery);
    auto exchanging = ExchangePooled(pool_, options_.target, options_.host_allowed_explicitly,
                                     options_.tls, options_.timeout, request, kMaxResponseBytes);
    PooledAnswer answer = co_await std::move(exchanging);
    switch (answer.failure) {
      case PooledAnswer::Failure::kNone:
        break;
      case PooledAnswer::Failure::kConnect:
        co_return answer.refused ? Outcome::Permanent(std::move(answer.error))
                                 : Outcome::Retryable(std::move(answer.error));
      case PooledAnswer::Failure::kTimeout:
        co_return Outcome::Retryable(
            fmt::format("timed out after {} ms", options_.timeout.count()));
      case PooledAnswer::Failure::kBroken:
        co_return Outcome::Retryable(fmt::format("connection failed: {}", answer.error));
    }
    unsigned status = answer.response.result_int();
    if (status >= 200 && status < 300) co_return Outcome::Delivered();
    std::string body = answer.response.body().substr(0, 200);
    std::string message = fmt::format("HTTP {} from {}{}", status, options_.target.host_header,
                                      body.empty() ? "" : ": " + body);
    if (status == 408 || status == 429 || status >= 500) co_return Outcome::Retryable(message);
    co_return Outcome::Permanent(message);
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

  Options options_;
  HttpConnectionPool pool_{kMaxIdlePerThread, kMaxIdleAge};
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
