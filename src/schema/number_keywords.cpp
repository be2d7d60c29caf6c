// Keywords for numbers: multipleOf, maximum, exclusiveMaximum, minimum, exclusiveMinimum.
// Other types pass them, as the specification says.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "config/json_reader.hpp"
#include "schema/json_values.hpp"
#include "schema/keywords.hpp"

namespace wg::schema {
namespace json = boost::json;
namespace {

bool IsMultiple(const json::value& instance, const json::value& divisor) {
  if (instance.is_int64() && divisor.is_int64()) return instance.get_int64() % divisor.get_int64() == 0;
  double quotient = instance.to_number<double>() / divisor.to_number<double>();
  if (!std::isfinite(quotient)) return false;
  // Decimal divisors such as 0.01 are not exact in binary: allow the rounding error of a division.
  return std::abs(quotient - std::round(quotient)) <= 1e-9 * std::max(1.0, std::abs(quotient));
}

class MultipleOfCheck final : public Check {
 public:
  explicit MultipleOfCheck(json::value divisor) : divisor_(std::move(divisor)) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation&) const override {
    if (!instance.is_number() || IsMultiple(instance, divisor_)) return std::nullopt;
    return Fail(at, "multipleOf",
                fmt::format("must be a multiple of {}", NumberText(divisor_)));
  }

 private:
  json::value divisor_;
};

struct Bound {
  std::string_view keyword;
  std::string_view relation;  // as the message says it
  bool (*holds)(int comparison);
};

constexpr Bound kBounds[] = {
    {"maximum", "<=", [](int c) { return c <= 0; }},
    {"exclusiveMaximum", "<", [](int c) { return c < 0; }},
    {"minimum", ">=", [](int c) { return c >= 0; }},
    {"exclusiveMinimum", ">", [](int c) { return c > 0; }},
};

class BoundCheck final : public Check {
 public:
  BoundCheck(const Bound& bound, json::value limit) : bound_(bound), limit_(std::move(limit)) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation&) const override {
    if (!instance.is_number() || bound_.holds(CompareNumbers(instance, limit_))) {
      return std::nullopt;
    }
    return Fail(at, bound_.keyword,
                fmt::format("must be {} {}", bound_.relation, NumberText(limit_)));
  }

 private:
  const Bound& bound_;
  json::value limit_;
};

}  // namespace

std::unique_ptr<Check> BuildMultipleOf(const KeywordInput& input) {
  if (!input.value.is_number() || input.value.to_number<double>() <= 0) {
    input.Error(fmt::format("must be a number greater than 0, got {}",
                            input.value.is_number() ? NumberText(input.value)
                                                    : std::string(JsonKindName(input.value))));
    return nullptr;
  }
  return std::make_unique<MultipleOfCheck>(input.value);
}

std::unique_ptr<Check> BuildBound(const KeywordInput& input) {
  if (!input.value.is_number()) {
    std::string hint = input.value.is_bool() ? " (the boolean form of draft 4 is not supported: "
                                               "write the limit itself)"
                                             : "";
    input.Error(fmt::format("must be a number, got {}{}", JsonKindName(input.value), hint));
    return nullptr;
  }
  for (const auto& bound : kBounds) {
    if (bound.keyword == input.name) return std::make_unique<BoundCheck>(bound, input.value);
  }
  return nullptr;
}

}  // namespace wg::schema
