#include "auth/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

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

// OpenSSL 3 looks a digest or MAC up by name in its provider store on every fetch, and one-shot
// calls (SHA256(), HMAC()) fetch each time: for a small input that costs as much as the hashing.
// So each thread fetches once and keeps what it fetched, and keeps an HMAC context per key (a
// webhook's secret), which EVP_MAC_init resets to the keyed state without hashing the key again.
const EVP_MD* FetchDigest(const char* name) {
  thread_local std::vector<std::pair<std::string, std::unique_ptr<EVP_MD, OpenSslDeleter>>> fetched;
  for (const auto& [fetched_name, md] : fetched) {
    if (fetched_name == name) return md.get();
  }
  std::unique_ptr<EVP_MD, OpenSslDeleter> md(EVP_MD_fetch(nullptr, name, nullptr));
  if (!md) return nullptr;
  fetched.emplace_back(name, std::move(md));
  return fetched.back().second.get();
}

constexpr size_t kKeyedContextsPerThread = 16;

struct KeyedContext {
  std::string digest;
  std::string key;
  std::unique_ptr<EVP_MAC_CTX, OpenSslDeleter> ctx;
};

// An HMAC context keyed with `key`, ready for updates; null on an OpenSSL failure.
EVP_MAC_CTX* KeyedHmac(const char* digest, std::string_view key) {
  thread_local std::vector<KeyedContext> contexts;  // most recently used last
  for (size_t i = 0; i < contexts.size(); ++i) {
    if (contexts[i].digest == digest && contexts[i].key == key) {
      if (i + 1 != contexts.size()) std::swap(contexts[i], contexts.back());
      EVP_MAC_CTX* ctx = contexts.back().ctx.get();
      return EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 ? ctx : nullptr;
    }
  }
  thread_local std::unique_ptr<EVP_MAC, OpenSslDeleter> mac(
      EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) return nullptr;
  std::unique_ptr<EVP_MAC_CTX, OpenSslDeleter> ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) return nullptr;
  std::array<OSSL_PARAM, 2> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx.get(), Bytes(key), key.size(), params.data()) != 1) return nullptr;
  if (contexts.size() == kKeyedContextsPerThread) contexts.erase(contexts.begin());
  contexts.push_back({digest, std::string(key), std::move(ctx)});
  return contexts.back().ctx.get();
}

}  // namespace

std::string ComputeHmac(const char* digest, std::string_view key,
                        std::initializer_list<std::string_view> parts) {
  EVP_MAC_CTX* ctx = KeyedHmac(digest, key);
  if (ctx == nullptr) return {};
  for (std::string_view part : parts) {
    if (EVP_MAC_update(ctx, Bytes(part), part.size()) != 1) return {};
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  size_t length = 0;
  if (EVP_MAC_final(ctx, out.data(), &length, out.size()) != 1) return {};
  return std::string(reinterpret_cast<const char*>(out.data()), length);
}

size_t ComputeDigestInto(const char* digest, std::initializer_list<std::string_view> parts,
                         unsigned char* out) {
  const EVP_MD* md = FetchDigest(digest);
  if (md == nullptr) return 0;
  thread_local std::unique_ptr<EVP_MD_CTX, OpenSslDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) return 0;
  for (std::string_view part : parts) {
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) return 0;
  }
  unsigned length = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out, &length) != 1) return 0;
  return length;
}

std::string ComputeDigest(const char* digest, std::initializer_list<std::string_view> parts) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  size_t length = ComputeDigestInto(digest, parts, out.data());
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
