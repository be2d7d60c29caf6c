#include "dedup/dedup_store.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "observability/logger.hpp"
#include "test_support.hpp"

namespace wg {
namespace {

namespace fs = std::filesystem;
using Status = ClaimResult::Status;
using std::chrono::hours;
using std::chrono::milliseconds;

const std::string kKey = "0123456789abcdef0123456789abcdef";
const std::string kOther = "fedcba9876543210fedcba9876543210";

class DedupStoreTest : public ::testing::Test {
 protected:
  DedupStoreTest()
      : directory_(fs::temp_directory_path() / ("wg-dedup-" + std::to_string(::getpid()))) {
    fs::remove_all(directory_);
  }
  ~DedupStoreTest() override { fs::remove_all(directory_); }

  std::unique_ptr<DedupStore> Open(size_t max_entries = 1000, uint64_t file_bytes = 1 << 20) {
    auto opened = DedupStore::Open({directory_, max_entries, file_bytes}, logger_);
    if (auto* error = std::get_if<std::string>(&opened)) {
      ADD_FAILURE() << *error;
      return nullptr;
    }
    return std::move(std::get<std::unique_ptr<DedupStore>>(opened));
  }

  static int64_t Now() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  static std::string Commit(DedupStore& store, const std::string& key, const std::string& id,
                            milliseconds window = hours(1)) {
    return testing::RunAwaitable(store.Commit(key, id, window));
  }

  std::vector<fs::path> Files() const {
    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(directory_)) files.push_back(item.path());
    std::sort(files.begin(), files.end());
    return files;
  }

  fs::path directory_;
  Logger logger_{LogLevel::kError, LogFormat::kText};
};

TEST_F(DedupStoreTest, FirstIsClaimedRepeatWaitsThenIsADuplicate) {
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->ClaimNow(kKey, "d1", Now()).status, Status::kClaimed);
  EXPECT_EQ(store->ClaimNow(kKey, "d2", Now()).status, Status::kPending);
  EXPECT_EQ(Commit(*store, kKey, "d1"), "");
  ClaimResult repeat = store->ClaimNow(kKey, "d3", Now());
  EXPECT_EQ(repeat.status, Status::kDuplicate);
  EXPECT_EQ(repeat.original_id, "d1");
  EXPECT_EQ(store->ClaimNow(kOther, "d4", Now()).status, Status::kClaimed) << "another key";
}

TEST_F(DedupStoreTest, AReleasedClaimDoesNotBlockTheRetry) {
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->ClaimNow(kKey, "d1", Now()).status, Status::kClaimed);
  store->ReleaseNow(kKey, "d2");  // not the holder: nothing happens
  EXPECT_EQ(store->ClaimNow(kKey, "d3", Now()).status, Status::kPending);
  store->ReleaseNow(kKey, "d1");
  EXPECT_EQ(store->ClaimNow(kKey, "d3", Now()).status, Status::kClaimed);
}

TEST_F(DedupStoreTest, AKeyIsNewAgainAfterItsWindow) {
  auto store = Open();
  ASSERT_TRUE(store);
  store->ClaimNow(kKey, "d1", Now());
  Commit(*store, kKey, "d1", milliseconds(1000));
  EXPECT_EQ(store->ClaimNow(kKey, "d2", Now() + 500).status, Status::kDuplicate);
  EXPECT_EQ(store->ClaimNow(kKey, "d2", Now() + 1500).status, Status::kClaimed);
}

TEST_F(DedupStoreTest, AcceptedKeysSurviveARestartClaimsAndExpiredKeysDoNot) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    store->ClaimNow(kKey, "d1", Now());
    Commit(*store, kKey, "d1");
    store->ClaimNow(kOther, "d2", Now());  // never committed: its request got no 2xx
    store->ClaimNow("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "d3", Now());
    Commit(*store, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "d3", milliseconds(1));
  }
  std::this_thread::sleep_for(milliseconds(5));
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->recovery().keys, 1u);
  ClaimResult repeat = store->ClaimNow(kKey, "d9", Now());
  EXPECT_EQ(repeat.status, Status::kDuplicate);
  EXPECT_EQ(repeat.original_id, "d1");
  EXPECT_EQ(store->ClaimNow(kOther, "d9", Now()).status, Status::kClaimed);
  EXPECT_EQ(Files().size(), 1u) << "compacted into one new file at start";
}

TEST_F(DedupStoreTest, ATornLastLineIsIgnored) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    store->ClaimNow(kKey, "d1", Now());
    Commit(*store, kKey, "d1");
  }
  {
    std::ofstream out(Files().back(), std::ios::app);
    out << Now() + 100000 << " " << kOther << " d2";  // cut before its newline
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->recovery().torn_lines, 1u);
  EXPECT_EQ(store->ClaimNow(kKey, "d9", Now()).status, Status::kDuplicate);
  EXPECT_EQ(store->ClaimNow(kOther, "d9", Now()).status, Status::kClaimed);
}

TEST_F(DedupStoreTest, WhenFullTheOldestKeysAreForgotten) {
  auto store = Open(16);  // one key per shard
  ASSERT_TRUE(store);
  for (int i = 0; i < 200; ++i) {
    std::string key = fmt::format("{:032x}", i);
    ASSERT_EQ(store->ClaimNow(key, "d", Now()).status, Status::kClaimed);
    Commit(*store, key, "d" + std::to_string(i));
  }
  EXPECT_LE(store->Size(), 16u);
  EXPECT_EQ(store->ClaimNow(fmt::format("{:032x}", 199), "x", Now()).status, Status::kDuplicate)
      << "the newest key is kept";
}

TEST_F(DedupStoreTest, JournalFilesRollOverAndExpiredOnesAreDeleted) {
  auto store = Open(1000, 100);  // a new file after ~2 lines
  ASSERT_TRUE(store);
  for (int i = 0; i < 6; ++i) {
    std::string key = fmt::format("{:032x}", i);
    store->ClaimNow(key, "d", Now());
    Commit(*store, key, "d" + std::to_string(i), milliseconds(1));
  }
  std::this_thread::sleep_for(milliseconds(5));
  store->ClaimNow(kKey, "d", Now());
  Commit(*store, kKey, "dlast");
  EXPECT_LE(Files().size(), 2u) << "files whose keys all expired are gone";
}

TEST_F(DedupStoreTest, ConcurrentClaimsOfOneKeyHaveExactlyOneWinner) {
  auto store = Open();
  ASSERT_TRUE(store);
  std::atomic<int> claimed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        if (store->ClaimNow(kKey, "d" + std::to_string(t), Now()).status == Status::kClaimed) {
          claimed.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(claimed.load(), 1);
}

}  // namespace
}  // namespace wg
