#include "observability/webhook_stats.hpp"

#include <gtest/gtest.h>

namespace wg {
namespace {

using namespace std::chrono;

TEST(WebhookStatsTest, WindowsCountWhatFallsInsideThem) {
  WebhookStats stats;
  system_clock::time_point now = system_clock::time_point(hours(500000));  // on an hour boundary
  stats.Count("orders", now - hours(24 * 20));  // in month only
  stats.Count("orders", now - hours(30));       // in week and month
  stats.Count("orders", now - minutes(90));     // in day (and week, month)
  stats.Count("orders", now - minutes(20));     // 30 minutes and up
  stats.Count("orders", now - minutes(3));      // 5 minutes and up
  stats.Count("orders", now);                   // this minute
  stats.Count("ns/orders", now);
  auto snapshot = stats.Snapshot(now);
  auto& orders = snapshot.at("orders").as_object();
  EXPECT_EQ(orders.at("total").as_uint64(), 6u);
  EXPECT_EQ(orders.at("minute").as_uint64(), 1u);
  EXPECT_EQ(orders.at("5_minutes").as_uint64(), 2u);
  EXPECT_EQ(orders.at("15_minutes").as_uint64(), 2u);
  EXPECT_EQ(orders.at("30_minutes").as_uint64(), 3u);
  EXPECT_EQ(orders.at("hour").as_uint64(), 3u);
  EXPECT_EQ(orders.at("day").as_uint64(), 4u);
  EXPECT_EQ(orders.at("week").as_uint64(), 5u);
  EXPECT_EQ(orders.at("month").as_uint64(), 6u);
  EXPECT_EQ(snapshot.at("ns/orders").as_object().at("total").as_uint64(), 1u);
}

TEST(WebhookStatsTest, OldBucketsAreReusedNotAddedUp) {
  WebhookStats stats;
  system_clock::time_point now = system_clock::time_point(hours(500000));
  stats.Count("orders", now - minutes(60));  // same ring slot as now, an hour earlier
  stats.Count("orders", now);
  auto snapshot = stats.Snapshot(now);
  EXPECT_EQ(snapshot.at("orders").as_object().at("minute").as_uint64(), 1u);
  EXPECT_EQ(snapshot.at("orders").as_object().at("total").as_uint64(), 2u);
}

TEST(WebhookStatsTest, EndpointsBeyondTheLimitShareOneEntry) {
  WebhookStats stats;
  system_clock::time_point now = system_clock::now();
  for (size_t i = 0; i < WebhookStats::kMaxEndpoints + 5; ++i) stats.Count("ns" + std::to_string(i) + "/x", now);
  auto snapshot = stats.Snapshot(now);
  EXPECT_EQ(snapshot.size(), WebhookStats::kMaxEndpoints + 1);
  EXPECT_EQ(snapshot.at("(other)").as_object().at("total").as_uint64(), 5u);
}

}  // namespace
}  // namespace wg
