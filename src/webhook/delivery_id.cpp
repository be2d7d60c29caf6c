#include "webhook/delivery_id.hpp"

#include <chrono>
#include <random>

namespace wg {

std::string NewDeliveryId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t millis = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
  uint64_t high = (millis << 16) | 0x7000 | (rng() & 0x0fff);          // 48-bit time, version 7
  uint64_t low = (rng() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t pos = 0;
  auto put = [&](uint64_t value, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[pos++] = kHex[(value >> (i * 4)) & 0xf];
    }
  };
  put(high, 16);
  put(low, 16);
  return out;
}

}  // namespace wg
