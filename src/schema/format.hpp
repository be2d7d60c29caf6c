// The `format` keyword. We check the formats below (an operator who writes "format": "email"
// expects it enforced), unlike the Python project, whose jsonschema call only annotates them.
// Other format names are accepted with a warning and not checked, as the specification allows.
#pragma once

#include <string_view>

namespace wg::schema {

// date-time, date, time (RFC 3339), email, hostname, ipv4, ipv6, uri, uri-reference, uuid.
bool IsCheckedFormat(std::string_view format);
// Whether `text` is a valid `format`; true for formats that are not checked.
bool MatchesFormat(std::string_view format, std::string_view text);

}  // namespace wg::schema
