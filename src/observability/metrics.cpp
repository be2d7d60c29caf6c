#include "observability/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>

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

void Metrics::CountRequest(std::string_view webhook, unsigned status) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(webhook), std::to_string(status)}];
}

void Metrics::CountAuthFailure(std::string_view webhook, std::string_view reason) {
  std::lock_guard lock(mutex_);
  ++auth_failures_[{std::string(webhook), std::string(reason)}];
}

void Metrics::CountAttempt(std::string_view webhook, std::string_view module,
                           std::string_view outcome, std::chrono::nanoseconds latency) {
  double seconds = std::chrono::duration<double>(latency).count();
  auto bucket = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds);
  std::lock_guard lock(mutex_);
  ++attempts_[{std::string(webhook), std::string(module), std::string(outcome)}];
  Histogram& histogram = latency_[{std::string(webhook), std::string(module)}];
  if (bucket != kLatencyBuckets.end()) ++histogram.buckets[bucket - kLatencyBuckets.begin()];
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::CountRetry(std::string_view webhook, std::string_view module) {
  std::lock_guard lock(mutex_);
  ++retries_[{std::string(webhook), std::string(module)}];
}

void Metrics::CountDeadLetter(std::string_view webhook) {
  std::lock_guard lock(mutex_);
  ++dead_letters_[{std::string(webhook)}];
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
  {
    std::lock_guard lock(mutex_);
    AppendCounter(out, kRequests, requests_);
    AppendCounter(out, kAuthFailures, auth_failures_);
    AppendCounter(out, kAttempts, attempts_);
    AppendHeader(out, kLatency.name, kLatency.help, "histogram");
    std::string bucket_name = std::string(kLatency.name) + "_bucket";
    std::string sum_name = std::string(kLatency.name) + "_sum";
    std::string count_name = std::string(kLatency.name) + "_count";
    for (const auto& [labels, histogram] : latency_) {
      LabelPairs pairs = Pair(kLatency.label_names, labels);
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        cumulative += histogram.buckets[i];
        std::string bound = fmt::format("{}", kLatencyBuckets[i]);
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
    AppendCounter(out, kRetries, retries_);
    AppendCounter(out, kDeadLetters, dead_letters_);
  }
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
