#include "modules/registry.hpp"

#include <array>

#include "modules/activemq/activemq_module.hpp"
#include "modules/aws_sqs/aws_sqs_module.hpp"
#include "modules/clickhouse/clickhouse_module.hpp"
#include "modules/discard/discard_module.hpp"
#include "modules/http_webhook/http_webhook_module.hpp"
#include "modules/kafka/kafka_module.hpp"
#include "modules/log/log_module.hpp"
#include "modules/mqtt/mqtt_module.hpp"
#include "modules/mysql/mysql_module.hpp"
#include "modules/postgresql/postgresql_module.hpp"
#include "modules/rabbitmq/rabbitmq_module.hpp"
#include "modules/redis/redis_publish_module.hpp"
#include "modules/redis/redis_rq_module.hpp"
#include "modules/s3/s3_module.hpp"
#include "modules/save_to_disk/save_to_disk_module.hpp"
#include "modules/websocket/websocket_module.hpp"
#include "modules/zeromq/zeromq_module.hpp"

namespace wg {
namespace {

constexpr std::array kModules = {
    ModuleEntry{"activemq", &CreateActivemqModule, "activemq"},
    ModuleEntry{"aws_sqs", &CreateAwsSqsModule, "aws_sqs"},
    ModuleEntry{"clickhouse", &CreateClickhouseModule, "clickhouse"},
    ModuleEntry{"discard", &CreateDiscardModule},
    ModuleEntry{"http_webhook", &CreateHttpWebhookModule},
    ModuleEntry{"kafka", &CreateKafkaModule, "kafka"},
    ModuleEntry{"log", &CreateLogModule},
    ModuleEntry{"mariadb", &CreateMysqlModule, "mysql,mariadb"},
    ModuleEntry{"mqtt", &CreateMqttModule, "mqtt"},
    ModuleEntry{"mysql", &CreateMysqlModule, "mysql,mariadb"},
    ModuleEntry{"postgres", &CreatePostgresqlModule, "postgresql,postgres"},
    ModuleEntry{"postgresql", &CreatePostgresqlModule, "postgresql,postgres"},
    ModuleEntry{"rabbitmq", &CreateRabbitmqModule, "rabbitmq"},
    ModuleEntry{"redis_publish", &CreateRedisPublishModule, "redis,redis-rq"},
    ModuleEntry{"redis_rq", &CreateRedisRqModule, "redis-rq,redis"},
    ModuleEntry{"s3", &CreateS3Module, "s3"},
    ModuleEntry{"save_to_disk", &CreateSaveToDiskModule},
    ModuleEntry{"websocket", &CreateWebsocketModule},
    ModuleEntry{"zeromq", &CreateZeromqModule},
};

constexpr std::array<std::string_view, 1> kPlanned = {"gcp_pubsub"};

}  // namespace

bool ModuleEntry::AcceptsConnectionType(std::string_view type) const {
  std::string_view rest = connection_types;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    if (rest.substr(0, comma) == type) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

const ModuleEntry* FindModule(std::string_view name) {
  for (const auto& entry : kModules) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::string KnownModuleNames() {
  std::string names;
  for (const auto& entry : kModules) {
    if (!names.empty()) names += ", ";
    names += entry.name;
  }
  return names;
}

bool IsPlannedModule(std::string_view name) {
  for (auto planned : kPlanned) {
    if (planned == name) return true;
  }
  return name == "webhook_connect";
}

}  // namespace wg
