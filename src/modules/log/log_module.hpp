// `log`: one line per webhook on stdout (JSON; `pretty_print` for a readable block), with
// credentials redacted unless `redact_sensitive` is false.
#pragma once

#include <memory>

#include "modules/module.hpp"

namespace wg {

std::unique_ptr<Module> CreateLogModule(const ModuleSettings& settings,
                                        const ModuleContext& context, ConfigErrors& errors);

// Exposed for tests: the text the module writes for one delivery.
std::string RenderLogEntry(const Delivery& delivery, bool pretty, bool redact);

}  // namespace wg
