// What GET /metrics exports (Prometheus text format 0.0.4): counters and latency histograms
// keyed by label values. Label values that come from requests are bounded by the caller
// (a webhook id that is not configured is counted as "(unknown)"), so a sender cannot grow the
// set of series.
//
// Counting is on every request's path, so it is kept cheap: each thread counts into a shard of
// its own (its own mutex, never contended unless more threads than shards count at once), a
// series that exists already is found without allocating, and Render adds the shards up.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
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

  // The webhook label of requests for an id that is not configured.
  static constexpr std::string_view kUnknownWebhook = "(unknown)";

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
    void Add(const Histogram& other);
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  // A series is keyed by its label values, each prefixed by its length (see SeriesKey).
  template <typename Value>
  using SeriesMap = std::unordered_map<std::string, Value, KeyHash, std::equal_to<>>;
  // What Render sorts and prints: label values in the family's label order.
  using Labels = std::vector<std::string>;

  struct alignas(64) Shard {
    std::mutex mutex;
    SeriesMap<uint64_t> requests;       // webhook, status
    SeriesMap<uint64_t> auth_failures;  // webhook, reason
    SeriesMap<uint64_t> attempts;       // webhook, module, outcome
    SeriesMap<Histogram> latency;       // webhook, module
    SeriesMap<uint64_t> retries;        // webhook, module
    SeriesMap<uint64_t> dead_letters;   // webhook
  };
  static constexpr size_t kShards = 16;

  Shard& ShardOfThisThread();
  static void Increment(SeriesMap<uint64_t>& series, std::string_view key);
  // Every shard's series of one family, added up and sorted by labels.
  template <typename Value>
  std::map<Labels, Value> Merge(SeriesMap<Value> Shard::*family) const;

  mutable std::array<Shard, kShards> shards_;
};

// Prometheus label value escaping: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);

}  // namespace wg
