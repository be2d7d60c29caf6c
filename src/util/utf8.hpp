// Unicode code points of valid UTF-8 text: what "String too long" and json_schema's maxLength /
// minLength count, not bytes.
#pragma once

#include <cstddef>
#include <string_view>

namespace wg {

inline size_t CountCodePoints(std::string_view text) {
  size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

}  // namespace wg
