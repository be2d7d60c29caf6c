// Maps a request head to an answer (GET /, /health, /stats, /metrics, errors) or to the webhook
// pipeline, and counts every answered webhook request for /metrics and /stats.
#pragma once

#include <boost/beast/http/verb.hpp>

#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "http/admin_api.hpp"
#include "http/status_pages.hpp"
#include "webhook/pipeline.hpp"

namespace wg {

class WebhookStats;

// Where answered webhook requests are counted; either may be null.
struct RequestCounters {
  Metrics* metrics = nullptr;
  WebhookStats* stats = nullptr;
};

// A webhook request as /metrics and /stats count it once answered; filled by Router::OnHead.
struct WebhookCall {
  bool is_webhook = false;  // a /webhook/ path: counted when answered
  // The configured webhook that answers (its id is the metrics label); null for an unknown or
  // invalid id, counted as "(unknown)".
  std::shared_ptr<const WebhookDefinition> webhook;
  std::string endpoint;  // "id" or "namespace/id" as requested: the /stats key
};

class Router {
 public:
  // `dead_letters` is only read for /metrics; `status_access` guards /stats and /metrics.
  Router(const Pipeline& pipeline, const WorkQueue& work_queue, const ConfigHolder& config,
         const AdminApi* admin = nullptr, const Spool* spool = nullptr,
         const SpoolDispatcher* dispatcher = nullptr, RequestCounters counters = {},
         const DeadLetterStore* dead_letters = nullptr, const StatusAccess* status_access = nullptr,
         const ConfigReloader* reloader = nullptr)
      : pipeline_(pipeline),
        admin_(admin),
        counters_(counters),
        status_{&work_queue,      &config,        spool,         dispatcher, dead_letters,
                counters.metrics, counters.stats, status_access, reloader} {}

  // An answer, a webhook whose body may be read, or an authorised admin call. For a webhook
  // path, `call` (when given) learns what to count once the request is answered.
  std::variant<HttpAnswer, Admission, AdminRequest> OnHead(boost::beast::http::verb method,
                                             std::string_view target,
                                             const std::vector<Header>& headers,
                                             std::optional<uint64_t> content_length,
                                             std::string_view peer_address = {},
                                             WebhookCall* call = nullptr) const;

  // Counts a webhook request answered with `status` (a no-op for other paths).
  void Answered(const WebhookCall& call, unsigned status) const;

  const Pipeline& pipeline() const { return pipeline_; }
  const AdminApi* admin() const { return admin_; }

 private:
  std::variant<HttpAnswer, Admission, AdminRequest> OnWebhookPath(
      boost::beast::http::verb method, std::string_view target,
      const std::vector<std::string_view>& segments, const std::vector<Header>& headers,
      std::optional<uint64_t> content_length, std::string_view peer_address,
      WebhookCall& call) const;

  const Pipeline& pipeline_;
  const AdminApi* admin_;
  RequestCounters counters_;
  StatusSources status_;
};

// Percent-decodes one path segment; nullopt when the encoding is invalid.
std::optional<std::string> DecodePathSegment(std::string_view segment);

}  // namespace wg
