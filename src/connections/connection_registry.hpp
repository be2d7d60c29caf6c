// The shared clients of connections.json, built once at start: every webhook and chain item that
// names a connection uses the same client (never a new connection per webhook).
#pragma once

#include <fmt/format.h>

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "config/json_reader.hpp"
#include "connections/clickhouse/clickhouse_client.hpp"
#include "connections/kafka/kafka_client.hpp"
#include "connections/mqtt/mqtt_client.hpp"
#include "connections/mysql/mysql_client.hpp"
#include "connections/postgresql/postgresql_client.hpp"
#include "connections/rabbitmq/rabbitmq_client.hpp"
#include "connections/redis/redis_client.hpp"
#include "connections/s3/s3_client.hpp"
#include "connections/sqs/sqs_client.hpp"
#include "connections/stomp/stomp_client.hpp"
#include "connections/zeromq/zeromq_client.hpp"
#include "modules/module.hpp"

namespace wg {

class ConnectionRegistry {
 public:
  // Validates the settings of every connection of a type this build uses and builds its client.
  // On a reload, `previous` is the running registry: a connection whose type and settings did
  // not change keeps its client (and its sockets); only new or changed ones get a new client.
  static std::shared_ptr<ConnectionRegistry> Build(
      const std::map<std::string, ConnectionConfig, std::less<>>& connections, ConfigErrors& errors,
      const ConnectionRegistry* previous = nullptr);

  // How many clients Build took over from `previous`.
  size_t kept() const { return kept_; }

  std::shared_ptr<RedisClient> Redis(std::string_view name) const;
  std::shared_ptr<RabbitmqClient> Rabbitmq(std::string_view name) const;
  std::shared_ptr<S3Client> S3(std::string_view name) const;
  std::shared_ptr<SqsClient> Sqs(std::string_view name) const;
  std::shared_ptr<PostgresqlClient> Postgresql(std::string_view name) const;
  std::shared_ptr<StompClient> Stomp(std::string_view name) const;
  std::shared_ptr<MqttClient> Mqtt(std::string_view name) const;
  std::shared_ptr<KafkaClient> Kafka(std::string_view name) const;
  std::shared_ptr<MysqlClient> Mysql(std::string_view name) const;
  std::shared_ptr<ClickhouseClient> Clickhouse(std::string_view name) const;

  // A client for an endpoint given inline (redis_publish's top-level `redis` block), shared by
  // every webhook naming the same endpoint.
  std::shared_ptr<RedisClient> InlineRedis(const RedisEndpoint& endpoint);
  // The zeromq module's socket for a target, shared by every webhook sending to it.
  std::shared_ptr<ZeromqClient> InlineZeromq(const ZeromqTarget& target);

  // name -> state, for /health.
  boost::json::object Health() const;

 private:
  // Reuses `previous`'s client of `connection` when its type and settings are unchanged.
  bool TakeOver(const ConnectionRegistry& previous, const ConnectionConfig& connection);

  std::map<std::string, std::shared_ptr<RedisClient>, std::less<>> redis_;
  std::map<std::string, std::shared_ptr<RabbitmqClient>, std::less<>> rabbitmq_;
  std::map<std::string, std::shared_ptr<S3Client>, std::less<>> s3_;
  std::map<std::string, std::shared_ptr<SqsClient>, std::less<>> sqs_;
  std::map<std::string, std::shared_ptr<PostgresqlClient>, std::less<>> postgresql_;
  std::map<std::string, std::shared_ptr<StompClient>, std::less<>> stomp_;
  std::map<std::string, std::shared_ptr<MqttClient>, std::less<>> mqtt_;
  std::map<std::string, std::shared_ptr<KafkaClient>, std::less<>> kafka_;
  std::map<std::string, std::shared_ptr<MysqlClient>, std::less<>> mysql_;
  std::map<std::string, std::shared_ptr<ClickhouseClient>, std::less<>> clickhouse_;
  std::map<std::string, ConnectionConfig, std::less<>> configs_;  // what each client was built from
  size_t kept_ = 0;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<RedisClient>> inline_redis_;
  std::map<std::string, std::shared_ptr<ZeromqClient>> inline_zeromq_;
};

// Connection types that are Redis servers.
bool IsRedisConnectionType(std::string_view type);

// A module's shared client for its `connection`, or null with the reason reported: no connection
// named, one of another type, or one whose settings were invalid (reported in connections.json).
template <typename Client>
std::shared_ptr<Client> ResolveClient(
    const ModuleSettings& settings, const ModuleContext& context, std::string_view module,
    std::string_view type, bool (*accepts)(std::string_view),
    std::shared_ptr<Client> (ConnectionRegistry::*find)(std::string_view) const,
    ConfigErrors& errors) {
  if (settings.connection == nullptr) {
    errors.Add(settings.path,
               fmt::format("{} needs a \"connection\" of type \"{}\"", module, type));
    return nullptr;
  }
  if (!accepts(settings.connection->type)) {
    errors.Add(settings.path, fmt::format("connection \"{}\" has type \"{}\"; {} needs \"{}\"",
                                          settings.connection->name, settings.connection->type,
                                          module, type));
    return nullptr;
  }
  std::shared_ptr<Client> client;
  if (context.connections != nullptr) client = (context.connections->*find)(settings.connection->name);
  if (!client) {
    errors.Add(settings.path, fmt::format("connection \"{}\" has invalid settings (see the "
                                          "connections.json errors)", settings.connection->name));
  }
  return client;
}

}  // namespace wg
