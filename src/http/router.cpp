#include "http/router.hpp"

#include <fmt/format.h>

#include <chrono>

#include "http/openapi.hpp"
#include "http/status_access.hpp"
#include "observability/metrics.hpp"
#include "observability/webhook_stats.hpp"
#include "util/url_encoding.hpp"

namespace wg {
namespace http = boost::beast::http;
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 1;  // skip the leading '/'
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

}  // namespace

std::optional<std::string> DecodePathSegment(std::string_view segment) {
  return PercentDecode(segment);
}

std::variant<HttpAnswer, Admission, AdminRequest> Router::OnHead(
    http::verb method, std::string_view target, const std::vector<Header>& headers,
    std::optional<uint64_t> content_length, std::string_view peer_address,
    WebhookCall* call) const {
  std::string_view path = target.substr(0, target.find('?'));
  if (path.empty() || path.front() != '/') return HttpAnswer::Error(404, "Not Found");
  if (AdminApi::IsAdminPath(path)) {
    if (!admin_) return HttpAnswer::Error(404, "Not Found");
    auto admin = admin_->OnHead(method, target, headers);
    if (auto* answer = std::get_if<HttpAnswer>(&admin)) return std::move(*answer);
    return std::get<AdminRequest>(std::move(admin));
  }

  if (path == "/" || path == "/health" || path == "/stats" || path == "/metrics") {
    if (method != http::verb::get && method != http::verb::head) {
      return HttpAnswer::Error(405, "Method Not Allowed");
    }
    if (path == "/") return HttpAnswer::Json(200, R"({"message":"200 OK"})");
    if (path == "/health") return HealthPage(status_);
    if (status_.access) {
      if (auto refused = status_.access->Check(headers, peer_address)) return std::move(*refused);
    }
    if (path == "/stats") return StatsPage(status_);
    return MetricsPage(status_);
  }

  if (path == "/openapi.json") {
    if (method != http::verb::get && method != http::verb::head) {
      return HttpAnswer::Error(405, "Method Not Allowed");
    }
    auto config = status_.config->Get();
    if (!config) return HttpAnswer::Error(503, "Configuration not loaded");
    return HttpAnswer::Json(200, OpenApiDocument(*config));
  }

  auto segments = SplitPath(path);
  if (segments.size() >= 2 && segments.size() <= 3 && segments[0] == "webhook") {
    WebhookCall unused;
    return OnWebhookPath(method, target, segments, headers, content_length, peer_address,
                         call ? *call : unused);
  }
  return HttpAnswer::Error(404, "Not Found");
}

std::variant<HttpAnswer, Admission, AdminRequest> Router::OnWebhookPath(
    http::verb method, std::string_view target, const std::vector<std::string_view>& segments,
    const std::vector<Header>& headers, std::optional<uint64_t> content_length,
    std::string_view peer_address, WebhookCall& call) const {
  for (size_t i = 1; i < segments.size(); ++i) {
    if (segments[i].empty()) return HttpAnswer::Error(404, "Not Found");
  }
  if (method != http::verb::post) return HttpAnswer::Error(405, "Method Not Allowed");
  call.is_webhook = true;  // from here on every answer is counted
  auto last = DecodePathSegment(segments.back());
  std::optional<std::string> ns;
  if (segments.size() == 3) ns = DecodePathSegment(segments[1]);
  if (!last || (segments.size() == 3 && !ns)) {
    return HttpAnswer::Error(400, "Invalid URL encoding in path");
  }
  if (segments.size() == 3 && ns->empty()) return HttpAnswer::Error(400, "Invalid namespace format");
  RequestHead head{ns ? std::string_view(*ns) : std::string_view(),
                   *last,
                   headers,
                   content_length,
                   http::to_string(method),
                   target,
                   peer_address,
                   &call.webhook};
  auto admitted = pipeline_.OnHead(head);
  if (counters_.stats) call.endpoint = ns ? fmt::format("{}/{}", *ns, *last) : std::move(*last);
  if (auto* answer = std::get_if<HttpAnswer>(&admitted)) return std::move(*answer);
  return std::get<Admission>(std::move(admitted));
}

void Router::Answered(const WebhookCall& call, unsigned status) const {
  if (!call.is_webhook) return;
  if (counters_.metrics) {
    counters_.metrics->CountRequest(
        call.webhook ? std::string_view(call.webhook->id) : Metrics::kUnknownWebhook, status);
  }
  // As the Python project: only accepted webhooks count, under the id (and namespace) asked for.
  if (counters_.stats && call.webhook && status >= 200 && status < 300) {
    counters_.stats->Count(call.endpoint, std::chrono::system_clock::now());
  }
}

}  // namespace wg
