// ASCII helpers for protocol tokens (header names, schemes, algorithm names, hex): no locale.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace wg {

inline char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// Whether `text` contains `word` ignoring ASCII case; `word` must be lower case. With
// `underscore_matches_dash`, an underscore of `word` also matches a dash ("api_key" is found in
// "X-Api-Key"). No allocation: used on every header name and payload key of a webhook.
inline bool ContainsIgnoreCase(std::string_view text, std::string_view word,
                               bool underscore_matches_dash = false) {
  if (word.size() > text.size()) return false;
  for (size_t start = 0; start + word.size() <= text.size(); ++start) {
    size_t i = 0;
    for (; i < word.size(); ++i) {
      const char c = AsciiLower(text[start + i]);
      if (c != word[i] && !(underscore_matches_dash && word[i] == '_' && c == '-')) break;
    }
    if (i == word.size()) return true;
  }
  return false;
}

// Without the spaces and tabs at either end (HTTP's optional whitespace).
inline std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The value of a hex digit (either case), or -1. A table: signatures of 64 hex digits are checked
// and decoded on every signed request.
inline constexpr std::array<int8_t, 256> kHexDigitValues = [] {
  std::array<int8_t, 256> values{};
  for (auto& value : values) value = -1;
  for (int c = '0'; c <= '9'; ++c) values[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) values[c] = static_cast<int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) values[c] = static_cast<int8_t>(c - 'A' + 10);
  return values;
}();

inline int HexDigitValue(char c) { return kHexDigitValues[static_cast<unsigned char>(c)]; }

// "Digest abc" starts with scheme "Digest" followed by a space, in any case.
inline bool StartsWithScheme(std::string_view header, std::string_view scheme) {
  return header.size() > scheme.size() && header[scheme.size()] == ' ' &&
         EqualsIgnoreCase(header.substr(0, scheme.size()), scheme);
}

}  // namespace wg
