// The webhook's `json_schema` key: a JSON Schema the parsed payload must match (src/schema/,
// compiled once at start). A payload that does not match is refused with 400 (the Python project
// answers 401) and "JSON schema validation failed", to which we add where and why:
// `JSON schema validation failed at /items/0/price (minimum): must be >= 0`.
#pragma once

#include <boost/json.hpp>

#include <memory>
#include <string>

#include "auth/validator.hpp"

namespace wg {

std::shared_ptr<const Validator> BuildJsonSchema(const boost::json::object& webhook,
                                                 const std::string& webhook_path,
                                                 ConfigErrors& errors);

}  // namespace wg
