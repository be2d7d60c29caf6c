#include "modules/registry.hpp"

#include <array>

#include "modules/http_webhook/http_webhook_module.hpp"
#include "modules/log/log_module.hpp"
#include "modules/postgresql/postgresql_module.hpp"
#include "modules/rabbitmq/rabbitmq_module.hpp"
#include "modules/redis/redis_publish_module.hpp"
#include "modules/redis/redis_rq_module.hpp"
#include "modules/s3/s3_module.hpp"
#include "modules/save_to_disk/save_to_disk_module.hpp"

namespace wg {
namespace {

constexpr std::array kModules = {
    ModuleEntry{"http_webhook", &CreateHttpWebhookModule},
    ModuleEntry{"log", &CreateLogModule},
    ModuleEntry{"postgres", &CreatePostgresqlModule},
    ModuleEntry{"postgresql", &CreatePostgresqlModule},
    ModuleEntry{"rabbitmq", &CreateRabbitmqModule},
    ModuleEntry{"redis_publish", &CreateRedisPublishModule},
    ModuleEntry{"redis_rq", &CreateRedisRqModule},
    ModuleEntry{"s3", &CreateS3Module},
    ModuleEntry{"save_to_disk", &CreateSaveToDiskModule},
};

constexpr std::array<std::string_view, 9> kPlanned = {
    "kafka", "clickhouse", "websocket", "mqtt", "zeromq", "activemq", "aws_sqs",
    "gcp_pubsub", "mysql"};

}  // namespace

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
  return name == "mariadb" || name == "webhook_connect";
}

}  // namespace wg
