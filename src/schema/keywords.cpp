// Helpers shared by the keyword builders.
#include <fmt/format.h>

#include <cmath>

#include "config/json_reader.hpp"
#include "schema/keywords.hpp"

namespace wg::schema {

bool IsFirstOf(const KeywordInput& input, std::initializer_list<std::string_view> group) {
  for (const auto& member : input.schema) {
    for (auto name : group) {
      if (member.key() == name) return name == input.name;
    }
  }
  return false;
}

std::optional<size_t> NonNegativeInteger(const KeywordInput& input) {
  const auto& value = input.value;
  if (value.is_int64() && value.get_int64() >= 0) return static_cast<size_t>(value.get_int64());
  if (value.is_uint64()) return static_cast<size_t>(value.get_uint64());
  if (value.is_double() && value.get_double() >= 0 && value.get_double() < 1e18 &&
      std::floor(value.get_double()) == value.get_double()) {
    return static_cast<size_t>(value.get_double());
  }
  input.Error(fmt::format("must be a non-negative integer, got {}", JsonKindName(value)));
  return std::nullopt;
}

std::vector<const SchemaNode*> SchemaArray(const KeywordInput& input, Applies applies) {
  std::vector<const SchemaNode*> nodes;
  if (!input.value.is_array() || input.value.get_array().empty()) {
    input.Error(fmt::format("must be a non-empty array of schemas, got {}",
                            input.value.is_array() ? "an empty array" : JsonKindName(input.value)));
    return nodes;
  }
  const auto& array = input.value.get_array();
  for (size_t i = 0; i < array.size(); ++i) {
    nodes.push_back(input.compiler.Subschema(array[i], input.PathOf(i), input.name, applies));
  }
  return nodes;
}

const SchemaNode* CompanionSchema(const KeywordInput& input, std::string_view name,
                                  Applies applies) {
  const boost::json::value* value = input.schema.if_contains(name);
  if (value == nullptr) return nullptr;
  return input.compiler.Subschema(*value, input.SiblingPath(name), name, applies);
}

}  // namespace wg::schema
