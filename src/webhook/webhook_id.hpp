// Webhook id and namespace rules of the Python project, with its exact messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wg {

// nullopt when valid, else the message for the 400 answer.
std::optional<std::string> ValidateWebhookId(std::string_view id);
bool IsValidNamespace(std::string_view ns);

}  // namespace wg
