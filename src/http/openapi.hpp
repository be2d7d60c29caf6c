// GET /openapi.json: an OpenAPI 3.0 document generated from the loaded webhooks — one
// `POST /webhook/<id>` operation per webhook, with the credentials each one requires (every
// security scheme of a webhook must pass: one requirement object naming them all), the payload
// schema of `json_schema`, the body's media type from `data_type`, and the answers the gateway
// can give for that webhook. Names of headers and query parameters appear; secrets never do.
#pragma once

#include <string>

namespace wg {

struct GatewayConfig;

std::string OpenApiDocument(const GatewayConfig& config);

}  // namespace wg
