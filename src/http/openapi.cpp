#include "http/openapi.hpp"

#include <boost/json.hpp>

#include "config/config_loader.hpp"

namespace wg {
namespace json = boost::json;
namespace {

json::object Answer(std::string_view description) {
  return {
      {"description", description},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Detail"}}}}}}}};
}

json::object Accepted() {
  json::object schema{{"type", "object"},
                      {"properties",
                       {{"message", {{"type", "string"}, {"example", "200 OK"}}},
                        {"id", {{"type", "string"}}},
                        {"duplicate", {{"type", "boolean"}}}}},
                      {"required", json::array{"message"}}};
  return {{"description", "Accepted: the webhook will be delivered (see acknowledge)"},
          {"content", {{"application/json", {{"schema", std::move(schema)}}}}}};
}

json::object RequestBody(const WebhookDefinition& webhook, const json::value* schema) {
  json::object content;
  switch (webhook.data_type) {
    case DataType::kBlob:
      content["application/octet-stream"] = {
          {"schema", {{"type", "string"}, {"format", "binary"}}}};
      break;
    default:
      content["application/json"] = {{"schema", schema ? *schema : json::value(json::object())}};
      break;
  }
  return {{"required", true}, {"content", std::move(content)}};
}

json::object Responses(const WebhookDefinition& webhook, bool authenticated) {
  json::object responses;
  responses["200"] = Accepted();
  responses["400"] = Answer("Malformed body, limits or schema not met");
  if (authenticated) responses["401"] = Answer("Authentication failed");
  responses["403"] = Answer("Client address not allowed (ip_whitelist)");
  responses["413"] = Answer("Body too large");
  if (webhook.rate_limit) responses["429"] = Answer("Rate limit reached; see Retry-After");
  if (webhook.acknowledge == Acknowledge::kDelivered) {
    responses["502"] = Answer("A destination failed; per-destination results in the body");
    responses["504"] = Answer("The chain's timeout ended the delivery");
  }
  responses["503"] = Answer("Busy or a server that must be asked is down; see Retry-After");
  return responses;
}

}  // namespace

std::string OpenApiDocument(const GatewayConfig& config) {
  json::object paths;
  json::object schemes;
  for (const auto& [id, webhook] : config.webhooks) {
    json::object requirement;
    const json::value* payload_schema = nullptr;
    for (size_t i = 0; i < webhook->validators.size(); ++i) {
      const Validator& validator = *webhook->validators[i];
      if (const json::value* schema = validator.PayloadSchema()) payload_schema = schema;
      std::optional<json::object> scheme = validator.SecurityScheme();
      if (!scheme || i >= webhook->validator_keys.size()) continue;
      std::string name = id + "_" + std::string(webhook->validator_keys[i]);
      requirement[name] = json::array();
      schemes[name] = std::move(*scheme);
    }
    json::object operation{{"operationId", "post_webhook_" + id},
                           {"tags", json::array{"webhooks"}},
                           {"summary", "Receive webhook " + id},
                           {"requestBody", RequestBody(*webhook, payload_schema)},
                           {"responses", Responses(*webhook, !requirement.empty())}};
    if (!requirement.empty()) operation["security"] = json::array{std::move(requirement)};
    paths["/webhook/" + id] = {{"post", std::move(operation)}};
  }
  json::object detail{{"type", "object"},
                      {"properties", {{"detail", {{"type", "string"}}}}},
                      {"required", json::array{"detail"}}};
  json::object components{{"schemas", {{"Detail", std::move(detail)}}}};
  if (!schemes.empty()) components["securitySchemes"] = std::move(schemes);
  json::object document{
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "webhook-gateway"},
        {"version", "1.0.0"},
        {"description", "Webhooks this gateway accepts, generated from its webhooks.json"}}},
      {"paths", std::move(paths)},
      {"components", std::move(components)}};
  return json::serialize(document);
}

}  // namespace wg
