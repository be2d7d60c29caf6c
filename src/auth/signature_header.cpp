#include "auth/signature_header.hpp"

#include <charconv>

#include "util/ascii.hpp"

namespace wg {

bool IsHex(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (HexDigitValue(c) < 0) return false;
  }
  return true;
}

std::optional<std::string> DecodeHex(std::string_view text) {
  if (text.empty() || text.size() % 2 != 0) return std::nullopt;
  std::string out(text.size() / 2, '\0');
  int invalid = 0;  // any digit's -1 sets the sign bit
  for (size_t i = 0; i < out.size(); ++i) {
    const int high = HexDigitValue(text[2 * i]);
    const int low = HexDigitValue(text[2 * i + 1]);
    invalid |= high | low;
    out[i] = static_cast<char>(high * 16 + low);
  }
  if (invalid < 0) return std::nullopt;
  return out;
}

std::optional<int64_t> ParseUnixSeconds(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  // Digits only: from_chars alone would also take a sign ("-0" is zero, not negative).
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

StripeSignature ParseStripeSignature(std::string_view header) {
  StripeSignature parsed;
  std::string_view rest = header;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = TrimBlanks(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t equals = item.find('=');
    if (equals == std::string_view::npos) continue;
    std::string_view key = item.substr(0, equals);
    if (key == "t") parsed.timestamp = item.substr(equals + 1);
    if (key == "v1") parsed.v1.push_back(item.substr(equals + 1));
  }
  return parsed;
}

std::vector<VersionedSignature> ParseStandardWebhooksSignatures(std::string_view header) {
  std::vector<VersionedSignature> parsed;
  std::string_view rest = header;
  while (!rest.empty()) {
    size_t space = rest.find(' ');
    std::string_view entry = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    size_t comma = entry.find(',');
    if (comma == std::string_view::npos) continue;
    auto bytes = DecodeBase64(entry.substr(comma + 1));
    if (!bytes) continue;
    parsed.push_back({entry.substr(0, comma), std::move(*bytes)});
  }
  return parsed;
}

}  // namespace wg
