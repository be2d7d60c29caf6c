// The signature headers of `hmac` (src/auth/signature_header.hpp and the provider checks of
// src/auth/hmac.cpp). The input is split at newlines into: a header value, a timestamp text and
// the body.
//
// Properties: the parsers return only what the text says (hex and base64 decode to bytes that
// encode back to the input; a timestamp is digits only; parsed items are pieces of the header);
// the validators never crash on any header; a correct signature, computed here with OpenSSL's
// one-shot HMAC() and put after the fuzzed header text, is accepted, and the same signature with
// one byte changed is refused with 401.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json.hpp>
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>

#include "auth/hmac.hpp"
#include "auth/signature_header.hpp"
#include "config/json_reader.hpp"
#include "fuzz_support.hpp"

namespace {
using wg::fuzz::Require;

constexpr std::string_view kSecret = "fuzz-s3cret";

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string WithoutPadding(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  return std::string(text);
}

bool IsPiece(std::string_view piece, std::string_view whole) {
  return piece.empty() || (piece.data() >= whole.data() &&
                           piece.data() + piece.size() <= whole.data() + whole.size());
}

void CheckParsers(std::string_view text) {
  if (auto bytes = wg::DecodeHex(text)) {
    Require(Hex(*bytes) == Lower(text), "hex decodes to bytes that encode back to it");
  }
  if (auto bytes = wg::DecodeBase64(text)) {
    // Base64 of the bytes matches the input up to its last character, whose unused low bits
    // a sender may set.
    std::string again = WithoutPadding(Base64(*bytes));
    std::string given = WithoutPadding(text);
    Require(again.size() == given.size(), "base64 decodes to the length the text encodes");
    Require(again.substr(0, again.size() - 1) == given.substr(0, given.size() - 1),
            "base64 decodes to bytes that encode back to it");
  }
  if (auto seconds = wg::ParseUnixSeconds(text)) {
    Require(*seconds >= 0, "timestamps are not negative");
    for (char c : text) Require(c >= '0' && c <= '9', "a timestamp is digits only");
  }
  wg::StripeSignature stripe = wg::ParseStripeSignature(text);
  if (stripe.timestamp) Require(IsPiece(*stripe.timestamp, text), "t= is a piece of the header");
  for (auto v1 : stripe.v1) Require(IsPiece(v1, text), "v1= is a piece of the header");
  for (const auto& entry : wg::ParseStandardWebhooksSignatures(text)) {
    Require(IsPiece(entry.version, text), "a version is a piece of the header");
    Require(entry.version.find(' ') == std::string_view::npos, "entries are split at spaces");
  }
}

std::shared_ptr<const wg::Validator> BuildValidator(std::string_view hmac_json) {
  boost::json::object webhook{{"hmac", boost::json::parse(hmac_json)}};
  wg::ConfigErrors errors("webhooks.json");
  auto validator = wg::BuildHmac(webhook, "/fuzz", errors);
  Require(validator != nullptr && errors.empty(), "the fuzz target's hmac settings are valid");
  return validator;
}

struct Validators {
  std::shared_ptr<const wg::Validator> generic = BuildValidator(
      R"({"secret": "fuzz-s3cret", "algorithm": "sha1", "header": "X-Sig"})");
  std::shared_ptr<const wg::Validator> github =
      BuildValidator(R"({"provider": "github", "secret": "fuzz-s3cret"})");
  std::shared_ptr<const wg::Validator> shopify =
      BuildValidator(R"({"provider": "shopify", "secret": "fuzz-s3cret"})");
  std::shared_ptr<const wg::Validator> stripe =
      BuildValidator(R"({"provider": "stripe", "secret": "fuzz-s3cret"})");
  std::shared_ptr<const wg::Validator> slack =
      BuildValidator(R"({"provider": "slack", "secret": "fuzz-s3cret"})");
  std::shared_ptr<const wg::Validator> standard = BuildValidator(
      fmt::format(R"({{"provider": "standard_webhooks", "secret": "whsec_{}"}})",
                  Base64(kSecret)));
  std::shared_ptr<const wg::Validator> gitlab =
      BuildValidator(R"({"provider": "gitlab", "secret": "fuzz-s3cret"})");
};

struct Request {
  std::vector<wg::Header> headers;
  std::vector<std::pair<std::string, std::string>> query;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  wg::AuthRequest View() const {
    return {"POST", "/webhook/fuzz", "/webhook/fuzz", headers, query, "127.0.0.1", now};
  }
};

// Runs both stages as the pipeline does; the failure, if any.
std::optional<wg::AuthFailure> Run(const wg::Validator& validator, const Request& request,
                                   std::string_view body) {
  auto view = request.View();
  if (auto failure = validator.CheckHead(view)) return failure;
  if (!validator.NeedsBody()) return std::nullopt;
  return validator.CheckBody(view, body);
}

void RequireRefused(const std::optional<wg::AuthFailure>& failure) {
  Require(failure && failure->status == 401 && !failure->message.empty(),
          "a wrong signature is refused with 401 and a message");
  Require(failure->message.find(kSecret) == std::string::npos, "no secret in a message");
}

// A correct signature after the fuzzed header text passes; one changed byte fails.
void CheckAccepts(const wg::Validator& validator, Request request, size_t signature_header,
                  std::string_view prefix, const std::string& signature, std::string_view body) {
  request.headers[signature_header].value = std::string(prefix) + signature;
  Require(!Run(validator, request, body), "a correct signature is accepted");
  std::string broken = signature;
  broken.back() = broken.back() == '0' ? '1' : '0';
  request.headers[signature_header].value = std::string(prefix) + broken;
  RequireRefused(Run(validator, request, body));
}

void CheckValidators(std::string_view header, std::string_view timestamp, std::string_view body) {
  static const Validators validators;
  Request fuzzed;
  for (const char* name :
       {"x-sig", "x-hub-signature-256", "x-shopify-hmac-sha256", "stripe-signature",
        "x-slack-signature", "webhook-signature", "x-gitlab-token"}) {
    fuzzed.headers.push_back({name, std::string(header)});
  }
  for (const char* name : {"x-slack-request-timestamp", "webhook-timestamp", "webhook-id"}) {
    fuzzed.headers.push_back({name, std::string(timestamp)});
  }
  for (const auto* validator : {&validators.generic, &validators.github, &validators.shopify,
                                &validators.stripe, &validators.slack, &validators.standard,
                                &validators.gitlab}) {
    if (auto failure = Run(**validator, fuzzed, body)) RequireRefused(failure);
  }

  // Valid timestamps and a fuzzed id and body, signed here.
  const std::string now = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(fuzzed.now.time_since_epoch()).count());
  Request valid;
  valid.headers = {{"x-hub-signature-256", ""},
                   {"stripe-signature", ""},
                   {"webhook-signature", ""},
                   {"webhook-id", std::string(timestamp)},
                   {"webhook-timestamp", now}};
  // A header is trimmed of blanks and empty means missing: keep the fuzzed id a real one.
  if (wg::TrimBlanks(timestamp).empty() || wg::TrimBlanks(timestamp) != timestamp) {
    valid.headers[3].value = "msg_1";
  }
  CheckAccepts(*validators.github, valid, 0, "sha256=", Hex(HmacSha256(kSecret, body)), body);
  CheckAccepts(*validators.stripe, valid, 1, fmt::format("{},t={},v1=", header, now),
               Hex(HmacSha256(kSecret, fmt::format("{}.{}", now, body))), body);
  // A space ends the fuzzed entries, so the signature is an entry of its own. The base64
  // signature's last character may only carry padding bits: change the first one instead.
  const std::string signed_content = fmt::format("{}.{}.{}", valid.headers[3].value, now, body);
  std::string signature = Base64(HmacSha256(kSecret, signed_content));
  std::string prefix = fmt::format("{} v1,", header);
  valid.headers[2].value = prefix + signature;
  Require(!Run(*validators.standard, valid, body), "a correct v1 signature is accepted");
  signature.front() = signature.front() == 'A' ? 'B' : 'A';
  valid.headers[2].value = prefix + signature;
  RequireRefused(Run(*validators.standard, valid, body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t first = input.find('\n');
  std::string_view header = input.substr(0, first);
  std::string_view rest = first == std::string_view::npos ? "" : input.substr(first + 1);
  size_t second = rest.find('\n');
  std::string_view timestamp = rest.substr(0, second);
  std::string_view body = second == std::string_view::npos ? "" : rest.substr(second + 1);
  CheckParsers(header);
  CheckValidators(header, timestamp, body);
  return 0;
}
