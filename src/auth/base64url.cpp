#include "auth/base64url.hpp"

#include <cstdint>

namespace wg {
namespace {

// The 6-bit value of a base64url digit, or -1.
int DigitValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> DecodeBase64Url(std::string_view text) {
  // A single digit after whole groups of four carries fewer than 8 bits: no such encoding.
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t pending = 0;
  int pending_bits = 0;
  for (char c : text) {
    int value = DigitValue(c);
    if (value < 0) return std::nullopt;
    pending = (pending << 6) | static_cast<uint32_t>(value);
    pending_bits += 6;
    if (pending_bits >= 8) {
      pending_bits -= 8;
      out.push_back(static_cast<char>((pending >> pending_bits) & 0xFFu));
    }
  }
  // Leftover bits must be zero, or two spellings would decode to the same bytes.
  if ((pending & ((1u << pending_bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace wg
