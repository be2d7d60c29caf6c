// Where a webhook option that keeps state between requests (rate_limit, dedup) keeps it:
// "backend": "local" (this process; the default) or "redis" with "connection": the name of a
// Redis connection of connections.json, so that several gateway processes share the state.
// "fail_open" says what a request gets while that Redis is unreachable: true (the default)
// lets it through unchecked, false refuses it with 503 and Retry-After.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/json_reader.hpp"
#include "connections/redis/redis_client.hpp"
#include "modules/module.hpp"

namespace wg {

struct SharedStateBackend {
  std::shared_ptr<RedisClient> redis;  // null: local to this process
  bool fail_open = true;
};

// Reads "backend", "connection" and "fail_open" of `reader`'s object (the option `option`, for
// messages). Reports every problem; nullopt on error.
std::optional<SharedStateBackend> ParseSharedStateBackend(
    ObjectReader& reader, std::string_view option,
    const std::map<std::string, ConnectionConfig, std::less<>>& connections,
    const ModuleContext& context);

}  // namespace wg
