#include "webhook/pipeline.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "test_support.hpp"

namespace wg {
namespace {

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() {
    auto loaded = LoadConfigFromText(
        R"({"orders": {"module": "log", "authorization": "Bearer t0ken"},
            "open": {"module": "log", "acknowledge": "received"},
            "typed": {"module": "log", "acknowledge": "received",
                      "json_schema": {"required": ["id"]}}})",
        std::nullopt, testing::FakeEnvironment({}), context_);
    EXPECT_TRUE(loaded.config);
    holder_ = std::make_unique<ConfigHolder>(loaded.config);
    pipeline_ = std::make_unique<Pipeline>(*holder_, queue_, nullptr, nullptr, logger_, limits_,
                                           nullptr, &metrics_);
  }

  std::variant<HttpAnswer, Admission> Head(std::string_view id, std::vector<Header> headers,
                                           std::optional<uint64_t> length = 10,
                                           std::string_view ns = "") {
    headers_ = std::move(headers);
    std::string target = "/webhook/" + std::string(id);
    return pipeline_->OnHead({ns, id, headers_, length, "POST", target, "127.0.0.1"});
  }

  static HttpAnswer Answer(const std::variant<HttpAnswer, Admission>& result) {
    EXPECT_TRUE(std::holds_alternative<HttpAnswer>(result));
    return std::holds_alternative<HttpAnswer>(result) ? std::get<HttpAnswer>(result) : HttpAnswer{};
  }

  boost::asio::thread_pool pool_{1};
  ModuleContext context_{&pool_, nullptr, "/tmp"};
  Logger logger_{LogLevel::kError, LogFormat::kText};
  Metrics metrics_;
  RequestLimits limits_;
  WorkQueue queue_{1, 1};
  std::unique_ptr<ConfigHolder> holder_;
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<Header> headers_;
};

TEST_F(PipelineTest, InvalidIdIs400) {
  auto answer = Answer(Head("stats", {}));
  EXPECT_EQ(answer.status, 400u);
  EXPECT_EQ(answer.body, R"({"detail":"Webhook ID 'stats' is reserved and cannot be used"})");
}

TEST_F(PipelineTest, UnknownIdIs404) {
  auto answer = Answer(Head("missing", {}));
  EXPECT_EQ(answer.status, 404u);
  EXPECT_EQ(answer.body, R"({"detail":"Webhook ID not found"})");
}

TEST_F(PipelineTest, BadNamespaceIs400) {
  auto answer = Answer(Head("orders", {}, 10, "bad.ns"));
  EXPECT_EQ(answer.status, 400u);
  EXPECT_EQ(answer.body, R"({"detail":"Invalid namespace format"})");
}

TEST_F(PipelineTest, MissingOrWrongTokenIs401) {
  EXPECT_EQ(Answer(Head("orders", {})).status, 401u);
  auto wrong = Answer(Head("orders", {{"authorization", "Bearer nope"}}));
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_EQ(wrong.body, R"({"detail":"Unauthorized"})");
}

TEST_F(PipelineTest, GoodTokenIsAdmitted) {
  auto result = Head("orders", {{"authorization", "Bearer t0ken"}});
  ASSERT_TRUE(std::holds_alternative<Admission>(result));
  EXPECT_EQ(std::get<Admission>(result).webhook_id, "orders");
}

TEST_F(PipelineTest, DeclaredOversizedBodyIs413BeforeReading) {
  auto answer = Answer(Head("open", {}, limits_.max_body_bytes + 1));
  EXPECT_EQ(answer.status, 413u);
  EXPECT_TRUE(answer.close);
  EXPECT_EQ(answer.body, R"json({"detail":"Payload too large: 10485761 bytes (max: 10485760)"})json");
}

TEST_F(PipelineTest, OversizedBodyAfterFailedAuthIs401) {
  EXPECT_EQ(Answer(Head("orders", {}, limits_.max_body_bytes + 1)).status, 401u);
}

TEST_F(PipelineTest, HeaderLimits) {
  std::vector<Header> many;
  for (int i = 0; i < 101; ++i) many.push_back({"x-h" + std::to_string(i), "v"});
  auto too_many = Answer(Head("open", many));
  EXPECT_EQ(too_many.status, 400u);
  EXPECT_EQ(too_many.body, R"json({"detail":"Too many headers: 101 (max: 100)"})json");

  auto too_large = Answer(Head("open", {{"x-big", std::string(8200, 'a')}}));
  EXPECT_EQ(too_large.status, 400u);
  EXPECT_EQ(too_large.body, R"json({"detail":"Headers too large: 8205 bytes (max: 8192)"})json");

  auto separator = Answer(Head("open", {{"x-a", "line\xe2\x80\xa8sep"}}));
  EXPECT_EQ(separator.body, R"({"detail":"Invalid header value: contains forbidden character"})");
}

// Starts every body on one event loop before any chain runs (chains are queued behind them).
std::vector<HttpAnswer> Bodies(Pipeline& pipeline, const std::vector<Admission>& admissions,
                               const std::vector<std::string>& bodies) {
  boost::asio::io_context io;
  std::vector<HttpAnswer> answers(bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    boost::asio::co_spawn(io, pipeline.OnBody(admissions[i], {}, bodies[i]),
                          [&answers, i](std::exception_ptr, HttpAnswer answer) {
                            answers[i] = std::move(answer);
                          });
  }
  io.run();
  return answers;
}

TEST_F(PipelineTest, AcceptsThenRefusesWith503WhenTheQueueIsFull) {
  std::vector<Admission> admissions;
  for (int i = 0; i < 3; ++i) admissions.push_back(std::get<Admission>(Head("open", {})));
  auto answers = Bodies(*pipeline_, admissions, {R"({"n":1})", R"({"n":2})", R"({"n":3})"});
  EXPECT_EQ(answers[0].status, 200u);
  EXPECT_THAT(answers[0].body,
              ::testing::MatchesRegex(R"(\{"message":"200 OK","id":"[0-9a-f-]{36}"\})"));
  EXPECT_EQ(answers[1].status, 200u) << "queued";
  EXPECT_EQ(answers[2].status, 503u);
  ASSERT_EQ(answers[2].headers.size(), 1u);
  EXPECT_EQ(answers[2].headers[0].first, "Retry-After");
  EXPECT_TRUE(queue_.Idle());
}

TEST_F(PipelineTest, MalformedJsonIs400) {
  auto answers = Bodies(*pipeline_, {std::get<Admission>(Head("open", {}))}, {"{oops"});
  EXPECT_EQ(answers[0].status, 400u);
  EXPECT_EQ(answers[0].body, R"({"detail":"Malformed JSON payload"})");
  EXPECT_TRUE(queue_.Idle()) << "nothing accepted";
}

TEST_F(PipelineTest, PayloadFailingTheJsonSchemaIs400AndNotAccepted) {
  auto answers = Bodies(*pipeline_, {std::get<Admission>(Head("typed", {}))}, {R"({"n":1})"});
  EXPECT_EQ(answers[0].status, 400u);
  EXPECT_EQ(answers[0].body, R"({"detail":"JSON schema validation failed at the root )"
                             R"((required): missing required property \"id\""})");
  EXPECT_TRUE(queue_.Idle()) << "nothing accepted";

  answers = Bodies(*pipeline_, {std::get<Admission>(Head("typed", {}))}, {R"({"id":1})"});
  EXPECT_EQ(answers[0].status, 200u);
}

TEST_F(PipelineTest, RefusalsAreCountedUnderTheMethodThatRefused) {
  Head("orders", {});
  Head("orders", {{"authorization", "Bearer nope"}});
  Bodies(*pipeline_, {std::get<Admission>(Head("typed", {}))}, {R"({"n":1})"});
  Head("orders", {{"authorization", "Bearer t0ken"}});  // admitted: not a failure
  std::string text = metrics_.Render({});
  EXPECT_THAT(text, ::testing::HasSubstr(
      "webhook_gateway_auth_failures_total{webhook=\"orders\",reason=\"authorization\"} 2\n"));
  EXPECT_THAT(text, ::testing::HasSubstr(
      "webhook_gateway_auth_failures_total{webhook=\"typed\",reason=\"json_schema\"} 1\n"));
}

TEST_F(PipelineTest, ChainsFromMemoryCountTheirAttempts) {
  Bodies(*pipeline_, {std::get<Admission>(Head("open", {}))}, {R"({"n":1})"});
  ASSERT_TRUE(queue_.Idle()) << "the chain ran on the same event loop";
  EXPECT_THAT(metrics_.Render({}), ::testing::HasSubstr(
      "webhook_gateway_delivery_attempts_total{webhook=\"open\",module=\"log\","
      "outcome=\"delivered\"} 1\n"));
}

}  // namespace
}  // namespace wg
