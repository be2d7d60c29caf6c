// GET /stats: accepted webhooks per endpoint ("orders" or "ns/orders") over sliding windows, in
// the Python project's shape: {"orders": {"total", "minute", "5_minutes", ..., "month"}}.
// Windows count whole minutes (up to an hour) or whole hours (day, week, month) including the
// current one, so "day" may hold up to an hour more than 24 h. In memory: restarts start at 0.
#pragma once

#include <boost/json.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace wg {

class WebhookStats {
 public:
  // Endpoints beyond this many are counted together as "(other)": namespaces come from the
  // request path, and a sender must not be able to grow this table without bound.
  static constexpr size_t kMaxEndpoints = 10000;

  void Count(std::string_view endpoint, std::chrono::system_clock::time_point now);
  boost::json::object Snapshot(std::chrono::system_clock::time_point now) const;

 private:
  template <size_t N>
  struct Ring {  // slot i counts the period p with p % N == i, stamped with p
    std::array<uint64_t, N> counts{};
    std::array<int64_t, N> periods{};
    void Add(int64_t period);
    uint64_t Sum(int64_t period, int64_t last_n) const;
  };
  struct Series {
    uint64_t total = 0;
    Ring<60> minutes;
    Ring<24 * 31> hours;
  };

  struct KeyHash {  // finds an endpoint by string_view, without a temporary string
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Series, KeyHash, std::equal_to<>> series_;
};

}  // namespace wg
