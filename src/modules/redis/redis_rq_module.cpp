#include "modules/redis/redis_rq_module.hpp"

#include <fmt/format.h>


#include "config/json_reader.hpp"
#include "config/names.hpp"
#include "connections/connection_registry.hpp"
#include "modules/redis/rq_job.hpp"

namespace wg {
namespace {

class RedisRqModule final : public Module {
 public:
  RedisRqModule(std::shared_ptr<RedisClient> client, RqJobOptions options)
      : client_(std::move(client)), options_(std::move(options)) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    auto commands = BuildRqJobCommands(options_, *delivery, NewUuid4(),
                                       std::chrono::system_clock::now());
    auto executing = client_->Execute(std::move(commands));
    RedisResult result = co_await std::move(executing);
    if (!result.ok) co_return Outcome::Retryable(result.error);
    // MULTI, 3 x QUEUED, then EXEC with the three replies (nil when the transaction aborted).
    const RedisReply& exec = result.replies.back();
    for (const auto& reply : result.replies) {
      if (reply.IsError()) co_return Outcome::Permanent("redis refused the job: " + reply.text);
    }
    if (exec.kind != RedisReply::Kind::kArray) {
      co_return Outcome::Retryable("redis did not run the transaction: " + DescribeReply(exec));
    }
    for (const auto& reply : exec.elements) {
      if (reply.IsError()) co_return Outcome::Permanent("redis refused the job: " + reply.text);
    }
    co_return Outcome::Delivered();
  }

 private:
  std::shared_ptr<RedisClient> client_;
  RqJobOptions options_;
};

}  // namespace

std::unique_ptr<Module> CreateRedisRqModule(const ModuleSettings& settings,
                                            const ModuleContext& context, ConfigErrors& errors) {
  ObjectReader reader(settings.config, settings.path, errors);
  const size_t before = errors.size();
  RqJobOptions options;
  auto function = reader.String("function", true);
  options.queue = reader.StringOr("queue_name", "default");
  std::string serializer = reader.StringOr("serializer", "pickle");
  options.timeout_seconds = static_cast<int>(reader.Integer("job_timeout", 180, 1, 86400 * 7));
  options.result_ttl_seconds = static_cast<int>(reader.Integer("result_ttl", 500, 0, 86400 * 30));
  reader.RejectUnknownKeys("redis_rq module-config");

  if (function) {
    if (auto problem = CheckRqFunctionName(*function); !problem.empty()) {
      errors.Add(reader.PathOf("function"), problem);
    }
    options.function = *function;
  }
  if (!IsNameOf(options.queue, "_.:-", 255)) {
    errors.Add(reader.PathOf("queue_name"), "must be 1 to 255 of A-Z a-z 0-9 _ . : -");
  }
  if (serializer == "json") options.serializer = RqSerializer::kJson;
  else if (serializer != "pickle") {
    errors.Add(reader.PathOf("serializer"),
               fmt::format("must be \"pickle\" or \"json\", got \"{}\"", serializer));
  }
  auto client = ResolveClient(settings, context, "redis_rq", "redis-rq", &IsRedisConnectionType,
                              &ConnectionRegistry::Redis, errors);
  if (errors.size() != before) return nullptr;
  return std::make_unique<RedisRqModule>(std::move(client), std::move(options));
}

}  // namespace wg
