#include "connections/stomp/stomp_client.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <charconv>
#include <deque>
#include <map>

#include "connections/stomp/stomp_frame.hpp"
#include "connections/thread_handoff.hpp"

namespace wg {
namespace asio = boost::asio;
namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kFirstBackoff = 100ms;
constexpr std::chrono::milliseconds kLongestBackoff = 5s;
constexpr std::chrono::milliseconds kWatchdogPeriod = 250ms;

struct Pending {
  StompMessage message;
  OutcomeCallback complete;  // resumes the sender on its own executor, once
  Clock::time_point deadline;
};

// One TCP connection to the broker, shared by the writer and the reader coroutines.
struct Connection {
  explicit Connection(asio::io_context& io) : stream(io) {}
  beast::tcp_stream stream;
  StompFrameReader reader;
  bool open = true;
};

// An ERROR frame's message header, with the start of its body (brokers put details there).
std::string ErrorText(const StompFrame& frame) {
  const std::string* message = frame.Header("message");
  std::string detail = frame.body.substr(0, 300);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
  if (message == nullptr) return detail;
  return detail.empty() ? *message : fmt::format("{} ({})", *message, detail);
}

std::string Seconds(std::chrono::milliseconds ms) {
  return fmt::format("{:g} s", static_cast<double>(ms.count()) / 1000.0);
}

}  // namespace

std::optional<StompEndpoint> ParseStompEndpoint(const boost::json::object& settings,
                                                const std::string& path, ConfigErrors& errors) {
  ObjectReader reader(settings, path, errors);
  const size_t before = errors.size();
  StompEndpoint endpoint;
  endpoint.host = reader.StringOr("host", "localhost");
  endpoint.port = static_cast<int>(reader.Integer("port", 61613, 1, 65535));
  endpoint.user = reader.StringOr("user", "");
  endpoint.password = reader.StringOr("password", "");
  endpoint.virtual_host = reader.StringOr("virtual_host", "/");
  double timeout = reader.Number("timeout", 10, 0.1, 600);
  endpoint.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  reader.Allow({"type"});
  reader.RejectUnknownKeys("activemq connection");
  if (endpoint.host.empty()) errors.Add(reader.PathOf("host"), "must not be empty");
  if (errors.size() != before) return std::nullopt;
  return endpoint;
}

// Everything that runs on the client's thread.
class StompClient::Session {
 public:
  Session(const std::string& name, const StompEndpoint& endpoint)
      : name_(name), endpoint_(endpoint), wake_(io_) {}

  asio::io_context& io() { return io_; }

  void Start() {
    asio::co_spawn(io_, Run(), asio::detached);
    asio::co_spawn(io_, Watchdog(), asio::detached);
  }

  // From any thread.
  void Enqueue(std::shared_ptr<Pending> pending) {
    asio::post(io_, [this, pending = std::move(pending)]() mutable {
      if (stopping_) {
        CompleteOnce(pending->complete, Outcome::Retryable(Describe("shutting down")));
        return;
      }
      if (Clock::now() < down_until_) {  // backing off: the chain retries later
        CompleteOnce(pending->complete, Failure(last_error_));
        return;
      }
      queue_.push_back(std::move(pending));
      wake_.cancel();
    });
  }

  // From the destroying thread, before the event loop stops.
  void Stop() {
    asio::post(io_, [this] {
      stopping_ = true;
      if (current_) Drop(current_, "shutting down");
      FailQueued("shutting down");
      io_.stop();
    });
  }

  std::string State() const {
    std::lock_guard lock(state_mutex_);
    return state_;
  }

 private:
  std::string Describe(std::string_view what) const {
    return fmt::format("activemq \"{}\" ({}:{}): {}", name_, endpoint_.host, endpoint_.port, what);
  }

  void SetState(std::string state) {
    std::lock_guard lock(state_mutex_);
    state_ = std::move(state);
  }

  // A refused login fails permanently (the credentials will not change by themselves); anything
  // else may pass on another attempt.
  Outcome Failure(std::string_view why) const {
    return login_refused_ ? Outcome::Permanent(Describe(why)) : Outcome::Retryable(Describe(why));
  }

  void FailQueued(std::string_view why) {
    auto queued = std::move(queue_);
    queue_.clear();
    for (auto& pending : queued) CompleteOnce(pending->complete, Failure(why));
  }

  // Closes `connection`; its sends without a receipt fail as retryable (they may or may not
  // have reached the broker: a retry can duplicate, never lose).
  void Drop(std::shared_ptr<Connection> connection, const std::string& why) {
    if (!connection->open) return;
    connection->open = false;
    beast::error_code ignored;
    connection->stream.socket().close(ignored);
    auto in_flight = std::move(in_flight_);
    in_flight_.clear();
    for (auto& [id, pending] : in_flight) CompleteOnce(pending->complete, Outcome::Retryable(Describe(why)));
    if (current_ == connection) current_.reset();
    if (!stopping_) {
      last_error_ = why;
      SetState("down: " + why);
    }
    wake_.cancel();
  }

  asio::awaitable<void> WaitForWork() {
    wake_.expires_at(Clock::time_point::max());
    co_await wake_.async_wait(kUseTuple);
  }

  // Opens and logs in; "" on success, else why not.
  asio::awaitable<std::string> Connect(std::shared_ptr<Connection> connection) {
    asio::ip::tcp::resolver resolver(io_);
    auto [resolve_ec, results] =
        co_await resolver.async_resolve(endpoint_.host, std::to_string(endpoint_.port), kUseTuple);
    if (resolve_ec) co_return fmt::format("cannot resolve: {}", resolve_ec.message());
    beast::tcp_stream& stream = connection->stream;
    stream.expires_after(endpoint_.timeout);
    auto [connect_ec, connected] = co_await stream.async_connect(results, kUseTuple);
    if (connect_ec) co_return fmt::format("cannot connect: {}", connect_ec.message());

    StompFrame connect{
        "CONNECT",
        {{"accept-version", "1.2"}, {"host", endpoint_.virtual_host}, {"heart-beat", "0,0"}},
        ""};
    if (!endpoint_.user.empty()) {
      connect.headers.emplace_back("login", endpoint_.user);
      connect.headers.emplace_back("passcode", endpoint_.password);
    }
    std::string bytes = EncodeStompFrame(connect, false);
    auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(bytes), kUseTuple);
    if (write_ec) co_return fmt::format("cannot log in: {}", write_ec.message());
    std::array<char, 4096> buffer;
    while (true) {
      if (auto frame = connection->reader.Next()) {
        if (frame->command == "CONNECTED") break;
        if (frame->command == "ERROR") {
          login_refused_ = true;
          co_return fmt::format("the broker refused the login: {}", ErrorText(*frame));
        }
        co_return fmt::format("unexpected {} frame while logging in", frame->command);
      }
      if (!connection->reader.error().empty()) co_return connection->reader.error();
      auto [read_ec, read] = co_await stream.async_read_some(asio::buffer(buffer), kUseTuple);
      if (read_ec == beast::error::timeout) {
        co_return fmt::format("no answer to CONNECT within {}", Seconds(endpoint_.timeout));
      }
      if (read_ec) co_return fmt::format("cannot log in: {}", read_ec.message());
      connection->reader.Append(std::string_view(buffer.data(), read));
    }
    stream.expires_never();  // the watchdog times receipts out
    co_return std::string();
  }

  asio::awaitable<void> Run() {
    std::chrono::milliseconds backoff = kFirstBackoff;
    while (!stopping_) {
      if (queue_.empty()) {
        co_await WaitForWork();
        continue;
      }
      auto connection = std::make_shared<Connection>(io_);
      login_refused_ = false;
      auto connecting = Connect(connection);
      std::string error = co_await std::move(connecting);
      if (stopping_) co_return;
      if (!error.empty()) {
        connection->open = false;
        last_error_ = error;
        SetState("down: " + error);
        FailQueued(error);
        down_until_ = Clock::now() + backoff;
        asio::steady_timer pause(io_, backoff);
        co_await pause.async_wait(kUseTuple);
        backoff = std::min(backoff * 2, kLongestBackoff);
        continue;
      }
      backoff = kFirstBackoff;
      down_until_ = {};
      SetState("connected");
      current_ = connection;
      asio::co_spawn(io_, ReadLoop(connection), asio::detached);
      co_await WriteLoop(connection);
    }
  }

  asio::awaitable<void> WriteLoop(std::shared_ptr<Connection> connection) {
    while (connection->open && !stopping_) {
      if (queue_.empty()) {
        co_await WaitForWork();
        continue;
      }
      std::string batch;
      auto deadline = Clock::now() + endpoint_.timeout;
      for (auto& pending : queue_) {
        const uint64_t number = ++next_receipt_;
        std::string receipt = std::to_string(number);
        StompFrame send{"SEND",
                        {{"destination", pending->message.destination},
                         {"content-type", pending->message.content_type},
                         {"content-length", std::to_string(pending->message.body.size())},
                         {"receipt", receipt}},
                        pending->message.body};
        for (const auto& header : pending->message.headers) send.headers.push_back(header);
        batch += EncodeStompFrame(send);
        pending->deadline = deadline;
        in_flight_.emplace(number, std::move(pending));
      }
      queue_.clear();
      auto [ec, written] =
          co_await asio::async_write(connection->stream, asio::buffer(batch), kUseTuple);
      if (ec) Drop(connection, fmt::format("cannot send: {}", ec.message()));
    }
  }

  asio::awaitable<void> ReadLoop(std::shared_ptr<Connection> connection) {
    std::array<char, 16384> buffer;
    while (connection->open) {
      while (connection->open) {
        auto frame = connection->reader.Next();
        if (!frame) break;
        OnFrame(connection, *frame);
      }
      if (!connection->open) co_return;
      if (!connection->reader.error().empty()) {
        Drop(connection, "unreadable frame from the broker: " + connection->reader.error());
        co_return;
      }
      auto [ec, read] =
          co_await connection->stream.async_read_some(asio::buffer(buffer), kUseTuple);
      if (ec) {
        Drop(connection, ec == asio::error::eof ? "the broker closed the connection"
                                                : fmt::format("connection lost: {}", ec.message()));
        co_return;
      }
      connection->reader.Append(std::string_view(buffer.data(), read));
    }
  }

  void OnFrame(const std::shared_ptr<Connection>& connection, const StompFrame& frame) {
    const std::string* receipt = frame.Header("receipt-id");
    uint64_t number = 0;
    if (receipt != nullptr) {
      auto [end, ec] = std::from_chars(receipt->data(), receipt->data() + receipt->size(), number);
      if (ec != std::errc() || end != receipt->data() + receipt->size()) number = 0;
    }
    if (frame.command == "RECEIPT") {
      auto found = in_flight_.find(number);
      if (found == in_flight_.end()) return;
      auto pending = std::move(found->second);
      in_flight_.erase(found);
      CompleteOnce(pending->complete, Outcome::Delivered());
      return;
    }
    if (frame.command == "ERROR") {
      std::string why = fmt::format("the broker refused the message: {}", ErrorText(frame));
      // The frame it names (or, when it names none, as RabbitMQ does, the oldest one without a
      // receipt: a broker handles frames in order) was refused; sending it again would be
      // refused again. The ones after it never got their turn.
      auto refused = receipt != nullptr ? in_flight_.find(number) : in_flight_.begin();
      if (refused != in_flight_.end()) {
        auto pending = std::move(refused->second);
        in_flight_.erase(refused);
        CompleteOnce(pending->complete, Outcome::Permanent(Describe(why)));
      }
      Drop(connection, why);  // a broker closes the connection after an ERROR
    }
  }

  // Sends whose receipt is late take their connection down with them.
  asio::awaitable<void> Watchdog() {
    asio::steady_timer tick(io_);
    while (!stopping_) {
      tick.expires_after(kWatchdogPeriod);
      co_await tick.async_wait(kUseTuple);
      auto now = Clock::now();
      for (const auto& [id, pending] : in_flight_) {
        if (pending->deadline < now && current_) {
          Drop(current_, fmt::format("no receipt within {}", Seconds(endpoint_.timeout)));
          break;
        }
      }
    }
  }

  const std::string name_;
  const StompEndpoint endpoint_;
  asio::io_context io_;
  asio::steady_timer wake_;
  std::deque<std::shared_ptr<Pending>> queue_;
  std::map<uint64_t, std::shared_ptr<Pending>> in_flight_;  // receipt id -> send, oldest first
  std::shared_ptr<Connection> current_;
  uint64_t next_receipt_ = 0;
  Clock::time_point down_until_{};
  std::string last_error_;
  bool stopping_ = false;
  bool login_refused_ = false;  // the last connection attempt ended in an ERROR to CONNECT

  mutable std::mutex state_mutex_;
  std::string state_ = "not connected yet";
};

StompClient::StompClient(std::string name, StompEndpoint endpoint)
    : name_(std::move(name)),
      endpoint_(std::move(endpoint)),
      session_(std::make_unique<Session>(name_, endpoint_)) {}

StompClient::~StompClient() {
  if (!thread_.joinable()) return;
  session_->Stop();
  thread_.join();
}

std::string StompClient::State() const { return session_->State(); }

asio::awaitable<Outcome> StompClient::Send(StompMessage message) {
  std::call_once(started_, [this] {
    session_->Start();
    thread_ = std::thread([this] { session_->io().run(); });
  });
  auto pending = std::make_shared<Pending>();
  pending->message = std::move(message);
  auto waiting = AwaitFromThread<Outcome>([this, pending](OutcomeCallback complete) {
    pending->complete = std::move(complete);
    session_->Enqueue(pending);
  });
  Outcome outcome = co_await std::move(waiting);
  co_return outcome;
}

}  // namespace wg
