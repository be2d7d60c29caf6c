#include "auth/constant_time.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <string>

#include "auth/crypto.hpp"

namespace wg {
namespace {

std::array<unsigned char, 32> Digest(std::string_view text) {
  std::array<unsigned char, 64> out{};  // EVP_MAX_MD_SIZE
  if (ComputeDigestInto("SHA256", {text}, out.data()) != 32) {
    // OpenSSL failed: a random digest, so that nothing matches it.
    std::string random = RandomBytes(32);
    std::copy(random.begin(), random.end(), out.begin());
  }
  std::array<unsigned char, 32> digest{};
  std::copy_n(out.begin(), 32, digest.begin());
  return digest;
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
