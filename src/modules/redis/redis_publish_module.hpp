// `redis_publish`: PUBLISH <channel> {"payload": ..., "headers": {...}}. The server comes from a
// `connection` (type redis or redis-rq) or, as in the Python project, from the webhook's
// top-level `redis` block {host, port, channel, allowed_hosts}.
#pragma once

#include <memory>

#include "modules/module.hpp"

namespace wg {

std::unique_ptr<Module> CreateRedisPublishModule(const ModuleSettings& settings,
                                                 const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
