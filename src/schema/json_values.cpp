#include "schema/json_values.hpp"

#include <fmt/format.h>

#include <cmath>
#include <functional>

namespace wg::schema {
namespace json = boost::json;
namespace {

// long double holds every int64 and uint64 exactly on x86-64 (64-bit mantissa).
long double AsLongDouble(const json::value& number) {
  switch (number.kind()) {
    case json::kind::int64: return static_cast<long double>(number.get_int64());
    case json::kind::uint64: return static_cast<long double>(number.get_uint64());
    default: return static_cast<long double>(number.get_double());
  }
}

size_t Mix(size_t seed, size_t value) {
  return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

}  // namespace

int CompareNumbers(const json::value& a, const json::value& b) {
  if (a.is_int64() && b.is_int64()) {
    return a.get_int64() < b.get_int64() ? -1 : (a.get_int64() > b.get_int64() ? 1 : 0);
  }
  long double x = AsLongDouble(a);
  long double y = AsLongDouble(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool IsInteger(const json::value& value) {
  if (value.is_int64() || value.is_uint64()) return true;
  if (!value.is_double()) return false;
  double number = value.get_double();
  return std::isfinite(number) && std::floor(number) == number;
}

std::string_view SchemaTypeOf(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return IsInteger(value) ? "integer" : "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "null";
}

bool JsonEqual(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b) == 0;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::array: {
      const auto& x = a.get_array();
      const auto& y = b.get_array();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!JsonEqual(x[i], y[i])) return false;
      }
      return true;
    }
    case json::kind::object: {
      const auto& x = a.get_object();
      const auto& y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& member : x) {
        const json::value* other = y.if_contains(member.key());
        if (other == nullptr || !JsonEqual(member.value(), *other)) return false;
      }
      return true;
    }
    default:
      return a == b;
  }
}

size_t JsonHash(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null: return 0x6e756c6cULL;
    case json::kind::bool_: return value.get_bool() ? 3 : 5;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      // Equal numbers of different kinds (1 and 1.0) must hash alike.
      return std::hash<long double>{}(AsLongDouble(value));
    case json::kind::string:
      return std::hash<std::string_view>{}(value.get_string());
    case json::kind::array: {
      size_t seed = 0xa77a7;
      for (const auto& item : value.get_array()) seed = Mix(seed, JsonHash(item));
      return seed;
    }
    case json::kind::object: {
      size_t sum = 0x0b1ec7;  // a sum: member order does not matter
      for (const auto& member : value.get_object()) {
        sum += Mix(std::hash<std::string_view>{}(member.key()), JsonHash(member.value()));
      }
      return sum;
    }
  }
  return 0;
}

std::string NumberText(const json::value& number) {
  switch (number.kind()) {
    case json::kind::int64: return std::to_string(number.get_int64());
    case json::kind::uint64: return std::to_string(number.get_uint64());
    default: return fmt::format("{}", number.to_number<double>());
  }
}

std::string ShortJson(const json::value& value, size_t max_chars) {
  std::string text = json::serialize(value);
  if (text.size() > max_chars) {
    size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    text += "...";
  }
  return text;
}

}  // namespace wg::schema
