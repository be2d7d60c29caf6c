// A JSON Schema (draft 7, plus the 2019-09 / 2020-12 keywords listed in README.md), compiled once
// at config load and then run on parsed payloads by any number of threads at once.
#pragma once

#include <boost/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "schema/schema_node.hpp"

namespace wg {

class ConfigErrors;

class JsonSchema {
 public:
  // Null after reporting every problem of `document` to `errors`, each with its JSON path under
  // `path` (the config path of the schema, e.g. "/orders/json_schema").
  static std::shared_ptr<const JsonSchema> Compile(const boost::json::value& document,
                                                   const std::string& path, ConfigErrors& errors);

  // The first failure (instance path, keyword, message), or nullopt when `payload` is valid.
  std::optional<schema::Violation> Validate(const boost::json::value& payload) const;

 private:
  JsonSchema() = default;
  std::vector<std::unique_ptr<schema::SchemaNode>> nodes_;
  const schema::SchemaNode* root_ = nullptr;
};

}  // namespace wg
