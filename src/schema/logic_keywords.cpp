// Keywords that combine schemas on the same value: allOf, anyOf, oneOf, not, if / then / else,
// and $ref (local references only, resolved once at compile time).
#include <fmt/format.h>

#include "config/json_reader.hpp"
#include "schema/keywords.hpp"

namespace wg::schema {
namespace json = boost::json;
namespace {

// allOf: the first failure of any; anyOf: one must pass; oneOf: exactly one must pass.
class CombinationCheck final : public Check {
 public:
  CombinationCheck(std::string keyword, std::vector<const SchemaNode*> schemas)
      : keyword_(std::move(keyword)), schemas_(std::move(schemas)) {}

  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation& evaluation) const override {
    if (keyword_ == "allOf") {
      for (const SchemaNode* schema : schemas_) {
        if (auto violation = schema->Validate(instance, at, evaluation)) return violation;
      }
      return std::nullopt;
    }
    std::optional<size_t> first;
    for (size_t i = 0; i < schemas_.size(); ++i) {
      if (!schemas_[i]->Accepts(instance, at, evaluation)) continue;
      if (keyword_ == "anyOf") return std::nullopt;
      if (first) {
        return Fail(at, keyword_, fmt::format("must match exactly one of the {} oneOf schemas, "
                                              "but matches schemas {} and {}",
                                              schemas_.size(), *first, i));
      }
      first = i;
    }
    if (first) return std::nullopt;
    if (keyword_ == "anyOf") {
      return Fail(at, keyword_, fmt::format("must match at least one of the {} anyOf schemas",
                                            schemas_.size()));
    }
    return Fail(at, keyword_, fmt::format("must match exactly one of the {} oneOf schemas, but "
                                          "matches none", schemas_.size()));
  }

 private:
  std::string keyword_;
  std::vector<const SchemaNode*> schemas_;
};

class NotCheck final : public Check {
 public:
  explicit NotCheck(const SchemaNode* schema) : schema_(schema) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation& evaluation) const override {
    if (!schema_->Accepts(instance, at, evaluation)) return std::nullopt;
    return Fail(at, "not", "must not match the \"not\" schema");
  }

 private:
  const SchemaNode* schema_;
};

// then / else may be absent (null): that branch then accepts everything.
class IfCheck final : public Check {
 public:
  IfCheck(const SchemaNode* condition, const SchemaNode* then, const SchemaNode* otherwise)
      : condition_(condition), then_(then), else_(otherwise) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation& evaluation) const override {
    const SchemaNode* branch = condition_->Accepts(instance, at, evaluation) ? then_ : else_;
    if (branch == nullptr) return std::nullopt;
    return branch->Validate(instance, at, evaluation);
  }

 private:
  const SchemaNode* condition_;
  const SchemaNode* then_;
  const SchemaNode* else_;
};

class RefCheck final : public Check {
 public:
  explicit RefCheck(const SchemaNode* target) : target_(target) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation& evaluation) const override {
    return target_->Validate(instance, at, evaluation);
  }

 private:
  const SchemaNode* target_;
};

}  // namespace

std::unique_ptr<Check> BuildCombination(const KeywordInput& input) {
  auto schemas = SchemaArray(input, Applies::kInPlace);
  if (schemas.empty()) return nullptr;
  return std::make_unique<CombinationCheck>(std::string(input.name), std::move(schemas));
}

std::unique_ptr<Check> BuildNot(const KeywordInput& input) {
  return std::make_unique<NotCheck>(
      input.compiler.Subschema(input.value, input.path, input.name, Applies::kInPlace));
}

std::unique_ptr<Check> BuildIf(const KeywordInput& input) {
  if (!IsFirstOf(input, {"if", "then", "else"})) return nullptr;
  const SchemaNode* condition = CompanionSchema(input, "if", Applies::kInPlace);
  const SchemaNode* then = CompanionSchema(input, "then", Applies::kInPlace);
  const SchemaNode* otherwise = CompanionSchema(input, "else", Applies::kInPlace);
  if (condition == nullptr) return nullptr;  // then / else without if mean nothing
  return std::make_unique<IfCheck>(condition, then, otherwise);
}

std::unique_ptr<Check> BuildRef(const KeywordInput& input) {
  if (!input.value.is_string()) {
    input.Error(fmt::format("must be a reference string such as \"#/$defs/name\", got {}",
                            JsonKindName(input.value)));
    return nullptr;
  }
  const SchemaNode* target = input.compiler.Reference(input.value.get_string(), input.path);
  if (target == nullptr) return nullptr;
  return std::make_unique<RefCheck>(target);
}

}  // namespace wg::schema
