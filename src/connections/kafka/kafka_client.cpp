#include "connections/kafka/kafka_client.hpp"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>

#include "connections/thread_handoff.hpp"

namespace wg {
namespace asio = boost::asio;

namespace {
constexpr int kPollMs = 100;
constexpr int kShutdownFlushMs = 1000;  // how long shutdown waits for messages in flight

// Owns a rd_kafka_conf_t until rd_kafka_new takes it.
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

// Sets every property; the first one librdkafka refuses is returned as "<name>: <why>".
std::string ApplyProperties(rd_kafka_conf_t* conf,
                            const std::vector<std::pair<std::string, std::string>>& properties) {
  char error[512];
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      return fmt::format("{}: {}", name, error);
    }
  }
  return {};
}

// A comma-separated list of host:port, each port 1-65535.
std::string CheckBootstrapServers(std::string_view servers) {
  if (servers.empty()) return "must not be empty";
  while (true) {
    size_t comma = servers.find(',');
    std::string_view server = servers.substr(0, comma);
    while (!server.empty() && server.front() == ' ') server.remove_prefix(1);
    while (!server.empty() && server.back() == ' ') server.remove_suffix(1);
    size_t colon = server.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fmt::format("\"{}\" is not host:port", server);
    }
    std::string_view port = server.substr(colon + 1);
    int number = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || number > 65535) return fmt::format("\"{}\": bad port", server);
      number = number * 10 + (c - '0');
    }
    if (port.empty() || number < 1 || number > 65535) {
      return fmt::format("\"{}\": bad port", server);
    }
    if (comma == std::string_view::npos) return {};
    servers.remove_prefix(comma + 1);
  }
}

void DeliveryReport(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  std::unique_ptr<KafkaClient::Request> request(
      static_cast<KafkaClient::Request*>(message->_private));
  static_cast<KafkaClient*>(opaque)->OnDeliveryReport(std::move(request), message->err);
}

void ErrorCallback(rd_kafka_t*, int error_code, const char* reason, void* opaque) {
  static_cast<KafkaClient*>(opaque)->OnError(error_code, reason);
}

// librdkafka's own log lines would go to stderr unformatted; what matters reaches the error
// callback (State(), /health) and the delivery reports (the chain's log).
void DropLog(const rd_kafka_t*, int, const char*, const char*) {}
}  // namespace

std::optional<KafkaEndpoint> ParseKafkaEndpoint(const boost::json::object& settings,
                                                const std::string& path, ConfigErrors& errors) {
  ObjectReader reader(settings, path, errors);
  const size_t before = errors.size();
  KafkaEndpoint endpoint;
  endpoint.bootstrap_servers = reader.StringOr("bootstrap_servers", "localhost:9092");
  endpoint.client_id = reader.StringOr("client_id", "webhook-gateway");
  double timeout = reader.Number("timeout", 10.0, 0.1, 3600);
  endpoint.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  // Our key -> librdkafka's property.
  constexpr std::pair<std::string_view, std::string_view> kOptional[] = {
      {"security_protocol", "security.protocol"},
      {"sasl_mechanism", "sasl.mechanism"},
      {"sasl_username", "sasl.username"},
      {"sasl_password", "sasl.password"},
      {"ssl_ca_location", "ssl.ca.location"}};
  std::vector<std::pair<std::string, std::string>> optional;
  for (const auto& [key, property] : kOptional) {
    if (auto value = reader.String(key)) optional.emplace_back(key, *value);
  }
  reader.Allow({"type"});
  reader.RejectUnknownKeys("kafka connection");

  if (auto problem = CheckBootstrapServers(endpoint.bootstrap_servers); !problem.empty()) {
    errors.Add(reader.PathOf("bootstrap_servers"), problem);
  }
  if (endpoint.client_id.empty()) errors.Add(reader.PathOf("client_id"), "must not be empty");
  bool has_user = reader.Has("sasl_username");
  bool has_password = reader.Has("sasl_password");
  if (has_user != has_password) {
    errors.Add(reader.PathOf(has_user ? "sasl_password" : "sasl_username"),
               "sasl_username and sasl_password go together");
  }

  endpoint.properties = {
      {"bootstrap.servers", endpoint.bootstrap_servers},
      {"client.id", endpoint.client_id},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"message.timeout.ms", std::to_string(endpoint.timeout.count())},
      {"socket.connection.setup.timeout.ms",
       std::to_string(std::max<int64_t>(1000, endpoint.timeout.count()))},
  };
  // librdkafka judges each security setting itself (a value it does not know, a SASL mechanism
  // this build lacks), so the error carries the key the user wrote.
  ConfPtr conf(rd_kafka_conf_new());
  for (const auto& [key, value] : optional) {
    std::string_view property;
    for (const auto& [ours, theirs] : kOptional) {
      if (ours == key) property = theirs;
    }
    std::vector<std::pair<std::string, std::string>> one = {{std::string(property), value}};
    if (auto problem = ApplyProperties(conf.get(), one); !problem.empty()) {
      errors.Add(reader.PathOf(key), fmt::format("refused by librdkafka ({})", problem));
    } else {
      endpoint.properties.push_back(one.front());
    }
  }
  if (errors.size() != before) return std::nullopt;
  return endpoint;
}

OutcomeKind ClassifyKafkaError(int error_code) {
  switch (static_cast<rd_kafka_resp_err_t>(error_code)) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return OutcomeKind::kPermanent;
    default:  // timed out, transport, all brokers down, leader moving, queue full, fatal, ...
      return OutcomeKind::kRetryable;
  }
}

struct KafkaClient::Request {
  std::string topic;
  // Resumes the awaiting coroutine on its own executor; called once, from the polling thread.
  OutcomeCallback complete;
};

KafkaClient::KafkaClient(std::string name, KafkaEndpoint endpoint)
    : name_(std::move(name)), endpoint_(std::move(endpoint)) {}

KafkaClient::~KafkaClient() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (producer_ != nullptr) {
    // Give what is in flight a moment, then fail the rest as retryable (the spool keeps it).
    rd_kafka_flush(producer_, kShutdownFlushMs);
    rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(producer_, 0);
    rd_kafka_destroy(producer_);  // joins librdkafka's own threads
  }
}

std::string KafkaClient::Describe(std::string_view error) const {
  return fmt::format("kafka \"{}\": {}", name_, error);
}

rd_kafka_t* KafkaClient::CreateProducer(std::string& error) {
  ConfPtr conf(rd_kafka_conf_new());
  if (auto problem = ApplyProperties(conf.get(), endpoint_.properties); !problem.empty()) {
    error = problem;
    return nullptr;
  }
  rd_kafka_conf_set_opaque(conf.get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &DeliveryReport);
  rd_kafka_conf_set_error_cb(conf.get(), &ErrorCallback);
  rd_kafka_conf_set_log_cb(conf.get(), &DropLog);
  char text[512];
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), text, sizeof text);
  if (producer == nullptr) {
    error = text;
    return nullptr;
  }
  conf.release();  // rd_kafka_new took it
  return producer;
}

asio::awaitable<Outcome> KafkaClient::Produce(KafkaMessage message) {
  auto request = std::make_unique<Request>();
  request->topic = message.topic;
  auto waiting = AwaitFromThread<Outcome>([this, &message,
                                           &request](OutcomeCallback complete) mutable {
    request->complete = std::move(complete);
    auto fail = [&](Outcome outcome) { CompleteOnce(request->complete, std::move(outcome)); };
    std::unique_lock lock(mutex_);
    if (stopping_) return fail(Outcome::Retryable(Describe("shutting down")));
    if (producer_ == nullptr) {
      std::string error;
      producer_ = CreateProducer(error);
      if (producer_ == nullptr) {
        return fail(Outcome::Permanent(Describe("cannot create a producer: " + error)));
      }
      fatal_ = false;
      if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
    }
    rd_kafka_headers_t* headers = nullptr;
    if (!message.headers.empty()) {
      headers = rd_kafka_headers_new(message.headers.size());
      for (const auto& [name, value] : message.headers) {
        rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                            static_cast<ssize_t>(value.size()));
      }
    }
    rd_kafka_vu_t values[6];
    size_t count = 0;
    values[count].vtype = RD_KAFKA_VTYPE_TOPIC;
    values[count++].u.cstr = message.topic.c_str();
    values[count].vtype = RD_KAFKA_VTYPE_VALUE;
    values[count].u.mem.ptr = message.value.data();
    values[count++].u.mem.size = message.value.size();
    values[count].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    values[count++].u.i = RD_KAFKA_MSG_F_COPY;
    values[count].vtype = RD_KAFKA_VTYPE_PARTITION;
    values[count++].u.i32 = message.partition < 0 ? RD_KAFKA_PARTITION_UA : message.partition;
    if (message.key) {
      values[count].vtype = RD_KAFKA_VTYPE_KEY;
      values[count].u.mem.ptr = message.key->data();
      values[count++].u.mem.size = message.key->size();
    }
    if (headers != nullptr) {
      values[count].vtype = RD_KAFKA_VTYPE_HEADERS;
      values[count++].u.headers = headers;
    }
    // The request travels with the message and comes back in its delivery report.
    Request* raw = request.get();
    rd_kafka_vu_t opaque;
    opaque.vtype = RD_KAFKA_VTYPE_OPAQUE;
    opaque.u.ptr = raw;
    rd_kafka_vu_t all[7];
    for (size_t i = 0; i < count; ++i) all[i] = values[i];
    all[count++] = opaque;
    rd_kafka_error_t* error = rd_kafka_produceva(producer_, all, count);
    if (error != nullptr) {
      // Not queued: the headers and the request are still ours.
      if (headers != nullptr) rd_kafka_headers_destroy(headers);
      auto code = rd_kafka_error_code(error);
      std::string text = fmt::format("cannot produce to topic \"{}\": {}", message.topic,
                                     rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
      lock.unlock();
      return fail(Outcome{ClassifyKafkaError(code), Describe(text)});
    }
    request.release();  // owned by librdkafka until its delivery report
  });
  Outcome outcome = co_await std::move(waiting);
  co_return outcome;
}

void KafkaClient::OnDeliveryReport(std::unique_ptr<Request> request, int error_code) {
  Outcome outcome = Outcome::Delivered();
  {
    std::lock_guard lock(mutex_);
    if (error_code == RD_KAFKA_RESP_ERR_NO_ERROR) {
      state_ = "connected";
    } else {
      std::string text =
          fmt::format("delivery to topic \"{}\" failed: {}", request->topic,
                      rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(error_code)));
      // A timeout says little by itself; the broker's last error says why.
      if (error_code == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT && !last_error_.empty()) {
        text += fmt::format(" (last error: {})", last_error_);
      }
      outcome = Outcome{ClassifyKafkaError(error_code), Describe(text)};
    }
  }
  CompleteOnce(request->complete, std::move(outcome));
}

void KafkaClient::OnError(int error_code, const char* reason) {
  std::lock_guard lock(mutex_);
  last_error_ =
      reason != nullptr ? reason : rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(error_code));
  if (error_code == RD_KAFKA_RESP_ERR__FATAL) fatal_ = true;
  if (error_code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
      error_code == RD_KAFKA_RESP_ERR__TRANSPORT || error_code == RD_KAFKA_RESP_ERR__RESOLVE ||
      error_code == RD_KAFKA_RESP_ERR__AUTHENTICATION || error_code == RD_KAFKA_RESP_ERR__FATAL) {
    state_ = "down: " + last_error_;
  }
}

std::string KafkaClient::State() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void KafkaClient::Run() {
  while (true) {
    rd_kafka_t* producer = nullptr;
    rd_kafka_t* broken = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      if (fatal_ && producer_ != nullptr) {
        // The idempotent producer cannot go on; the next message gets a new one.
        broken = producer_;
        producer_ = nullptr;
        fatal_ = false;
      }
      producer = producer_;
    }
    if (broken != nullptr) {
      rd_kafka_purge(broken, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_poll(broken, 0);  // their delivery reports: retryable
      rd_kafka_destroy(broken);
      continue;
    }
    if (producer == nullptr) {
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
      continue;
    }
    rd_kafka_poll(producer, kPollMs);
  }
}

}  // namespace wg
