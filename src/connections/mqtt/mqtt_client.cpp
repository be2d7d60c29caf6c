#include "connections/mqtt/mqtt_client.hpp"

#include <fmt/format.h>
#include <mosquitto.h>
#include <poll.h>
#include <unistd.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <vector>

#include "connections/thread_handoff.hpp"

namespace wg {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::chrono::milliseconds kMinBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
constexpr std::chrono::milliseconds kIdlePoll{1000};  // keepalive pings, background reconnect
constexpr int kMaxPacketsPerLoop = 64;

// libmosquitto's process-wide initialisation (OpenSSL, random numbers) must run exactly once.
void InitialiseLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string ErrorText(int rc, int saved_errno) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(saved_errno);
  return mosquitto_strerror(rc);
}

std::string RandomClientId() {
  std::random_device device;
  return fmt::format("webhook-gateway-{:08x}", device());
}
}  // namespace

OutcomeKind ClassifyMqttConnack(int code, int protocol_version) {
  if (protocol_version != MQTT_PROTOCOL_V5) {
    // 1 unacceptable protocol version, 2 identifier rejected, 3 server unavailable,
    // 4 bad user name or password, 5 not authorised.
    return code == 3 ? OutcomeKind::kRetryable : OutcomeKind::kPermanent;
  }
  switch (code) {
    case 0x84:  // unsupported protocol version
    case 0x85:  // client identifier not valid
    case 0x86:  // bad user name or password
    case 0x87:  // not authorised
    case 0x8A:  // banned
    case 0x8C:  // bad authentication method
      return OutcomeKind::kPermanent;
    default:  // 0x88 server unavailable, 0x89 busy, 0x97 quota exceeded, 0x9F rate exceeded, ...
      return OutcomeKind::kRetryable;
  }
}

OutcomeKind ClassifyMqttPublishReason(int reason_code) {
  switch (reason_code) {
    case 0x87:  // not authorised
    case 0x90:  // topic name invalid
    case 0x95:  // packet too large
    case 0x99:  // payload format invalid
      return OutcomeKind::kPermanent;
    default:  // 0x80 unspecified, 0x83 implementation specific, 0x97 quota exceeded, ...
      return OutcomeKind::kRetryable;
  }
}

struct MqttClient::Request {
  MqttMessage message;
  // Resumes the awaiting coroutine on its own executor; called once, from the client's thread.
  OutcomeCallback complete;
};


// The thread's side: the mosquitto handle and what is in flight on it. Only the client's thread
// touches it. libmosquitto calls back from inside mosquitto_loop_*, where the handle must not be
// destroyed, so callbacks only record what happened and Service() acts on it afterwards.
class MqttClient::Session {
 public:
  explicit Session(MqttClient& client) : client_(client), endpoint_(client.endpoint_) {}
  ~Session() { Drop(); }

  // New requests: published now, held while connecting, or failed while the broker is down.
  void Accept(std::vector<std::shared_ptr<Request>>& batch) {
    used_ = true;
    if (!mosq_) {
      if (Clock::now() < retry_after_) {
        // A refused login stays permanent until the backoff allows the next attempt.
        Outcome down{last_kind_,
                     Describe(fmt::format("connection is down ({}); reconnecting", last_error_))};
        for (auto& request : batch) CompleteOnce(request->complete, down);
        return;
      }
      if (auto failure = Connect()) {
        for (auto& request : batch) CompleteOnce(request->complete, *failure);
        return;
      }
    }
    for (auto& request : batch) {
      if (connected_)
        PublishNow(request);
      else
        waiting_.push_back(request);
    }
  }

  // Waits for the socket, the wake-up descriptor or the next deadline, then lets libmosquitto
  // read, write and ping, and acts on what its callbacks reported.
  void Service(int wake_fd) {
    auto now = Clock::now();
    auto wait = kIdlePoll;
    auto until = [&](Clock::time_point deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      wait = std::max(std::chrono::milliseconds(0),
                      std::min(wait, left + std::chrono::milliseconds(1)));
    };
    if (mosq_ && !connected_) until(connect_deadline_);
    for (const auto& [mid, item] : in_flight_) until(item.deadline);
    if (!mosq_ && used_) until(retry_after_);

    pollfd fds[2] = {{wake_fd, POLLIN, 0}, {-1, 0, 0}};
    nfds_t count = 1;
    int sock = mosq_ ? mosquitto_socket(mosq_) : -1;
    if (sock >= 0) {
      fds[1] = {sock, static_cast<short>(POLLIN | (mosquitto_want_write(mosq_) ? POLLOUT : 0)), 0};
      count = 2;
    }
    int ready = poll(fds, count, static_cast<int>(wait.count()));
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      uint64_t value;
      if (read(wake_fd, &value, sizeof value) < 0) {
        // EAGAIN: another read took it; nothing to do.
      }
    }
    if (mosq_ && count == 2 && ready > 0) {
      if (fds[1].revents & (POLLIN | POLLERR | POLLHUP)) {
        int rc = mosquitto_loop_read(mosq_, kMaxPacketsPerLoop);
        int saved_errno = errno;
        AfterCallbacks();
        if (rc != MOSQ_ERR_SUCCESS && mosq_) LoopFailed(rc, saved_errno);
      }
      if (mosq_ && (fds[1].revents & POLLOUT)) {
        int rc = mosquitto_loop_write(mosq_, kMaxPacketsPerLoop);
        int saved_errno = errno;
        AfterCallbacks();
        if (rc != MOSQ_ERR_SUCCESS && mosq_) LoopFailed(rc, saved_errno);
      }
    }
    if (mosq_) {
      int rc = mosquitto_loop_misc(mosq_);  // keepalive: PINGREQ, and a missing PINGRESP
      int saved_errno = errno;
      AfterCallbacks();
      if (rc != MOSQ_ERR_SUCCESS && mosq_) LoopFailed(rc, saved_errno);
    }
    CheckDeadlines();
    // After a failure, reconnect in the background once the backoff has passed, so that
    // /health recovers without waiting for the next webhook.
    if (!mosq_ && used_ && Clock::now() >= retry_after_) Connect();
  }

  // Shutting down: everything pending fails as retryable (the spool keeps it).
  void Stop(const std::string& why) {
    FailAll(Outcome::Retryable(Describe(why)));
    if (mosq_ && connected_) {
      mosquitto_disconnect(mosq_);
      mosquitto_loop_write(mosq_, 1);
    }
    Drop();
  }

 private:
  struct InFlight {
    std::shared_ptr<Request> request;
    Clock::time_point deadline;
  };

  std::string Describe(const std::string& error) const {
    return fmt::format("mqtt \"{}\": {}", client_.name_, error);
  }

  void SetState(std::string state) { client_.thread_.SetState(std::move(state)); }

  // Creates the handle and opens the TCP (and TLS) connection; CONNACK arrives later. Returns
  // the failure for the requests at hand when that did not work.
  std::optional<Outcome> Connect() {
    Drop();
    SetState("connecting");
    mosq_ = mosquitto_new(endpoint_.client_id.c_str(), /*clean_session=*/true, this);
    if (mosq_ == nullptr) {
      return FailWith(OutcomeKind::kRetryable,
                      fmt::format("cannot create a client: {}", std::strerror(errno)));
    }
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, endpoint_.protocol_version);
    mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_v5_callback_set(mosq_, &Session::OnConnect);
    mosquitto_publish_v5_callback_set(mosq_, &Session::OnPublish);
    mosquitto_disconnect_v5_callback_set(mosq_, &Session::OnDisconnect);
    if (!endpoint_.username.empty()) {
      mosquitto_username_pw_set(mosq_, endpoint_.username.c_str(),
                                endpoint_.password.empty() ? nullptr : endpoint_.password.c_str());
    }
    if (endpoint_.tls) {
      auto optional = [](const std::string& text) { return text.empty() ? nullptr : text.c_str(); };
      int rc = mosquitto_tls_set(mosq_, optional(endpoint_.tls_ca_cert_file),
                                 endpoint_.tls_ca_cert_file.empty() ? "/etc/ssl/certs" : nullptr,
                                 optional(endpoint_.tls_cert_file),
                                 optional(endpoint_.tls_key_file), nullptr);
      if (rc != MOSQ_ERR_SUCCESS) {
        return FailWith(OutcomeKind::kPermanent,
                        fmt::format("TLS settings refused: {}", mosquitto_strerror(rc)));
      }
      mosquitto_tls_insecure_set(mosq_, endpoint_.tls_insecure);
    }
    // A blocking TCP connect on this thread (libmosquitto then makes the socket non-blocking);
    // the CONNECT packet is written at once and the CONNACK read by Service().
    int rc = mosquitto_connect(mosq_, endpoint_.host.c_str(), endpoint_.port, endpoint_.keepalive);
    int saved_errno = errno;
    if (rc != MOSQ_ERR_SUCCESS) {
      return FailWith(OutcomeKind::kRetryable,
                      fmt::format("cannot connect to {}:{}: {}", endpoint_.host, endpoint_.port,
                                  ErrorText(rc, saved_errno)));
    }
    connected_ = false;
    connect_deadline_ = Clock::now() + endpoint_.timeout;
    return std::nullopt;
  }

  void PublishNow(const std::shared_ptr<Request>& request) {
    const MqttMessage& message = request->message;
    // For qos 0 libmosquitto may report the write from inside mosquitto_publish, before the
    // message id is known here: OnPublish recognises it by `publishing_`.
    publishing_ = request;
    publishing_mid_ = -1;
    int rc = mosquitto_publish_v5(mosq_, &publishing_mid_, message.topic.c_str(),
                                  static_cast<int>(message.payload.size()), message.payload.data(),
                                  message.qos, message.retain, nullptr);
    int saved_errno = errno;
    auto published = std::move(publishing_);
    publishing_ = nullptr;
    AfterCallbacks();
    if (rc == MOSQ_ERR_SUCCESS) {
      if (published && published->complete) {
        in_flight_[publishing_mid_] = InFlight{published, Clock::now() + endpoint_.timeout};
      }
      return;
    }
    switch (rc) {
      case MOSQ_ERR_INVAL:
      case MOSQ_ERR_PAYLOAD_SIZE:
      case MOSQ_ERR_MALFORMED_UTF8:
      case MOSQ_ERR_QOS_NOT_SUPPORTED:
      case MOSQ_ERR_OVERSIZE_PACKET:
        CompleteOnce(request->complete,
                 Outcome::Permanent(Describe(fmt::format("publish to \"{}\" refused: {}",
                                                         message.topic, mosquitto_strerror(rc)))));
        return;
      default:
        break;
    }
    std::string error = fmt::format("publish failed: {}", ErrorText(rc, saved_errno));
    CompleteOnce(request->complete, Outcome::Retryable(Describe(error)));
    if (mosq_) Fail(error);
  }

  static void OnConnect(mosquitto* /*mosq*/, void* self, int code, int /*flags*/,
                        const mosquitto_property* /*properties*/) {
    auto& session = *static_cast<Session*>(self);
    if (code == 0) {
      session.just_connected_ = true;
      return;
    }
    const char* reason = session.endpoint_.protocol_version == MQTT_PROTOCOL_V5
                             ? mosquitto_reason_string(code)
                             : mosquitto_connack_string(code);
    session.callback_failure_ =
        Outcome{ClassifyMqttConnack(code, session.endpoint_.protocol_version),
                fmt::format("connection refused by the broker: {}", reason)};
  }

  static void OnPublish(mosquitto* /*mosq*/, void* self, int mid, int reason_code,
                        const mosquitto_property* /*properties*/) {
    auto& session = *static_cast<Session*>(self);
    std::shared_ptr<Request> request;
    if (auto found = session.in_flight_.find(mid); found != session.in_flight_.end()) {
      request = std::move(found->second.request);
      session.in_flight_.erase(found);
    } else if (session.publishing_ && mid == session.publishing_mid_) {
      request = session.publishing_;
    }
    if (!request) return;
    if (reason_code < 0x80) {  // 0x10 "no matching subscribers" is a success too
      CompleteOnce(request->complete, Outcome::Delivered());
      return;
    }
    CompleteOnce(request->complete, Outcome{ClassifyMqttPublishReason(reason_code),
                              session.Describe(fmt::format(
                                  "the broker refused the message on \"{}\": {}",
                                  request->message.topic, mosquitto_reason_string(reason_code)))});
  }

  static void OnDisconnect(mosquitto* /*mosq*/, void* self, int rc,
                           const mosquitto_property* /*properties*/) {
    auto& session = *static_cast<Session*>(self);
    if (!session.callback_failure_) {
      session.callback_failure_ = Outcome::Retryable(
          rc == 0 ? "disconnected" : fmt::format("connection lost: {}", mosquitto_strerror(rc)));
    }
  }

  // Acts on what the callbacks of the last libmosquitto call reported.
  void AfterCallbacks() {
    if (callback_failure_) {
      Outcome failure = std::move(*callback_failure_);
      callback_failure_.reset();
      FailWith(failure.kind, failure.message);
      return;
    }
    if (just_connected_) {
      just_connected_ = false;
      connected_ = true;
      backoff_ = kMinBackoff;
      SetState("connected");
      auto waiting = std::move(waiting_);
      waiting_.clear();
      for (auto& request : waiting) {
        if (!mosq_) {
          CompleteOnce(request->complete, Outcome::Retryable(Describe(last_error_)));
        } else {
          PublishNow(request);
        }
      }
    }
  }

  void LoopFailed(int rc, int saved_errno) {
    FailWith(OutcomeKind::kRetryable,
             fmt::format("connection lost: {}", ErrorText(rc, saved_errno)));
  }

  void CheckDeadlines() {
    if (!mosq_) return;
    auto now = Clock::now();
    if (!connected_ && now >= connect_deadline_) {
      FailWith(OutcomeKind::kRetryable,
               fmt::format("no CONNACK from {}:{} within {} ms", endpoint_.host, endpoint_.port,
                           endpoint_.timeout.count()));
      return;
    }
    for (const auto& [mid, item] : in_flight_) {
      if (now >= item.deadline) {
        // libmosquitto would resend it on this connection later: start over instead.
        FailWith(OutcomeKind::kRetryable,
                 fmt::format("no acknowledgement within {} ms", endpoint_.timeout.count()));
        return;
      }
    }
  }

  Outcome FailWith(OutcomeKind kind, std::string error) {
    Outcome outcome{kind, Describe(error)};
    FailAll(outcome);
    Fail(std::move(error));
    last_kind_ = kind;
    return outcome;
  }

  void FailAll(const Outcome& outcome) {
    auto in_flight = std::move(in_flight_);
    in_flight_.clear();
    for (auto& [mid, item] : in_flight) CompleteOnce(item.request->complete, outcome);
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& request : waiting) CompleteOnce(request->complete, outcome);
  }

  // Drops the connection and waits out the backoff before the next attempt.
  void Fail(std::string error) {
    FailAll(Outcome::Retryable(Describe(error)));
    Drop();
    last_error_ = std::move(error);
    last_kind_ = OutcomeKind::kRetryable;
    retry_after_ = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    SetState("down: " + last_error_);
  }

  void Drop() {
    if (mosq_) {
      mosquitto_destroy(mosq_);  // also closes the socket
      mosq_ = nullptr;
    }
    connected_ = false;
    just_connected_ = false;
  }

  MqttClient& client_;
  const MqttEndpoint endpoint_;
  mosquitto* mosq_ = nullptr;
  bool connected_ = false;       // CONNACK accepted
  bool just_connected_ = false;  // set by OnConnect, acted on by AfterCallbacks
  std::optional<Outcome> callback_failure_;
  Clock::time_point connect_deadline_{};
  std::vector<std::shared_ptr<Request>> waiting_;  // for the CONNACK
  std::map<int, InFlight> in_flight_;              // message id -> request
  std::shared_ptr<Request> publishing_;
  int publishing_mid_ = -1;
  bool used_ = false;  // somebody published: keep the connection up from now on
  std::string last_error_;
  OutcomeKind last_kind_ = OutcomeKind::kRetryable;
  Clock::time_point retry_after_{};
  std::chrono::milliseconds backoff_ = kMinBackoff;
};

MqttClient::MqttClient(std::string name, MqttEndpoint endpoint)
    : name_(std::move(name)), endpoint_(std::move(endpoint)) {
  InitialiseLibrary();
  if (endpoint_.client_id.empty()) endpoint_.client_id = RandomClientId();
}

MqttClient::~MqttClient() { thread_.Stop(); }

asio::awaitable<Outcome> MqttClient::Publish(MqttMessage message) {
  auto request = std::make_shared<Request>();
  request->message = std::move(message);
  auto waiting = AwaitFromThread<Outcome>([this, request](OutcomeCallback complete) {
    request->complete = std::move(complete);
    Enqueue(request);
  });
  Outcome outcome = co_await std::move(waiting);
  co_return outcome;
}

void MqttClient::Enqueue(std::shared_ptr<Request> request) {
  if (auto refused = thread_.Push(request, [this] { Run(); })) {
    CompleteOnce(request->complete,
                 Outcome::Retryable(fmt::format("mqtt \"{}\": {}", name_, *refused)));
  }
}

void MqttClient::Run() {
  Session session(*this);
  while (auto batch = thread_.Take()) {
    if (!batch->empty()) session.Accept(*batch);
    session.Service(thread_.wake_fd());
  }
  session.Stop("shutting down");
  for (auto& request : thread_.TakeRemaining()) {
    CompleteOnce(request->complete, Outcome::Retryable(fmt::format("mqtt \"{}\": shutting down", name_)));
  }
}

std::string MqttClient::State() const { return thread_.State(); }

std::optional<MqttEndpoint> ParseMqttEndpoint(const boost::json::object& settings,
                                              const std::string& path, ConfigErrors& errors) {
  ObjectReader reader(settings, path, errors);
  const size_t before = errors.size();
  MqttEndpoint endpoint;
  endpoint.host = reader.StringOr("host", "localhost");
  endpoint.tls = reader.Bool("tls", false);
  endpoint.port = static_cast<int>(reader.Integer("port", endpoint.tls ? 8883 : 1883, 1, 65535));
  endpoint.username = reader.StringOr("username", "");
  endpoint.password = reader.StringOr("password", "");
  endpoint.client_id = reader.StringOr("client_id", "");
  // libmosquitto refuses a keepalive below 5 s; MQTT encodes it in 16 bits.
  endpoint.keepalive = static_cast<int>(reader.Integer("keepalive", 60, 5, 65535));
  std::string version = reader.StringOr("mqtt_version", "3.1.1");
  endpoint.tls_insecure = reader.Bool("tls_insecure", false);
  endpoint.tls_ca_cert_file = reader.StringOr("tls_ca_cert_file", "");
  endpoint.tls_cert_file = reader.StringOr("tls_cert_file", "");
  endpoint.tls_key_file = reader.StringOr("tls_key_file", "");
  double timeout = reader.Number("timeout", 10.0, 0.1, 600);
  endpoint.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  reader.Allow({"type"});
  reader.RejectUnknownKeys("mqtt connection");

  if (endpoint.host.empty()) errors.Add(reader.PathOf("host"), "must not be empty");
  if (version == "3.1.1") {
    endpoint.protocol_version = MQTT_PROTOCOL_V311;
  } else if (version == "3.1") {
    endpoint.protocol_version = MQTT_PROTOCOL_V31;
  } else if (version == "5" || version == "5.0") {
    endpoint.protocol_version = MQTT_PROTOCOL_V5;
  } else {
    // The Python project silently falls back to MQTT 3.1 for anything it does not know.
    errors.Add(reader.PathOf("mqtt_version"),
               fmt::format("unknown MQTT version \"{}\" (known: 3.1.1, 3.1, 5)", version));
  }
  if (!endpoint.password.empty() && endpoint.username.empty()) {
    errors.Add(reader.PathOf("password"), "a password needs a \"username\"");
  }
  if (!endpoint.client_id.empty()) {
    if (mosquitto_validate_utf8(endpoint.client_id.data(),
                                static_cast<int>(endpoint.client_id.size())) != MOSQ_ERR_SUCCESS ||
        endpoint.client_id.size() > 65535) {
      errors.Add(reader.PathOf("client_id"), "must be valid UTF-8 of at most 65535 bytes");
    } else if (endpoint.protocol_version == MQTT_PROTOCOL_V31 && endpoint.client_id.size() > 23) {
      errors.Add(reader.PathOf("client_id"), "MQTT 3.1 allows at most 23 characters");
    }
  }
  if (endpoint.tls_cert_file.empty() != endpoint.tls_key_file.empty()) {
    errors.Add(reader.PathOf(endpoint.tls_cert_file.empty() ? "tls_cert_file" : "tls_key_file"),
               "tls_cert_file and tls_key_file go together");
  }
  if (!endpoint.tls) {
    for (std::string_view key :
         {"tls_insecure", "tls_ca_cert_file", "tls_cert_file", "tls_key_file"}) {
      if (reader.Has(key)) {
        errors.Add(reader.PathOf(key), "has no effect without \"tls\": true");
      }
    }
  } else {
    for (std::string_view key : {"tls_ca_cert_file", "tls_cert_file", "tls_key_file"}) {
      const auto* value = settings.if_contains(key);
      if (value && value->is_string() && !value->as_string().empty() &&
          access(value->as_string().c_str(), R_OK) != 0) {
        errors.Add(reader.PathOf(key),
                   fmt::format("cannot read \"{}\": {}", std::string_view(value->as_string()),
                               std::strerror(errno)));
      }
    }
  }
  if (errors.size() != before) return std::nullopt;
  return endpoint;
}

}  // namespace wg
