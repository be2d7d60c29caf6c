// Keywords that bound a count: maxLength / minLength (code points of a string, not bytes),
// maxItems / minItems, maxProperties / minProperties. Other types pass them.
#include <fmt/format.h>

#include "schema/json_values.hpp"
#include "schema/keywords.hpp"
#include "util/utf8.hpp"

namespace wg::schema {
namespace json = boost::json;
namespace {

struct CountBound {
  std::string_view keyword;
  bool is_maximum;
  std::string_view noun;  // what is counted, for the message
  // The count, or nullopt when the keyword does not apply to this type.
  std::optional<size_t> (*count)(const json::value& instance);
};

std::optional<size_t> Characters(const json::value& instance) {
  if (!instance.is_string()) return std::nullopt;
  return CountCodePoints(instance.get_string());
}

std::optional<size_t> Items(const json::value& instance) {
  if (!instance.is_array()) return std::nullopt;
  return instance.get_array().size();
}

std::optional<size_t> Properties(const json::value& instance) {
  if (!instance.is_object()) return std::nullopt;
  return instance.get_object().size();
}

constexpr CountBound kCountBounds[] = {
    {"maxLength", true, "characters", Characters},
    {"minLength", false, "characters", Characters},
    {"maxItems", true, "items", Items},
    {"minItems", false, "items", Items},
    {"maxProperties", true, "properties", Properties},
    {"minProperties", false, "properties", Properties},
};

class CountCheck final : public Check {
 public:
  CountCheck(const CountBound& bound, size_t limit) : bound_(bound), limit_(limit) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation&) const override {
    std::optional<size_t> count = bound_.count(instance);
    if (!count || (bound_.is_maximum ? *count <= limit_ : *count >= limit_)) return std::nullopt;
    return Fail(at, bound_.keyword, fmt::format("must have at {} {} {}",
                                                bound_.is_maximum ? "most" : "least", limit_,
                                                bound_.noun));
  }

 private:
  const CountBound& bound_;
  size_t limit_;
};

}  // namespace

std::unique_ptr<Check> BuildCount(const KeywordInput& input) {
  std::optional<size_t> limit = NonNegativeInteger(input);
  if (!limit) return nullptr;
  for (const auto& bound : kCountBounds) {
    if (bound.keyword == input.name) return std::make_unique<CountCheck>(bound, *limit);
  }
  return nullptr;
}

}  // namespace wg::schema
