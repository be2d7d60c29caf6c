#include "observability/webhook_stats.hpp"

namespace wg {
namespace {

int64_t Minutes(std::chrono::system_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::minutes>(now.time_since_epoch()).count();
}

}  // namespace

template <size_t N>
void WebhookStats::Ring<N>::Add(int64_t period) {
  size_t slot = static_cast<size_t>(period % static_cast<int64_t>(N));
  if (periods[slot] != period) {
    periods[slot] = period;
    counts[slot] = 0;
  }
  ++counts[slot];
}

template <size_t N>
uint64_t WebhookStats::Ring<N>::Sum(int64_t period, int64_t last_n) const {
  uint64_t sum = 0;
  for (size_t slot = 0; slot < N; ++slot) {
    if (periods[slot] > period - last_n && periods[slot] <= period) sum += counts[slot];
  }
  return sum;
}

void WebhookStats::Count(std::string_view endpoint, std::chrono::system_clock::time_point now) {
  int64_t minute = Minutes(now);
  std::lock_guard lock(mutex_);
  auto it = series_.find(endpoint);
  if (it == series_.end()) {
    std::string key = series_.size() < kMaxEndpoints ? std::string(endpoint) : "(other)";
    it = series_.try_emplace(std::move(key)).first;
  }
  Series& series = it->second;
  ++series.total;
  series.minutes.Add(minute);
  series.hours.Add(minute / 60);
}

boost::json::object WebhookStats::Snapshot(std::chrono::system_clock::time_point now) const {
  int64_t minute = Minutes(now);
  int64_t hour = minute / 60;
  boost::json::object out;
  std::lock_guard lock(mutex_);
  for (const auto& [endpoint, series] : series_) {
    boost::json::object counts;
    counts["total"] = series.total;
    counts["minute"] = series.minutes.Sum(minute, 1);
    counts["5_minutes"] = series.minutes.Sum(minute, 5);
    counts["15_minutes"] = series.minutes.Sum(minute, 15);
    counts["30_minutes"] = series.minutes.Sum(minute, 30);
    counts["hour"] = series.minutes.Sum(minute, 60);
    counts["day"] = series.hours.Sum(hour, 24);
    counts["week"] = series.hours.Sum(hour, 24 * 7);
    counts["month"] = series.hours.Sum(hour, 24 * 30);
    out[endpoint] = std::move(counts);
  }
  return out;
}

}  // namespace wg
