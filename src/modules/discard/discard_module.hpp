// `discard`: accepts every delivery and keeps nothing. For endpoints that only need an answer
// (a provider's verification ping, a webhook being retired) and for measuring the gateway's own
// cost per webhook (bench/run). It takes no module-config keys.
#pragma once

#include <memory>

#include "modules/module.hpp"

namespace wg {

std::unique_ptr<Module> CreateDiscardModule(const ModuleSettings& settings,
                                            const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
