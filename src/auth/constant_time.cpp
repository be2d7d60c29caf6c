#include "auth/constant_time.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace wg {
namespace {

std::array<unsigned char, 32> Digest(std::string_view text) {
  std::array<unsigned char, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

}  // namespace

SecretMatcher::SecretMatcher(std::string_view secret) : digest_(Digest(secret)) {}

bool SecretMatcher::Matches(std::string_view candidate) const {
  auto digest = Digest(candidate);
  return CRYPTO_memcmp(digest.data(), digest_.data(), digest.size()) == 0;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  auto da = Digest(a);
  auto db = Digest(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

}  // namespace wg
