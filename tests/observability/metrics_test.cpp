#include "observability/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace wg {
namespace {

using std::chrono::milliseconds;

TEST(MetricsTest, CountersAreRenderedPerLabelSet) {
  Metrics metrics;
  metrics.CountRequest("orders", 200);
  metrics.CountRequest("orders", 200);
  metrics.CountRequest("orders", 401);
  metrics.CountAuthFailure("orders", "hmac");
  metrics.CountRetry("orders", "http_webhook");
  metrics.CountDeadLetter("orders");
  std::string text = metrics.Render({});
  EXPECT_NE(text.find("# TYPE webhook_gateway_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("webhook_gateway_requests_total{webhook=\"orders\",status=\"200\"} 2\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("webhook_gateway_requests_total{webhook=\"orders\",status=\"401\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("webhook_gateway_auth_failures_total{webhook=\"orders\",reason=\"hmac\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("webhook_gateway_delivery_retries_total{webhook=\"orders\",module=\"http_webhook\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("webhook_gateway_dead_letters_total{webhook=\"orders\"} 1\n"), std::string::npos);
}

TEST(MetricsTest, LatencyHistogramBucketsAreCumulative) {
  Metrics metrics;
  metrics.CountAttempt("orders", "log", "delivered", milliseconds(3));    // le 0.005
  metrics.CountAttempt("orders", "log", "delivered", milliseconds(40));   // le 0.05
  metrics.CountAttempt("orders", "log", "retryable", milliseconds(20000));  // only +Inf
  std::string text = metrics.Render({});
  auto line = [&](std::string_view le, int value) {
    return "webhook_gateway_delivery_seconds_bucket{webhook=\"orders\",module=\"log\",le=\"" +
           std::string(le) + "\"} " + std::to_string(value) + "\n";
  };
  EXPECT_NE(text.find(line("0.0025", 0)), std::string::npos) << text;
  EXPECT_NE(text.find(line("0.005", 1)), std::string::npos);
  EXPECT_NE(text.find(line("0.05", 2)), std::string::npos);
  EXPECT_NE(text.find(line("10", 2)), std::string::npos);
  EXPECT_NE(text.find(line("+Inf", 3)), std::string::npos);
  EXPECT_NE(text.find("webhook_gateway_delivery_seconds_count{webhook=\"orders\",module=\"log\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("webhook_gateway_delivery_attempts_total{webhook=\"orders\",module=\"log\",outcome=\"retryable\"} 1\n"),
            std::string::npos);
}

TEST(MetricsTest, GaugesAndEscapedLabelValues) {
  Metrics metrics;
  std::vector<Metrics::Gauge> gauges = {
      {"webhook_gateway_connection_up", "1 when the connection is healthy.", {{"connection", "a\"b\\c\nd"}}, 1},
      {"webhook_gateway_connection_up", "1 when the connection is healthy.", {{"connection", "pg"}}, 0},
      {"webhook_gateway_spool_unfinished", "Webhooks with items to run.", {}, 42}};
  std::string text = metrics.Render(gauges);
  EXPECT_NE(text.find("webhook_gateway_connection_up{connection=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("webhook_gateway_connection_up{connection=\"pg\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("webhook_gateway_spool_unfinished 42\n"), std::string::npos);
  size_t first = text.find("# TYPE webhook_gateway_connection_up gauge");
  EXPECT_NE(first, std::string::npos);
  EXPECT_EQ(text.find("# TYPE webhook_gateway_connection_up gauge", first + 1), std::string::npos)
      << "one TYPE line per family";
}

TEST(MetricsTest, CountsOfManyThreadsAreAddedUp) {
  Metrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {  // more threads than shards: some share one
    threads.emplace_back([&metrics] {
      for (int i = 0; i < 1000; ++i) metrics.CountRequest("orders", 200);
      metrics.CountAttempt("orders", "log", "delivered", milliseconds(1));
    });
  }
  for (auto& thread : threads) thread.join();
  std::string text = metrics.Render({});
  EXPECT_NE(text.find("webhook_gateway_requests_total{webhook=\"orders\",status=\"200\"} 20000\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("webhook_gateway_delivery_seconds_count{webhook=\"orders\",module=\"log\"} 20\n"),
            std::string::npos);
  EXPECT_NE(text.find("webhook_gateway_delivery_seconds_bucket{webhook=\"orders\",module=\"log\",le=\"0.001\"} 20\n"),
            std::string::npos);
}

TEST(MetricsTest, LongAndSimilarLabelValuesStayApart) {
  Metrics metrics;
  std::string long_name(300, 'w');  // beyond the key's inline buffer
  metrics.CountAuthFailure(long_name, "hmac");
  metrics.CountAuthFailure(long_name, "hmac");
  metrics.CountAuthFailure("ab", "c");   // the same bytes as ("a", "bc") without the lengths
  metrics.CountAuthFailure("a", "bc");
  std::string text = metrics.Render({});
  EXPECT_NE(text.find("{webhook=\"" + long_name + "\",reason=\"hmac\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("{webhook=\"ab\",reason=\"c\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("{webhook=\"a\",reason=\"bc\"} 1\n"), std::string::npos);
}

}  // namespace
}  // namespace wg
