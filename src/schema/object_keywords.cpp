// Keywords for objects: properties / patternProperties / additionalProperties, required,
// propertyNames, dependencies / dependentRequired / dependentSchemas (maxProperties and
// minProperties: count_keywords.cpp). Other types pass them, as the specification says.
#include <fmt/format.h>

#include <map>
#include <utility>

#include "config/json_reader.hpp"
#include "schema/keywords.hpp"

namespace wg::schema {
namespace json = boost::json;
namespace {

// Each member is checked by its `properties` schema and every matching `patternProperties`
// schema; a member that none of them names is checked by additionalProperties.
class PropertiesCheck final : public Check {
 public:
  PropertiesCheck(std::map<std::string, const SchemaNode*, std::less<>> named,
                  std::vector<std::pair<Pattern, const SchemaNode*>> patterned,
                  const SchemaNode* additional)
      : named_(std::move(named)), patterned_(std::move(patterned)), additional_(additional) {}

  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation& evaluation) const override {
    if (!instance.is_object()) return std::nullopt;
    for (const auto& member : instance.get_object()) {
      InstanceLocation location = at.Member(member.key());
      bool named = false;
      if (auto found = named_.find(member.key()); found != named_.end()) {
        named = true;
        if (auto violation = found->second->Validate(member.value(), location, evaluation)) {
          return violation;
        }
      }
      for (const auto& [pattern, schema] : patterned_) {
        Pattern::Match match = pattern.Search(member.key());
        if (match == Pattern::Match::kTooComplex) {
          return Fail(location, "patternProperties",
                      fmt::format("matching the property name against \"{}\" took too many steps",
                                  pattern.source()));
        }
        if (match == Pattern::Match::kNotFound) continue;
        named = true;
        if (auto violation = schema->Validate(member.value(), location, evaluation)) {
          return violation;
        }
      }
      if (!named && additional_ != nullptr) {
        if (auto violation = additional_->Validate(member.value(), location, evaluation)) {
          return violation;
        }
      }
    }
    return std::nullopt;
  }

 private:
  std::map<std::string, const SchemaNode*, std::less<>> named_;
  std::vector<std::pair<Pattern, const SchemaNode*>> patterned_;
  const SchemaNode* additional_;
};

class RequiredCheck final : public Check {
 public:
  explicit RequiredCheck(std::vector<std::string> names) : names_(std::move(names)) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation&) const override {
    if (!instance.is_object()) return std::nullopt;
    for (const auto& name : names_) {
      if (!instance.get_object().contains(name)) {
        return Fail(at, "required", fmt::format("missing required property \"{}\"", name));
      }
    }
    return std::nullopt;
  }

 private:
  std::vector<std::string> names_;
};

class PropertyNamesCheck final : public Check {
 public:
  explicit PropertyNamesCheck(const SchemaNode* schema) : schema_(schema) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation& evaluation) const override {
    if (!instance.is_object()) return std::nullopt;
    for (const auto& member : instance.get_object()) {
      json::value name(member.key());
      if (auto violation = schema_->Validate(name, at, evaluation)) {
        return Fail(at, "propertyNames",
                    fmt::format("property name \"{}\" is invalid: {} ({})",
                                std::string_view(member.key()), violation->message,
                                violation->keyword));
      }
    }
    return std::nullopt;
  }

 private:
  const SchemaNode* schema_;
};

// When `property` is present, the object must also have `required` and match `schema`.
struct Dependency {
  std::string property;
  std::vector<std::string> required;
  const SchemaNode* schema = nullptr;
};

class DependenciesCheck final : public Check {
 public:
  DependenciesCheck(std::string keyword, std::vector<Dependency> dependencies)
      : keyword_(std::move(keyword)), dependencies_(std::move(dependencies)) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation& evaluation) const override {
    if (!instance.is_object()) return std::nullopt;
    const auto& object = instance.get_object();
    for (const auto& dependency : dependencies_) {
      if (!object.contains(dependency.property)) continue;
      for (const auto& name : dependency.required) {
        if (!object.contains(name)) {
          return Fail(at, keyword_, fmt::format("property \"{}\" requires property \"{}\"",
                                                dependency.property, name));
        }
      }
      if (dependency.schema == nullptr) continue;
      if (auto violation = dependency.schema->Validate(instance, at, evaluation)) return violation;
    }
    return std::nullopt;
  }

 private:
  std::string keyword_;
  std::vector<Dependency> dependencies_;
};

// An array of property names: required, dependentRequired's values.
std::optional<std::vector<std::string>> NameList(const KeywordInput& input,
                                                 const json::value& value,
                                                 const std::string& path) {
  if (!value.is_array()) {
    input.Error(path, fmt::format("must be an array of property names, got {}",
                                  JsonKindName(value)));
    return std::nullopt;
  }
  std::vector<std::string> names;
  bool ok = true;
  for (size_t i = 0; i < value.get_array().size(); ++i) {
    const json::value& name = value.get_array()[i];
    if (!name.is_string()) {
      input.Error(JoinPath(path, i),
                  fmt::format("must be a property name, got {}", JsonKindName(name)));
      ok = false;
    } else {
      names.emplace_back(name.get_string());
    }
  }
  if (!ok) return std::nullopt;
  return names;
}

const json::object* ObjectValue(const KeywordInput& input, std::string_view name,
                                std::string_view what) {
  const json::value* value = input.schema.if_contains(name);
  if (value == nullptr) return nullptr;
  if (!value->is_object()) {
    input.Error(input.SiblingPath(name),
                fmt::format("must be an object of {}, got {}", what, JsonKindName(*value)));
    return nullptr;
  }
  return &value->get_object();
}

}  // namespace

std::unique_ptr<Check> BuildProperties(const KeywordInput& input) {
  if (!IsFirstOf(input, {"properties", "patternProperties", "additionalProperties"})) {
    return nullptr;
  }
  std::map<std::string, const SchemaNode*, std::less<>> named;
  if (const json::object* properties = ObjectValue(input, "properties", "schemas")) {
    for (const auto& member : *properties) {
      named[std::string(member.key())] = input.compiler.Subschema(
          member.value(), JoinPath(input.SiblingPath("properties"), member.key()), "properties",
          Applies::kToPart);
    }
  }
  std::vector<std::pair<Pattern, const SchemaNode*>> patterned;
  if (const json::object* patterns = ObjectValue(input, "patternProperties", "schemas")) {
    for (const auto& member : *patterns) {
      std::string path = JoinPath(input.SiblingPath("patternProperties"), member.key());
      std::optional<Pattern> pattern = CompilePattern(input, json::value(member.key()), path);
      const SchemaNode* schema = input.compiler.Subschema(member.value(), path,
                                                          "patternProperties", Applies::kToPart);
      if (pattern) patterned.emplace_back(std::move(*pattern), schema);
    }
  }
  const SchemaNode* additional = CompanionSchema(input, "additionalProperties", Applies::kToPart);
  return std::make_unique<PropertiesCheck>(std::move(named), std::move(patterned), additional);
}

std::unique_ptr<Check> BuildRequired(const KeywordInput& input) {
  auto names = NameList(input, input.value, input.path);
  if (!names || names->empty()) return nullptr;
  return std::make_unique<RequiredCheck>(std::move(*names));
}

std::unique_ptr<Check> BuildPropertyNames(const KeywordInput& input) {
  const SchemaNode* schema =
      input.compiler.Subschema(input.value, input.path, input.name, Applies::kToPart);
  return std::make_unique<PropertyNamesCheck>(schema);
}

std::unique_ptr<Check> BuildDependencies(const KeywordInput& input) {
  // dependencies (draft 7): each value a list of names or a schema; dependentRequired only
  // lists, dependentSchemas only schemas (2019-09).
  const bool lists = input.name != "dependentSchemas";
  const bool schemas = input.name != "dependentRequired";
  const json::object* entries = ObjectValue(input, input.name, "dependencies");
  if (entries == nullptr) return nullptr;
  std::vector<Dependency> dependencies;
  for (const auto& member : *entries) {
    std::string path = input.PathOf(member.key());
    Dependency dependency{std::string(member.key()), {}, nullptr};
    if (lists && member.value().is_array()) {
      auto names = NameList(input, member.value(), path);
      if (names) dependency.required = std::move(*names);
    } else if (schemas) {
      dependency.schema =
          input.compiler.Subschema(member.value(), path, input.name, Applies::kInPlace);
    } else {
      input.Error(path, fmt::format("must be an array of property names, got {}",
                                    JsonKindName(member.value())));
    }
    dependencies.push_back(std::move(dependency));
  }
  return std::make_unique<DependenciesCheck>(std::string(input.name), std::move(dependencies));
}

}  // namespace wg::schema
