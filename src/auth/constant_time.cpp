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

constexpr size_t kPadding = 64;

}  // namespace

SecretMatcher::SecretMatcher(std::string_view secret) : padded_(secret), length_(secret.size()) {
  padded_.resize((secret.size() / kPadding + 1) * kPadding, '\0');
}

bool SecretMatcher::Matches(std::string_view candidate) const {
  // The lengths are compared as a value, never as a reason to stop early; then every byte of
  // both, the longer one's tail against zeros. No branch depends on a byte.
  const auto* a = reinterpret_cast<const unsigned char*>(candidate.data());
  const auto* b = reinterpret_cast<const unsigned char*>(padded_.data());
  const size_t common = std::min(candidate.size(), padded_.size());
  unsigned diff = candidate.size() == length_ ? 0U : 1U;
  for (size_t i = 0; i < common; ++i) diff |= a[i] ^ b[i];
  for (size_t i = common; i < candidate.size(); ++i) diff |= a[i];
  for (size_t i = common; i < padded_.size(); ++i) diff |= b[i];
  return diff == 0;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  auto da = Digest(a);
  auto db = Digest(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

}  // namespace wg
