#include "connections/rabbitmq/rabbitmq_client.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <fmt/format.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <set>

#include "connections/thread_handoff.hpp"

namespace wg {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::chrono::milliseconds kMinBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
constexpr size_t kMaxBatch = 512;
constexpr int kHeartbeatSeconds = 30;
constexpr auto kIdlePoll = std::chrono::seconds(1);  // heartbeats and broker-side closes

amqp_bytes_t Bytes(const std::string& text) {
  return amqp_bytes_t{text.size(), const_cast<char*>(text.data())};
}

std::string Text(amqp_bytes_t bytes) {
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

timeval ToTimeval(std::chrono::microseconds duration) {
  if (duration.count() < 0) duration = std::chrono::microseconds(0);
  timeval tv;
  tv.tv_sec = static_cast<time_t>(duration.count() / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(duration.count() % 1000000);
  return tv;
}
}  // namespace

OutcomeKind ClassifyAmqpReplyCode(int reply_code) {
  switch (reply_code) {
    case AMQP_INVALID_PATH:         // 402
    case AMQP_ACCESS_REFUSED:       // 403: bad credentials or no permission
    case AMQP_NOT_FOUND:            // 404: exchange missing
    case AMQP_PRECONDITION_FAILED:  // 406: queue declared with other arguments
    case AMQP_NOT_ALLOWED:          // 530: vhost missing or not allowed
    case AMQP_NOT_IMPLEMENTED:      // 540
      return OutcomeKind::kPermanent;
    default:
      return OutcomeKind::kRetryable;  // 320 CONNECTION_FORCED, 405 RESOURCE_LOCKED, 5xx, ...
  }
}

struct RabbitmqClient::Request {
  RabbitmqMessage message;
  // Resumes the awaiting coroutine on its own executor; called once, from the client's thread.
  OutcomeCallback complete;
};


// The thread's side: the AMQP connection and its one publishing channel. Only the client's
// thread touches it.
class RabbitmqClient::Session {
 public:
  explicit Session(RabbitmqClient& client) : client_(client), endpoint_(client.endpoint_) {}
  ~Session() { Drop(); }

  void Process(std::vector<std::shared_ptr<Request>>& batch) {
    if (!EnsureChannel(batch)) return;

    // Declarations first: a refused one closes the channel, which would lose the confirms of
    // anything already published on it.
    std::vector<std::shared_ptr<Request>> ready;
    for (auto& request : batch) {
      if (!connection_) {
        CompleteOnce(request->complete, Outcome::Retryable(Describe(last_error_)));
        continue;
      }
      if (auto failure = Prepare(request->message)) {
        CompleteOnce(request->complete, std::move(*failure));
        if (connection_ && !channel_open_) OpenChannel();  // a refused declaration closes it
        continue;
      }
      ready.push_back(request);
    }
    if (ready.empty() || !connection_ || !channel_open_) {
      for (auto& request : ready) CompleteOnce(request->complete, Outcome::Retryable(Describe(last_error_)));
      return;
    }

    std::vector<InFlight> in_flight;
    in_flight.reserve(ready.size());
    for (size_t i = 0; i < ready.size(); ++i) {
      auto& request = ready[i];
      int status = PublishOne(request->message);
      if (status != AMQP_STATUS_OK) {
        std::string error = fmt::format("publish failed: {}", amqp_error_string2(status));
        for (size_t j = i; j < ready.size(); ++j)
          CompleteOnce(ready[j]->complete, Outcome::Retryable(Describe(error)));
        FailInFlight(in_flight, Outcome::Retryable(Describe(error)));
        Fail(error);
        return;
      }
      in_flight.push_back(InFlight{++next_tag_, request, {}});
    }
    WaitForConfirms(in_flight);
    if (connection_) amqp_maybe_release_buffers(connection_);
  }

  // Between batches: answers heartbeats and notices a broker that closed the connection; after a
  // failure it reconnects in the background once the backoff has passed, so /health recovers.
  void Idle() {
    if (!connection_) {
      if (used_ && Clock::now() >= retry_after_) Connect();
      return;
    }
    for (;;) {
      amqp_frame_t frame;
      timeval zero{0, 0};
      int status = amqp_simple_wait_frame_noblock(connection_, &frame, &zero);
      if (status == AMQP_STATUS_TIMEOUT) break;
      if (status != AMQP_STATUS_OK) {
        Fail(fmt::format("connection lost: {}", amqp_error_string2(status)));
        return;
      }
      if (frame.frame_type != AMQP_FRAME_METHOD) continue;
      if (frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD) {
        HandleConnectionClose(frame);
        return;
      }
      if (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD) HandleChannelClose(frame);
    }
    amqp_maybe_release_buffers(connection_);
  }

  const std::string& last_error() const { return last_error_; }

 private:
  struct InFlight {
    uint64_t tag;
    std::shared_ptr<Request> request;
    std::string returned;  // basic.return's reason when the broker could not route it
    bool done = false;
  };

  std::string Describe(const std::string& error) const {
    return fmt::format("rabbitmq \"{}\": {}", client_.name_, error);
  }

  void SetState(std::string state) {
    std::lock_guard lock(client_.mutex_);
    client_.state_ = std::move(state);
  }

  // Connected with an open confirm channel, or every request failed.
  bool EnsureChannel(std::vector<std::shared_ptr<Request>>& batch) {
    used_ = true;
    if (!connection_) {
      if (Clock::now() < retry_after_) {
        // A refused login stays permanent until the backoff allows the next attempt.
        Outcome down{last_kind_,
                     Describe(fmt::format("connection is down ({}); reconnecting", last_error_))};
        for (auto& request : batch) CompleteOnce(request->complete, down);
        return false;
      }
      if (auto failure = Connect()) {
        for (auto& request : batch) CompleteOnce(request->complete, *failure);
        return false;
      }
    }
    if (!channel_open_ && !OpenChannel()) {
      for (auto& request : batch) CompleteOnce(request->complete, Outcome::Retryable(Describe(last_error_)));
      return false;
    }
    return true;
  }

  std::optional<Outcome> Connect() {
    Drop();
    SetState("connecting");
    connection_ = amqp_new_connection();
    amqp_socket_t* socket = connection_ ? amqp_tcp_socket_new(connection_) : nullptr;
    if (socket == nullptr) return FailWith(OutcomeKind::kRetryable, "out of memory");
    timeval timeout = ToTimeval(endpoint_.timeout);
    int status = amqp_socket_open_noblock(socket, endpoint_.host.c_str(), endpoint_.port, &timeout);
    if (status != AMQP_STATUS_OK) {
      return FailWith(OutcomeKind::kRetryable,
                      fmt::format("cannot connect to {}:{}: {}", endpoint_.host, endpoint_.port,
                                  amqp_error_string2(status)));
    }
    amqp_set_handshake_timeout(connection_, &timeout);
    amqp_set_rpc_timeout(connection_, &timeout);
    amqp_rpc_reply_t reply =
        amqp_login(connection_, endpoint_.vhost.c_str(), 0, 131072, kHeartbeatSeconds,
                   AMQP_SASL_METHOD_PLAIN, endpoint_.user.c_str(), endpoint_.password.c_str());
    if (auto failure = Check(reply, "login")) {
      // A refused login closes the socket; remember why, with backoff like any other failure.
      if (connection_) Fail(failure->message);
      return failure;
    }
    declared_.clear();
    if (!OpenChannel()) return Outcome::Retryable(Describe(last_error_));
    backoff_ = kMinBackoff;
    SetState("connected");
    return std::nullopt;
  }

  bool OpenChannel() {
    channel_ = static_cast<amqp_channel_t>(channel_ >= 1000 ? 1 : channel_ + 1);
    amqp_channel_open(connection_, channel_);
    if (auto failure = Check(amqp_get_rpc_reply(connection_), "channel.open")) {
      if (connection_) Fail(failure->message);
      return false;
    }
    amqp_confirm_select(connection_, channel_);
    if (auto failure = Check(amqp_get_rpc_reply(connection_), "confirm.select")) {
      if (connection_) Fail(failure->message);
      return false;
    }
    channel_open_ = true;
    next_tag_ = 0;
    return true;
  }

  // Exchange check and queue declaration, each once per connection.
  std::optional<Outcome> Prepare(const RabbitmqMessage& message) {
    if (!message.check_exchange.empty() && !declared_.contains("x:" + message.check_exchange)) {
      amqp_exchange_declare(connection_, channel_, Bytes(message.check_exchange),
                            amqp_cstring_bytes("direct"), /*passive=*/1, 0, 0, 0, amqp_empty_table);
      if (auto failure = Check(amqp_get_rpc_reply(connection_),
                               fmt::format("exchange \"{}\"", message.check_exchange))) {
        return failure;
      }
      declared_.insert("x:" + message.check_exchange);
    }
    if (!message.declare_queue.empty() && !declared_.contains("q:" + message.declare_queue)) {
      amqp_queue_declare(connection_, channel_, Bytes(message.declare_queue), /*passive=*/0,
                         /*durable=*/1, /*exclusive=*/0, /*auto_delete=*/0, amqp_empty_table);
      if (auto failure = Check(amqp_get_rpc_reply(connection_),
                               fmt::format("queue.declare \"{}\"", message.declare_queue))) {
        return failure;
      }
      declared_.insert("q:" + message.declare_queue);
    }
    if (message.bind_queue && !message.declare_queue.empty() && !message.exchange.empty()) {
      std::string key =
          fmt::format("b:{}\n{}\n{}", message.declare_queue, message.exchange, message.routing_key);
      if (!declared_.contains(key)) {
        amqp_queue_bind(connection_, channel_, Bytes(message.declare_queue),
                        Bytes(message.exchange), Bytes(message.routing_key), amqp_empty_table);
        if (auto failure = Check(amqp_get_rpc_reply(connection_),
                                 fmt::format("queue.bind \"{}\"", message.declare_queue))) {
          return failure;
        }
        declared_.insert(key);
      }
    }
    return std::nullopt;
  }

  int PublishOne(const RabbitmqMessage& message) {
    std::vector<amqp_table_entry_t> entries(message.headers.size());
    for (size_t i = 0; i < message.headers.size(); ++i) {
      entries[i].key = Bytes(message.headers[i].first);
      entries[i].value.kind = AMQP_FIELD_KIND_UTF8;
      entries[i].value.value.bytes = Bytes(message.headers[i].second);
    }
    amqp_basic_properties_t properties{};
    properties._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                        AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG;
    properties.content_type = Bytes(message.content_type);
    properties.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    properties.headers.num_entries = static_cast<int>(entries.size());
    properties.headers.entries = entries.data();
    properties.message_id = Bytes(message.message_id);
    return amqp_basic_publish(connection_, channel_, Bytes(message.exchange),
                              Bytes(message.routing_key), message.mandatory ? 1 : 0, 0, &properties,
                              Bytes(message.body));
  }

  void WaitForConfirms(std::vector<InFlight>& in_flight) {
    size_t unresolved = in_flight.size();
    auto resolve = [&](uint64_t tag, bool multiple, bool acked) {
      for (auto& item : in_flight) {
        if (item.done || (multiple ? item.tag > tag : item.tag != tag)) continue;
        item.done = true;
        --unresolved;
        if (!acked) {
          CompleteOnce(item.request->complete, Outcome::Retryable(Describe("the broker refused the message "
                                                             "(basic.nack)")));
        } else if (!item.returned.empty()) {
          CompleteOnce(item.request->complete, Outcome::Permanent(Describe(item.returned)));
        } else {
          CompleteOnce(item.request->complete, Outcome::Delivered());
        }
      }
    };

    const auto deadline = Clock::now() + endpoint_.timeout;
    while (unresolved > 0) {
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        // Late confirms would arrive out of step with the next batch: start over.
        std::string error =
            fmt::format("no publisher confirm within {} ms", endpoint_.timeout.count());
        FailInFlight(in_flight, Outcome::Retryable(Describe(error)));
        Fail(error);
        return;
      }
      amqp_frame_t frame;
      timeval timeout = ToTimeval(left);
      int status = amqp_simple_wait_frame_noblock(connection_, &frame, &timeout);
      if (status == AMQP_STATUS_TIMEOUT) continue;
      if (status != AMQP_STATUS_OK) {
        std::string error = fmt::format("connection lost: {}", amqp_error_string2(status));
        FailInFlight(in_flight, Outcome::Retryable(Describe(error)));
        Fail(error);
        return;
      }
      if (frame.frame_type != AMQP_FRAME_METHOD) continue;
      const auto id = frame.payload.method.id;
      if (id == AMQP_CONNECTION_CLOSE_METHOD) {
        std::string error = HandleConnectionClose(frame);
        FailInFlight(in_flight, Outcome::Retryable(Describe(error)));
        return;
      }
      if (frame.channel != channel_) continue;
      if (id == AMQP_BASIC_ACK_METHOD) {
        auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
        resolve(ack->delivery_tag, ack->multiple != 0, true);
      } else if (id == AMQP_BASIC_NACK_METHOD) {
        auto* nack = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
        resolve(nack->delivery_tag, nack->multiple != 0, false);
      } else if (id == AMQP_BASIC_RETURN_METHOD) {
        if (!HandleReturn(frame, in_flight)) {
          FailInFlight(in_flight, Outcome::Retryable(Describe(last_error_)));
          return;
        }
      } else if (id == AMQP_CHANNEL_CLOSE_METHOD) {
        // Something published was refused after the checks (say, the exchange was deleted since).
        // Forget the checks so that the retry finds out what is missing.
        auto [code, error] = HandleChannelClose(frame);
        declared_.clear();
        FailInFlight(in_flight, Outcome::Retryable(Describe(error)));
        return;
      }
    }
  }

  // A mandatory message the broker could not route: its content follows the basic.return.
  bool HandleReturn(const amqp_frame_t& frame, std::vector<InFlight>& in_flight) {
    auto* returned = static_cast<amqp_basic_return_t*>(frame.payload.method.decoded);
    std::string reason = fmt::format(
        "message unroutable: {} {} (exchange \"{}\", routing key "
        "\"{}\")",
        returned->reply_code, Text(returned->reply_text), Text(returned->exchange),
        Text(returned->routing_key));
    std::string exchange = Text(returned->exchange);
    std::string routing_key = Text(returned->routing_key);
    amqp_message_t message;
    amqp_rpc_reply_t reply = amqp_read_message(connection_, frame.channel, &message, 0);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
      Fail("cannot read a returned message");
      return false;
    }
    std::string message_id;
    if (message.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
      message_id = Text(message.properties.message_id);
    }
    amqp_destroy_message(&message);
    // Returns come in publish order: the first matching message not yet returned is this one.
    for (auto& item : in_flight) {
      const auto& sent = item.request->message;
      if (!item.done && item.returned.empty() && sent.message_id == message_id &&
          sent.exchange == exchange && sent.routing_key == routing_key) {
        item.returned = reason;
        break;
      }
    }
    return true;
  }

  std::pair<int, std::string> HandleChannelClose(const amqp_frame_t& frame) {
    auto* close = static_cast<amqp_channel_close_t*>(frame.payload.method.decoded);
    std::pair<int, std::string> result{
        close->reply_code,
        fmt::format("channel closed by the broker: {}", Text(close->reply_text))};
    amqp_channel_close_ok_t close_ok{};
    amqp_send_method(connection_, frame.channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok);
    if (frame.channel == channel_) channel_open_ = false;
    return result;
  }

  std::string HandleConnectionClose(const amqp_frame_t& frame) {
    auto* close = static_cast<amqp_connection_close_t*>(frame.payload.method.decoded);
    std::string error = fmt::format("connection closed by the broker: {}", Text(close->reply_text));
    amqp_connection_close_ok_t close_ok{};
    amqp_send_method(connection_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
    Fail(error);
    return error;
  }

  // Turns an RPC reply into a failure, closing what the broker closed.
  std::optional<Outcome> Check(amqp_rpc_reply_t reply, const std::string& what) {
    switch (reply.reply_type) {
      case AMQP_RESPONSE_NORMAL:
        return std::nullopt;
      case AMQP_RESPONSE_NONE:
        return FailWith(OutcomeKind::kRetryable, what + ": no reply from the broker");
      case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        return FailWith(OutcomeKind::kRetryable,
                        fmt::format("{}: {}", what, amqp_error_string2(reply.library_error)));
      case AMQP_RESPONSE_SERVER_EXCEPTION:
        break;
    }
    if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
      auto* close = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
      std::string error = fmt::format("{} refused: {}", what, Text(close->reply_text));
      OutcomeKind kind = ClassifyAmqpReplyCode(close->reply_code);
      amqp_connection_close_ok_t close_ok{};
      amqp_send_method(connection_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
      return FailWith(kind, error);
    }
    if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
      auto* close = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
      std::string error = fmt::format("{} refused: {}", what, Text(close->reply_text));
      OutcomeKind kind = ClassifyAmqpReplyCode(close->reply_code);
      amqp_channel_close_ok_t close_ok{};
      amqp_send_method(connection_, channel_, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok);
      channel_open_ = false;
      last_error_ = error;
      return Outcome{kind, Describe(error)};
    }
    return FailWith(OutcomeKind::kRetryable,
                    fmt::format("{}: unexpected method {:#x}", what, reply.reply.id));
  }

  Outcome FailWith(OutcomeKind kind, std::string error) {
    Outcome outcome{kind, Describe(error)};
    Fail(std::move(error));
    last_kind_ = kind;
    return outcome;
  }

  void FailInFlight(std::vector<InFlight>& in_flight, const Outcome& outcome) {
    for (auto& item : in_flight) {
      if (item.done) continue;
      item.done = true;
      CompleteOnce(item.request->complete, outcome);
    }
  }

  // Drops the connection and waits out the backoff before the next attempt.
  void Fail(std::string error) {
    Drop();
    last_error_ = std::move(error);
    last_kind_ = OutcomeKind::kRetryable;
    retry_after_ = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    SetState("down: " + last_error_);
  }

  void Drop() {
    if (connection_) {
      amqp_destroy_connection(connection_);  // also closes the socket
      connection_ = nullptr;
    }
    channel_open_ = false;
  }

  RabbitmqClient& client_;
  const RabbitmqEndpoint endpoint_;
  amqp_connection_state_t connection_ = nullptr;
  amqp_channel_t channel_ = 0;
  bool channel_open_ = false;
  bool used_ = false;  // somebody published: keep the connection up from now on
  uint64_t next_tag_ = 0;
  std::set<std::string> declared_;  // "x:exchange", "q:queue", bindings; per connection
  std::string last_error_;
  OutcomeKind last_kind_ = OutcomeKind::kRetryable;  // of the failure that took the connection down
  Clock::time_point retry_after_{};
  std::chrono::milliseconds backoff_ = kMinBackoff;
};

RabbitmqClient::RabbitmqClient(std::string name, RabbitmqEndpoint endpoint)
    : name_(std::move(name)), endpoint_(std::move(endpoint)) {}

RabbitmqClient::~RabbitmqClient() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

asio::awaitable<Outcome> RabbitmqClient::Publish(RabbitmqMessage message) {
  auto request = std::make_shared<Request>();
  request->message = std::move(message);
  auto waiting = AwaitFromThread<Outcome>([this, request](OutcomeCallback complete) {
    request->complete = std::move(complete);
    Enqueue(request);
  });
  Outcome outcome = co_await std::move(waiting);
  co_return outcome;
}

void RabbitmqClient::Enqueue(std::shared_ptr<Request> request) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      CompleteOnce(request->complete, Outcome::Retryable(fmt::format("rabbitmq \"{}\": shutting down", name_)));
      return;
    }
    queue_.push_back(std::move(request));
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  }
  wake_.notify_one();
}

void RabbitmqClient::Run() {
  Session session(*this);
  for (;;) {
    std::vector<std::shared_ptr<Request>> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, kIdlePoll, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (batch.empty())
      session.Idle();
    else
      session.Process(batch);
  }
  std::lock_guard lock(mutex_);
  for (auto& request : queue_) {
    CompleteOnce(request->complete, Outcome::Retryable(fmt::format("rabbitmq \"{}\": shutting down", name_)));
  }
  queue_.clear();
}

std::string RabbitmqClient::State() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::optional<RabbitmqEndpoint> ParseRabbitmqEndpoint(const boost::json::object& settings,
                                                      const std::string& path,
                                                      ConfigErrors& errors) {
  ObjectReader reader(settings, path, errors);
  const size_t before = errors.size();
  RabbitmqEndpoint endpoint;
  auto host = reader.String("host", true);
  if (host) endpoint.host = *host;
  endpoint.port = static_cast<int>(reader.Integer("port", 5672, 1, 65535));
  endpoint.user = reader.StringOr("user", "guest");
  // The Python project reads `pass`; `password` is accepted as the usual spelling.
  auto pass = reader.String("pass");
  auto password = reader.String("password");
  if (pass && password && *pass != *password) {
    errors.Add(reader.PathOf("password"), "give either \"pass\" or \"password\", not both");
  }
  if (pass)
    endpoint.password = *pass;
  else if (password)
    endpoint.password = *password;
  endpoint.vhost = reader.StringOr("vhost", "/");
  double timeout = reader.Number("timeout", 10.0, 0.1, 600);
  endpoint.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  reader.Allow({"type"});
  reader.RejectUnknownKeys("rabbitmq connection");
  if (host && host->empty()) errors.Add(reader.PathOf("host"), "must not be empty");
  if (endpoint.vhost.empty()) errors.Add(reader.PathOf("vhost"), "must not be empty");
  if (errors.size() != before) return std::nullopt;
  return endpoint;
}

}  // namespace wg
