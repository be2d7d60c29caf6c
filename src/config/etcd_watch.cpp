#include "config/etcd_watch.hpp"

#include <fmt/format.h>

#include <boost/asio.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <random>

#include "config/etcd_wire.hpp"
#include "observability/logger.hpp"

namespace wg {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr std::chrono::milliseconds kConnectTimeout = 10s;
// etcd sends a progress notification every 10 minutes on a quiet watch (progress_notify); a
// watch silent for longer than this is taken as broken.
constexpr std::chrono::milliseconds kWatchSilenceLimit = 11min;
constexpr std::chrono::milliseconds kFirstBackoff = 1s;
constexpr std::chrono::milliseconds kLongestBackoff = 60s;
constexpr size_t kMaxWatchMessageBytes = size_t{64} << 20;

std::chrono::milliseconds WithJitter(std::chrono::milliseconds delay) {
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int64_t> spread(0, delay.count() / 4);
  return delay + std::chrono::milliseconds(spread(rng));
}

}  // namespace

EtcdWatch::EtcdWatch(EtcdSettings settings, std::chrono::milliseconds quiet_period, Logger& logger,
                     std::function<void()> on_change)
    : settings_(std::move(settings)),
      quiet_period_(quiet_period),
      logger_(logger),
      on_change_(std::move(on_change)),
      reload_timer_(io_, std::chrono::steady_clock::time_point::max()) {}

EtcdWatch::~EtcdWatch() { Stop(); }

void EtcdWatch::Start() {
  asio::co_spawn(io_, WatchLoop(), asio::detached);
  asio::co_spawn(io_, ReloadWhenQuiet(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

void EtcdWatch::Stop() {
  if (!thread_.joinable()) return;
  io_.stop();
  thread_.join();
}

asio::awaitable<void> EtcdWatch::ReloadWhenQuiet() {
  while (true) {
    auto [ec] = co_await reload_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) continue;  // a newer change moved the deadline
    reload_timer_.expires_at(std::chrono::steady_clock::time_point::max());
    on_change_();  // blocking: reads the snapshot and swaps the configuration
  }
}

void EtcdWatch::OnMessage(const json::value& message) {
  const json::value* result =
      message.is_object() ? message.as_object().if_contains("result") : nullptr;
  if (result == nullptr || !result->is_object()) {
    logger_.Warn("etcd watch: unexpected message", {{"message", json::serialize(message)}});
    return;
  }
  const json::object& body = result->as_object();
  bool changed = false;
  if (const json::value* created = body.if_contains("created");
      created != nullptr && created->is_bool() && created->as_bool()) {
    connected_ = true;
    // Changes made before the watch began (while disconnected, or since the snapshot).
    changed = EtcdHeaderRevision(body) != loaded_revision_.load();
    logger_.Info("etcd watch established",
                 {{"endpoint", settings_.Endpoint()}, {"prefix", settings_.prefix}});
  }
  if (const json::value* events = body.if_contains("events");
      events != nullptr && events->is_array() && !events->as_array().empty()) {
    changed = true;
  }
  if (changed) reload_timer_.expires_after(quiet_period_);
}

asio::awaitable<void> EtcdWatch::WatchLoop() {
  auto executor = co_await asio::this_coro::executor;
  std::chrono::milliseconds backoff = kFirstBackoff;
  while (true) {
    std::string failure;
    auto authenticating = EtcdAuthenticate(settings_, kConnectTimeout);
    EtcdToken token = co_await std::move(authenticating);
    std::optional<HttpConnection> connection;
    if (token.error.empty()) {
      auto opening = OpenHttpStream(executor, EtcdEndpoint(settings_, "/v3/watch").target, true,
                                    kConnectTimeout, nullptr);
      connection.emplace(co_await std::move(opening));
    } else {
      failure = std::move(token.error);
    }
    if (connection && connection->stream) {
      HttpStream& stream = *connection->stream;
      json::object create = EtcdPrefixRange(settings_);
      create["progress_notify"] = true;
      auto request =
          EtcdPost(settings_, "/v3/watch", {{"create_request", std::move(create)}}, token.token);
      auto writing = stream.Write(request);
      beast::error_code ec = co_await std::move(writing);
      beast::flat_buffer buffer;
      HttpStream::ResponseParser parser;
      parser.body_limit(boost::none);  // consumed messages are erased as they are parsed
      json::stream_parser messages;
      while (!ec) {
        stream.ExpiresAfter(kWatchSilenceLimit);
        auto reading = stream.ReadSome(buffer, parser);
        ec = co_await std::move(reading);
        if (ec) break;
        if (parser.is_header_done() && parser.get().result() != http::status::ok) {
          failure = fmt::format("etcd answered {}", parser.get().result_int());
          break;
        }
        std::string& body = parser.get().body();
        size_t used = 0;
        while (used < body.size()) {
          // Messages are JSON objects one after another (newline-separated in practice).
          while (used < body.size() &&
                 (body[used] == '\n' || body[used] == '\r' || body[used] == ' ')) {
            ++used;
          }
          if (used == body.size()) break;
          boost::system::error_code parse_ec;
          used += messages.write_some(body.data() + used, body.size() - used, parse_ec);
          if (parse_ec) {
            failure = fmt::format("unreadable watch message: {}", parse_ec.message());
            break;
          }
          if (!messages.done()) break;
          OnMessage(messages.release());
          messages.reset();
          backoff = kFirstBackoff;
        }
        body.erase(0, used);
        if (!failure.empty() || body.size() > kMaxWatchMessageBytes) break;
        if (parser.is_done()) {
          failure = "etcd ended the watch";
          break;
        }
      }
      stream.Close();
      if (failure.empty()) failure = ec ? ec.message() : "the watch ended";
    } else if (connection) {
      failure = connection->error;
    }
    if (connected_.exchange(false)) {
      logger_.Warn("etcd watch lost; serving the last configuration",
                   {{"endpoint", settings_.Endpoint()}, {"error", failure}});
    } else {
      logger_.Warn("cannot watch etcd", {{"endpoint", settings_.Endpoint()},
                                         {"error", failure},
                                         {"retry_ms", std::to_string(backoff.count())}});
    }
    asio::steady_timer pause(executor, WithJitter(backoff));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    backoff = std::min(backoff * 2, kLongestBackoff);
  }
}

}  // namespace wg
