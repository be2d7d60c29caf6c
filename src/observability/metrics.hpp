// What GET /metrics exports (Prometheus text format 0.0.4): counters and latency histograms
// keyed by label values. Label values that come from requests are bounded by the caller
// (a webhook id that is not configured is counted as "(unknown)"), so a sender cannot grow the
// set of series.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace wg {

class Metrics {
 public:
  // A sample computed when scraped (spool depth, connection state...).
  struct Gauge {
    std::string name;  // e.g. "webhook_gateway_spool_unfinished"
    std::string help;
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;
  };

  // The upper bounds (seconds) of the delivery latency histogram's buckets.
  static constexpr std::array<double, 13> kLatencyBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  void CountRequest(std::string_view webhook, unsigned status);
  void CountAuthFailure(std::string_view webhook, std::string_view reason);
  // One finished attempt of a chain item: outcome "delivered", "retryable" or "permanent".
  void CountAttempt(std::string_view webhook, std::string_view module, std::string_view outcome,
                    std::chrono::nanoseconds latency);
  void CountRetry(std::string_view webhook, std::string_view module);
  void CountDeadLetter(std::string_view webhook);

  // The whole exposition, counters first, then `gauges` grouped by name.
  std::string Render(const std::vector<Gauge>& gauges) const;

 private:
  struct Histogram {
    std::array<uint64_t, kLatencyBuckets.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  using Labels = std::vector<std::string>;  // values, in the family's label order

  mutable std::mutex mutex_;
  std::map<Labels, uint64_t> requests_;       // webhook, status
  std::map<Labels, uint64_t> auth_failures_;  // webhook, reason
  std::map<Labels, uint64_t> attempts_;       // webhook, module, outcome
  std::map<Labels, Histogram> latency_;       // webhook, module
  std::map<Labels, uint64_t> retries_;        // webhook, module
  std::map<Labels, uint64_t> dead_letters_;   // webhook
};

// Prometheus label value escaping: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);

}  // namespace wg
