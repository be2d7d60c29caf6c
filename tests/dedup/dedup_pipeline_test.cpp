// dedup as a sender sees it: the pipeline's answers to the bodies of repeated deliveries.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <filesystem>

#include "dedup/dedup_store.hpp"
#include "observability/logger.hpp"
#include "test_support.hpp"
#include "webhook/pipeline.hpp"

namespace wg {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class DedupPipelineTest : public ::testing::Test {
 protected:
  DedupPipelineTest()
      : directory_(fs::temp_directory_path() /
                   ("wg-dedup-pipeline-" + std::to_string(::getpid()))) {
    fs::remove_all(directory_);
    DedupStoreOptions options;
    options.directory = directory_;
    auto opened = DedupStore::Open(options, logger_);
    store_ = std::move(std::get<std::unique_ptr<DedupStore>>(opened));
  }
  ~DedupPipelineTest() override {
    store_.reset();
    fs::remove_all(directory_);
  }

  void Load(std::string_view webhooks) {
    auto loaded = LoadConfigFromText(std::string(webhooks), std::nullopt,
                                     testing::FakeEnvironment({}), context_);
    errors_.clear();
    for (const auto& error : loaded.errors) errors_.push_back(ConfigErrors::Format(error));
    if (!loaded.config) return;
    holder_ = std::make_unique<ConfigHolder>(loaded.config);
    pipeline_ = std::make_unique<Pipeline>(*holder_, queue_, nullptr, nullptr, logger_, limits_,
                                           store_.get());
  }

  struct Request {
    std::vector<Header> headers;
    std::string body;
  };
  static Request Keyed(std::string header, std::string value) {
    return {{{std::move(header), std::move(value)}}, "{}"};
  }
  static Request Bodied(std::string body) { return {{}, std::move(body)}; }

  // Starts every request on one event loop before any finishes, as concurrent senders would.
  std::vector<HttpAnswer> Send(std::vector<Request> requests) {
    boost::asio::io_context io;
    std::vector<HttpAnswer> answers(requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
      std::vector<Header> none;
      auto head = pipeline_->OnHead({"", "hook", none, 2, "POST", "/webhook/hook", "::1"});
      auto admission = std::get<Admission>(std::move(head));
      boost::asio::co_spawn(
          io, pipeline_->OnBody(std::move(admission), requests[i].headers, requests[i].body),
          [&answers, i](std::exception_ptr, HttpAnswer answer) { answers[i] = std::move(answer); });
    }
    io.run();
    return answers;
  }

  static boost::json::object Body(const HttpAnswer& answer) {
    return boost::json::parse(answer.body).as_object();
  }

  fs::path directory_;
  boost::asio::thread_pool pool_{1};
  ModuleContext context_{&pool_, nullptr, "/tmp"};
  Logger logger_{LogLevel::kError, LogFormat::kText};
  RequestLimits limits_;
  WorkQueue queue_{4, 16};
  std::unique_ptr<DedupStore> store_;
  std::unique_ptr<ConfigHolder> holder_;
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<std::string> errors_;
};

constexpr std::string_view kByHeader =
    R"({"hook": {"module": "log", "acknowledge": "received", "dedup": "X-GitHub-Delivery"}})";

TEST_F(DedupPipelineTest, ARepeatIs200WithTheFirstIdAndMarkedDuplicate) {
  Load(kByHeader);
  ASSERT_TRUE(pipeline_) << ::testing::PrintToString(errors_);
  auto first = Send({Keyed("x-github-delivery", "abc")});
  ASSERT_EQ(first[0].status, 200u);
  const std::string id(Body(first[0]).at("id").as_string());
  EXPECT_FALSE(Body(first[0]).contains("duplicate"));

  auto repeat = Send({Keyed("x-github-delivery", "abc")});
  EXPECT_EQ(repeat[0].status, 200u);
  EXPECT_EQ(repeat[0].body,
            fmt::format(R"({{"message":"200 OK","duplicate":true,"id":"{}"}})", id));
}

TEST_F(DedupPipelineTest, DifferentKeysAndRequestsWithoutAKeyAreAllAccepted) {
  Load(kByHeader);
  ASSERT_TRUE(pipeline_);
  auto answers = Send({Keyed("x-github-delivery", "a"), Keyed("x-github-delivery", "b"),
                       Bodied("{}"), Bodied("[]")});
  for (const auto& answer : answers) {
    EXPECT_EQ(answer.status, 200u);
    EXPECT_FALSE(Body(answer).contains("duplicate")) << answer.body;
  }
}

TEST_F(DedupPipelineTest, ConcurrentIdenticalRequestsAreAcceptedOnce) {
  Load(kByHeader);
  ASSERT_TRUE(pipeline_);
  auto answers = Send({Keyed("x-github-delivery", "same"), Keyed("x-github-delivery", "same"),
                       Keyed("x-github-delivery", "same")});
  int duplicates = 0;
  for (const auto& answer : answers) {
    EXPECT_EQ(answer.status, 200u);
    duplicates += Body(answer).contains("duplicate") ? 1 : 0;
  }
  EXPECT_EQ(duplicates, 2);
  EXPECT_EQ(Body(answers[1]).at("id"), Body(answers[0]).at("id"));
}

TEST_F(DedupPipelineTest, AJsonPointerKey) {
  Load(R"({"hook": {"module": "log", "acknowledge": "received",
                    "dedup": {"key": "/event/id", "window_seconds": 60}}})");
  ASSERT_TRUE(pipeline_) << ::testing::PrintToString(errors_);
  auto first = Send({Bodied(R"({"event": {"id": 7}})")});
  EXPECT_FALSE(Body(first[0]).contains("duplicate"));
  auto repeat =
      Send({Bodied(R"({"event": {"id": 7}, "retry": 1})"), Bodied(R"({"event": {"id": "7x"}})")});
  EXPECT_TRUE(Body(repeat[0]).contains("duplicate"));
  EXPECT_FALSE(Body(repeat[1]).contains("duplicate"));
}

TEST_F(DedupPipelineTest, AFirstRequestThatFailedDoesNotBlockItsRetry) {
  // "persisted" without a spool: 500, the sender will retry.
  Load(R"({"hook": {"module": "log", "dedup": "webhook-id"}})");
  ASSERT_TRUE(pipeline_);
  auto failed = Send({Keyed("webhook-id", "msg_1")});
  EXPECT_EQ(failed[0].status, 500u);
  EXPECT_EQ(store_->ClaimNow(DedupFingerprint("hook", "msg_1"), "retry", 0).status,
            ClaimResult::Status::kClaimed)
      << "the failed request's claim was released";
}

TEST_F(DedupPipelineTest, ConfigForms) {
  Load(R"({"a": {"module": "log", "dedup": ""},
           "b": {"module": "log", "dedup": 5},
           "c": {"module": "log", "dedup": {"window_seconds": 0}},
           "d": {"module": "log", "dedup": {"key": "/id", "backend": "redis"}},
           "e": {"module": "log", "dedup": {"key": "/id", "connection": "x"}}})");
  EXPECT_THAT(
      errors_,
      ::testing::IsSupersetOf({
          HasSubstr("/a/dedup: must name a header (\"X-GitHub-Delivery\") or a JSON pointer"),
          HasSubstr("/b/dedup: must be a header name, a JSON pointer or an object, got a number"),
          HasSubstr("/c/dedup/key: required"),
          HasSubstr("/c/dedup/window_seconds: must be between 1 and 2592000, got 0"),
          HasSubstr("/d/dedup/backend: \"redis\" needs a \"connection\""),
          HasSubstr("/e/dedup/connection: only used with \"backend\": \"redis\""),
      }));
}

}  // namespace
}  // namespace wg
