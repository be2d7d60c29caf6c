// Small OpenSSL helpers shared by the signature methods (hmac, jwt, oauth2): one deleter for the
// handles they own, and HMAC over a message given in parts.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

namespace wg {

struct OpenSslFree {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  void operator()(BIO* bio) const { BIO_free(bio); }
  void operator()(BIGNUM* number) const { BN_free(number); }
  void operator()(ECDSA_SIG* signature) const { ECDSA_SIG_free(signature); }
};

template <typename T>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree>;

// HMAC (`digest` is OpenSSL's name, e.g. "SHA256") of the concatenated parts; empty on an
// OpenSSL failure, so it never matches a signature.
std::string ComputeHmac(const char* digest, std::string_view key,
                        std::initializer_list<std::string_view> parts);

}  // namespace wg
