#include "util/base64.hpp"

#include <cstdint>

namespace wg {

std::string EncodeBase64(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(4 * ((data.size() + 2) / 3));
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t bits = (static_cast<uint8_t>(data[i]) << 16) |
                    (static_cast<uint8_t>(data[i + 1]) << 8) | static_cast<uint8_t>(data[i + 2]);
    out += {kAlphabet[bits >> 18], kAlphabet[(bits >> 12) & 63], kAlphabet[(bits >> 6) & 63],
            kAlphabet[bits & 63]};
  }
  size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t bits = static_cast<uint32_t>(static_cast<uint8_t>(data[i]) << 16);
    if (rest == 2) bits |= static_cast<uint32_t>(static_cast<uint8_t>(data[i + 1]) << 8);
    out += {kAlphabet[bits >> 18], kAlphabet[(bits >> 12) & 63],
            rest == 2 ? kAlphabet[(bits >> 6) & 63] : '=', '='};
  }
  return out;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  size_t padding = 0;
  while (!text.empty() && text.back() == '=' && padding < 2) {
    text.remove_suffix(1);
    ++padding;
  }
  if (text.empty() || text.size() % 4 == 1) return std::nullopt;
  if (padding > 0 && (text.size() + padding) % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == '+')
      value = 62;
    else if (c == '/')
      value = 63;
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return out;
}

}  // namespace wg
