// Keywords for arrays: items / prefixItems / additionalItems, uniqueItems, contains /
// minContains / maxContains (maxItems and minItems: count_keywords.cpp). Other types pass them.
#include <fmt/format.h>

#include <unordered_map>

#include "config/json_reader.hpp"
#include "schema/json_values.hpp"
#include "schema/keywords.hpp"

namespace wg::schema {
namespace json = boost::json;
namespace {

// Item i is checked by prefix[i] (tuple forms: draft 7's items array, 2020-12's prefixItems) and
// every later item by `rest` (items, or additionalItems after an items array).
class ItemsCheck final : public Check {
 public:
  ItemsCheck(std::vector<const SchemaNode*> prefix, const SchemaNode* rest)
      : prefix_(std::move(prefix)), rest_(rest) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation& evaluation) const override {
    if (!instance.is_array()) return std::nullopt;
    const auto& items = instance.get_array();
    for (size_t i = 0; i < items.size(); ++i) {
      const SchemaNode* schema = i < prefix_.size() ? prefix_[i] : rest_;
      if (schema == nullptr) break;
      if (auto violation = schema->Validate(items[i], at.Item(i), evaluation)) return violation;
    }
    return std::nullopt;
  }

 private:
  std::vector<const SchemaNode*> prefix_;
  const SchemaNode* rest_;
};

class UniqueItemsCheck final : public Check {
 public:
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation&) const override {
    if (!instance.is_array()) return std::nullopt;
    const auto& items = instance.get_array();
    // Buckets by hash: a large array costs O(n), not O(n^2) comparisons.
    std::unordered_multimap<size_t, size_t> seen;
    seen.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      size_t hash = JsonHash(items[i]);
      auto [first, last] = seen.equal_range(hash);
      for (auto it = first; it != last; ++it) {
        if (JsonEqual(items[it->second], items[i])) {
          return Fail(at, "uniqueItems",
                      fmt::format("must not contain equal items (items {} and {} are equal)",
                                  it->second, i));
        }
      }
      seen.emplace(hash, i);
    }
    return std::nullopt;
  }
};

class ContainsCheck final : public Check {
 public:
  ContainsCheck(const SchemaNode* schema, size_t minimum, std::optional<size_t> maximum)
      : schema_(schema), minimum_(minimum), maximum_(maximum) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation& evaluation) const override {
    if (!instance.is_array()) return std::nullopt;
    const auto& items = instance.get_array();
    size_t matching = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      if (schema_->Accepts(items[i], at.Item(i), evaluation)) ++matching;
      if (matching >= minimum_ && !maximum_) return std::nullopt;
    }
    if (matching < minimum_) {
      return Fail(at, "contains",
                  fmt::format("must contain at least {} item{} matching the contains schema",
                              minimum_, minimum_ == 1 ? "" : "s"));
    }
    if (maximum_ && matching > *maximum_) {
      return Fail(at, "maxContains",
                  fmt::format("must contain at most {} items matching the contains schema",
                              *maximum_));
    }
    return std::nullopt;
  }

 private:
  const SchemaNode* schema_;
  size_t minimum_;
  std::optional<size_t> maximum_;
};

// The count under a companion keyword (minContains next to contains), if present and valid.
std::optional<size_t> CompanionCount(const KeywordInput& input, std::string_view name) {
  const json::value* value = input.schema.if_contains(name);
  if (value == nullptr) return std::nullopt;
  return NonNegativeInteger({input.schema, name, *value, input.SiblingPath(name), input.compiler});
}

std::vector<const SchemaNode*> TupleSchemas(const KeywordInput& input, std::string_view name) {
  const json::value& value = input.schema.at(name);
  std::vector<const SchemaNode*> schemas;
  std::string path = input.SiblingPath(name);
  if (!value.is_array()) {
    input.Error(path, fmt::format("must be an array of schemas, got {}", JsonKindName(value)));
    return schemas;
  }
  for (size_t i = 0; i < value.get_array().size(); ++i) {
    schemas.push_back(input.compiler.Subschema(value.get_array()[i], JoinPath(path, i), name,
                                               Applies::kToPart));
  }
  return schemas;
}

}  // namespace

std::unique_ptr<Check> BuildItems(const KeywordInput& input) {
  if (!IsFirstOf(input, {"prefixItems", "items", "additionalItems"})) return nullptr;
  const json::value* items = input.schema.if_contains("items");
  std::vector<const SchemaNode*> prefix;
  const SchemaNode* rest = nullptr;
  if (input.schema.contains("prefixItems")) {
    prefix = TupleSchemas(input, "prefixItems");
    if (items != nullptr && items->is_array()) {
      input.Error(input.SiblingPath("items"), "must be a schema when prefixItems is present");
      return nullptr;
    }
    rest = CompanionSchema(input, "items", Applies::kToPart);
  } else if (items != nullptr && items->is_array()) {
    prefix = TupleSchemas(input, "items");
    rest = CompanionSchema(input, "additionalItems", Applies::kToPart);
  } else {
    // additionalItems alone means nothing (draft 7): every item is already allowed.
    rest = CompanionSchema(input, "items", Applies::kToPart);
  }
  if (prefix.empty() && rest == nullptr) return nullptr;
  return std::make_unique<ItemsCheck>(std::move(prefix), rest);
}

std::unique_ptr<Check> BuildUniqueItems(const KeywordInput& input) {
  if (!input.value.is_bool()) {
    input.Error(fmt::format("must be a boolean, got {}", JsonKindName(input.value)));
    return nullptr;
  }
  if (!input.value.get_bool()) return nullptr;
  return std::make_unique<UniqueItemsCheck>();
}

std::unique_ptr<Check> BuildContains(const KeywordInput& input) {
  if (!IsFirstOf(input, {"contains", "minContains", "maxContains"})) return nullptr;
  const SchemaNode* schema = CompanionSchema(input, "contains", Applies::kToPart);
  std::optional<size_t> minimum = CompanionCount(input, "minContains");
  std::optional<size_t> maximum = CompanionCount(input, "maxContains");
  if (schema == nullptr) return nullptr;  // minContains / maxContains alone mean nothing
  return std::make_unique<ContainsCheck>(schema, minimum.value_or(1), maximum);
}

}  // namespace wg::schema
