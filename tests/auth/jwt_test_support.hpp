// JWS fixtures made independently of the gateway's code: keys generated and messages signed by
// the `openssl` command-line tool, base64url written out here. ECDSA signatures come from
// `openssl dgst` as DER and are unpacked here to the r||s form JWS uses.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

namespace wg::test {

inline int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string Base64UrlEncode(std::string_view data) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kDigits[(n >> shift) & 63]);
  }
  if (i + 1 == data.size()) {
    unsigned n = static_cast<unsigned char>(data[i]) << 16;
    for (int shift : {18, 12}) out.push_back(kDigits[(n >> shift) & 63]);
  } else if (i + 2 == data.size()) {
    unsigned n = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8);
    for (int shift : {18, 12, 6}) out.push_back(kDigits[(n >> shift) & 63]);
  }
  return out;
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void WriteFile(const std::filesystem::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

inline void Openssl(const std::string& arguments) {
  std::string command = "openssl " + arguments + " 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

// DER ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }) to JWS's fixed-width r||s.
inline std::string DerToRaw(std::string_view der, size_t width) {
  size_t at = 2;
  if (static_cast<unsigned char>(der[1]) == 0x81) at = 3;  // long-form length (P-521)
  std::string raw;
  for (int i = 0; i < 2; ++i) {
    size_t length = static_cast<unsigned char>(der[at + 1]);
    std::string_view number = der.substr(at + 2, length);
    while (number.size() > width && number.front() == '\0') number.remove_prefix(1);
    raw += std::string(width - number.size(), '\0') + std::string(number);
    at += 2 + length;
  }
  return raw;
}

// Keys made once per test program: name -> private key file; public PEM text via Public().
class JwsFixtures {
 public:
  static JwsFixtures& Get() {
    static JwsFixtures fixtures;
    return fixtures;
  }

  const std::string& Public(const std::string& key) { return public_pem_.at(key); }

  // A compact JWS over the given header and claims (JSON text), signed by `key` ("rsa",
  // "ec256", "ec384", "ec521", "hmac:<secret>" or "hmachex:<hex key bytes>") for `alg`.
  std::string Sign(const std::string& alg, const std::string& key, const std::string& header,
                   const std::string& claims) {
    std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(claims);
    WriteFile(dir_ / "input", input);
    std::string digest = "-sha" + alg.substr(2);
    std::string options;
    if (key.starts_with("hmac:")) {
      options = "-mac HMAC -macopt key:" + key.substr(5);
    } else if (key.starts_with("hmachex:")) {
      options = "-mac HMAC -macopt hexkey:" + key.substr(8);
    } else {
      options = "-sign " + (dir_ / key).string();
      if (alg.starts_with("PS")) {
        options += " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1";
      }
    }
    Openssl("dgst " + digest + " " + options + " -binary -out " + (dir_ / "sig").string() + " " +
            (dir_ / "input").string());
    std::string signature = ReadFile(dir_ / "sig");
    if (alg.starts_with("ES")) {
      size_t width = alg == "ES256" ? 32 : alg == "ES384" ? 48 : 66;
      signature = DerToRaw(signature, width);
    }
    return input + "." + Base64UrlEncode(signature);
  }

  std::string Sign(const std::string& alg, const std::string& key, const std::string& claims) {
    return Sign(alg, key, R"({"alg":")" + alg + R"(","typ":"JWT"})", claims);
  }

 private:
  JwsFixtures() {
    dir_ = std::filesystem::temp_directory_path() / ("wg-jws-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    Generate("rsa", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048");
    Generate("rsa1024", "-algorithm RSA -pkeyopt rsa_keygen_bits:1024");
    Generate("ec256", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256");
    Generate("ec384", "-algorithm EC -pkeyopt ec_paramgen_curve:P-384");
    Generate("ec521", "-algorithm EC -pkeyopt ec_paramgen_curve:P-521");
    Generate("ed25519", "-algorithm ED25519");
  }
  ~JwsFixtures() { std::filesystem::remove_all(dir_); }

  void Generate(const std::string& name, const std::string& options) {
    Openssl("genpkey " + options + " -out " + (dir_ / name).string());
    Openssl("pkey -in " + (dir_ / name).string() + " -pubout -out " +
            (dir_ / (name + ".pub")).string());
    public_pem_[name] = ReadFile(dir_ / (name + ".pub"));
    private_pem_[name] = ReadFile(dir_ / name);
  }

 public:
  const std::string& Private(const std::string& key) { return private_pem_.at(key); }

 private:
  std::filesystem::path dir_;
  std::map<std::string, std::string> public_pem_;
  std::map<std::string, std::string> private_pem_;
};

}  // namespace wg::test
