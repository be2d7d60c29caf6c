#include "config/json_reader.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace wg {
namespace json = boost::json;

void ConfigErrors::Add(std::string path, std::string message) {
  errors_.push_back({file_, std::move(path), std::move(message)});
}

void ConfigErrors::Warn(std::string path, std::string message) {
  warnings_.push_back({file_, std::move(path), std::move(message)});
}

void ConfigErrors::Append(const ConfigErrors& other) {
  errors_.insert(errors_.end(), other.errors_.begin(), other.errors_.end());
  warnings_.insert(warnings_.end(), other.warnings_.begin(), other.warnings_.end());
}

std::string ConfigErrors::Format(const ConfigError& error) {
  return fmt::format("{}: {}: {}", error.file, error.path.empty() ? "/" : error.path,
                     error.message);
}

std::string JoinPath(std::string_view path, std::string_view token) {
  std::string out(path);
  out.push_back('/');
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out.push_back(c);
  }
  return out;
}

std::string JoinPath(std::string_view path, size_t index) {
  return fmt::format("{}/{}", path, index);
}

std::string_view JsonKindName(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "a value";
}

bool ObjectReader::Has(std::string_view key) const { return object_.contains(key); }

const json::value* ObjectReader::Get(std::string_view key) {
  known_.emplace(key);
  return object_.if_contains(key);
}

std::optional<std::string> ObjectReader::String(std::string_view key, bool required) {
  const json::value* value = Get(key);
  if (value == nullptr) {
    if (required) errors_.Add(PathOf(key), "required string is missing");
    return std::nullopt;
  }
  if (!value->is_string()) {
    errors_.Add(PathOf(key), fmt::format("must be a string, got {}", JsonKindName(*value)));
    return std::nullopt;
  }
  return std::string(value->get_string());
}

std::string ObjectReader::StringOr(std::string_view key, std::string_view fallback) {
  auto value = String(key);
  return value ? *value : std::string(fallback);
}

bool ObjectReader::Bool(std::string_view key, bool fallback) {
  const json::value* value = Get(key);
  if (value == nullptr) return fallback;
  if (value->is_bool()) return value->get_bool();
  if (value->is_string()) {
    std::string_view text = value->get_string();
    if (text == "true") return true;
    if (text == "false") return false;
  }
  errors_.Add(PathOf(key), fmt::format("must be true or false, got {}", JsonKindName(*value)));
  return fallback;
}

double ObjectReader::Number(std::string_view key, double fallback, double min, double max) {
  const json::value* value = Get(key);
  if (value == nullptr) return fallback;
  double number = 0;
  if (value->is_number()) {
    number = value->to_number<double>();
  } else if (value->is_string()) {
    std::string_view text = value->get_string();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
      errors_.Add(PathOf(key), fmt::format("must be a number, got \"{}\"", text));
      return fallback;
    }
  } else {
    errors_.Add(PathOf(key), fmt::format("must be a number, got {}", JsonKindName(*value)));
    return fallback;
  }
  if (!std::isfinite(number) || number < min || number > max) {
    errors_.Add(PathOf(key), fmt::format("must be between {} and {}, got {}", min, max, number));
    return fallback;
  }
  return number;
}

int64_t ObjectReader::Integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  const json::value* value = Get(key);
  if (value == nullptr) return fallback;
  int64_t number = 0;
  if (value->is_int64()) {
    number = value->get_int64();
  } else if (value->is_uint64() && value->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    number = static_cast<int64_t>(value->get_uint64());
  } else if (value->is_string()) {
    std::string_view text = value->get_string();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
      errors_.Add(PathOf(key), fmt::format("must be an integer, got \"{}\"", text));
      return fallback;
    }
  } else {
    errors_.Add(PathOf(key), fmt::format("must be an integer, got {}", JsonKindName(*value)));
    return fallback;
  }
  if (number < min || number > max) {
    errors_.Add(PathOf(key), fmt::format("must be between {} and {}, got {}", min, max, number));
    return fallback;
  }
  return number;
}

std::optional<std::vector<std::string>> ObjectReader::StringList(std::string_view key) {
  const json::value* value = Get(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_array()) {
    errors_.Add(PathOf(key), fmt::format("must be an array of strings, got {}",
                                         JsonKindName(*value)));
    return std::nullopt;
  }
  std::vector<std::string> out;
  const auto& array = value->get_array();
  for (size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_string()) {
      errors_.Add(JoinPath(PathOf(key), i),
                  fmt::format("must be a string, got {}", JsonKindName(array[i])));
      continue;
    }
    out.emplace_back(array[i].get_string());
  }
  return out;
}

const json::object* ObjectReader::Object(std::string_view key, bool required) {
  const json::value* value = Get(key);
  if (value == nullptr) {
    if (required) errors_.Add(PathOf(key), "required object is missing");
    return nullptr;
  }
  if (!value->is_object()) {
    errors_.Add(PathOf(key), fmt::format("must be an object, got {}", JsonKindName(*value)));
    return nullptr;
  }
  return &value->get_object();
}

void ObjectReader::Allow(std::initializer_list<std::string_view> keys) {
  for (auto key : keys) known_.emplace(key);
}

void ObjectReader::RejectUnknownKeys(std::string_view what) {
  std::string allowed;
  for (const auto& key : known_) {
    if (!allowed.empty()) allowed += ", ";
    allowed += key;
  }
  for (const auto& member : object_) {
    if (!known_.contains(std::string_view(member.key()))) {
      errors_.Add(PathOf(member.key()),
                  fmt::format("unknown key in {} (allowed: {})", what, allowed));
    }
  }
}

}  // namespace wg
