// `redis_rq`: enqueues an RQ job that a stock Python `rq worker` runs as
// `function(payload, headers)`. Pickle by default (RQ's default serializer), `serializer: "json"`
// for workers started with `-S rq.serializers.JSONSerializer`.
#pragma once

#include <memory>

#include "modules/module.hpp"

namespace wg {

std::unique_ptr<Module> CreateRedisRqModule(const ModuleSettings& settings,
                                            const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
