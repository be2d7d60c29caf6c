// UTF-8 text: decoding code points (strictly: no overlong forms, no surrogates, nothing past
// U+10FFFF, as Python decodes), and counting them for "String too long" and json_schema's
// maxLength / minLength, which count code points, not bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wg {

// Calls accept(code point) for each code point of `text` in order. False as soon as the bytes
// are not valid UTF-8 or accept returns false.
template <typename Accept>
bool ForEachCodePoint(std::string_view text, Accept accept) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    const unsigned char lead = bytes[i];
    uint32_t code = 0;
    size_t length = 0;
    if (lead < 0x80) {
      code = lead;
      length = 1;
    } else if ((lead & 0xE0) == 0xC0) {
      code = lead & 0x1F;
      length = 2;
    } else if ((lead & 0xF0) == 0xE0) {
      code = lead & 0x0F;
      length = 3;
    } else if ((lead & 0xF8) == 0xF0) {
      code = lead & 0x07;
      length = 4;
    } else {
      return false;
    }
    if (length > size - i) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) return false;
      code = (code << 6) | (bytes[i + k] & 0x3F);
    }
    const bool overlong = (length == 2 && code < 0x80) || (length == 3 && code < 0x800) ||
                          (length == 4 && code < 0x10000);
    if (overlong || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    if (!accept(code)) return false;
    i += length;
  }
  return true;
}

inline bool IsValidUtf8(std::string_view text) {
  return ForEachCodePoint(text, [](uint32_t) { return true; });
}

inline size_t CountCodePoints(std::string_view text) {
  size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

}  // namespace wg
