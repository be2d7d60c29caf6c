#include "schema/json_schema.hpp"

#include "schema/compiler.hpp"

namespace wg {

std::shared_ptr<const JsonSchema> JsonSchema::Compile(const boost::json::value& document,
                                                      const std::string& path,
                                                      ConfigErrors& errors) {
  std::shared_ptr<JsonSchema> compiled(new JsonSchema());
  schema::SchemaCompiler compiler(document, path, errors);
  compiled->root_ = compiler.CompileRoot(compiled->nodes_);
  if (compiled->root_ == nullptr) return nullptr;
  return compiled;
}

std::optional<schema::Violation> JsonSchema::Validate(const boost::json::value& payload) const {
  schema::Evaluation evaluation;
  return root_->Validate(payload, schema::InstanceLocation{}, evaluation);
}

}  // namespace wg
