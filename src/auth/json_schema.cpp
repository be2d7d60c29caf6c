#include "auth/json_schema.hpp"

#include <fmt/format.h>

#include "config/json_reader.hpp"
#include "schema/json_schema.hpp"

namespace wg {
namespace {

class JsonSchemaValidator final : public Validator {
 public:
  JsonSchemaValidator(std::shared_ptr<const JsonSchema> schema, boost::json::value document)
      : schema_(std::move(schema)), document_(std::move(document)) {}

  const boost::json::value* PayloadSchema() const override { return &document_; }

  bool NeedsPayload() const override { return true; }

  std::optional<AuthFailure> CheckPayload(const boost::json::value& payload) const override {
    std::optional<schema::Violation> violation = schema_->Validate(payload);
    if (!violation) return std::nullopt;
    std::string where = violation->instance_path.empty() ? "the root" : violation->instance_path;
    return AuthFailure{400,
                       fmt::format("JSON schema validation failed at {} ({}): {}", where,
                                   violation->keyword, violation->message),
                       "schema_" + violation->keyword,
                       {}};
  }

 private:
  std::shared_ptr<const JsonSchema> schema_;
  boost::json::value document_;  // as configured, for GET /openapi.json
};

}  // namespace

std::shared_ptr<const Validator> BuildJsonSchema(const boost::json::object& webhook,
                                                 const std::string& webhook_path,
                                                 ConfigErrors& errors) {
  const std::string path = JoinPath(webhook_path, "json_schema");
  const boost::json::value& value = webhook.at("json_schema");
  const boost::json::value* data_type = webhook.if_contains("data_type");
  if (data_type != nullptr && data_type->is_string() && data_type->get_string() == "blob") {
    // A blob is delivered as raw bytes, never parsed: there is no payload to validate.
    errors.Add(path, "cannot validate a webhook with data_type \"blob\": its body is not parsed "
                     "(use json, form or text)");
    return nullptr;
  }
  auto schema = JsonSchema::Compile(value, path, errors);
  if (!schema) return nullptr;
  return std::make_shared<JsonSchemaValidator>(std::move(schema), value);
}

}  // namespace wg
