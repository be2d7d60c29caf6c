// Base64 (RFC 4648, standard alphabet) as the signature schemes send it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wg {

// `data` in the standard alphabet, padded with '='.
std::string EncodeBase64(std::string_view data);

// The decoded bytes; the trailing '=' padding may be present or not. nullopt for any character
// outside the alphabet, misplaced padding or an impossible length.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace wg
