#include "config/etcd_source.hpp"

#include <fmt/format.h>

#include <boost/asio.hpp>

#include "config/config_loader.hpp"
#include "config/etcd_wire.hpp"
#include "util/base64.hpp"
#include "webhook/webhook_id.hpp"

namespace wg {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr size_t kMaxSnapshotBytes = size_t{256} << 20;

// Places one key/value of the prefix into the snapshot.
void PlaceKey(const EtcdSettings& settings, std::string_view key, std::string_view value,
              EtcdSnapshot& snapshot, ConfigErrors& errors) {
  std::string_view rest = key.substr(settings.prefix.size());
  ConfigErrors key_errors(fmt::format("etcd {}", key));
  constexpr std::string_view kConnections = "global/connections/";
  if (rest.starts_with(kConnections)) {
    std::string_view name = rest.substr(kConnections.size());
    if (name.empty() || name.find('/') != std::string_view::npos) {
      key_errors.Warn("", "ignored: not <prefix>global/connections/<name>");
    } else if (auto document = ParseJsonDocument(value, key_errors)) {
      snapshot.connections[name] = std::move(*document);
    }
    errors.Append(key_errors);
    return;
  }
  auto slash = rest.find('/');
  constexpr std::string_view kWebhooks = "/webhooks/";
  if (slash == std::string_view::npos || rest.substr(slash, kWebhooks.size()) != kWebhooks) {
    key_errors.Warn("", "ignored: not <prefix><namespace>/webhooks/<id>");
    errors.Append(key_errors);
    return;
  }
  std::string_view ns = rest.substr(0, slash);
  std::string_view id = rest.substr(slash + kWebhooks.size());
  if (!IsValidNamespace(ns) || id.empty() || id.find('/') != std::string_view::npos) {
    key_errors.Warn("",
                    "ignored: the namespace must match [A-Za-z0-9_-]{1,64} and the id "
                    "must not be empty or contain '/'");
    errors.Append(key_errors);
    return;
  }
  if (auto document = ParseJsonDocument(value, key_errors)) {
    std::string name = ns == settings.ns ? std::string(id) : fmt::format("{}/{}", ns, id);
    snapshot.webhooks[name] = std::move(*document);
  }
  errors.Append(key_errors);
}

asio::awaitable<HttpExchange> RangeRequest(const EtcdSettings& settings,
                                           std::chrono::milliseconds timeout) {
  auto authenticating = EtcdAuthenticate(settings, timeout);
  EtcdToken token = co_await std::move(authenticating);
  if (!token.error.empty()) co_return HttpExchange{0, "", std::move(token.error)};
  auto endpoint = EtcdEndpoint(settings, "/v3/kv/range");
  auto exchanging =
      ExchangeOnce(co_await asio::this_coro::executor, endpoint, timeout,
                   EtcdPost(settings, "/v3/kv/range", EtcdPrefixRange(settings), token.token),
                   kMaxSnapshotBytes);
  co_return co_await std::move(exchanging);
}

}  // namespace

std::string EtcdSettings::Endpoint() const { return fmt::format("http://{}:{}", host, port); }

EtcdSnapshot ReadEtcdSnapshot(const EtcdSettings& settings, std::chrono::milliseconds timeout,
                              ConfigErrors& errors) {
  EtcdSnapshot snapshot;
  ConfigErrors source_errors(fmt::format("etcd {}", settings.Endpoint()));
  asio::io_context io;
  HttpExchange exchange;
  asio::co_spawn(io, RangeRequest(settings, timeout),
                 [&exchange](std::exception_ptr error, HttpExchange result) {
                   if (error) {
                     exchange.error = "the request failed";
                   } else {
                     exchange = std::move(result);
                   }
                 });
  io.run();
  if (exchange.status == 0) {
    source_errors.Add("", fmt::format("cannot read the configuration: {}", exchange.error));
    errors.Append(source_errors);
    return snapshot;
  }
  boost::system::error_code ec;
  json::value answer = json::parse(exchange.body, ec);
  if (exchange.status != 200 || ec || !answer.is_object()) {
    std::string detail = exchange.body.substr(0, 200);
    source_errors.Add("", fmt::format("cannot read the configuration: etcd answered {}: {}",
                                      exchange.status, detail));
    errors.Append(source_errors);
    return snapshot;
  }
  const json::object& range = answer.as_object();
  snapshot.read = true;
  snapshot.revision = EtcdHeaderRevision(range);
  const json::value* kvs = range.if_contains("kvs");
  if (kvs == nullptr || !kvs->is_array()) return snapshot;  // no key under the prefix
  for (const json::value& kv : kvs->as_array()) {
    if (!kv.is_object()) continue;
    const json::value* key = kv.as_object().if_contains("key");
    const json::value* value = kv.as_object().if_contains("value");
    if (key == nullptr || !key->is_string()) continue;
    auto key_bytes = DecodeBase64(key->as_string());
    auto value_bytes = value != nullptr && value->is_string() ? DecodeBase64(value->as_string())
                                                              : std::optional<std::string>("");
    if (!key_bytes || !value_bytes) {
      source_errors.Add("", "etcd answered a key or value that is not base64");
      continue;
    }
    PlaceKey(settings, *key_bytes, *value_bytes, snapshot, errors);
  }
  errors.Append(source_errors);
  return snapshot;
}

}  // namespace wg
