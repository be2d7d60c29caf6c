// Strict base64url (RFC 4648 §5) as JWS uses it (RFC 7515 §2): the URL alphabet, no padding,
// no whitespace, and unused trailing bits zero, so every byte string has exactly one spelling.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wg {

std::optional<std::string> DecodeBase64Url(std::string_view text);

}  // namespace wg
