// The regular expressions of `pattern` and `patternProperties`, run by PCRE2 (not std::regex:
// slow, and its backtracking can take exponential time on hostile input).
//
// Why PCRE2 and not a matcher of our own: it is a maintained Debian library, covers the
// ECMA-262 syntax schemas use (classes, quantifiers, groups, lookaround, \d \w \s in their ASCII
// meaning, \uXXXX and \u{...}), and bounds every match with a step limit, so a pattern such as
// "(a+)+$" cannot stall a worker on a crafted payload: a match that hits the limit fails.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace wg::schema {

class Pattern {
 public:
  enum class Match { kFound, kNotFound, kTooComplex };

  // The compiled pattern, or the compiler's message ("missing closing parenthesis at offset 3").
  static std::variant<Pattern, std::string> Compile(std::string_view source);

  // ECMA-262 semantics: the pattern may match anywhere unless it is anchored with ^ or $.
  Match Search(std::string_view subject) const;
  const std::string& source() const { return *source_; }

 private:
  struct Compiled;
  Pattern(std::shared_ptr<const Compiled> compiled, std::shared_ptr<const std::string> source)
      : compiled_(std::move(compiled)), source_(std::move(source)) {}

  std::shared_ptr<const Compiled> compiled_;
  std::shared_ptr<const std::string> source_;
};

}  // namespace wg::schema
