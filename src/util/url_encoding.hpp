// Percent-encoding as URLs, HTML forms and the signature schemes over them (OAuth 1.0, Twilio)
// use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wg {

// RFC 3986 decoding: "%XX" becomes the byte, '+' stays '+'. nullopt on a broken "%" sequence.
std::optional<std::string> PercentDecode(std::string_view text);

// application/x-www-form-urlencoded decoding: as PercentDecode, and '+' is a space.
std::optional<std::string> FormDecode(std::string_view text);

// RFC 3986 encoding of everything but the unreserved characters (ALPHA DIGIT - . _ ~), with
// upper-case hex: the one encoding OAuth 1.0 signs (RFC 5849 §3.6).
std::string PercentEncode(std::string_view text);

// The name/value pairs of a form body ("a=1&b=x+y&flag"), decoded, in order; empty pairs are
// skipped, a pair without '=' has an empty value. nullopt on a broken "%" sequence.
std::optional<std::vector<std::pair<std::string, std::string>>> DecodeForm(std::string_view body);

}  // namespace wg
