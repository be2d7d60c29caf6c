// Turns a JSON Schema document into SchemaNodes once, at config load. Every problem (unknown type
// name, bad regex, `$ref` to nowhere, a value that is not a schema) is reported with the JSON
// path of the offending keyword, and compiling goes on so that all of them are listed at once.
#pragma once

#include <boost/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/schema_node.hpp"

namespace wg {
class ConfigErrors;
}

namespace wg::schema {

class SchemaCompiler;

// One keyword of a schema object, as a keyword builder (keywords.hpp) sees it.
struct KeywordInput {
  const boost::json::object& schema;  // the object holding the keyword, for its companions
  std::string_view name;
  const boost::json::value& value;
  std::string path;  // config path of the keyword, e.g. "/orders/json_schema/properties/id/type"
  SchemaCompiler& compiler;

  std::string PathOf(std::string_view token) const;
  std::string PathOf(size_t index) const;
  std::string SiblingPath(std::string_view keyword) const;  // another keyword of `schema`
  void Error(const std::string& at, std::string message) const;
  void Error(std::string message) const { Error(path, std::move(message)); }
};

// How a subschema is applied: to the same value (allOf, not, $ref, ...) or to a part of it
// (properties, items, ...), or not at all (definitions). Only the first can loop forever, so
// only it is checked for cycles.
enum class Applies { kInPlace, kToPart, kNotApplied };

class SchemaCompiler {
 public:
  SchemaCompiler(const boost::json::value& document, std::string path, ConfigErrors& errors);
  ~SchemaCompiler();

  // Compiles the whole document; null when it had errors. The nodes stay owned by `nodes`.
  const SchemaNode* CompileRoot(std::vector<std::unique_ptr<SchemaNode>>& nodes);

  // A subschema at `path` (the config path of that schema), compiled once even when reached
  // again through `$ref`. `keyword` names the applicator, for the failure of a `false` schema.
  const SchemaNode* Subschema(const boost::json::value& schema, const std::string& path,
                              std::string_view keyword, Applies applies);
  // The node a local `$ref` ("#", "#/definitions/x", "#/$defs/x", any "#/json/pointer") points
  // at, or null after reporting an error at `path`.
  const SchemaNode* Reference(std::string_view ref, const std::string& path);

  void Error(const std::string& path, std::string message);
  void Warn(const std::string& path, std::string message);

 private:
  struct Compiled;
  SchemaNode* Compile(const boost::json::value& schema, const std::string& path,
                      std::string_view keyword);
  void CompileKeywords(const boost::json::object& schema, const std::string& path,
                       SchemaNode& node);
  void ReportInPlaceCycles();

  const boost::json::value& document_;
  std::string root_path_;
  ConfigErrors& errors_;
  std::vector<std::unique_ptr<SchemaNode>> nodes_;
  std::map<const boost::json::value*, std::unique_ptr<Compiled>> compiled_;
  std::vector<const boost::json::value*> compile_order_;  // the root first: stable error reports
  const boost::json::value* current_ = nullptr;  // the schema whose keywords are being compiled
};

}  // namespace wg::schema
