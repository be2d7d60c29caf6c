// The parameter list of an `Authorization: <scheme> k=v, k="v", ...` header (RFC 9110 §11.2), as
// Digest (RFC 7616) and OAuth 1.0 (RFC 5849 §3.5.1) send it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wg {

struct AuthParams {
  std::vector<std::pair<std::string, std::string>> items;  // in order, quotes and escapes removed

  const std::string* Find(std::string_view name) const;
};

enum class ParamNames { kAsSent, kLowerCase };  // Digest's names are case-insensitive

// Parses what follows the scheme and its space. nullopt when the list is malformed (no '=', an
// unterminated quoted string, junk after a value) or names one parameter twice: both RFCs
// forbid repeats, and accepting them would leave it open which one was checked.
std::optional<AuthParams> ParseAuthParams(std::string_view text, ParamNames names);

}  // namespace wg
