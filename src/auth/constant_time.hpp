// Secret comparison whose time depends neither on where the inputs differ nor on the secret's
// length (beyond its multiple of 64 bytes).
#pragma once

#include <string>
#include <string_view>

namespace wg {

// Holds one configured secret. Matches compares every byte of the candidate and of the secret
// padded with zeros to a multiple of 64 bytes, whatever differs where: its time depends on the
// candidate's length and that padded length only. Runs for every request of a webhook with a
// token, so it does no hashing (SHA-256 of the candidate cost more than the rest of the check).
class SecretMatcher {
 public:
  explicit SecretMatcher(std::string_view secret);
  bool Matches(std::string_view candidate) const;

 private:
  std::string padded_;  // the secret, then zeros up to a multiple of 64 bytes
  size_t length_ = 0;
};

// Both sides hashed with SHA-256 and the digests compared with CRYPTO_memcmp: for two values
// neither of which is known in advance (a user name from config against one from a request).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace wg
