#include "http/router.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "observability/webhook_stats.hpp"
#include "test_support.hpp"

namespace wg {
namespace {
namespace http = boost::beast::http;
using ::testing::HasSubstr;

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    auto loaded =
        LoadConfigFromText(R"({"orders": {"module": "log", "authorization": "Bearer t0ken"}})",
                           std::nullopt, testing::FakeEnvironment({}), context_);
    EXPECT_TRUE(loaded.config);
    holder_ = std::make_unique<ConfigHolder>(loaded.config);
    pipeline_ = std::make_unique<Pipeline>(*holder_, queue_, nullptr, nullptr, logger_, limits_,
                                           nullptr, &metrics_);
    router_ = std::make_unique<Router>(*pipeline_, queue_, *holder_, nullptr, nullptr, nullptr,
                                       RequestCounters{&metrics_, &stats_});
  }

  // Routes a request and counts it as answered with `status` (the route's own when it answers).
  unsigned Send(http::verb method, std::string_view target, std::vector<Header> headers = {},
                unsigned status_if_admitted = 200) {
    headers_ = std::move(headers);
    WebhookCall call;
    auto route = router_->OnHead(method, target, headers_, 2, "127.0.0.1", &call);
    unsigned status = status_if_admitted;
    if (auto* answer = std::get_if<HttpAnswer>(&route)) status = answer->status;
    router_->Answered(call, status);
    return status;
  }

  HttpAnswer Get(std::string_view target) {
    WebhookCall call;
    auto route = router_->OnHead(http::verb::get, target, headers_, std::nullopt, "", &call);
    EXPECT_FALSE(call.is_webhook);
    return std::get<HttpAnswer>(route);
  }

  boost::asio::thread_pool pool_{1};
  ModuleContext context_{&pool_, nullptr, "/tmp"};
  Logger logger_{LogLevel::kError, LogFormat::kText};
  RequestLimits limits_;
  WorkQueue queue_{1, 1};
  Metrics metrics_;
  WebhookStats stats_;
  std::unique_ptr<ConfigHolder> holder_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<Router> router_;
  std::vector<Header> headers_;
};

TEST_F(RouterTest, WebhookRequestsAreCountedByConfiguredIdAndStatus) {
  EXPECT_EQ(Send(http::verb::post, "/webhook/orders", {{"authorization", "Bearer t0ken"}}), 200u);
  EXPECT_EQ(Send(http::verb::post, "/webhook/team/orders", {{"authorization", "Bearer t0ken"}}),
            200u);
  EXPECT_EQ(Send(http::verb::post, "/webhook/orders"), 401u);
  EXPECT_EQ(Send(http::verb::post, "/webhook/made-up-1"), 404u);
  EXPECT_EQ(Send(http::verb::post, "/webhook/made-up-2"), 404u);
  EXPECT_EQ(Send(http::verb::post, "/webhook/stats"), 400u);
  EXPECT_EQ(Send(http::verb::get, "/"), 200u);  // not a webhook request

  std::string text = Get("/metrics").body;
  EXPECT_THAT(text,
              HasSubstr("webhook_gateway_requests_total{webhook=\"orders\",status=\"200\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("webhook_gateway_requests_total{webhook=\"orders\",status=\"401\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("webhook_gateway_requests_total{webhook=\"(unknown)\",status=\"404\"} 2\n"))
      << "ids a sender makes up share one series";
  EXPECT_THAT(
      text, HasSubstr("webhook_gateway_requests_total{webhook=\"(unknown)\",status=\"400\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("webhook_gateway_auth_failures_total{webhook=\"orders\","
                              "reason=\"authorization\"} 1\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("made-up")));
}

TEST_F(RouterTest, StatsCountAcceptedRequestsUnderTheEndpointAsked) {
  Send(http::verb::post, "/webhook/orders", {{"authorization", "Bearer t0ken"}});
  Send(http::verb::post, "/webhook/team/orders", {{"authorization", "Bearer t0ken"}});
  Send(http::verb::post, "/webhook/orders");  // 401: not counted
  auto stats = boost::json::parse(Get("/stats").body).as_object();
  ASSERT_EQ(stats.size(), 2u) << stats;
  EXPECT_EQ(stats.at("orders").at("total").to_number<int64_t>(), 1);
  EXPECT_EQ(stats.at("orders").at("hour").to_number<int64_t>(), 1);
  EXPECT_EQ(stats.at("team/orders").at("total").to_number<int64_t>(), 1);
}

TEST_F(RouterTest, MetricsArePrometheusTextAndReadOnly) {
  HttpAnswer answer = Get("/metrics");
  EXPECT_EQ(answer.status, 200u);
  ASSERT_EQ(answer.headers.size(), 1u);
  EXPECT_EQ(answer.headers[0].first, "Content-Type");
  EXPECT_EQ(answer.headers[0].second, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(answer.body, HasSubstr("# TYPE webhook_gateway_requests_total counter\n"));
  EXPECT_THAT(answer.body, HasSubstr("webhook_gateway_chains_in_flight 0\n"));
  EXPECT_EQ(Send(http::verb::post, "/metrics"), 405u);
  EXPECT_EQ(Send(http::verb::post, "/stats"), 405u);
}

TEST(ConnectionUpTest, ReadsTheStatesConnectionsReport) {
  EXPECT_EQ(ConnectionUp("connected"), true);
  EXPECT_EQ(ConnectionUp("ok"), true);  // s3
  EXPECT_EQ(ConnectionUp("down: connection refused"), false);
  EXPECT_EQ(ConnectionUp("not connected yet"), std::nullopt);
  EXPECT_EQ(ConnectionUp("not used yet"), std::nullopt);
  EXPECT_EQ(ConnectionUp("connecting"), std::nullopt);
}

}  // namespace
}  // namespace wg
