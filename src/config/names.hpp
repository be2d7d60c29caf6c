// Character-set checks for names in the config (queues, channels, identifiers).
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace wg {

// 1..max_length characters, each alphanumeric or one of `extra`.
inline bool IsNameOf(std::string_view text, std::string_view extra, size_t max_length) {
  if (text.empty() || text.size() > max_length) return false;
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

inline std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A Python-style identifier: letter or underscore, then letters, digits, underscores.
inline bool IsIdentifier(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text.front()))) return false;
  return IsNameOf(text, "_", 255);
}

}  // namespace wg
