#include "auth/auth_params.hpp"

namespace wg {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// RFC 9110 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  for (char allowed : std::string_view("!#$%&'*+-.^_`|~")) {
    if (c == allowed) return true;
  }
  return false;
}

void SkipSpace(std::string_view text, size_t& at) {
  while (at < text.size() && IsSpace(text[at])) ++at;
}

std::string_view Token(std::string_view text, size_t& at) {
  size_t start = at;
  while (at < text.size() && IsTokenChar(text[at])) ++at;
  return text.substr(start, at - start);
}

std::optional<std::string> QuotedString(std::string_view text, size_t& at) {
  std::string out;
  ++at;  // the opening quote
  while (at < text.size()) {
    char c = text[at++];
    if (c == '"') return out;
    if (c == '\\') {
      if (at >= text.size()) return std::nullopt;
      c = text[at++];
    }
    out.push_back(c);
  }
  return std::nullopt;  // unterminated
}

}  // namespace

const std::string* AuthParams::Find(std::string_view name) const {
  for (const auto& [key, value] : items) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::optional<AuthParams> ParseAuthParams(std::string_view text, ParamNames names) {
  AuthParams params;
  size_t at = 0;
  while (true) {
    // Empty list elements (", ,") are allowed by the list syntax.
    SkipSpace(text, at);
    while (at < text.size() && text[at] == ',') {
      ++at;
      SkipSpace(text, at);
    }
    if (at >= text.size()) break;
    std::string name(Token(text, at));
    if (name.empty()) return std::nullopt;
    if (names == ParamNames::kLowerCase) {
      for (char& c : name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
    }
    SkipSpace(text, at);
    if (at >= text.size() || text[at] != '=') return std::nullopt;
    ++at;
    SkipSpace(text, at);
    std::string value;
    if (at < text.size() && text[at] == '"') {
      auto quoted = QuotedString(text, at);
      if (!quoted) return std::nullopt;
      value = std::move(*quoted);
    } else {
      value = std::string(Token(text, at));
    }
    SkipSpace(text, at);
    if (at < text.size() && text[at] != ',') return std::nullopt;
    if (params.Find(name) != nullptr) return std::nullopt;
    params.items.emplace_back(std::move(name), std::move(value));
  }
  return params;
}

}  // namespace wg
