// Keywords for strings: pattern, format (maxLength and minLength: count_keywords.cpp).
// Other types pass them, as the specification says.
#include <fmt/format.h>

#include <variant>

#include "config/json_reader.hpp"
#include "schema/format.hpp"
#include "schema/keywords.hpp"
#include "schema/pattern.hpp"

namespace wg::schema {
namespace json = boost::json;
namespace {

class PatternCheck final : public Check {
 public:
  explicit PatternCheck(Pattern pattern) : pattern_(std::move(pattern)) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation&) const override {
    if (!instance.is_string()) return std::nullopt;
    switch (pattern_.Search(instance.get_string())) {
      case Pattern::Match::kFound:
        return std::nullopt;
      case Pattern::Match::kNotFound:
        return Fail(at, "pattern", fmt::format("must match the pattern \"{}\"", pattern_.source()));
      case Pattern::Match::kTooComplex:
        break;
    }
    return Fail(at, "pattern",
                fmt::format("matching the pattern \"{}\" took too many steps", pattern_.source()));
  }

 private:
  Pattern pattern_;
};

class FormatCheck final : public Check {
 public:
  explicit FormatCheck(std::string format) : format_(std::move(format)) {}
  std::optional<Violation> Validate(const json::value& instance, const InstanceLocation& at,
                                    Evaluation&) const override {
    if (!instance.is_string() || MatchesFormat(format_, instance.get_string())) {
      return std::nullopt;
    }
    return Fail(at, "format", fmt::format("must be a valid {}", format_));
  }

 private:
  std::string format_;
};

}  // namespace

std::optional<Pattern> CompilePattern(const KeywordInput& input, const json::value& source,
                                      const std::string& path) {
  if (!source.is_string()) {
    input.Error(path, fmt::format("must be a regular expression string, got {}",
                                  JsonKindName(source)));
    return std::nullopt;
  }
  auto compiled = Pattern::Compile(source.get_string());
  if (auto* error = std::get_if<std::string>(&compiled)) {
    input.Error(path, fmt::format("invalid regular expression \"{}\": {}",
                                  std::string_view(source.get_string()), *error));
    return std::nullopt;
  }
  return std::get<Pattern>(std::move(compiled));
}

std::unique_ptr<Check> BuildPattern(const KeywordInput& input) {
  std::optional<Pattern> pattern = CompilePattern(input, input.value, input.path);
  if (!pattern) return nullptr;
  return std::make_unique<PatternCheck>(std::move(*pattern));
}

std::unique_ptr<Check> BuildFormat(const KeywordInput& input) {
  if (!input.value.is_string()) {
    input.Error(fmt::format("must be a format name, got {}", JsonKindName(input.value)));
    return nullptr;
  }
  std::string format(input.value.get_string());
  if (!IsCheckedFormat(format)) {
    input.compiler.Warn(input.path, fmt::format("format \"{}\" is not checked", format));
    return nullptr;
  }
  return std::make_unique<FormatCheck>(std::move(format));
}

}  // namespace wg::schema
