// Keywords for values of any type: type, enum, const.
#include <fmt/format.h>

#include <array>

#include "config/json_reader.hpp"
#include "schema/json_values.hpp"
#include "schema/keywords.hpp"

namespace wg::schema {
namespace json = boost::json;
namespace {

constexpr std::array<std::string_view, 7> kTypeNames = {"null",   "boolean", "integer", "number",
                                                        "string", "array",   "object"};

class TypeCheck final : public Check {
 public:
  explicit TypeCheck(std::vector<std::string> types) : types_(std::move(types)) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation&) const override {
    std::string_view actual = SchemaTypeOf(instance);
    for (const auto& type : types_) {
      if (type == actual || (type == "number" && actual == "integer")) return std::nullopt;
    }
    std::string expected;
    for (const auto& type : types_) {
      expected += expected.empty() ? "" : " or ";
      expected += fmt::format("\"{}\"", type);
    }
    return Fail(at, "type", fmt::format("must be of type {} (got \"{}\")", expected, actual));
  }

 private:
  std::vector<std::string> types_;
};

class EnumCheck final : public Check {
 public:
  explicit EnumCheck(json::value values) : values_(std::move(values)) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation&) const override {
    for (const auto& value : values_.get_array()) {
      if (JsonEqual(instance, value)) return std::nullopt;
    }
    return Fail(at, "enum", fmt::format("must be one of {}", ShortJson(values_)));
  }

 private:
  json::value values_;  // an array
};

class ConstCheck final : public Check {
 public:
  explicit ConstCheck(json::value value) : value_(std::move(value)) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation&) const override {
    if (JsonEqual(instance, value_)) return std::nullopt;
    return Fail(at, "const", fmt::format("must be {}", ShortJson(value_)));
  }

 private:
  json::value value_;
};

bool IsTypeName(std::string_view name) {
  for (auto known : kTypeNames) {
    if (known == name) return true;
  }
  return false;
}

}  // namespace

std::unique_ptr<Check> BuildType(const KeywordInput& input) {
  std::vector<std::string> types;
  bool ok = true;
  auto add = [&](const json::value& name, const std::string& path) {
    if (!name.is_string()) {
      input.Error(path, fmt::format("must be a type name, got {}", JsonKindName(name)));
      ok = false;
    } else if (!IsTypeName(name.get_string())) {
      input.Error(path, fmt::format("unknown type \"{}\" (known: array, boolean, integer, null, "
                                    "number, object, string)", std::string_view(name.get_string())));
      ok = false;
    } else {
      types.emplace_back(name.get_string());
    }
  };
  if (input.value.is_array()) {
    const auto& names = input.value.get_array();
    if (names.empty()) input.Error("must name at least one type");
    for (size_t i = 0; i < names.size(); ++i) add(names[i], input.PathOf(i));
    ok = ok && !names.empty();
  } else {
    add(input.value, input.path);
  }
  if (!ok) return nullptr;
  return std::make_unique<TypeCheck>(std::move(types));
}

std::unique_ptr<Check> BuildEnum(const KeywordInput& input) {
  if (!input.value.is_array()) {
    input.Error(fmt::format("must be an array of the allowed values, got {}",
                            JsonKindName(input.value)));
    return nullptr;
  }
  return std::make_unique<EnumCheck>(input.value);
}

std::unique_ptr<Check> BuildConst(const KeywordInput& input) {
  return std::make_unique<ConstCheck>(input.value);
}

}  // namespace wg::schema
