// Secret comparison whose time depends neither on where the inputs differ nor on their lengths:
// both sides are hashed with SHA-256 and the digests compared with CRYPTO_memcmp.
#pragma once

#include <array>
#include <string_view>

namespace wg {

class SecretMatcher {
 public:
  explicit SecretMatcher(std::string_view secret);
  bool Matches(std::string_view candidate) const;

 private:
  std::array<unsigned char, 32> digest_{};
};

bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace wg
