#include "connections/redis/redis_client.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <fmt/format.h>

#include <deque>

namespace wg {
namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kMinBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
}  // namespace

// The connection of one event loop. Only touched from that loop's thread.
class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  RedisConnection(asio::any_io_executor executor, const RedisEndpoint& endpoint, std::string name)
      : executor_(executor), endpoint_(endpoint), name_(std::move(name)), state_changed_(executor) {}

  asio::awaitable<RedisResult> Execute(std::vector<std::vector<std::string>> commands) {
    auto self = shared_from_this();
    auto deadline = Clock::now() + endpoint_.timeout;
    if (state_ == State::kDown && Clock::now() < retry_after_) {
      co_return Failure(fmt::format("redis connection \"{}\" is down ({}); reconnecting", name_,
                                    LastError()));
    }
    if (state_ == State::kDown || state_ == State::kIdle) {
      state_ = State::kConnecting;
      asio::co_spawn(executor_, self->Connect(), asio::detached);
    }
    while (state_ == State::kConnecting) {
      state_changed_.expires_at(deadline);
      auto [ec] = co_await state_changed_.async_wait(kUseTuple);
      if (!ec) co_return Failure(fmt::format("timed out connecting to redis \"{}\"", name_));
    }
    if (state_ != State::kConnected) {
      co_return Failure(fmt::format("cannot connect to redis \"{}\": {}", name_, LastError()));
    }

    auto pending = std::make_shared<Pending>(executor_, commands.size());
    for (const auto& command : commands) EncodeCommand(outgoing_, command);
    pending_.push_back(pending);
    if (!writing_) asio::co_spawn(executor_, self->Write(), asio::detached);

    pending->signal.expires_at(deadline);
    co_await pending->signal.async_wait(kUseTuple);
    if (!pending->done) {
      // A reply that never came leaves the pipeline out of step: start over on a new socket.
      if (pending->error.empty()) {
        Close(fmt::format("no reply within {} ms", endpoint_.timeout.count()));
      }
      co_return Failure(pending->error);
    }
    RedisResult result;
    result.ok = true;
    result.replies = std::move(pending->replies);
    co_return result;
  }

  std::string StateText() const {
    switch (state_) {
      case State::kConnected: return "connected";
      case State::kConnecting: return "connecting";
      case State::kIdle: return "not connected yet";
      case State::kDown: return "down: " + LastError();
    }
    return "unknown";
  }
  bool connected() const { return state_ == State::kConnected; }

 private:
  enum class State { kIdle, kConnecting, kConnected, kDown };

  struct Pending {
    Pending(asio::any_io_executor executor, size_t expected)
        : expected(expected), signal(executor) {}
    size_t expected;
    std::vector<RedisReply> replies;
    bool done = false;
    std::string error;
    asio::steady_timer signal;  // cancelled when the replies are in (or the connection failed)
  };

  static RedisResult Failure(std::string error) {
    RedisResult result;
    result.error = std::move(error);
    return result;
  }

  asio::awaitable<void> Connect() {
    auto self = shared_from_this();
    tcp::resolver resolver(executor_);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(endpoint_.host, endpoint_.port, kUseTuple);
    if (resolve_ec) {
      Fail(fmt::format("cannot resolve {}: {}", endpoint_.host, resolve_ec.message()));
      co_return;
    }
    stream_.emplace(executor_);
    stream_->expires_after(endpoint_.timeout);
    auto [connect_ec, unused] = co_await stream_->async_connect(endpoints, kUseTuple);
    if (connect_ec) {
      Fail(fmt::format("{}:{}: {}", endpoint_.host, endpoint_.port, connect_ec.message()));
      co_return;
    }
    stream_->socket().set_option(tcp::no_delay(true));

    // Handshake: AUTH and SELECT before anyone else may send.
    std::vector<std::vector<std::string>> handshake;
    if (endpoint_.password) {
      if (endpoint_.username) handshake.push_back({"AUTH", *endpoint_.username, *endpoint_.password});
      else handshake.push_back({"AUTH", *endpoint_.password});
    }
    if (endpoint_.db != 0) handshake.push_back({"SELECT", std::to_string(endpoint_.db)});
    if (!handshake.empty()) {
      std::string request;
      for (const auto& command : handshake) EncodeCommand(request, command);
      stream_->expires_after(endpoint_.timeout);
      auto [write_ec, written] = co_await asio::async_write(*stream_, asio::buffer(request), kUseTuple);
      if (write_ec) {
        Fail(write_ec.message());
        co_return;
      }
      for (size_t i = 0; i < handshake.size(); ++i) {
        RedisReply reply;
        if (!co_await ReadReply(reply)) co_return;
        if (reply.IsError()) {
          Fail(fmt::format("{} refused: {}", handshake[i][0], reply.text));
          co_return;
        }
      }
    }
    stream_->expires_never();
    state_ = State::kConnected;
    backoff_ = kMinBackoff;
    state_changed_.cancel();
    asio::co_spawn(executor_, self->ReadLoop(), asio::detached);
  }

  // Reads one reply into `reply`; false (and the connection closed) on failure.
  asio::awaitable<bool> ReadReply(RedisReply& reply) {
    for (;;) {
      int64_t used = ParseReply(incoming_, reply);
      if (used < 0) {
        Close("malformed reply from server");
        co_return false;
      }
      if (used > 0) {
        incoming_.erase(0, static_cast<size_t>(used));
        co_return true;
      }
      char chunk[16384];
      auto [ec, n] = co_await stream_->async_read_some(asio::buffer(chunk), kUseTuple);
      if (ec) {
        Close(ec == asio::error::eof ? "connection closed by server" : ec.message());
        co_return false;
      }
      incoming_.append(chunk, n);
    }
  }

  asio::awaitable<void> ReadLoop() {
    auto self = shared_from_this();
    while (state_ == State::kConnected) {
      RedisReply reply;
      if (!co_await ReadReply(reply)) co_return;
      if (pending_.empty()) {
        Close("unexpected reply from server");
        co_return;
      }
      auto& front = pending_.front();
      front->replies.push_back(std::move(reply));
      if (front->replies.size() == front->expected) {
        front->done = true;
        front->signal.cancel();
        pending_.pop_front();
      }
    }
  }

  asio::awaitable<void> Write() {
    auto self = shared_from_this();
    writing_ = true;
    while (!outgoing_.empty() && state_ == State::kConnected) {
      std::string batch;
      batch.swap(outgoing_);
      auto [ec, n] = co_await asio::async_write(*stream_, asio::buffer(batch), kUseTuple);
      if (ec) {
        Close(ec.message());
        break;
      }
    }
    writing_ = false;
  }

  std::string LastError() const {
    std::lock_guard lock(error_mutex_);
    return last_error_;
  }

  void Fail(std::string error) {
    {
      std::lock_guard lock(error_mutex_);
      last_error_ = std::move(error);
    }
    state_ = State::kDown;
    retry_after_ = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    state_changed_.cancel();
  }

  // Closes the socket and fails everything in flight.
  void Close(std::string error) {
    beast::error_code ignored;
    if (stream_) stream_->socket().close(ignored);
    incoming_.clear();
    outgoing_.clear();
    for (auto& pending : pending_) {
      pending->error = fmt::format("redis \"{}\": {}", name_, error);
      pending->signal.cancel();
    }
    pending_.clear();
    Fail(std::move(error));
  }

  asio::any_io_executor executor_;
  RedisEndpoint endpoint_;
  std::string name_;
  std::optional<beast::tcp_stream> stream_;  // a new one per connection attempt
  std::atomic<State> state_{State::kIdle};  // also read by /health from other threads
  asio::steady_timer state_changed_;
  std::string incoming_;
  std::string outgoing_;
  bool writing_ = false;
  std::deque<std::shared_ptr<Pending>> pending_;
  mutable std::mutex error_mutex_;
  std::string last_error_;
  Clock::time_point retry_after_{};
  std::chrono::milliseconds backoff_ = kMinBackoff;

  friend class RedisClient;
};

std::optional<RedisEndpoint> ParseRedisEndpoint(const boost::json::object& settings,
                                                const std::string& path, ConfigErrors& errors,
                                                bool reject_unknown_keys) {
  ObjectReader reader(settings, path, errors);
  size_t before = errors.size();
  RedisEndpoint endpoint;
  endpoint.host = reader.StringOr("host", "127.0.0.1");
  endpoint.port = std::to_string(reader.Integer("port", 6379, 1, 65535));
  endpoint.db = static_cast<int>(reader.Integer("db", 0, 0, 1000));
  if (auto password = reader.String("password"); password && !password->empty()) {
    endpoint.password = *password;
  }
  if (auto username = reader.String("username"); username && !username->empty()) {
    endpoint.username = *username;
  }
  double timeout = reader.Number("timeout", 5.0, 0.01, 600);
  endpoint.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  reader.Allow({"type"});
  if (reject_unknown_keys) reader.RejectUnknownKeys("redis connection");
  if (endpoint.host.empty()) errors.Add(reader.PathOf("host"), "must not be empty");
  if (errors.size() != before) return std::nullopt;
  return endpoint;
}

RedisClient::RedisClient(std::string name, RedisEndpoint endpoint)
    : name_(std::move(name)), endpoint_(std::move(endpoint)) {}

RedisClient::~RedisClient() = default;

std::shared_ptr<RedisConnection> RedisClient::ConnectionFor(const asio::any_io_executor& executor) {
  void* loop = &asio::query(executor, asio::execution::context);
  std::lock_guard lock(mutex_);
  auto& connection = connections_[loop];
  if (!connection) connection = std::make_shared<RedisConnection>(executor, endpoint_, name_);
  return connection;
}

asio::awaitable<RedisResult> RedisClient::Execute(std::vector<std::vector<std::string>> commands) {
  auto executor = co_await asio::this_coro::executor;
  auto connection = ConnectionFor(executor);
  auto executing = connection->Execute(std::move(commands));
  co_return co_await std::move(executing);
}

std::string RedisClient::State() const {
  std::lock_guard lock(mutex_);
  if (connections_.empty()) return "not connected yet";
  std::string down;
  for (const auto& [loop, connection] : connections_) {
    if (connection->connected()) return "connected";
    down = connection->StateText();
  }
  return down;
}

}  // namespace wg
