// Compiles a schema from JSON text and runs it on a payload, as json_schema does at start and
// per request; results as text a test can compare.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>

#include "config/json_reader.hpp"
#include "schema/json_schema.hpp"

namespace wg::test {

// Every config error (and warning, marked so), "path: message", one per line.
inline std::string SchemaErrors(std::string_view schema) {
  ConfigErrors errors("webhooks.json");
  JsonSchema::Compile(boost::json::parse(schema), "/orders/json_schema", errors);
  std::string text;
  for (const auto& error : errors.errors()) text += error.path + ": " + error.message + "\n";
  for (const auto& warning : errors.warnings()) {
    text += "warning " + warning.path + ": " + warning.message + "\n";
  }
  return text;
}

// "pass", or the first failure as "<instance path> <keyword>: <message>" ("" path: the root).
inline std::string Validate(std::string_view schema, std::string_view payload) {
  ConfigErrors errors("webhooks.json");
  auto compiled = JsonSchema::Compile(boost::json::parse(schema), "/orders/json_schema", errors);
  if (!compiled) return "config error: " + SchemaErrors(schema);
  auto violation = compiled->Validate(boost::json::parse(payload));
  if (!violation) return "pass";
  return violation->instance_path + " " + violation->keyword + ": " + violation->message;
}

}  // namespace wg::test
