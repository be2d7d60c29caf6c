// The durable spool: accepted webhooks are appended to segment files and fsync'd before the
// sender gets its 2xx. One writer thread takes every record queued while the previous fsync ran
// and writes them with a single write + fdatasync (group commit), so a thousand concurrent
// requests cost one disk flush, not a thousand.
//
// Progress is appended too: an "item finished" record per chain item that was delivered or
// dead-lettered. A segment file is deleted once no record in it is needed any more (every item
// of its accepted webhooks finished, and its finish records refer only to finished webhooks).
// At start the segments are read back: a torn or damaged frame is skipped or truncated, and the
// webhooks with unfinished items are handed to delivery again.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "spool/spool_record.hpp"
#include "spool/zero_filler.hpp"

namespace wg {

class Logger;

struct SpoolOptions {
  std::filesystem::path directory = "data/spool";
  uint64_t max_bytes = uint64_t{1} << 30;      // beyond this, new webhooks get 503
  uint64_t segment_bytes = uint64_t{64} << 20;  // a new segment file starts after this size
  bool zero_fill_ahead = true;  // see ZeroFiller; off only to measure what it is worth
};

struct SpoolLocation {
  uint64_t segment = 0;
  uint64_t offset = 0;  // of the frame
  uint32_t length = 0;  // of the whole frame
};

struct AppendResult {
  enum class Status { kOk, kFull, kFailed };
  Status status = Status::kFailed;
  std::string error;
  uint64_t sequence = 0;
  SpoolLocation location;
};

// A webhook with chain items still to run (found at start, or appended for a replay).
struct UnfinishedRecord {
  uint64_t sequence = 0;
  SpoolLocation location;
  uint32_t pending_items = 0;
  std::string webhook_id;
  uint64_t chain_fingerprint = 0;
};

struct RecoveryReport {
  size_t segments = 0;
  size_t records = 0;          // accepted records read
  size_t unfinished = 0;       // of which some items still have to run
  uint64_t skipped_bytes = 0;  // damaged or torn frames dropped
  std::chrono::milliseconds duration{0};
};

struct SpoolStats {
  uint64_t bytes = 0;
  size_t segments = 0;
  size_t unfinished = 0;  // accepted webhooks with items still to run
  uint64_t appended = 0;  // accepted records written since start
  uint64_t fsyncs = 0;    // group commits since start
  uint64_t fsyncs_in_place = 0;  // of which wrote only over zero-filled space (no size change)
  // When the unfinished webhook that entered the spool first was received (microseconds since
  // the Unix epoch); 0 when nothing is unfinished.
  int64_t oldest_unfinished_received_us = 0;
};

class Spool {
 public:
  // Creates the directory if needed, locks it against a second gateway, and recovers.
  // Returns an error message when the directory cannot be used.
  static std::variant<std::string, std::unique_ptr<Spool>> Open(SpoolOptions options,
                                                                Logger& logger);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  const RecoveryReport& recovery() const { return recovery_; }
  // The unfinished webhooks found at start, oldest first; empties the list.
  std::vector<UnfinishedRecord> TakeUnfinished();

  // Assigns the sequence number, appends, and completes once the record is on disk. What
  // `record` points to is read when the awaitable starts, so it must live until then.
  boost::asio::awaitable<AppendResult> Append(AcceptedRecordView record);

  // Records that a chain item needs no more work. Not waited for: a finish record lost in a
  // crash only means the item is delivered again (at least once, never lost).
  void Finish(uint64_t sequence, uint16_t item, ItemFinish finish);

  // Reads an accepted record back (for webhooks delivered from the backlog or after a restart).
  std::optional<AcceptedRecord> Read(const SpoolLocation& location) const;

  SpoolStats Stats() const;

 private:
  // The waiting Append, resumed with its result. Called once, on the Append's executor.
  class Completion {
   public:
    Completion() = default;
    template <typename Handler>
    explicit Completion(Handler handler)
        : call_(std::make_unique<Impl<Handler>>(std::move(handler))) {}
    void operator()(AppendResult result) { call_->Call(std::move(result)); }

   private:
    struct Base {
      virtual ~Base() = default;
      virtual void Call(AppendResult result) = 0;
    };
    template <typename Handler>
    struct Impl final : Base {
      explicit Impl(Handler h) : handler(std::move(h)) {}
      void Call(AppendResult result) override { std::move(handler)(std::move(result)); }
      Handler handler;
    };
    std::unique_ptr<Base> call_;
  };
  // An append whose frame is in queued_frames_ (or, once taken, in the writer's batch).
  struct QueuedAppend {
    uint64_t sequence = 0;
    uint32_t pending_items = 0;
    int64_t received_at_us = 0;
    size_t offset = 0;  // of its frame in the batch
    uint32_t length = 0;
    boost::asio::any_io_executor executor;
    Completion complete;
  };
  struct Live {
    uint64_t segment = 0;
    uint32_t pending_items = 0;
    std::vector<uint64_t> finish_segments;  // other segments holding its finish records
    int64_t received_at_us = 0;
  };

  // Finish records with no append to ride along with are written after this delay, or once
  // this many are queued: each write of its own wakes the writer thread.
  static constexpr std::chrono::milliseconds kFinishDelay{10};
  static constexpr size_t kFinishBatch = 512;
  // The writer keeps its batch buffer between batches up to this capacity.
  static constexpr size_t kKeptBatchBytes = size_t{8} << 20;

  Spool(SpoolOptions options, Logger& logger, int lock_fd);
  std::optional<std::string> Recover();
  // Encodes the record at the end of queued_frames_ and queues its completion.
  void Enqueue(AcceptedRecordView record, boost::asio::any_io_executor executor,
               Completion complete);
  // Resumes the appends of a written batch: one handler posted per event loop, not one each.
  static void Complete(std::vector<QueuedAppend>& appends,
                       const std::vector<SpoolLocation>& locations, const std::string& failure);
  void Run();
  // Writer thread only:
  std::optional<std::string> OpenNewSegment();
  void ApplyFinish(const ItemFinishedRecord& finish, uint64_t segment);
  void Release(uint64_t segment);
  void DeleteUnneededSegments();
  int64_t OldestUnfinished() const;  // received_at_us of live_'s first, or 0
  std::filesystem::path SegmentPath(uint64_t segment) const;

  SpoolOptions options_;
  Logger& logger_;
  int lock_fd_ = -1;
  RecoveryReport recovery_;
  std::vector<UnfinishedRecord> unfinished_at_start_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<QueuedAppend> queued_appends_;
  std::string queued_frames_;  // the frames of queued_appends_, one after the other
  std::vector<ItemFinishedRecord> queued_finishes_;
  uint64_t writing_bytes_ = 0;  // of the batch being written, likewise
  bool stopping_ = false;
  uint64_t next_sequence_ = 1;
  SpoolStats stats_;
  std::thread writer_;
  std::unique_ptr<ZeroFiller> zero_filler_;

  // Owned by the writer thread (and by Recover before it starts).
  int active_fd_ = -1;
  uint64_t active_segment_ = 0;
  uint64_t active_size_ = 0;
  bool broken_ = false;  // an fsync failed: nothing more is acknowledged until restart
  std::string broken_reason_;
  std::map<uint64_t, Live> live_;  // by sequence: the first is the oldest in the spool
  std::map<uint64_t, uint64_t> segment_refs_;   // segment -> records that keep it
  std::map<uint64_t, uint64_t> segment_sizes_;  // segment -> bytes
};

}  // namespace wg
