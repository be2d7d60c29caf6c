// The shared clients of connections.json, built once at start: every webhook and chain item that
// names a connection uses the same client (never a new connection per webhook).
#pragma once

#include <boost/json.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "config/json_reader.hpp"
#include "connections/postgresql/postgresql_client.hpp"
#include "connections/rabbitmq/rabbitmq_client.hpp"
#include "connections/redis/redis_client.hpp"
#include "connections/s3/s3_client.hpp"
#include "modules/module.hpp"

namespace wg {

class ConnectionRegistry {
 public:
  // Validates the settings of every connection of a type this build uses and builds its client.
  static std::shared_ptr<ConnectionRegistry> Build(
      const std::map<std::string, ConnectionConfig, std::less<>>& connections, ConfigErrors& errors);

  std::shared_ptr<RedisClient> Redis(std::string_view name) const;
  std::shared_ptr<RabbitmqClient> Rabbitmq(std::string_view name) const;
  std::shared_ptr<S3Client> S3(std::string_view name) const;
  std::shared_ptr<PostgresqlClient> Postgresql(std::string_view name) const;

  // A client for an endpoint given inline (redis_publish's top-level `redis` block), shared by
  // every webhook naming the same endpoint.
  std::shared_ptr<RedisClient> InlineRedis(const RedisEndpoint& endpoint);

  // name -> state, for /health.
  boost::json::object Health() const;

 private:
  std::map<std::string, std::shared_ptr<RedisClient>, std::less<>> redis_;
  std::map<std::string, std::shared_ptr<RabbitmqClient>, std::less<>> rabbitmq_;
  std::map<std::string, std::shared_ptr<S3Client>, std::less<>> s3_;
  std::map<std::string, std::shared_ptr<PostgresqlClient>, std::less<>> postgresql_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<RedisClient>> inline_redis_;
};

// Connection types that are Redis servers.
bool IsRedisConnectionType(std::string_view type);

}  // namespace wg
