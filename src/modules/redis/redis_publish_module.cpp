#include "modules/redis/redis_publish_module.hpp"

#include <fmt/format.h>

#include <set>

#include "config/json_reader.hpp"
#include "config/names.hpp"
#include "connections/connection_registry.hpp"
#include "connections/http/url_policy.hpp"

namespace wg {
namespace json = boost::json;
namespace {

class RedisPublishModule final : public Module {
 public:
  RedisPublishModule(std::shared_ptr<RedisClient> client, std::string channel)
      : client_(std::move(client)), channel_(std::move(channel)) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    json::object message;
    if (delivery->data_type == DataType::kBlob) {
      message["payload"] = json::string(delivery->body);
    } else {
      message["payload"] = delivery->payload;
    }
    json::object headers;
    for (const auto& header : delivery->headers) headers[header.name] = header.value;
    message["headers"] = std::move(headers);
    auto executing = client_->Execute({{"PUBLISH", channel_, json::serialize(message)}});
    RedisResult result = co_await std::move(executing);
    if (!result.ok) co_return Outcome::Retryable(result.error);
    if (result.replies[0].IsError()) {
      co_return Outcome::Permanent("redis refused PUBLISH: " + result.replies[0].text);
    }
    co_return Outcome::Delivered();
  }

 private:
  std::shared_ptr<RedisClient> client_;
  std::string channel_;
};

}  // namespace

std::unique_ptr<Module> CreateRedisPublishModule(const ModuleSettings& settings,
                                                 const ModuleContext& context, ConfigErrors& errors) {
  const size_t before = errors.size();
  ObjectReader reader(settings.config, settings.path, errors);
  std::string channel = reader.StringOr("channel", "webhook_events");
  std::shared_ptr<RedisClient> client;

  if (const json::object* inline_block = reader.Object("redis")) {
    // The Python project's top-level block: host, port, channel, allowed_hosts.
    ObjectReader block(*inline_block, reader.PathOf("redis"), errors);
    if (auto inline_channel = block.String("channel")) channel = *inline_channel;
    std::set<std::string> allowed;
    if (auto hosts = block.StringList("allowed_hosts")) allowed.insert(hosts->begin(), hosts->end());
    json::object endpoint_settings = *inline_block;
    endpoint_settings.erase("channel");
    endpoint_settings.erase("allowed_hosts");
    auto endpoint = ParseRedisEndpoint(endpoint_settings, block.path(), errors, true);
    if (endpoint) {
      if (!allowed.contains(endpoint->host)) {
        if (auto reason = BlockedHostReason(endpoint->host)) {
          errors.Add(block.PathOf("host"),
                     fmt::format("refused redis host \"{}\": {} (list it in allowed_hosts, or use "
                                 "a connection from connections.json)", endpoint->host, *reason));
        }
      }
      if (errors.size() == before && context.connections != nullptr) {
        client = context.connections->InlineRedis(*endpoint);
      }
    }
  } else if (settings.connection == nullptr) {
    errors.Add(settings.path, "redis_publish needs a \"connection\" of type \"redis\" or a "
                              "top-level \"redis\" block");
  } else if (!IsRedisConnectionType(settings.connection->type)) {
    errors.Add(settings.path, fmt::format("connection \"{}\" has type \"{}\"; redis_publish needs "
                                          "\"redis\" or \"redis-rq\"", settings.connection->name,
                                          settings.connection->type));
  } else if (context.connections != nullptr) {
    client = context.connections->Redis(settings.connection->name);
    if (!client) {
      errors.Add(settings.path, fmt::format("connection \"{}\" has invalid settings (see the "
                                            "connections.json errors)", settings.connection->name));
    }
  }
  reader.RejectUnknownKeys("redis_publish module-config");

  if (!IsNameOf(channel, "_.:-", 255) || channel.find("..") != std::string::npos) {
    errors.Add(reader.PathOf("channel"), "must be 1 to 255 of A-Z a-z 0-9 _ . : - without \"..\"");
  }
  if (errors.size() != before || !client) return nullptr;
  return std::make_unique<RedisPublishModule>(std::move(client), std::move(channel));
}

}  // namespace wg
