#include "auth/authorization.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace wg {
namespace {

constexpr std::string_view kBearer = "Bearer ";
constexpr size_t kMaxHeaderLength = 8192;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view TrimRight(std::string_view text) {
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  return TrimRight(text);
}

}  // namespace

std::optional<AuthorizationRule> AuthorizationRule::FromConfig(std::string_view value) {
  if (Trim(value).empty()) return std::nullopt;
  if (value.starts_with(kBearer)) {
    return AuthorizationRule(true, Trim(value.substr(kBearer.size())));
  }
  return AuthorizationRule(false, Trim(value));
}

AuthResult AuthorizationRule::Check(std::optional<std::string_view> header) const {
  std::string_view value = header.value_or("");
  if (std::any_of(value.begin(), value.end(),
                  [](char c) { return c == '\r' || c == '\n' || c == '\0'; })) {
    return AuthResult::Fail("Invalid header format: contains forbidden character",
                            "forbidden_character");
  }
  if (value.size() > kMaxHeaderLength) {
    return AuthResult::Fail(
        fmt::format("Header too long: {} characters (max: {})", value.size(), kMaxHeaderLength),
        "header_too_long");
  }
  if (!bearer_) {
    if (!header || !secret_.Matches(Trim(value))) {
      return AuthResult::Fail("Unauthorized", "invalid_token");
    }
    return AuthResult::Ok();
  }
  if (!value.starts_with(kBearer)) {
    return AuthResult::Fail("Invalid Bearer token format: must start with 'Bearer '",
                            "bad_scheme");
  }
  std::string_view token = value.substr(kBearer.size());
  if (token.empty()) {
    return AuthResult::Fail("Invalid Bearer token format: token cannot be empty", "empty_token");
  }
  if (Trim(token).empty()) {
    return AuthResult::Fail("Invalid Bearer token format: token cannot be whitespace only",
                            "empty_token");
  }
  if (IsSpace(token.front())) {
    return AuthResult::Fail("Invalid Bearer token format: token cannot start with whitespace",
                            "bad_scheme");
  }
  if (!secret_.Matches(TrimRight(token))) {
    return AuthResult::Fail("Unauthorized", "invalid_token");
  }
  return AuthResult::Ok();
}

}  // namespace wg
