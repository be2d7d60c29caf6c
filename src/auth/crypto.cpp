#include "auth/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace wg {
namespace {

struct OpenSslDeleter {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

std::string ComputeHmac(const char* digest, std::string_view key,
                        std::initializer_list<std::string_view> parts) {
  std::unique_ptr<EVP_MAC, OpenSslDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) return {};
  std::unique_ptr<EVP_MAC_CTX, OpenSslDeleter> ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) return {};
  std::array<OSSL_PARAM, 2> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx.get(), Bytes(key), key.size(), params.data()) != 1) return {};
  for (std::string_view part : parts) {
    if (EVP_MAC_update(ctx.get(), Bytes(part), part.size()) != 1) return {};
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  size_t length = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &length, out.size()) != 1) return {};
  return std::string(reinterpret_cast<const char*>(out.data()), length);
}

std::string ComputeDigest(const char* digest, std::initializer_list<std::string_view> parts) {
  std::unique_ptr<EVP_MD, OpenSslDeleter> md(EVP_MD_fetch(nullptr, digest, nullptr));
  if (!md) return {};
  std::unique_ptr<EVP_MD_CTX, OpenSslDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) != 1) return {};
  for (std::string_view part : parts) {
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) return {};
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned length = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &length) != 1) return {};
  return std::string(reinterpret_cast<const char*>(out.data()), length);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto byte = static_cast<unsigned char>(c);
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0F]);
  }
  return out;
}

bool SameBytes(std::string_view a, std::string_view b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string RandomBytes(size_t size) {
  std::string out(size, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size)) != 1) {
    throw std::runtime_error("OpenSSL could not produce random bytes");
  }
  return out;
}

}  // namespace wg
