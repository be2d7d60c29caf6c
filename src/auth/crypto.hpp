// The hashing the signature methods share (hmac, digest_auth, oauth1), on OpenSSL.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace wg {

// HMAC of the concatenated parts with OpenSSL's digest `digest` ("SHA256", "SHA1", ...): the raw
// bytes, or empty on an OpenSSL failure (which then never matches a signature).
std::string ComputeHmac(const char* digest, std::string_view key,
                        std::initializer_list<std::string_view> parts);

// Hash of the concatenated parts ("MD5", "SHA256", ...): raw bytes, empty on failure.
std::string ComputeDigest(const char* digest, std::initializer_list<std::string_view> parts);
// The same into `out` (room for EVP_MAX_MD_SIZE, 64 bytes): the digest's size, 0 on failure.
size_t ComputeDigestInto(const char* digest, std::initializer_list<std::string_view> parts,
                         unsigned char* out);

std::string HexEncode(std::string_view bytes);  // lower case

// Same length (public: a digest size) and same bytes, compared in constant time; empty never
// matches.
bool SameBytes(std::string_view a, std::string_view b);

// `size` bytes from OpenSSL's CSPRNG; throws std::runtime_error if it has no entropy (at start).
std::string RandomBytes(size_t size);

}  // namespace wg
