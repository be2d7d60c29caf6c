#include "spool/dead_letters.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace wg {
namespace {
namespace fs = std::filesystem;

class DeadLettersTest : public ::testing::Test {
 protected:
  DeadLettersTest()
      : directory_(fs::temp_directory_path() / ("wg-dead-letters-" + std::to_string(::getpid()))),
        store_(directory_) {
    fs::remove_all(directory_);
    EXPECT_FALSE(store_.Prepare());
  }
  ~DeadLettersTest() override { fs::remove_all(directory_); }

  static DeadLetter Letter(std::string id, std::string webhook, int64_t at, std::string module) {
    DeadLetter letter;
    letter.delivery_id = std::move(id);
    letter.webhook_id = std::move(webhook);
    letter.received_at_us = at - 1000;
    letter.dead_lettered_at_us = at;
    letter.chain_fingerprint = 0xabcdef0123456789ULL;
    letter.headers = {{"content-type", "application/json"}};
    letter.body = R"({"order":1})";
    letter.items.push_back({1, std::move(module), "failed", 3, "HTTP 500",
                            {{1, std::chrono::system_clock::now(), "HTTP 500"}}});
    return letter;
  }

  fs::path directory_;
  DeadLetterStore store_;
};

constexpr const char* kA = "0190a1b2-c3d4-7e5f-8a9b-000000000001";
constexpr const char* kB = "0190a1b2-c3d4-7e5f-8a9b-000000000002";

TEST_F(DeadLettersTest, KeepsTheRequestAndTheErrorHistory) {
  ASSERT_FALSE(store_.Put(Letter(kA, "orders", 2000000, "http_webhook")));
  auto letter = store_.Get(kA);
  ASSERT_TRUE(letter);
  EXPECT_EQ(letter->webhook_id, "orders");
  EXPECT_EQ(letter->body, R"({"order":1})");
  EXPECT_EQ(letter->chain_fingerprint, 0xabcdef0123456789ULL);
  ASSERT_EQ(letter->items.size(), 1u);
  EXPECT_EQ(letter->items[0].index, 1);
  EXPECT_EQ(letter->items[0].error, "HTTP 500");
  EXPECT_EQ(letter->ItemMask(), 0b10u);
  auto json = letter->ToJson();
  EXPECT_EQ(json.at("items").as_array()[0].as_object().at("module").as_string(), "http_webhook");
}

TEST_F(DeadLettersTest, BinaryBodiesSurviveAsBase64) {
  DeadLetter letter = Letter(kA, "files", 1, "s3");
  letter.body = std::string("\x00\xff\xfe binary", 10);
  ASSERT_FALSE(store_.Put(letter));
  EXPECT_TRUE(store_.Get(kA)->ToJson().contains("body_base64"));
  EXPECT_EQ(store_.Get(kA)->body, letter.body);
}

TEST_F(DeadLettersTest, ListFiltersAndRemoves) {
  ASSERT_FALSE(store_.Put(Letter(kA, "orders", 2000000, "http_webhook")));
  ASSERT_FALSE(store_.Put(Letter(kB, "audit", 5000000, "redis_rq")));
  EXPECT_EQ(store_.List({}).size(), 2u);
  EXPECT_EQ(store_.List({}).front().delivery_id, kA) << "oldest first";
  DeadLetterFilter by_webhook;
  by_webhook.webhook_id = "audit";
  ASSERT_EQ(store_.List(by_webhook).size(), 1u);
  DeadLetterFilter by_module;
  by_module.module = "http_webhook";
  ASSERT_EQ(store_.List(by_module).size(), 1u);
  DeadLetterFilter by_time;
  by_time.since_us = 3000000;
  ASSERT_EQ(store_.List(by_time).size(), 1u);
  EXPECT_EQ(store_.List(by_time)[0].delivery_id, kB);
  EXPECT_TRUE(store_.Remove(kA));
  EXPECT_FALSE(store_.Remove(kA));
  EXPECT_EQ(store_.Count(), 1u);
}

TEST_F(DeadLettersTest, CountFollowsPutReplaceRemoveAndARestart) {
  EXPECT_EQ(store_.Count(), 0u);
  ASSERT_FALSE(store_.Put(Letter(kA, "orders", 1, "log")));
  ASSERT_FALSE(store_.Put(Letter(kA, "orders", 2, "log")));  // a replay that failed again
  ASSERT_FALSE(store_.Put(Letter(kB, "orders", 3, "log")));
  EXPECT_EQ(store_.Count(), 2u);
  DeadLetterStore reopened(directory_);
  ASSERT_FALSE(reopened.Prepare());
  EXPECT_EQ(reopened.Count(), 2u) << "counted from the directory at start";
  EXPECT_TRUE(store_.Remove(kB));
  EXPECT_EQ(store_.Count(), 1u);
}

TEST_F(DeadLettersTest, IdsThatAreNotUuidsNeverTouchTheFileSystem) {
  EXPECT_FALSE(DeadLetterStore::IsValidId("../../etc/passwd"));
  EXPECT_FALSE(DeadLetterStore::IsValidId("0190A1B2-C3D4-7E5F-8A9B-000000000001"));
  EXPECT_TRUE(DeadLetterStore::IsValidId(kA));
  EXPECT_FALSE(store_.Get("../x"));
  EXPECT_FALSE(store_.Remove("../x"));
}

}  // namespace
}  // namespace wg
