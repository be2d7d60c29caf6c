#include "connections/connection_registry.hpp"

#include <fmt/format.h>

namespace wg {
namespace {

template <typename Client>
std::shared_ptr<Client> FindClient(
    const std::map<std::string, std::shared_ptr<Client>, std::less<>>& clients,
    std::string_view name) {
  auto found = clients.find(name);
  return found == clients.end() ? nullptr : found->second;
}

}  // namespace

bool IsRedisConnectionType(std::string_view type) { return type == "redis-rq" || type == "redis"; }

std::shared_ptr<ConnectionRegistry> ConnectionRegistry::Build(
    const std::map<std::string, ConnectionConfig, std::less<>>& connections, ConfigErrors& errors,
    const ConnectionRegistry* previous) {
  auto registry = std::make_shared<ConnectionRegistry>();
  for (const auto& [name, connection] : connections) {
    if (previous != nullptr && registry->TakeOver(*previous, connection)) continue;
    if (IsRedisConnectionType(connection.type)) {
      auto endpoint = ParseRedisEndpoint(connection.settings, JoinPath("", name), errors, true);
      if (endpoint) registry->redis_.emplace(name, std::make_shared<RedisClient>(name, *endpoint));
    } else if (connection.type == "rabbitmq") {
      auto endpoint = ParseRabbitmqEndpoint(connection.settings, JoinPath("", name), errors);
      if (endpoint) {
        registry->rabbitmq_.emplace(name, std::make_shared<RabbitmqClient>(name, *endpoint));
      }
    } else if (connection.type == "s3") {
      auto settings = ParseS3Settings(connection.settings, JoinPath("", name), errors);
      if (settings) registry->s3_.emplace(name, std::make_shared<S3Client>(name, *settings));
    } else if (connection.type == "aws_sqs") {
      auto settings = ParseSqsSettings(connection.settings, JoinPath("", name), errors);
      if (settings) registry->sqs_.emplace(name, std::make_shared<SqsClient>(name, *settings));
    } else if (connection.type == "activemq") {
      auto endpoint = ParseStompEndpoint(connection.settings, JoinPath("", name), errors);
      if (endpoint) registry->stomp_.emplace(name, std::make_shared<StompClient>(name, *endpoint));
    } else if (IsPostgresqlConnectionType(connection.type)) {
      auto endpoint = ParsePostgresqlEndpoint(connection.settings, JoinPath("", name), errors);
      if (endpoint) {
        registry->postgresql_.emplace(name, std::make_shared<PostgresqlClient>(name, *endpoint));
      }
    } else if (connection.type == "mqtt") {
      auto endpoint = ParseMqttEndpoint(connection.settings, JoinPath("", name), errors);
      if (endpoint) registry->mqtt_.emplace(name, std::make_shared<MqttClient>(name, *endpoint));
    } else if (connection.type == "kafka") {
      auto endpoint = ParseKafkaEndpoint(connection.settings, JoinPath("", name), errors);
      if (endpoint) registry->kafka_.emplace(name, std::make_shared<KafkaClient>(name, *endpoint));
    } else if (IsMysqlConnectionType(connection.type)) {
      auto endpoint = ParseMysqlEndpoint(connection.settings, JoinPath("", name), errors);
      if (endpoint) registry->mysql_.emplace(name, std::make_shared<MysqlClient>(name, *endpoint));
    } else if (connection.type == "clickhouse") {
      auto endpoint = ParseClickhouseEndpoint(connection.settings, JoinPath("", name), errors);
      if (endpoint) {
        registry->clickhouse_.emplace(name, std::make_shared<ClickhouseClient>(name, *endpoint));
      }
    }
    registry->configs_.emplace(name, connection);
  }
  if (previous != nullptr) {
    std::lock_guard lock(previous->mutex_);
    registry->inline_redis_ = previous->inline_redis_;
    registry->inline_zeromq_ = previous->inline_zeromq_;  // a bound socket stays bound
  }
  return registry;
}

bool ConnectionRegistry::TakeOver(const ConnectionRegistry& previous,
                                  const ConnectionConfig& connection) {
  auto before = previous.configs_.find(connection.name);
  if (before == previous.configs_.end() || before->second.type != connection.type ||
      before->second.settings != connection.settings) {
    return false;
  }
  const std::string& name = connection.name;
  bool taken = false;
  if (auto client = FindClient(previous.redis_, name)) taken = redis_.emplace(name, client).second;
  if (auto client = FindClient(previous.rabbitmq_, name)) taken = rabbitmq_.emplace(name, client).second;
  if (auto client = FindClient(previous.s3_, name)) taken = s3_.emplace(name, client).second;
  if (auto client = FindClient(previous.sqs_, name)) taken = sqs_.emplace(name, client).second;
  if (auto client = FindClient(previous.postgresql_, name)) {
    taken = postgresql_.emplace(name, client).second;
  }
  if (auto client = FindClient(previous.stomp_, name)) taken = stomp_.emplace(name, client).second;
  if (auto client = FindClient(previous.mqtt_, name)) taken = mqtt_.emplace(name, client).second;
  if (auto client = FindClient(previous.kafka_, name)) taken = kafka_.emplace(name, client).second;
  if (auto client = FindClient(previous.mysql_, name)) taken = mysql_.emplace(name, client).second;
  if (auto client = FindClient(previous.clickhouse_, name)) {
    taken = clickhouse_.emplace(name, client).second;
  }
  if (!taken) return false;  // its settings were invalid: validate them again
  configs_.emplace(name, connection);
  ++kept_;
  return true;
}

std::shared_ptr<RedisClient> ConnectionRegistry::Redis(std::string_view name) const {
  return FindClient(redis_, name);
}

std::shared_ptr<RabbitmqClient> ConnectionRegistry::Rabbitmq(std::string_view name) const {
  return FindClient(rabbitmq_, name);
}

std::shared_ptr<RedisClient> ConnectionRegistry::InlineRedis(const RedisEndpoint& endpoint) {
  std::string key = fmt::format("{}:{}/{}", endpoint.host, endpoint.port, endpoint.db);
  std::lock_guard lock(mutex_);
  auto& client = inline_redis_[key];
  if (!client) client = std::make_shared<RedisClient>("redis://" + key, endpoint);
  return client;
}

std::shared_ptr<ZeromqClient> ConnectionRegistry::InlineZeromq(const ZeromqTarget& target) {
  std::lock_guard lock(mutex_);
  auto& client = inline_zeromq_[target.Key()];
  if (!client) client = std::make_shared<ZeromqClient>(target);
  return client;
}

std::shared_ptr<S3Client> ConnectionRegistry::S3(std::string_view name) const {
  return FindClient(s3_, name);
}

std::shared_ptr<SqsClient> ConnectionRegistry::Sqs(std::string_view name) const {
  return FindClient(sqs_, name);
}

std::shared_ptr<PostgresqlClient> ConnectionRegistry::Postgresql(std::string_view name) const {
  return FindClient(postgresql_, name);
}

std::shared_ptr<StompClient> ConnectionRegistry::Stomp(std::string_view name) const {
  return FindClient(stomp_, name);
}

std::shared_ptr<MqttClient> ConnectionRegistry::Mqtt(std::string_view name) const {
  return FindClient(mqtt_, name);
}

std::shared_ptr<KafkaClient> ConnectionRegistry::Kafka(std::string_view name) const {
  return FindClient(kafka_, name);
}

std::shared_ptr<MysqlClient> ConnectionRegistry::Mysql(std::string_view name) const {
  return FindClient(mysql_, name);
}

std::shared_ptr<ClickhouseClient> ConnectionRegistry::Clickhouse(std::string_view name) const {
  return FindClient(clickhouse_, name);
}

boost::json::object ConnectionRegistry::Health() const {
  boost::json::object out;
  for (const auto& [name, client] : redis_) out[name] = client->State();
  for (const auto& [name, client] : rabbitmq_) out[name] = client->State();
  for (const auto& [name, client] : s3_) out[name] = client->State();
  for (const auto& [name, client] : sqs_) out[name] = client->State();
  for (const auto& [name, client] : postgresql_) out[name] = client->State();
  for (const auto& [name, client] : stomp_) out[name] = client->State();
  for (const auto& [name, client] : mqtt_) out[name] = client->State();
  for (const auto& [name, client] : kafka_) out[name] = client->State();
  for (const auto& [name, client] : mysql_) out[name] = client->State();
  for (const auto& [name, client] : clickhouse_) out[name] = client->State();
  std::lock_guard lock(mutex_);
  for (const auto& [key, client] : inline_redis_) out[client->name()] = client->State();
  for (const auto& [key, client] : inline_zeromq_) out[client->name()] = client->State();
  return out;
}

}  // namespace wg
