// What the methods' factories share: their key's value must be an object, their credentials
// present and not empty.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace wg {

class ConfigErrors;

// webhook[key] as an object, or null after reporting "must be an object with <expected>, got
// ..." at `path` (the key's JSON path).
const boost::json::object* MethodObject(const boost::json::object& webhook, std::string_view key,
                                        const std::string& path, std::string_view expected,
                                        ConfigErrors& errors);

class ObjectReader;

// The required string `key`; missing or empty (reported as "<what> not configured (empty
// <key>)", the Python project's words) gives nullopt.
std::optional<std::string> RequiredCredential(ObjectReader& reader, std::string_view key,
                                              std::string_view what);

}  // namespace wg
