#include "modules/activemq/activemq_module.hpp"

#include <fmt/format.h>

#include <array>

#include "config/json_reader.hpp"
#include "config/names.hpp"
#include "connections/connection_registry.hpp"
#include "modules/message_body.hpp"

namespace wg {
namespace json = boost::json;
namespace {

constexpr std::array<std::string_view, 5> kReservedPrefixes = {"activemq.", "virtualtopic.",
                                                               "consumer.", "queue.", "topic."};

// STOMP headers with a meaning to the protocol or to ActiveMQ / RabbitMQ.
constexpr std::array<std::string_view, 27> kBrokerHeaders = {"destination",
                                                             "receipt",
                                                             "receipt-id",
                                                             "transaction",
                                                             "content-length",
                                                             "content-type",
                                                             "persistent",
                                                             "expires",
                                                             "priority",
                                                             "reply-to",
                                                             "message-id",
                                                             "subscription",
                                                             "ack",
                                                             "id",
                                                             "host",
                                                             "login",
                                                             "passcode",
                                                             "heart-beat",
                                                             "accept-version",
                                                             "version",
                                                             "correlation-id",
                                                             "type",
                                                             "x-message-ttl",
                                                             "x-expires",
                                                             "x-overflow",
                                                             "x-single-active-consumer",
                                                             "webhook-delivery-id"};
constexpr std::array<std::string_view, 5> kBrokerHeaderPrefixes = {"amqp-", "jms", "x-queue-",
                                                                   "x-max-", "x-dead-letter-"};

class ActivemqModule final : public Module {
 public:
  ActivemqModule(std::shared_ptr<StompClient> client, ActivemqModuleOptions options)
      : client_(std::move(client)), options_(std::move(options)) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    StompMessage message;
    message.destination = options_.destination;
    MessageBody body = BrokerMessageBody(*delivery);
    message.body = std::move(body.body);
    message.content_type = std::move(body.content_type);
    message.headers.emplace_back("persistent", options_.persistent ? "true" : "false");
    message.headers.emplace_back("webhook-delivery-id", delivery->id);
    for (const auto& header : delivery->headers) {
      if (ForwardableStompHeader(header.name)) {
        message.headers.emplace_back(header.name, header.value);
      }
    }
    auto sending = client_->Send(std::move(message));
    Outcome outcome = co_await std::move(sending);
    co_return outcome;
  }

 private:
  std::shared_ptr<StompClient> client_;
  ActivemqModuleOptions options_;
};

}  // namespace

std::string CheckActivemqDestination(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 255) return "must be at most 255 characters";
  if (!IsNameOf(name, "_-.:", 255)) return "may only contain A-Z a-z 0-9 _ - . :";
  if (name.find("..") != std::string_view::npos || name.find("--") != std::string_view::npos) {
    return "must not contain \"..\" or \"--\"";
  }
  std::string lower = ToLower(name);
  for (auto prefix : kReservedPrefixes) {
    if (lower.starts_with(prefix)) {
      return fmt::format("must not start with \"{}\" (reserved by the broker)",
                         name.substr(0, prefix.size()));
    }
  }
  return {};
}

bool ForwardableStompHeader(std::string_view name) {
  if (name.empty()) return false;
  for (auto reserved : kBrokerHeaders) {
    if (name == reserved) return false;
  }
  for (auto prefix : kBrokerHeaderPrefixes) {
    if (name.starts_with(prefix)) return false;
  }
  return true;
}

std::optional<ActivemqModuleOptions> ParseActivemqModuleOptions(const json::object& config,
                                                                const std::string& path,
                                                                ConfigErrors& errors) {
  ObjectReader reader(config, path, errors);
  const size_t before = errors.size();
  ActivemqModuleOptions options;
  auto destination = reader.String("destination", true);
  std::string type = reader.StringOr("destination_type", "queue");
  options.persistent = reader.Bool("persistent", true);
  reader.RejectUnknownKeys("activemq module-config");
  if (destination) {
    if (auto problem = CheckActivemqDestination(*destination); !problem.empty()) {
      errors.Add(reader.PathOf("destination"), problem);
    }
  }
  if (type != "queue" && type != "topic") {
    errors.Add(reader.PathOf("destination_type"), "must be \"queue\" or \"topic\"");
  }
  if (errors.size() != before || !destination) return std::nullopt;
  options.destination = fmt::format("/{}/{}", type, *destination);
  return options;
}

std::unique_ptr<Module> CreateActivemqModule(const ModuleSettings& settings,
                                             const ModuleContext& context, ConfigErrors& errors) {
  const size_t before = errors.size();
  auto options = ParseActivemqModuleOptions(settings.config, settings.path, errors);
  auto client = ResolveClient(
      settings, context, "activemq", "activemq",
      [](std::string_view type) { return type == "activemq"; }, &ConnectionRegistry::Stomp, errors);
  if (errors.size() != before || !options || !client) return nullptr;
  return std::make_unique<ActivemqModule>(std::move(client), std::move(*options));
}

}  // namespace wg
