#include "observability/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <type_traits>

namespace wg {
namespace {

struct Family {
  std::string_view name;
  std::string_view help;
  std::vector<std::string_view> label_names;
};

using LabelPairs = std::vector<std::pair<std::string_view, std::string_view>>;

// One sample line: name{label="value",...} value
template <typename Value>
void AppendSample(std::string& out, std::string_view name, const LabelPairs& labels, Value value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) out += ',';
      fmt::format_to(std::back_inserter(out), "{}=\"{}\"", labels[i].first,
                     EscapeLabelValue(labels[i].second));
    }
    out += '}';
  }
  fmt::format_to(std::back_inserter(out), " {}\n", value);
}

LabelPairs Pair(const std::vector<std::string_view>& names, const std::vector<std::string>& values) {
  LabelPairs labels;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) labels.emplace_back(names[i], values[i]);
  return labels;
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void AppendCounter(std::string& out, const Family& family,
                   const std::map<std::vector<std::string>, uint64_t>& series) {
  AppendHeader(out, family.name, family.help, "counter");
  for (const auto& [labels, value] : series) {
    AppendSample(out, family.name, Pair(family.label_names, labels), value);
  }
}

// Cumulative buckets, then _sum and _count, per label set. (`Series` maps label values to
// Metrics' private Histogram.)
template <typename Series>
void AppendHistogram(std::string& out, const Family& family, const Series& series) {
  AppendHeader(out, family.name, family.help, "histogram");
  const std::string bucket_name = fmt::format("{}_bucket", family.name);
  const std::string sum_name = fmt::format("{}_sum", family.name);
  const std::string count_name = fmt::format("{}_count", family.name);
  for (const auto& [labels, histogram] : series) {
    LabelPairs pairs = Pair(family.label_names, labels);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < Metrics::kLatencyBuckets.size(); ++i) {
      cumulative += histogram.buckets[i];
      std::string bound = fmt::format("{}", Metrics::kLatencyBuckets[i]);
      LabelPairs with_bound = pairs;
      with_bound.emplace_back("le", bound);
      AppendSample(out, bucket_name, with_bound, cumulative);
    }
    LabelPairs with_inf = pairs;
    with_inf.emplace_back("le", "+Inf");
    AppendSample(out, bucket_name, with_inf, histogram.count);
    AppendSample(out, sum_name, pairs, histogram.sum);
    AppendSample(out, count_name, pairs, histogram.count);
  }
}

// A series key built on the stack: each label value as two bytes of length, then its bytes
// (values are cut at 64 KiB). Only a new series copies it into a string.
class SeriesKey {
 public:
  SeriesKey(std::initializer_list<std::string_view> values) {
    size_t size = 0;
    for (std::string_view value : values) size += 2 + std::min<size_t>(value.size(), 0xFFFF);
    if (size > inline_.size()) heap_.resize(size);
    char* out = size > inline_.size() ? heap_.data() : inline_.data();
    for (std::string_view value : values) {
      size_t length = std::min<size_t>(value.size(), 0xFFFF);
      out[size_] = static_cast<char>(length >> 8);
      out[size_ + 1] = static_cast<char>(length & 0xFF);
      std::memcpy(out + size_ + 2, value.data(), length);
      size_ += 2 + length;
    }
  }
  std::string_view view() const {
    return {size_ > inline_.size() ? heap_.data() : inline_.data(), size_};
  }

 private:
  std::array<char, 256> inline_;
  std::string heap_;
  size_t size_ = 0;
};

std::vector<std::string> SplitKey(std::string_view key) {
  std::vector<std::string> values;
  while (key.size() >= 2) {
    size_t length = (static_cast<size_t>(static_cast<unsigned char>(key[0])) << 8) |
                    static_cast<unsigned char>(key[1]);
    values.emplace_back(key.substr(2, length));
    key.remove_prefix(std::min(key.size(), 2 + length));
  }
  return values;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Metrics::Histogram::Add(const Histogram& other) {
  for (size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
  count += other.count;
  sum += other.sum;
}

Metrics::Shard& Metrics::ShardOfThisThread() {
  static std::atomic<size_t> next_shard{0};
  thread_local const size_t shard = next_shard.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shards_[shard];
}

void Metrics::Increment(SeriesMap<uint64_t>& series, std::string_view key) {
  auto it = series.find(key);
  if (it == series.end()) it = series.emplace(std::string(key), 0).first;
  ++it->second;
}

void Metrics::CountRequest(std::string_view webhook, unsigned status) {
  char digits[16];
  auto written = std::to_chars(std::begin(digits), std::end(digits), status);
  SeriesKey key({webhook, std::string_view(digits, written.ptr - digits)});
  Shard& shard = ShardOfThisThread();
  std::lock_guard lock(shard.mutex);
  Increment(shard.requests, key.view());
}

void Metrics::CountAuthFailure(std::string_view webhook, std::string_view reason) {
  SeriesKey key({webhook, reason});
  Shard& shard = ShardOfThisThread();
  std::lock_guard lock(shard.mutex);
  Increment(shard.auth_failures, key.view());
}

void Metrics::CountAttempt(std::string_view webhook, std::string_view module,
                           std::string_view outcome, std::chrono::nanoseconds latency) {
  double seconds = std::chrono::duration<double>(latency).count();
  auto bucket = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds);
  SeriesKey attempt_key({webhook, module, outcome});
  SeriesKey latency_key({webhook, module});
  Shard& shard = ShardOfThisThread();
  std::lock_guard lock(shard.mutex);
  Increment(shard.attempts, attempt_key.view());
  auto it = shard.latency.find(latency_key.view());
  if (it == shard.latency.end()) {
    it = shard.latency.emplace(std::string(latency_key.view()), Histogram{}).first;
  }
  Histogram& histogram = it->second;
  if (bucket != kLatencyBuckets.end()) ++histogram.buckets[bucket - kLatencyBuckets.begin()];
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::CountRetry(std::string_view webhook, std::string_view module) {
  SeriesKey key({webhook, module});
  Shard& shard = ShardOfThisThread();
  std::lock_guard lock(shard.mutex);
  Increment(shard.retries, key.view());
}

void Metrics::CountDeadLetter(std::string_view webhook) {
  SeriesKey key({webhook});
  Shard& shard = ShardOfThisThread();
  std::lock_guard lock(shard.mutex);
  Increment(shard.dead_letters, key.view());
}

template <typename Value>
std::map<Metrics::Labels, Value> Metrics::Merge(SeriesMap<Value> Shard::*family) const {
  std::map<Labels, Value> merged;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& [key, value] : shard.*family) {
      Value& total = merged[SplitKey(key)];
      if constexpr (std::is_same_v<Value, Histogram>) {
        total.Add(value);
      } else {
        total += value;
      }
    }
  }
  return merged;
}

std::string Metrics::Render(const std::vector<Gauge>& gauges) const {
  static const Family kRequests{"webhook_gateway_requests_total",
                                "Webhook requests answered, by webhook and HTTP status.",
                                {"webhook", "status"}};
  static const Family kAuthFailures{"webhook_gateway_auth_failures_total",
                                    "Requests refused by an authentication or validation method.",
                                    {"webhook", "reason"}};
  static const Family kAttempts{"webhook_gateway_delivery_attempts_total",
                                "Delivery attempts of chain items, by outcome.",
                                {"webhook", "module", "outcome"}};
  static const Family kLatency{"webhook_gateway_delivery_seconds",
                               "Time of one delivery attempt of a chain item.",
                               {"webhook", "module"}};
  static const Family kRetries{"webhook_gateway_delivery_retries_total",
                               "Attempts scheduled again after a retryable failure.",
                               {"webhook", "module"}};
  static const Family kDeadLetters{"webhook_gateway_dead_letters_total",
                                   "Webhooks with an item that failed for good (dead letters).",
                                   {"webhook"}};
  std::string out;
  AppendCounter(out, kRequests, Merge(&Shard::requests));
  AppendCounter(out, kAuthFailures, Merge(&Shard::auth_failures));
  AppendCounter(out, kAttempts, Merge(&Shard::attempts));
  AppendHistogram(out, kLatency, Merge(&Shard::latency));
  AppendCounter(out, kRetries, Merge(&Shard::retries));
  AppendCounter(out, kDeadLetters, Merge(&Shard::dead_letters));
  std::string_view previous;
  for (const Gauge& gauge : gauges) {
    if (gauge.name != previous) {
      AppendHeader(out, gauge.name, gauge.help, "gauge");
      previous = gauge.name;
    }
    LabelPairs labels(gauge.labels.begin(), gauge.labels.end());
    AppendSample(out, gauge.name, labels, gauge.value);
  }
  return out;
}

}  // namespace wg
