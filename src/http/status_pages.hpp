// GET /health, GET /stats and GET /metrics: what an operator or a scraper reads of the running
// gateway. Public, like GET / (SPEC §3 puts only the admin API behind the token).
//
// /health answers 503 naming the connection when a connection that some webhook's chain uses
// reports itself down (its last use failed); connections not used yet count as healthy.
// /metrics adds gauges computed at scrape time to the counters of Metrics.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "http/response.hpp"
#include "observability/metrics.hpp"

namespace wg {

class ConfigReloader;

class ConfigHolder;
class DeadLetterStore;
class Spool;
class SpoolDispatcher;
class WebhookStats;
class WorkQueue;

// What the pages read; everything but the work queue and config may be missing.
class StatusAccess;

struct StatusSources {
  const WorkQueue* work_queue = nullptr;
  const ConfigHolder* config = nullptr;
  const Spool* spool = nullptr;
  const SpoolDispatcher* dispatcher = nullptr;
  const DeadLetterStore* dead_letters = nullptr;
  const Metrics* metrics = nullptr;
  const WebhookStats* stats = nullptr;
  const StatusAccess* access = nullptr;  // who may read /stats and /metrics; null: everyone
  const ConfigReloader* reloader = nullptr;  // the config backend's state
};

HttpAnswer HealthPage(const StatusSources& sources);
HttpAnswer StatsPage(const StatusSources& sources);
HttpAnswer MetricsPage(const StatusSources& sources);

// The gauges of /metrics as of `now`.
std::vector<Metrics::Gauge> ScrapeGauges(const StatusSources& sources,
                                         std::chrono::system_clock::time_point now);

// A connection's /health state as up (true), down (false), or not known yet (nullopt: not
// used yet, or connecting for the first time).
std::optional<bool> ConnectionUp(std::string_view state);

constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace wg
