#include "http/router.hpp"

#include <fmt/format.h>

#include <chrono>

#include "http/openapi.hpp"
#include "spool/spool.hpp"
#include "spool/spool_dispatcher.hpp"
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

HttpAnswer Router::Health() const {
  double now = std::chrono::duration<double>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
  boost::json::object components;
  components["config"] = "healthy";
  components["work_queue"] = {{"in_flight", work_queue_.InFlight()},
                              {"queued", work_queue_.Queued()}};
  if (spool_) {
    SpoolStats stats = spool_->Stats();
    boost::json::object spool{{"bytes", stats.bytes},
                              {"segments", stats.segments},
                              {"unfinished", stats.unfinished},
                              {"appended", stats.appended},
                              {"fsyncs", stats.fsyncs},
                              {"fsyncs_in_place", stats.fsyncs_in_place}};
    if (dispatcher_) {
      spool["running"] = dispatcher_->Running();
      spool["waiting"] = dispatcher_->Waiting();
      spool["lanes"] = dispatcher_->Lanes();
    }
    components["spool"] = std::move(spool);
  }
  auto config = config_.Get();
  if (config && config->connection_registry) {
    components["connections"] = config->connection_registry->Health();
  }
  boost::json::object health;
  health["status"] = "healthy";
  health["service"] = "webhook-gateway";
  health["timestamp"] = now;
  health["components"] = std::move(components);
  return HttpAnswer::Json(200, boost::json::serialize(health));
}

std::variant<HttpAnswer, Admission, AdminRequest> Router::OnHead(
    http::verb method, std::string_view target, const std::vector<Header>& headers,
    std::optional<uint64_t> content_length, std::string_view peer_address) const {
  std::string_view path = target.substr(0, target.find('?'));
  if (path.empty() || path.front() != '/') return HttpAnswer::Error(404, "Not Found");
  if (AdminApi::IsAdminPath(path)) {
    if (!admin_) return HttpAnswer::Error(404, "Not Found");
    auto admin = admin_->OnHead(method, target, headers);
    if (auto* answer = std::get_if<HttpAnswer>(&admin)) return std::move(*answer);
    return std::get<AdminRequest>(std::move(admin));
  }

  if (path == "/" || path == "/health") {
    if (method != http::verb::get && method != http::verb::head) {
      return HttpAnswer::Error(405, "Method Not Allowed");
    }
    if (path == "/") return HttpAnswer::Json(200, R"({"message":"200 OK"})");
    return Health();
  }

  if (path == "/openapi.json") {
    if (method != http::verb::get && method != http::verb::head) {
      return HttpAnswer::Error(405, "Method Not Allowed");
    }
    auto config = config_.Get();
    if (!config) return HttpAnswer::Error(503, "Configuration not loaded");
    return HttpAnswer::Json(200, OpenApiDocument(*config));
  }

  auto segments = SplitPath(path);
  if (segments.size() >= 2 && segments.size() <= 3 && segments[0] == "webhook") {
    for (size_t i = 1; i < segments.size(); ++i) {
      if (segments[i].empty()) return HttpAnswer::Error(404, "Not Found");
    }
    if (method != http::verb::post) return HttpAnswer::Error(405, "Method Not Allowed");
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
                     peer_address};
    auto admitted = pipeline_.OnHead(head);
    if (auto* answer = std::get_if<HttpAnswer>(&admitted)) return std::move(*answer);
    return std::get<Admission>(std::move(admitted));
  }
  return HttpAnswer::Error(404, "Not Found");
}

}  // namespace wg
