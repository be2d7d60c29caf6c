// `kafka`: produces each webhook as one Kafka message on the connection's shared idempotent
// producer, and counts it delivered only when librdkafka's delivery report says the broker took
// it (acks=all).
//
// module-config (the Python project's keys, plus key_pointer):
//   topic            the topic (required; or the legacy top-level `topic`). 1 to 249 of
//                    A-Z a-z 0-9 . _ -, not "." or "..", not starting with "__" (Kafka's
//                    internal topics)
//   key              a static message key, the same for every message
//   key_pointer      a JSON pointer (RFC 6901) into the payload, e.g. "/order/id": the key is
//                    that value (a string as its text, anything else as compact JSON); a payload
//                    without it is a permanent failure. Excludes `key`.
//   partition        a fixed partition (>= 0); default: librdkafka's partitioner (by key)
//   forward_headers  false; true: every request header becomes a Kafka header (UTF-8 value)
// The message value: objects, arrays, numbers as compact JSON, a string as its text, a blob as
// its bytes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "modules/module.hpp"

namespace wg {

struct KafkaModuleOptions {
  std::string topic;
  std::optional<std::string> key;          // static key
  std::optional<std::string> key_pointer;  // JSON pointer into the payload
  int32_t partition = -1;                  // -1: the partitioner chooses
  bool forward_headers = false;
};

// Why `topic` is not an acceptable Kafka topic name, or "" when it is.
std::string CheckKafkaTopic(std::string_view topic);

// Why `pointer` is not a JSON pointer (RFC 6901), or "" when it is.
std::string CheckJsonPointer(std::string_view pointer);

// Reads and validates module-config; every problem is reported with its JSON path.
std::optional<KafkaModuleOptions> ParseKafkaModuleOptions(const boost::json::object& config,
                                                          const std::string& path,
                                                          ConfigErrors& errors);

// The message key for one webhook: none, the static key or the value at key_pointer. Returns
// false with `error` set when the payload has no such value.
bool KafkaMessageKey(const KafkaModuleOptions& options, const Delivery& delivery,
                     std::optional<std::string>& key, std::string& error);

// The message value for one webhook.
std::string KafkaMessageValue(const Delivery& delivery);

std::unique_ptr<Module> CreateKafkaModule(const ModuleSettings& settings,
                                          const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
