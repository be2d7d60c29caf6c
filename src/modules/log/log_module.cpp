#include "modules/log/log_module.hpp"

#include <array>
#include <boost/json.hpp>

#include "config/json_reader.hpp"
#include "modules/run_blocking.hpp"
#include "observability/line_writer.hpp"
#include "observability/logger.hpp"
#include "util/ascii.hpp"

namespace wg {
namespace json = boost::json;
namespace {

// Key names (substring, case-insensitive) whose values are never written by the log module.
constexpr std::array<std::string_view, 25> kSensitive = {
    "password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "access_token",
    "refresh_token", "authorization", "auth", "credential", "private_key", "privatekey",
    "session", "cookie", "ssn", "credit_card", "creditcard", "database_url", "db_url",
    "connection_string", "conn_string", "api-key", "signature"};
constexpr std::string_view kRedacted = "[REDACTED]";
constexpr int kMaxDepth = 32;

bool IsSensitive(std::string_view key) {
  for (auto word : kSensitive) {
    if (ContainsIgnoreCase(key, word, /*underscore_matches_dash=*/true)) return true;
  }
  return false;
}

json::value Redact(const json::value& value, int depth) {
  if (depth > kMaxDepth) return json::string("[Max depth exceeded]");
  if (value.is_object()) {
    json::object out;
    for (const auto& member : value.get_object()) {
      out[member.key()] = IsSensitive(member.key()) ? json::value(json::string(kRedacted))
                                                    : Redact(member.value(), depth + 1);
    }
    return out;
  }
  if (value.is_array()) {
    json::array out;
    for (const auto& item : value.get_array()) out.push_back(Redact(item, depth + 1));
    return out;
  }
  return value;
}

class LogModule final : public Module {
 public:
  LogModule(bool pretty, bool redact, boost::asio::thread_pool* pool, LineWriter* writer)
      : pretty_(pretty), redact_(redact), pool_(pool), writer_(writer) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    if (writer_ != nullptr) co_return *DeliverNow(*delivery);
    std::string text = RenderLogEntry(*delivery, pretty_, redact_);
    auto writing = RunBlocking(*pool_, [text = std::move(text)]() mutable {
      Logger::WriteLine(1, std::move(text));
      return 0;
    });
    co_await std::move(writing);
    co_return Outcome::Delivered();
  }

  // With the stdout writer, a line goes into its buffer at once; without it, the blocking write
  // is awaited.
  std::optional<Outcome> DeliverNow(const Delivery& delivery) override {
    if (writer_ == nullptr) return std::nullopt;
    if (!writer_->Write(RenderLogEntry(delivery, pretty_, redact_))) {
      return Outcome::Retryable("stdout is not keeping up");
    }
    return Outcome::Delivered();
  }

 private:
  bool pretty_;
  bool redact_;
  boost::asio::thread_pool* pool_;
  LineWriter* writer_;
};

void AppendPretty(std::string& out, const json::value& value, int indent) {
  std::string pad(static_cast<size_t>(indent) * 2, ' ');
  std::string inner(static_cast<size_t>(indent + 1) * 2, ' ');
  if (value.is_object() && !value.get_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& member : value.get_object()) {
      if (!first) out += ",\n";
      first = false;
      out += inner + json::serialize(json::string(member.key())) + ": ";
      AppendPretty(out, member.value(), indent + 1);
    }
    out += "\n" + pad + "}";
  } else if (value.is_array() && !value.get_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& item : value.get_array()) {
      if (!first) out += ",\n";
      first = false;
      out += inner;
      AppendPretty(out, item, indent + 1);
    }
    out += "\n" + pad + "]";
  } else {
    out += json::serialize(value);
  }
}

}  // namespace

std::string RenderLogEntry(const Delivery& delivery, bool pretty, bool redact) {
  json::object headers;
  for (const auto& header : delivery.headers) {
    headers[header.name] = redact && IsSensitive(header.name) ? kRedacted : header.value;
  }
  json::value payload;
  if (delivery.data_type == DataType::kBlob) {
    payload = json::string("[" + std::to_string(delivery.body.size()) + " bytes of blob]");
  } else {
    payload = redact ? Redact(delivery.payload, 0) : delivery.payload;
  }
  if (!pretty) {
    json::object line;
    line["webhook"] = delivery.webhook_id;
    line["delivery"] = delivery.id;
    line["headers"] = std::move(headers);
    line["payload"] = std::move(payload);
    return json::serialize(line);
  }
  const std::string rule(80, '=');
  std::string out = rule + "\nWEBHOOK RECEIVED: " + delivery.webhook_id + " (" + delivery.id +
                    ")\n" + rule + "\n\nHeaders:\n";
  AppendPretty(out, headers, 0);
  out += "\n\nPayload:\n";
  AppendPretty(out, payload, 0);
  out += "\n" + rule;
  return out;
}

std::unique_ptr<Module> CreateLogModule(const ModuleSettings& settings,
                                        const ModuleContext& context, ConfigErrors& errors) {
  ObjectReader reader(settings.config, settings.path, errors);
  bool pretty = reader.Bool("pretty_print", false);
  bool redact = reader.Bool("redact_sensitive", true);
  reader.RejectUnknownKeys("log module-config");
  return std::make_unique<LogModule>(pretty, redact, context.blocking_pool, context.stdout_writer);
}

}  // namespace wg
