#include "http/status_pages.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <set>

#include "chain/work_queue.hpp"
#include "config/config_reloader.hpp"
#include "observability/webhook_stats.hpp"
#include "spool/dead_letters.hpp"
#include "spool/spool.hpp"
#include "spool/spool_dispatcher.hpp"
#include "webhook/pipeline.hpp"

namespace wg {
namespace json = boost::json;
namespace {

double SecondsSinceEpoch(std::chrono::system_clock::time_point time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

json::object SpoolComponent(const Spool& spool, const SpoolDispatcher* dispatcher) {
  SpoolStats stats = spool.Stats();
  json::object out{{"bytes", stats.bytes},           {"segments", stats.segments},
                   {"unfinished", stats.unfinished}, {"appended", stats.appended},
                   {"fsyncs", stats.fsyncs},         {"fsyncs_in_place", stats.fsyncs_in_place}};
  if (dispatcher) {
    out["running"] = dispatcher->Running();
    out["waiting"] = dispatcher->Waiting();
    out["lanes"] = dispatcher->Lanes();
  }
  return out;
}

// Connection name -> the webhooks whose chain uses it.
std::map<std::string, std::set<std::string>> ChainConnections(const GatewayConfig& config) {
  std::map<std::string, std::set<std::string>> users;
  for (const auto& [id, webhook] : config.webhooks) {
    for (const ChainItem& item : webhook->chain.items) {
      if (!item.connection.empty()) users[item.connection].insert(id);
    }
  }
  return users;
}

// One line per connection a chain needs that is down, e.g.
// `connection "pg" (used by orders, audit) is down: connection refused`.
json::array DownConnections(const GatewayConfig& config, const json::object& states) {
  json::array problems;
  for (const auto& [name, webhooks] : ChainConnections(config)) {
    const json::value* state = states.if_contains(name);
    if (state == nullptr || !state->is_string()) continue;
    std::optional<bool> up = ConnectionUp(state->get_string());
    if (!up.has_value() || *up) continue;  // up, or not used yet
    std::string users;
    for (const auto& webhook : webhooks) users += users.empty() ? webhook : ", " + webhook;
    std::string_view text = state->get_string();
    problems.emplace_back(fmt::format("connection \"{}\" (used by {}) is {}", name, users, text));
  }
  return problems;
}

void AddSpoolGauges(const Spool& spool, std::chrono::system_clock::time_point now,
                    std::vector<Metrics::Gauge>& gauges) {
  SpoolStats stats = spool.Stats();
  gauges.push_back({"webhook_gateway_spool_unfinished",
                    "Accepted webhooks in the spool with chain items still to deliver.",
                    {},
                    static_cast<double>(stats.unfinished)});
  double age = 0;
  if (stats.oldest_unfinished_received_us > 0) {
    age = SecondsSinceEpoch(now) - static_cast<double>(stats.oldest_unfinished_received_us) / 1e6;
  }
  gauges.push_back({"webhook_gateway_spool_oldest_unfinished_age_seconds",
                    "Seconds since the first unfinished webhook in the spool was received; 0 "
                    "when none is unfinished.",
                    {},
                    std::max(0.0, age)});
  gauges.push_back({"webhook_gateway_spool_bytes",
                    "Bytes of the spool's segment files.",
                    {},
                    static_cast<double>(stats.bytes)});
}

void AddConnectionGauges(const GatewayConfig& config, std::vector<Metrics::Gauge>& gauges) {
  if (!config.connection_registry) return;
  for (const auto& [name, state] : config.connection_registry->Health()) {
    if (!state.is_string()) continue;
    std::optional<bool> up = ConnectionUp(state.get_string());
    if (!up) continue;  // not used yet: neither up nor down
    gauges.push_back({"webhook_gateway_connection_up",
                      "1 when the connection's last use succeeded, 0 when it failed; absent "
                      "until first used.",
                      {{"connection", std::string(name)}},
                      *up ? 1.0 : 0.0});
  }
}

}  // namespace

std::optional<bool> ConnectionUp(std::string_view state) {
  if (state == "connected" || state == "ok") return true;
  if (state.starts_with("down")) return false;
  return std::nullopt;
}

HttpAnswer HealthPage(const StatusSources& sources) {
  json::object components;
  components["config"] = "healthy";
  // As the Python project: "etcd" healthy or disconnected, else config_backend "file". A lost
  // watch does not make the gateway unhealthy: it serves the last configuration it loaded.
  std::optional<bool> etcd = sources.reloader ? sources.reloader->EtcdConnected() : std::nullopt;
  if (etcd) {
    components["etcd"] = *etcd ? "healthy" : "disconnected";
  } else {
    components["config_backend"] = "file";
  }
  if (sources.work_queue) {
    components["work_queue"] = {{"in_flight", sources.work_queue->InFlight()},
                                {"queued", sources.work_queue->Queued()}};
  }
  if (sources.spool) components["spool"] = SpoolComponent(*sources.spool, sources.dispatcher);
  json::array problems;
  auto config = sources.config ? sources.config->Get() : nullptr;
  if (config && config->connection_registry) {
    json::object states = config->connection_registry->Health();
    problems = DownConnections(*config, states);
    components["connections"] = std::move(states);
  }
  json::object health;
  health["status"] = problems.empty() ? "healthy" : "unhealthy";
  health["service"] = "webhook-gateway";
  health["timestamp"] = SecondsSinceEpoch(std::chrono::system_clock::now());
  health["components"] = std::move(components);
  const bool healthy = problems.empty();
  if (!healthy) health["problems"] = std::move(problems);
  return HttpAnswer::Json(healthy ? 200 : 503, json::serialize(health));
}

HttpAnswer StatsPage(const StatusSources& sources) {
  if (!sources.stats) return HttpAnswer::Json(200, "{}");
  return HttpAnswer::Json(
      200, json::serialize(sources.stats->Snapshot(std::chrono::system_clock::now())));
}

std::vector<Metrics::Gauge> ScrapeGauges(const StatusSources& sources,
                                         std::chrono::system_clock::time_point now) {
  std::vector<Metrics::Gauge> gauges;
  if (sources.spool) AddSpoolGauges(*sources.spool, now, gauges);
  if (sources.dead_letters) {
    gauges.push_back({"webhook_gateway_dead_letters",
                      "Dead letters kept now (replayed or deleted ones are gone).",
                      {},
                      static_cast<double>(sources.dead_letters->Count())});
  }
  if (sources.work_queue) {
    gauges.push_back({"webhook_gateway_chains_in_flight",
                      "Chains running from memory (acknowledge received or delivered).",
                      {},
                      static_cast<double>(sources.work_queue->InFlight())});
  }
  auto config = sources.config ? sources.config->Get() : nullptr;
  if (config) AddConnectionGauges(*config, gauges);
  return gauges;
}

HttpAnswer MetricsPage(const StatusSources& sources) {
  std::string text;
  auto gauges = ScrapeGauges(sources, std::chrono::system_clock::now());
  if (sources.metrics) {
    text = sources.metrics->Render(gauges);
  } else {
    text = Metrics().Render(gauges);
  }
  HttpAnswer answer = HttpAnswer::Json(200, std::move(text));
  answer.headers.emplace_back("Content-Type", std::string(kMetricsContentType));
  return answer;
}

}  // namespace wg
