#include "spool/spool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "observability/logger.hpp"
#include "test_support.hpp"

namespace wg {
namespace {
namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  SpoolTest() {
    directory_ = fs::temp_directory_path() /
                 ("wg-spool-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
  }
  ~SpoolTest() override { fs::remove_all(directory_); }

  std::unique_ptr<Spool> Open(uint64_t max_bytes = 1 << 30, uint64_t segment_bytes = 64 << 20) {
    SpoolOptions options{directory_, max_bytes, segment_bytes};
    auto opened = Spool::Open(options, logger_);
    if (auto* error = std::get_if<std::string>(&opened)) {
      ADD_FAILURE() << *error;
      return nullptr;
    }
    return std::move(std::get<std::unique_ptr<Spool>>(opened));
  }

  static AcceptedRecord Record(int n, uint32_t items = 0b11) {
    AcceptedRecord record;
    record.delivery_id = "id-" + std::to_string(n);
    record.webhook_id = "orders";
    record.received_at_us = 1700000000000000 + n;
    record.chain_fingerprint = 42;
    record.pending_items = items;
    record.headers = {{"content-type", "application/json"}, {"x-n", std::to_string(n)}};
    record.body = R"({"n":)" + std::to_string(n) + "}";
    return record;
  }

  static AppendResult Append(Spool& spool, const AcceptedRecord& record) {
    return testing::RunAwaitable(spool.Append(record.View()));
  }

  // Appends many at once on one event loop, as concurrent requests do.
  static std::vector<AppendResult> AppendConcurrently(Spool& spool, int count) {
    boost::asio::io_context io;
    std::vector<AppendResult> results(static_cast<size_t>(count));
    std::vector<AcceptedRecord> records;  // read when the appends start, in io.run()
    for (int i = 0; i < count; ++i) records.push_back(Record(i));
    for (int i = 0; i < count; ++i) {
      boost::asio::co_spawn(io, spool.Append(records[static_cast<size_t>(i)].View()),
                            [&results, i](std::exception_ptr, AppendResult result) {
                              results[static_cast<size_t>(i)] = std::move(result);
                            });
    }
    io.run();
    return results;
  }

  std::vector<fs::path> Segments() const {
    std::vector<fs::path> segments;
    for (const auto& entry : fs::directory_iterator(directory_)) {
      if (entry.path().filename().string().starts_with("segment-")) segments.push_back(entry.path());
    }
    std::sort(segments.begin(), segments.end());
    return segments;
  }

  fs::path directory_;
  Logger logger_{LogLevel::kError, LogFormat::kText};
};

TEST_F(SpoolTest, StatsNameTheOldestUnfinishedWebhook) {
  {
    auto spool = Open();
    ASSERT_TRUE(spool);
    EXPECT_EQ(spool->Stats().oldest_unfinished_received_us, 0) << "nothing unfinished";
    std::vector<AppendResult> appended;
    for (int i = 0; i < 3; ++i) appended.push_back(Append(*spool, Record(i)));
    EXPECT_EQ(spool->Stats().oldest_unfinished_received_us, Record(0).received_at_us);
    spool->Finish(appended[0].sequence, 0, ItemFinish::kDelivered);
    spool->Finish(appended[0].sequence, 1, ItemFinish::kDelivered);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (spool->Stats().oldest_unfinished_received_us != Record(1).received_at_us &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(spool->Stats().oldest_unfinished_received_us, Record(1).received_at_us);
  }
  auto spool = Open();
  ASSERT_TRUE(spool);
  EXPECT_EQ(spool->Stats().oldest_unfinished_received_us, Record(1).received_at_us)
      << "found again at recovery";
}

TEST_F(SpoolTest, UnfinishedWebhooksComeBackAfterARestart) {
  std::vector<AppendResult> appended;
  {
    auto spool = Open();
    ASSERT_TRUE(spool);
    for (int i = 0; i < 3; ++i) appended.push_back(Append(*spool, Record(i)));
    for (const auto& result : appended) ASSERT_EQ(result.status, AppendResult::Status::kOk);
    spool->Finish(appended[0].sequence, 0, ItemFinish::kDelivered);
    spool->Finish(appended[0].sequence, 1, ItemFinish::kDeadLettered);
    spool->Finish(appended[1].sequence, 1, ItemFinish::kDelivered);
  }
  auto spool = Open();
  ASSERT_TRUE(spool);
  EXPECT_EQ(spool->recovery().records, 3u);
  auto unfinished = spool->TakeUnfinished();
  ASSERT_EQ(unfinished.size(), 2u);
  EXPECT_EQ(unfinished[0].sequence, appended[1].sequence);
  EXPECT_EQ(unfinished[0].pending_items, 0b01u) << "item 1 was delivered before the restart";
  EXPECT_EQ(unfinished[1].pending_items, 0b11u);
  auto record = spool->Read(unfinished[1].location);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->delivery_id, "id-2");
  EXPECT_EQ(record->body, R"({"n":2})");
  ASSERT_EQ(record->headers.size(), 2u);
  EXPECT_EQ(record->headers[1].value, "2");
  EXPECT_EQ(record->chain_fingerprint, 42u);

  auto next = Append(*spool, Record(9));
  EXPECT_GT(next.sequence, appended[2].sequence) << "sequence numbers continue after a restart";
}

TEST_F(SpoolTest, ManyConcurrentAppendsShareFsyncs) {
  auto spool = Open();
  ASSERT_TRUE(spool);
  auto results = AppendConcurrently(*spool, 500);
  for (const auto& result : results) ASSERT_EQ(result.status, AppendResult::Status::kOk);
  SpoolStats stats = spool->Stats();
  EXPECT_EQ(stats.appended, 500u);
  EXPECT_LT(stats.fsyncs, 250u) << "group commit: far fewer fsyncs than records";
  EXPECT_EQ(stats.unfinished, 500u);
}

TEST_F(SpoolTest, FinishedSegmentsAreDeleted) {
  auto spool = Open(1 << 30, 4096);
  ASSERT_TRUE(spool);
  std::vector<AppendResult> appended;
  for (int i = 0; i < 200; ++i) appended.push_back(Append(*spool, Record(i, 0b1)));
  EXPECT_GT(Segments().size(), 3u);
  uint64_t before = spool->Stats().bytes;
  for (const auto& result : appended) spool->Finish(result.sequence, 0, ItemFinish::kDelivered);
  // Finishes are written by the writer thread; one more append waits for everything before it.
  Append(*spool, Record(999, 0b1));
  EXPECT_LE(Segments().size(), 2u) << "only the active segment (and the one just filled)";
  EXPECT_LT(spool->Stats().bytes, before);
  EXPECT_EQ(spool->Stats().unfinished, 1u);
}

TEST_F(SpoolTest, ATornTailIsCutAndTheRestRecovered) {
  AppendResult last;
  {
    auto spool = Open();
    ASSERT_TRUE(spool);
    for (int i = 0; i < 3; ++i) last = Append(*spool, Record(i));
  }
  auto segments = Segments();
  ASSERT_EQ(segments.size(), 1u);
  auto size = last.location.offset + last.location.length;
  fs::resize_file(segments[0], size - 5);  // the last record's write was cut short
  auto spool = Open();
  ASSERT_TRUE(spool);
  EXPECT_EQ(spool->recovery().records, 2u);
  EXPECT_GT(spool->recovery().skipped_bytes, 0u);
  EXPECT_EQ(spool->TakeUnfinished().size(), 2u);
  EXPECT_EQ(fs::file_size(segments[0]), last.location.offset) << "the torn frame is truncated away";
}

TEST_F(SpoolTest, SegmentsAreZeroFilledAheadAndTheZerosAreTheCleanEnd) {
  AppendResult last;
  {
    auto spool = Open(1 << 30, 8 << 20);
    ASSERT_TRUE(spool);
    // The zero filler runs beside the writer; once it has caught up, a group commit writes
    // over synced zeros and changes no file size.
    int appended = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (spool->Stats().fsyncs_in_place == 0 && std::chrono::steady_clock::now() < deadline) {
      last = Append(*spool, Record(appended++));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GT(spool->Stats().fsyncs_in_place, 0u);
    EXPECT_GT(fs::file_size(Segments()[0]), last.location.offset + last.location.length);
    spool.reset();
    auto reopened = Open(1 << 30, 8 << 20);
    ASSERT_TRUE(reopened);
    EXPECT_EQ(reopened->recovery().records, static_cast<size_t>(appended));
    EXPECT_EQ(reopened->recovery().skipped_bytes, 0u) << "zeros after the data are not damage";
    EXPECT_EQ(reopened->TakeUnfinished().size(), static_cast<size_t>(appended));
  }
}

TEST_F(SpoolTest, ADamagedRecordIsSkippedAndTheOnesAfterItKept) {
  std::vector<AppendResult> appended;
  {
    auto spool = Open();
    ASSERT_TRUE(spool);
    for (int i = 0; i < 3; ++i) appended.push_back(Append(*spool, Record(i)));
  }
  auto segments = Segments();
  ASSERT_EQ(segments.size(), 1u);
  {
    std::fstream file(segments[0], std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(appended[1].location.offset + 20));
    file.put('\x7f');  // a flipped byte in the middle record
  }
  auto spool = Open();
  ASSERT_TRUE(spool);
  EXPECT_EQ(spool->recovery().records, 2u);
  auto unfinished = spool->TakeUnfinished();
  ASSERT_EQ(unfinished.size(), 2u);
  EXPECT_EQ(spool->Read(unfinished[0].location)->delivery_id, "id-0");
  EXPECT_EQ(spool->Read(unfinished[1].location)->delivery_id, "id-2");
}

TEST_F(SpoolTest, AFullSpoolRefuses) {
  auto spool = Open(4096);
  ASSERT_TRUE(spool);
  AcceptedRecord big = Record(1);
  big.body = std::string(3000, 'x');
  EXPECT_EQ(Append(*spool, big).status, AppendResult::Status::kOk);
  AppendResult refused = Append(*spool, big);
  EXPECT_EQ(refused.status, AppendResult::Status::kFull);
  EXPECT_NE(refused.error.find("full"), std::string::npos);
}

TEST_F(SpoolTest, ASecondProcessCannotOpenTheSameDirectory) {
  auto spool = Open();
  ASSERT_TRUE(spool);
  auto second = Spool::Open(SpoolOptions{directory_}, logger_);
  ASSERT_TRUE(std::holds_alternative<std::string>(second));
  EXPECT_NE(std::get<std::string>(second).find("in use"), std::string::npos);
}

TEST_F(SpoolTest, ATruncatedOrCorruptFrameNeverDecodes) {
  std::string frame;
  EncodeAccepted(Record(1).View(), frame);
  EXPECT_EQ(DecodeFrame(frame).status, DecodedFrame::Status::kOk);
  for (size_t cut = 0; cut < frame.size(); ++cut) {
    EXPECT_NE(DecodeFrame(std::string_view(frame).substr(0, cut)).status,
              DecodedFrame::Status::kOk);
  }
  for (size_t at = 0; at < frame.size(); at += 7) {
    std::string damaged = frame;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x40);
    EXPECT_NE(DecodeFrame(damaged).status, DecodedFrame::Status::kOk) << "byte " << at;
  }
}

}  // namespace
}  // namespace wg
