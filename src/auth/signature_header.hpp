// The text formats inside the signature headers that `hmac` reads (hmac.hpp lists the providers):
// hex and base64 signatures, Unix-seconds timestamps, Stripe's "t=..,v1=.." list and Standard
// Webhooks' space-separated "v1,<base64>" entries. Public and free of the validator so the fuzz
// target (fuzz/signature_header_fuzz.cpp) reaches them directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/ascii.hpp"   // TrimBlanks
#include "util/base64.hpp"  // DecodeBase64

namespace wg {

// At least one character, all of them hex digits (either case).
bool IsHex(std::string_view text);

// Raw bytes of a hex string; nullopt unless IsHex and the length is even.
std::optional<std::string> DecodeHex(std::string_view text);

// Whole non-negative integer seconds, at most 18 digits; nothing else.
std::optional<int64_t> ParseUnixSeconds(std::string_view text);

// Stripe-Signature: comma-separated key=value items; the last "t" and every "v1" are kept,
// other items (v0, unknown keys, items without '=') are skipped.
struct StripeSignature {
  std::optional<std::string_view> timestamp;  // the text of "t", not yet checked
  std::vector<std::string_view> v1;           // hex texts, not yet decoded
};
StripeSignature ParseStripeSignature(std::string_view header);

// webhook-signature: space-separated "<version>,<base64>" entries; an entry without a comma or
// with invalid base64 is skipped (the spec asks to ignore what one cannot read).
struct VersionedSignature {
  std::string_view version;  // "v1" (HMAC-SHA256), "v1a" (ed25519), or unknown
  std::string bytes;         // decoded
};
std::vector<VersionedSignature> ParseStandardWebhooksSignatures(std::string_view header);

}  // namespace wg
