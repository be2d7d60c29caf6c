// rate_limit as a sender sees it: the pipeline's answer to the head of a request.
#include "rate_limit/rate_limit.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include "observability/logger.hpp"
#include "test_support.hpp"
#include "webhook/pipeline.hpp"

namespace wg {
namespace {

using ::testing::HasSubstr;

class RateLimitTest : public ::testing::Test {
 protected:
  void Load(std::string_view webhooks, std::string_view connections = "{}") {
    auto loaded = LoadConfigFromText(std::string(webhooks), std::string(connections),
                                     testing::FakeEnvironment({}), context_);
    errors_.clear();
    for (const auto& error : loaded.errors) errors_.push_back(ConfigErrors::Format(error));
    if (!loaded.config) return;
    holder_ = std::make_unique<ConfigHolder>(loaded.config);
    pipeline_ = std::make_unique<Pipeline>(*holder_, queue_, nullptr, nullptr, logger_, limits_);
  }

  std::variant<HttpAnswer, Admission> Head(std::string_view id, std::vector<Header> headers = {}) {
    headers_ = std::move(headers);
    target_ = "/webhook/" + std::string(id);
    RequestHead head{"", id, headers_, 2, "POST", target_, "127.0.0.1"};
    auto result = pipeline_->OnHead(head);
    auto* admission = std::get_if<Admission>(&result);
    if (admission == nullptr || !admission->awaits_shared_rate_limit) return result;
    // One event loop for the whole test: the Redis client keeps a connection per loop.
    std::optional<std::variant<HttpAnswer, Admission>> limited;
    boost::asio::co_spawn(io_, pipeline_->OnSharedRateLimit(std::move(*admission), head),
                          [&](std::exception_ptr, std::variant<HttpAnswer, Admission> value) {
                            limited = std::move(value);
                          });
    io_.restart();
    while (!limited) io_.run_one();
    return std::move(*limited);
  }

  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{1};
  ModuleContext context_{&pool_, nullptr, "/tmp"};
  Logger logger_{LogLevel::kError, LogFormat::kText};
  RequestLimits limits_;
  WorkQueue queue_{1, 1};
  std::unique_ptr<ConfigHolder> holder_;
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<Header> headers_;
  std::string target_;
  std::vector<std::string> errors_;
};

TEST_F(RateLimitTest, OverTheLimitIs429WithRetryAfter) {
  Load(R"({"hook": {"module": "log", "rate_limit": {"max_requests": 2, "window_seconds": 30}}})");
  ASSERT_TRUE(pipeline_) << ::testing::PrintToString(errors_);
  EXPECT_TRUE(std::holds_alternative<Admission>(Head("hook")));
  EXPECT_TRUE(std::holds_alternative<Admission>(Head("hook")));
  auto refused = Head("hook");
  ASSERT_TRUE(std::holds_alternative<HttpAnswer>(refused));
  const auto& answer = std::get<HttpAnswer>(refused);
  EXPECT_EQ(answer.status, 429u);
  EXPECT_EQ(answer.body, R"({"detail":"Rate limit exceeded. Retry after 30 seconds"})");
  ASSERT_EQ(answer.headers.size(), 1u);
  EXPECT_EQ(answer.headers[0].first, "Retry-After");
  EXPECT_EQ(answer.headers[0].second, "30");
}

TEST_F(RateLimitTest, CheckedBeforeAuthenticationAndCountsRefusedSenders) {
  Load(R"({"hook": {"module": "log", "authorization": "Bearer t0ken",
                    "rate_limit": {"max_requests": 1, "window_seconds": 60}}})");
  ASSERT_TRUE(pipeline_);
  EXPECT_EQ(std::get<HttpAnswer>(Head("hook")).status, 401u) << "passes the limit, fails auth";
  auto refused = Head("hook", {{"authorization", "Bearer t0ken"}});
  EXPECT_EQ(std::get<HttpAnswer>(refused).status, 429u) << "the failed request used the slot";
}

TEST_F(RateLimitTest, ZeroAllowsNothing) {
  Load(R"({"hook": {"module": "log", "rate_limit": {"max_requests": 0}}})");
  ASSERT_TRUE(pipeline_);
  auto answer = std::get<HttpAnswer>(Head("hook"));
  EXPECT_EQ(answer.status, 429u);
  EXPECT_EQ(answer.body, R"({"detail":"Rate limit exceeded. No requests allowed"})");
}

TEST_F(RateLimitTest, EachWebhookHasItsOwnWindow) {
  Load(R"({"a": {"module": "log", "rate_limit": {"max_requests": 1}},
           "b": {"module": "log", "rate_limit": {"max_requests": 1}}})");
  ASSERT_TRUE(pipeline_);
  EXPECT_TRUE(std::holds_alternative<Admission>(Head("a")));
  EXPECT_TRUE(std::holds_alternative<Admission>(Head("b")));
  EXPECT_EQ(std::get<HttpAnswer>(Head("a")).status, 429u);
}

TEST_F(RateLimitTest, ConfigErrorsHavePaths) {
  Load(R"({"a": {"module": "log", "rate_limit": {"max_requests": -1, "window_seconds": 0}},
           "b": {"module": "log", "rate_limit": 5},
           "c": {"module": "log", "rate_limit": {"backend": "redis"}},
           "d": {"module": "log", "rate_limit": {"backend": "redis", "connection": "nope"}},
           "e": {"module": "log", "rate_limit": {"backend": "memcache", "per": "ip"}},
           "f": {"module": "log", "rate_limit": {"backend": "redis", "connection": "db"}}})",
       R"({"db": {"type": "postgresql", "host": "127.0.0.1"}})");
  EXPECT_THAT(
      errors_,
      ::testing::IsSupersetOf({
          HasSubstr("/a/rate_limit/max_requests: must be between 0 and 1000000, got -1"),
          HasSubstr("/a/rate_limit/window_seconds: must be between 1 and 86400, got 0"),
          HasSubstr("/b/rate_limit: must be an object, got a number"),
          HasSubstr("/c/rate_limit/backend: \"redis\" needs a \"connection\""),
          HasSubstr("/d/rate_limit/connection: unknown connection \"nope\""),
          HasSubstr("/e/rate_limit/backend: must be \"local\" or \"redis\", got \"memcache\""),
          HasSubstr("/e/rate_limit/per: unknown key in rate_limit"),
          HasSubstr("/f/rate_limit/connection: connection \"db\" has type \"postgresql\""),
      }));
}

// Nothing listens on port 1: the Redis client fails at once.
constexpr std::string_view kDownRedis = R"({"cache": {"type": "redis", "port": 1}})";

TEST_F(RateLimitTest, RedisDownLetsRequestsThroughByDefault) {
  Load(R"({"hook": {"module": "log", "rate_limit": {"max_requests": 1, "backend": "redis",
                                                    "connection": "cache"}}})",
       kDownRedis);
  ASSERT_TRUE(pipeline_) << ::testing::PrintToString(errors_);
  EXPECT_TRUE(std::holds_alternative<Admission>(Head("hook")));
  EXPECT_TRUE(std::holds_alternative<Admission>(Head("hook"))) << "fail open: unchecked";
}

TEST_F(RateLimitTest, RedisDownIs503WhenFailClosed) {
  Load(R"({"hook": {"module": "log", "rate_limit": {"max_requests": 1, "backend": "redis",
                                                    "connection": "cache", "fail_open": false}}})",
       kDownRedis);
  ASSERT_TRUE(pipeline_);
  auto answer = std::get<HttpAnswer>(Head("hook"));
  EXPECT_EQ(answer.status, 503u);
  EXPECT_EQ(answer.body, R"({"detail":"Rate limit cannot be checked now, retry later"})");
  ASSERT_EQ(answer.headers.size(), 1u);
  EXPECT_EQ(answer.headers[0].second, "1");
}

}  // namespace
}  // namespace wg
