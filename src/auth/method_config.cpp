#include "auth/method_config.hpp"

#include <fmt/format.h>

#include "config/json_reader.hpp"

namespace wg {

const boost::json::object* MethodObject(const boost::json::object& webhook, std::string_view key,
                                        const std::string& path, std::string_view expected,
                                        ConfigErrors& errors) {
  const boost::json::value& value = webhook.at(key);
  if (value.is_object()) return &value.get_object();
  errors.Add(path, fmt::format("must be an object with {}, got {}", expected, JsonKindName(value)));
  return nullptr;
}

std::optional<std::string> RequiredCredential(ObjectReader& reader, std::string_view key,
                                              std::string_view what) {
  std::optional<std::string> value = reader.String(key, true);
  if (!value || !value->empty()) return value;
  reader.errors().Add(reader.PathOf(key), fmt::format("{} not configured (empty {})", what, key));
  return std::nullopt;
}

}  // namespace wg
