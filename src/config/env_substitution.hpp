// {$VAR} and {$VAR:default} substitution in every string value of a config document.
// Values are substituted verbatim: no "sanitising" that would corrupt secrets or host names.
#pragma once

#include <boost/json.hpp>

#include <functional>
#include <optional>
#include <string>

#include "config/json_reader.hpp"

namespace wg {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment.
EnvLookup ProcessEnvironment();

// Replaces references in place. A reference to an unset variable without a default is an
// error naming the variable and the JSON path; the rest of the document is still processed.
void SubstituteEnvironment(boost::json::value& document, const EnvLookup& lookup,
                           ConfigErrors& errors);

// Substitutes one string; returns false (and reports) when a variable is missing.
bool SubstituteString(std::string& text, const EnvLookup& lookup, const std::string& path,
                      ConfigErrors& errors);

}  // namespace wg
