// `http_webhook`: forwards the payload to `url` (POST, PUT or PATCH) over pooled keep-alive
// connections. 2xx = delivered; 408, 429, 5xx, refused connections and timeouts = retryable;
// other answers = permanent. Outbound URLs follow the SSRF rules of url_policy.hpp; https URLs
// are verified against the system's CA store or the PEM bundle named by `ssl_ca_cert`
// (connections/http/http_client.hpp).
#pragma once

#include <memory>

#include "modules/module.hpp"

namespace wg {

std::unique_ptr<Module> CreateHttpWebhookModule(const ModuleSettings& settings,
                                                const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
