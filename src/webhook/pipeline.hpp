// The request pipeline for POST /webhook/{id}: id check -> lookup (with the "default" fallback)
// -> rate limit -> authorization -> header limits -> declared size -> [body read by the HTTP
// layer] -> body signatures -> payload parsing and limits -> payload validation (json_schema) ->
// dedup -> acceptance into the work queue.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "chain/chain_runner.hpp"
#include "chain/work_queue.hpp"
#include "config/config_loader.hpp"
#include "http/response.hpp"
#include "modules/module.hpp"
#include "webhook/limits.hpp"

namespace wg {

class DedupBackend;
class Logger;
class Metrics;
class Spool;
class SpoolDispatcher;

// The current configuration; swapped whole on reload, read by every request.
class ConfigHolder {
 public:
  explicit ConfigHolder(std::shared_ptr<const GatewayConfig> config) : config_(std::move(config)) {}
  std::shared_ptr<const GatewayConfig> Get() const { return config_.load(); }
  void Set(std::shared_ptr<const GatewayConfig> config) { config_.store(std::move(config)); }

 private:
  std::atomic<std::shared_ptr<const GatewayConfig>> config_;
};

struct RequestHead {
  std::string_view ns;  // empty for /webhook/{id}
  std::string_view webhook_id;
  const std::vector<Header>& headers;  // lower-cased names
  std::optional<uint64_t> content_length;
  std::string_view method = "POST";
  std::string_view target;        // path and query as sent
  std::string_view peer_address;  // the socket's peer
  // When set, OnHead stores the webhook the id resolved to (for the metrics label).
  std::shared_ptr<const WebhookDefinition>* found = nullptr;
};

// What body-signing methods (hmac, ...) need of the head, kept until the body has arrived.
struct HeadContext {
  std::string method;
  std::string target;
  std::string peer_address;
  std::vector<std::pair<std::string, std::string>> query;
};

// A request whose head passed every check; the body may be read. When a method must still be
// awaited (`async_check_from`), FinishHead runs it and the methods after it first.
struct Admission {
  std::shared_ptr<const WebhookDefinition> webhook;
  std::string webhook_id;
  std::shared_ptr<const HeadContext> head;  // when the webhook checks the body or awaits a method
  std::optional<size_t> async_check_from;   // index into webhook->validators
  // The webhook's rate limit is in Redis: the head checks go on in OnSharedRateLimit.
  bool awaits_shared_rate_limit = false;
};

// The decoded query parameters of a request target, in order.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view target);

class Pipeline {
 public:
  // `spool` and `dispatcher` may be null when no webhook acknowledges `persisted`;
  // `dedup_store` (the local dedup keys) when no webhook has a local `dedup`; `metrics` when
  // nothing is counted.
  Pipeline(const ConfigHolder& config, WorkQueue& work_queue, Spool* spool,
           SpoolDispatcher* dispatcher, Logger& logger, RequestLimits limits,
           DedupBackend* dedup_store = nullptr, Metrics* metrics = nullptr)
      : config_(config),
        work_queue_(work_queue),
        spool_(spool),
        dispatcher_(dispatcher),
        logger_(logger),
        limits_(limits),
        dedup_store_(dedup_store),
        metrics_(metrics) {}

  std::variant<HttpAnswer, Admission> OnHead(const RequestHead& head) const;

  // For an Admission with `async_check_from`: runs the remaining methods in order (awaiting the
  // ones that ask another server), then the header and size limits OnHead left for after them.
  // An answer means the request is refused; nullopt means the body may be read.
  boost::asio::awaitable<std::optional<HttpAnswer>> FinishHead(
      Admission admission, std::vector<Header> headers,
      std::optional<uint64_t> content_length) const;
  // For an Admission that awaits_shared_rate_limit: asks Redis, then finishes the head checks.
  boost::asio::awaitable<std::variant<HttpAnswer, Admission>> OnSharedRateLimit(
      Admission admission, RequestHead head) const;

  // Parses the body and accepts the delivery as the webhook's `acknowledge` says: appended to
  // the spool (persisted), queued in memory (received), or run to the end (delivered). Runs on
  // the connection's event loop, where the chain then runs too.
  boost::asio::awaitable<HttpAnswer> OnBody(Admission admission, std::vector<Header> headers,
                                            std::string body) const;

  const RequestLimits& limits() const { return limits_; }

 private:
  // The answer to a request a method refused; `method` is its webhooks.json key (the reason
  // label of webhook_gateway_auth_failures_total).
  HttpAnswer Refuse(const AuthFailure& failure, const WebhookDefinition& webhook,
                    std::string_view webhook_id, std::string_view method) const;
  // What the chain runner counts under for this webhook.
  ChainRunOptions RunOptions(const WebhookDefinition& webhook) const;
  std::optional<HttpAnswer> CheckLimits(const std::vector<Header>& headers,
                                        std::optional<uint64_t> content_length) const;
  // Authentication, header limits and declared size: the head checks after the rate limit.
  std::variant<HttpAnswer, Admission> CheckHead(std::shared_ptr<const WebhookDefinition> webhook,
                                                const RequestHead& head) const;
  // Hands the delivery over as the webhook's `acknowledge` says.
  boost::asio::awaitable<HttpAnswer> Accept(std::shared_ptr<const WebhookDefinition> webhook,
                                            std::shared_ptr<const Delivery> delivery) const;

  const ConfigHolder& config_;
  WorkQueue& work_queue_;
  Spool* spool_;
  SpoolDispatcher* dispatcher_;
  Logger& logger_;
  RequestLimits limits_;
  DedupBackend* dedup_store_;
  Metrics* metrics_;
};

const std::string* FindHeader(const std::vector<Header>& headers, std::string_view name);

}  // namespace wg
