#include "connections/redis/shared_state_backend.hpp"

#include <fmt/format.h>

#include "connections/connection_registry.hpp"

namespace wg {

std::optional<SharedStateBackend> ParseSharedStateBackend(
    ObjectReader& reader, std::string_view option,
    const std::map<std::string, ConnectionConfig, std::less<>>& connections,
    const ModuleContext& context) {
  SharedStateBackend backend;
  ConfigErrors& errors = reader.errors();
  const size_t errors_before = errors.size();
  std::string kind = reader.StringOr("backend", "local");
  auto connection_name = reader.String("connection");
  backend.fail_open = reader.Bool("fail_open", true);
  if (kind == "local") {
    if (connection_name) {
      errors.Add(
          reader.PathOf("connection"),
          fmt::format("only used with \"backend\": \"redis\" (the {} state is local)", option));
    }
  } else if (kind == "redis") {
    if (!connection_name) {
      errors.Add(reader.PathOf("backend"),
                 "\"redis\" needs a \"connection\" naming a Redis connection of connections.json");
    } else {
      auto found = connections.find(*connection_name);
      if (found == connections.end()) {
        errors.Add(reader.PathOf("connection"),
                   fmt::format("unknown connection \"{}\"", *connection_name));
      } else {
        const boost::json::object no_settings;
        ModuleSettings settings{no_settings, reader.PathOf("connection"), &found->second};
        backend.redis =
            ResolveClient<RedisClient>(settings, context, option, "redis", IsRedisConnectionType,
                                       &ConnectionRegistry::Redis, errors);
      }
    }
  } else {
    errors.Add(reader.PathOf("backend"),
               fmt::format("must be \"local\" or \"redis\", got \"{}\"", kind));
  }
  if (errors.size() != errors_before) return std::nullopt;
  return backend;
}

}  // namespace wg
