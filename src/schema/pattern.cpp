#define PCRE2_CODE_UNIT_WIDTH 8
#include "schema/pattern.hpp"

#include <fmt/format.h>
#include <pcre2.h>

namespace wg::schema {
namespace {

// Backtracking steps one match may take: far above what a sane pattern needs on a 1 MiB string,
// far below what an exponential one would (2^30 steps for "(a+)+$" on 30 letters).
constexpr uint32_t kMatchLimit = 1'000'000;
constexpr uint32_t kDepthLimit = 10'000;

// ECMA-262 differences from Perl that PCRE2 can switch off: "$" only at the very end, \u escapes,
// a back reference to a group that did not take part matches the empty string.
constexpr uint32_t kCompileOptions =
    PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX | PCRE2_MATCH_UNSET_BACKREF;

}  // namespace

struct Pattern::Compiled {
  pcre2_code* code = nullptr;
  pcre2_match_context* context = nullptr;
  ~Compiled() {
    pcre2_match_context_free(context);
    pcre2_code_free(code);
  }
};

std::variant<Pattern, std::string> Pattern::Compile(std::string_view source) {
  auto compiled = std::make_shared<Compiled>();
  pcre2_compile_context* compile_context = pcre2_compile_context_create(nullptr);
  pcre2_set_compile_extra_options(compile_context, PCRE2_EXTRA_ALT_BSUX);
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  compiled->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(source.data()), source.size(),
                                 kCompileOptions, &error_code, &error_offset, compile_context);
  pcre2_compile_context_free(compile_context);
  if (compiled->code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof message);
    return fmt::format("{} at offset {}", reinterpret_cast<const char*>(message), error_offset);
  }
  compiled->context = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(compiled->context, kMatchLimit);
  pcre2_set_depth_limit(compiled->context, kDepthLimit);
  return Pattern(std::move(compiled), std::make_shared<const std::string>(source));
}

Pattern::Match Pattern::Search(std::string_view subject) const {
  // Match data per call: one compiled pattern is shared by every I/O thread.
  pcre2_match_data* data = pcre2_match_data_create_from_pattern(compiled_->code, nullptr);
  int rc = pcre2_match(compiled_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()),
                       subject.size(), 0, 0, data, compiled_->context);
  pcre2_match_data_free(data);
  if (rc >= 0) return Match::kFound;
  if (rc == PCRE2_ERROR_NOMATCH) return Match::kNotFound;
  // The step, depth or heap limit, or a subject that is not UTF-8: fail rather than guess.
  return Match::kTooComplex;
}

}  // namespace wg::schema
