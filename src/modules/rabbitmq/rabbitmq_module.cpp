#include "modules/rabbitmq/rabbitmq_module.hpp"

#include <fmt/format.h>

#include <array>

#include "config/json_reader.hpp"
#include "config/names.hpp"
#include "connections/connection_registry.hpp"
#include "modules/message_body.hpp"

namespace wg {
namespace json = boost::json;
namespace {

// Names that read like AMQP operations are refused, as the Python project does.
constexpr std::array<std::string_view, 14> kReservedWords = {
    "amq.", "amqdefault", "declare", "bind",   "unbind",  "delete", "purge",
    "get",  "ack",        "nack",    "reject", "consume", "cancel", "publish"};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class RabbitmqModule final : public Module {
 public:
  RabbitmqModule(std::shared_ptr<RabbitmqClient> client, RabbitmqModuleOptions options)
      : client_(std::move(client)), options_(std::move(options)) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    RabbitmqMessage message;
    message.exchange = options_.exchange;
    message.routing_key = options_.routing_key;
    message.mandatory = options_.mandatory;
    message.check_exchange = options_.exchange;
    if (options_.declare_queue) message.declare_queue = options_.queue_name;
    message.bind_queue = options_.declare_queue && !options_.exchange.empty();
    MessageBody body = BrokerMessageBody(*delivery);
    message.body = std::move(body.body);
    message.content_type = std::move(body.content_type);
    message.message_id = delivery->id;
    message.headers.reserve(delivery->headers.size());
    for (const auto& header : delivery->headers)
      message.headers.emplace_back(header.name, header.value);
    auto publishing = client_->Publish(std::move(message));
    Outcome outcome = co_await std::move(publishing);
    co_return outcome;
  }

 private:
  std::shared_ptr<RabbitmqClient> client_;
  RabbitmqModuleOptions options_;
};

}  // namespace

std::string CheckRabbitmqQueueName(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 255) return "must be at most 255 characters";
  if (!IsNameOf(name, "_-.:", 255)) return "may only contain A-Z a-z 0-9 _ - . :";
  if (name.find("..") != std::string_view::npos || name.find("--") != std::string_view::npos) {
    return "must not contain \"..\" or \"--\"";
  }
  std::string lower = Lower(name);
  if (lower.starts_with("amq.")) return "must not start with \"amq.\" (reserved by RabbitMQ)";
  for (auto word : kReservedWords) {
    if (lower == word) return fmt::format("must not be the AMQP word \"{}\"", word);
    for (char separator : {'.', '_', '-'}) {
      if (lower.size() > word.size() && lower.starts_with(word) &&
          lower[word.size()] == separator) {
        return fmt::format("must not start with the AMQP word \"{}\"", word);
      }
    }
  }
  return {};
}

std::optional<RabbitmqModuleOptions> ParseRabbitmqModuleOptions(const json::object& config,
                                                                const std::string& path,
                                                                ConfigErrors& errors) {
  ObjectReader reader(config, path, errors);
  const size_t before = errors.size();
  RabbitmqModuleOptions options;
  auto queue_name = reader.String("queue_name");
  options.exchange = reader.StringOr("exchange", "");
  auto routing_key = reader.String("routing_key");
  options.declare_queue = reader.Bool("declare_queue", options.exchange.empty());
  options.mandatory = reader.Bool("mandatory", false);
  reader.RejectUnknownKeys("rabbitmq module-config");

  if (queue_name) {
    if (auto problem = CheckRabbitmqQueueName(*queue_name); !problem.empty()) {
      errors.Add(reader.PathOf("queue_name"), problem);
    }
    options.queue_name = *queue_name;
  } else if (!reader.Has("queue_name") &&
             (options.exchange.empty() || !routing_key || options.declare_queue)) {
    errors.Add(reader.PathOf("queue_name"),
               options.exchange.empty() || !routing_key
                   ? "required string is missing"
                   : "required string is missing (declare_queue is true)");
  }
  if (!options.exchange.empty() && !IsNameOf(options.exchange, "_-.:", 255)) {
    errors.Add(reader.PathOf("exchange"), "must be 1 to 255 of A-Z a-z 0-9 _ - . :");
  }
  options.routing_key = routing_key ? *routing_key : options.queue_name;
  if (routing_key) {
    bool control = false;
    for (char c : *routing_key) control |= static_cast<unsigned char>(c) < 0x20;
    if (routing_key->size() > 255 || control) {
      errors.Add(reader.PathOf("routing_key"),
                 "must be at most 255 bytes without control characters");
    }
  }
  if (options.exchange.empty() && routing_key && queue_name && *routing_key != *queue_name &&
      options.declare_queue) {
    // The default exchange routes by queue name: another key would never reach the queue.
    errors.Add(reader.PathOf("routing_key"),
               "with the default exchange the routing key is the "
               "queue name; set \"exchange\" to route otherwise");
  }
  if (errors.size() != before) return std::nullopt;
  return options;
}

std::unique_ptr<Module> CreateRabbitmqModule(const ModuleSettings& settings,
                                             const ModuleContext& context, ConfigErrors& errors) {
  const size_t before = errors.size();
  auto options = ParseRabbitmqModuleOptions(settings.config, settings.path, errors);
  auto client = ResolveClient(
      settings, context, "rabbitmq", "rabbitmq",
      [](std::string_view type) { return type == "rabbitmq"; }, &ConnectionRegistry::Rabbitmq,
      errors);
  if (errors.size() != before || !options || !client) return nullptr;
  return std::make_unique<RabbitmqModule>(std::move(client), std::move(*options));
}

}  // namespace wg
