#include "modules/mqtt/mqtt_module.hpp"

#include <fmt/format.h>

#include "config/json_reader.hpp"
#include "config/names.hpp"
#include "connections/connection_registry.hpp"

namespace wg {
namespace json = boost::json;
namespace {

constexpr size_t kMaxTopicBytes = 32768;

class MqttModule final : public Module {
 public:
  MqttModule(std::shared_ptr<MqttClient> client, MqttModuleOptions options)
      : client_(std::move(client)), options_(std::move(options)) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    MqttMessage message;
    message.topic = options_.topic;
    message.qos = options_.qos;
    message.retain = options_.retain;
    message.payload = MqttMessageBody(options_, *delivery);
    auto publishing = client_->Publish(std::move(message));
    Outcome outcome = co_await std::move(publishing);
    co_return outcome;
  }

 private:
  std::shared_ptr<MqttClient> client_;
  MqttModuleOptions options_;
};

// The payload as a JSON value, for the Shelly and Tasmota envelopes.
json::value PayloadValue(const Delivery& delivery) {
  if (delivery.data_type == DataType::kBlob) return json::string(delivery.body);
  return delivery.payload;
}

// Objects stay as they are; anything else becomes {"data": ...}.
json::value AsObject(json::value payload) {
  if (payload.is_object()) return payload;
  json::object wrapped;
  wrapped["data"] = std::move(payload);
  return wrapped;
}

// One level of a Tasmota topic: the device name or the command.
bool IsTopicLevel(std::string_view text) { return IsNameOf(text, "_-.", 255); }

}  // namespace

std::string CheckMqttTopic(std::string_view topic) {
  if (topic.empty()) return "must not be empty";
  if (topic.size() > kMaxTopicBytes) return fmt::format("must be at most {} bytes", kMaxTopicBytes);
  if (topic.find_first_of("+#") != std::string_view::npos) {
    return "must not contain the wildcards \"+\" or \"#\" (a message goes to one topic)";
  }
  if (topic.front() == '$') return "must not start with \"$\" (reserved by the broker)";
  if (!IsNameOf(topic, "_-./", kMaxTopicBytes)) return "may only contain A-Z a-z 0-9 _ - . /";
  for (std::string_view bad : {"//", "..", "--"}) {
    if (topic.find(bad) != std::string_view::npos) {
      return fmt::format("must not contain \"{}\"", bad);
    }
  }
  return {};
}

std::optional<MqttModuleOptions> ParseMqttModuleOptions(const json::object& config,
                                                        const std::string& path,
                                                        ConfigErrors& errors) {
  ObjectReader reader(config, path, errors);
  const size_t before = errors.size();
  MqttModuleOptions options;
  auto topic = reader.String("topic");
  auto prefix = reader.String("topic_prefix");
  options.qos = static_cast<int>(reader.Integer("qos", 1, 0, 2));
  bool retained = reader.Bool("retained", false);
  bool retain = reader.Bool("retain", retained);
  if (reader.Has("retained") && reader.Has("retain") && retain != retained) {
    errors.Add(reader.PathOf("retain"), "\"retain\" and \"retained\" disagree; give one of them");
  }
  options.retain = retained || retain;
  std::string format = reader.StringOr("format", "json");
  bool shelly = reader.Bool("shelly_gen2_format", false);
  auto device_id = reader.String("device_id");
  bool tasmota = reader.Bool("tasmota_format", false);
  std::string tasmota_type = reader.StringOr("tasmota_type", "cmnd");
  std::string device_name = reader.StringOr("device_name", "webhook");
  std::string command = reader.StringOr("command", "webhook");
  reader.RejectUnknownKeys("mqtt module-config");

  if (format == "json") {
    options.format = MqttFormat::kJson;
  } else if (format == "raw") {
    options.format = MqttFormat::kRaw;
  } else {
    errors.Add(reader.PathOf("format"),
               fmt::format("unknown format \"{}\" (known: json, raw)", format));
  }
  if (shelly && tasmota) {
    errors.Add(reader.PathOf("tasmota_format"),
               "shelly_gen2_format and tasmota_format exclude each other");
  }
  if (shelly) options.envelope = MqttEnvelope::kShellyGen2;
  if (tasmota) options.envelope = MqttEnvelope::kTasmota;
  if ((shelly || tasmota) && reader.Has("format") && options.format == MqttFormat::kRaw) {
    errors.Add(reader.PathOf("format"),
               "\"raw\" cannot be combined with the Shelly or Tasmota format (they are JSON)");
  }
  if (device_id) {
    if (!shelly) {
      errors.Add(reader.PathOf("device_id"), "only used with \"shelly_gen2_format\": true");
    } else if (device_id->empty()) {
      errors.Add(reader.PathOf("device_id"), "must not be empty");
    } else {
      options.device_id = *device_id;
    }
  }
  for (std::string_view key : {"tasmota_type", "device_name", "command"}) {
    if (!tasmota && reader.Has(key)) {
      errors.Add(reader.PathOf(key), "only used with \"tasmota_format\": true");
    }
  }

  std::string base;
  if (tasmota) {
    std::string last;
    if (tasmota_type == "cmnd") {
      last = command;
    } else if (tasmota_type == "stat") {
      last = "status";
    } else if (tasmota_type == "tele") {
      last = "telemetry";
    } else {
      errors.Add(
          reader.PathOf("tasmota_type"),
          fmt::format("unknown Tasmota type \"{}\" (known: cmnd, stat, tele)", tasmota_type));
    }
    if (!IsTopicLevel(device_name)) {
      errors.Add(reader.PathOf("device_name"), "must be 1 to 255 of A-Z a-z 0-9 _ - .");
    }
    if (tasmota_type == "cmnd" && !IsTopicLevel(command)) {
      errors.Add(reader.PathOf("command"), "must be 1 to 255 of A-Z a-z 0-9 _ - .");
    } else if (tasmota_type != "cmnd" && reader.Has("command")) {
      errors.Add(reader.PathOf("command"), "only used with \"tasmota_type\": \"cmnd\"");
    }
    base = fmt::format("{}/{}/{}", tasmota_type, device_name, last);
    if (topic) {
      errors.Add(reader.PathOf("topic"),
                 "not used with \"tasmota_format\": true (the topic is "
                 "<tasmota_type>/<device_name>/<command>)");
    }
  } else if (topic) {
    if (auto problem = CheckMqttTopic(*topic); !problem.empty()) {
      errors.Add(reader.PathOf("topic"), problem);
    }
    base = *topic;
  } else if (!reader.Has("topic")) {
    errors.Add(reader.PathOf("topic"), "required string is missing");
  }

  if (prefix) {
    std::string_view trimmed = *prefix;
    while (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
    if (auto problem = CheckMqttTopic(trimmed); !problem.empty()) {
      errors.Add(reader.PathOf("topic_prefix"), problem);
    }
    options.topic = fmt::format("{}/{}", trimmed, base);
  } else {
    options.topic = base;
  }
  if (errors.size() == before && options.topic.size() > kMaxTopicBytes) {
    errors.Add(reader.PathOf("topic_prefix"),
               fmt::format("prefix and topic together exceed {} bytes", kMaxTopicBytes));
  }
  if (errors.size() != before) return std::nullopt;
  return options;
}

std::string MqttMessageBody(const MqttModuleOptions& options, const Delivery& delivery) {
  switch (options.envelope) {
    case MqttEnvelope::kShellyGen2: {
      json::object message;
      message["id"] = options.device_id;
      message["source"] = "webhook";
      message["params"] = AsObject(PayloadValue(delivery));
      return json::serialize(message);
    }
    case MqttEnvelope::kTasmota:
      return json::serialize(AsObject(PayloadValue(delivery)));
    case MqttEnvelope::kNone:
      break;
  }
  if (options.format == MqttFormat::kRaw || delivery.data_type == DataType::kBlob) {
    return delivery.body;
  }
  if (delivery.payload.is_string()) return std::string(delivery.payload.get_string());
  return json::serialize(delivery.payload);
}

std::unique_ptr<Module> CreateMqttModule(const ModuleSettings& settings,
                                         const ModuleContext& context, ConfigErrors& errors) {
  const size_t before = errors.size();
  auto options = ParseMqttModuleOptions(settings.config, settings.path, errors);
  auto client = ResolveClient(
      settings, context, "mqtt", "mqtt", [](std::string_view type) { return type == "mqtt"; },
      &ConnectionRegistry::Mqtt, errors);
  if (errors.size() != before || !options || !client) return nullptr;
  return std::make_unique<MqttModule>(std::move(client), std::move(*options));
}

}  // namespace wg
