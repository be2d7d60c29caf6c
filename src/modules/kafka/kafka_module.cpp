#include "modules/kafka/kafka_module.hpp"

#include <fmt/format.h>

#include "config/json_reader.hpp"
#include "config/names.hpp"
#include "connections/connection_registry.hpp"

namespace wg {
namespace json = boost::json;
namespace {

constexpr size_t kMaxTopicLength = 249;  // Kafka's limit

class KafkaModule final : public Module {
 public:
  KafkaModule(std::shared_ptr<KafkaClient> client, KafkaModuleOptions options)
      : client_(std::move(client)), options_(std::move(options)) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    KafkaMessage message;
    std::string error;
    if (!KafkaMessageKey(options_, *delivery, message.key, error)) {
      co_return Outcome::Permanent(error);
    }
    message.topic = options_.topic;
    message.partition = options_.partition;
    message.value = KafkaMessageValue(*delivery);
    if (options_.forward_headers) {
      message.headers.reserve(delivery->headers.size());
      for (const auto& header : delivery->headers) {
        message.headers.emplace_back(header.name, header.value);
      }
    }
    auto producing = client_->Produce(std::move(message));
    Outcome outcome = co_await std::move(producing);
    co_return outcome;
  }

 private:
  std::shared_ptr<KafkaClient> client_;
  KafkaModuleOptions options_;
};

}  // namespace

std::string CheckKafkaTopic(std::string_view topic) {
  if (topic.empty()) return "must not be empty";
  if (topic.size() > kMaxTopicLength) {
    return fmt::format("must be at most {} characters", kMaxTopicLength);
  }
  if (!IsNameOf(topic, "._-", kMaxTopicLength)) return "may only contain A-Z a-z 0-9 . _ -";
  if (topic == "." || topic == "..") return "must not be \".\" or \"..\"";
  if (topic.starts_with("__")) return "must not start with \"__\" (Kafka's internal topics)";
  return {};
}

std::string CheckJsonPointer(std::string_view pointer) {
  if (pointer.empty() || pointer.front() != '/') {
    return "must be a JSON pointer starting with \"/\", e.g. \"/order/id\"";
  }
  for (size_t i = 0; i < pointer.size(); ++i) {
    if (pointer[i] != '~') continue;
    if (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1')) {
      return "\"~\" must be followed by 0 or 1 (\"~0\" is ~, \"~1\" is /)";
    }
  }
  return {};
}

std::optional<KafkaModuleOptions> ParseKafkaModuleOptions(const json::object& config,
                                                          const std::string& path,
                                                          ConfigErrors& errors) {
  ObjectReader reader(config, path, errors);
  const size_t before = errors.size();
  KafkaModuleOptions options;
  auto topic = reader.String("topic");
  options.key = reader.String("key");
  options.key_pointer = reader.String("key_pointer");
  options.partition = static_cast<int32_t>(reader.Integer("partition", -1, 0, INT32_MAX));
  options.forward_headers = reader.Bool("forward_headers", false);
  reader.RejectUnknownKeys("kafka module-config");

  if (topic) {
    if (auto problem = CheckKafkaTopic(*topic); !problem.empty()) {
      errors.Add(reader.PathOf("topic"), problem);
    }
    options.topic = *topic;
  } else if (!reader.Has("topic")) {
    errors.Add(reader.PathOf("topic"), "required string is missing");
  }
  if (options.key && options.key_pointer) {
    errors.Add(reader.PathOf("key_pointer"),
               "\"key\" (a static key) and \"key_pointer\" exclude each other");
  }
  if (options.key_pointer) {
    if (auto problem = CheckJsonPointer(*options.key_pointer); !problem.empty()) {
      errors.Add(reader.PathOf("key_pointer"), problem);
    }
  }
  if (errors.size() != before) return std::nullopt;
  return options;
}

bool KafkaMessageKey(const KafkaModuleOptions& options, const Delivery& delivery,
                     std::optional<std::string>& key, std::string& error) {
  key.reset();
  if (options.key) {
    key = *options.key;
    return true;
  }
  if (!options.key_pointer) return true;
  if (delivery.data_type == DataType::kBlob) {
    error = fmt::format("key_pointer \"{}\": a blob payload is not JSON", *options.key_pointer);
    return false;
  }
  boost::system::error_code code;
  const json::value* found = delivery.payload.find_pointer(*options.key_pointer, code);
  if (found == nullptr || found->is_null()) {
    error = fmt::format("key_pointer \"{}\": the payload has no value there", *options.key_pointer);
    return false;
  }
  key = found->is_string() ? std::string(found->get_string()) : json::serialize(*found);
  return true;
}

std::string KafkaMessageValue(const Delivery& delivery) {
  if (delivery.data_type == DataType::kBlob) return delivery.body;
  if (delivery.payload.is_string()) return std::string(delivery.payload.get_string());
  return json::serialize(delivery.payload);
}

std::unique_ptr<Module> CreateKafkaModule(const ModuleSettings& settings,
                                          const ModuleContext& context, ConfigErrors& errors) {
  const size_t before = errors.size();
  auto options = ParseKafkaModuleOptions(settings.config, settings.path, errors);
  auto client = ResolveClient(
      settings, context, "kafka", "kafka", [](std::string_view type) { return type == "kafka"; },
      &ConnectionRegistry::Kafka, errors);
  if (errors.size() != before || !options || !client) return nullptr;
  return std::make_unique<KafkaModule>(std::move(client), std::move(*options));
}

}  // namespace wg
