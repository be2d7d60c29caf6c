// `mqtt`: publishes each webhook as one MQTT message on the connection's shared client, and
// counts it delivered only when the broker acknowledged it as its qos requires (qos 1: PUBACK,
// qos 2: PUBCOMP; qos 0: once written to the socket).
//
// module-config (the Python project's keys):
//   topic               the topic (required unless tasmota_format); or the legacy top-level
//                       `topic`. At most 32768 bytes of A-Z a-z 0-9 _ - . /, no "//", "..", "--",
//                       no leading "$" (no wildcards: they cannot be published to)
//   topic_prefix        prepended with a "/" ("home" + "events" -> "home/events")
//   qos                 1 (0, 1 or 2)
//   retained            false; `retain` is accepted as the same key
//   format              "json" (default): objects and arrays as compact JSON, a string as its
//                       text, a blob as its bytes; "raw": the request body exactly as received
//   shelly_gen2_format  false; true: {"id": device_id, "source": "webhook", "params": payload}
//                       (a payload that is not an object becomes {"data": payload});
//                       device_id "webhook"
//   tasmota_format      false; true: topic <tasmota_type>/<device_name>/<command> for "cmnd"
//                       (default), <..>/status for "stat", <..>/telemetry for "tele";
//                       device_name and command "webhook"; a payload that is not an object
//                       becomes {"data": payload}. topic_prefix still applies.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "modules/module.hpp"

namespace wg {

enum class MqttFormat { kJson, kRaw };
enum class MqttEnvelope { kNone, kShellyGen2, kTasmota };

struct MqttModuleOptions {
  std::string topic;  // the full topic, prefix and Tasmota layout applied
  int qos = 1;
  bool retain = false;
  MqttFormat format = MqttFormat::kJson;
  MqttEnvelope envelope = MqttEnvelope::kNone;
  std::string device_id = "webhook";  // Shelly Gen2
};

// Why `topic` is not an acceptable topic (the Python project's rules), or "" when it is.
std::string CheckMqttTopic(std::string_view topic);

// Reads and validates module-config; every problem is reported with its JSON path.
std::optional<MqttModuleOptions> ParseMqttModuleOptions(const boost::json::object& config,
                                                        const std::string& path,
                                                        ConfigErrors& errors);

// The message body for one webhook.
std::string MqttMessageBody(const MqttModuleOptions& options, const Delivery& delivery);

std::unique_ptr<Module> CreateMqttModule(const ModuleSettings& settings,
                                         const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
