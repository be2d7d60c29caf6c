// The gateway's own dedup keys: a table in memory and a journal in <spool-dir>/dedup/ that
// brings the accepted keys back after a restart (kill -9 included).
//
// Journal: files keys-<20 digits>.log of lines "<expires, unix ms> <fingerprint> <delivery id>".
// A commit appends its line and waits for the fdatasync, group-committed like the spool: one
// writer thread writes everything queued with one write and one fdatasync. At start every file
// is read (a torn last line is ignored), the keys still inside their window are written to a
// new file and the old files deleted; at run time a file that reaches `file_bytes` is followed by
// a new one, and a file whose keys have all expired is deleted.
//
// Memory is bounded: at most `max_entries` keys (about 150 bytes each). When full, expired keys
// go first, then the oldest accepted ones, with a warning: a repeat of a forgotten key is
// delivered again (at least once, never lost).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
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

#include "dedup/dedup_backend.hpp"

namespace wg {

class Logger;

struct DedupStoreOptions {
  std::filesystem::path directory = "data/spool/dedup";
  size_t max_entries = 1'000'000;
  uint64_t file_bytes = uint64_t{16} << 20;
};

struct DedupRecovery {
  size_t files = 0;
  size_t keys = 0;        // still inside their window, now in memory
  size_t torn_lines = 0;  // not whole (a crash while writing) or not readable
};

class DedupStore final : public DedupBackend {
 public:
  static std::variant<std::string, std::unique_ptr<DedupStore>> Open(DedupStoreOptions options,
                                                                     Logger& logger);
  ~DedupStore() override;
  DedupStore(const DedupStore&) = delete;
  DedupStore& operator=(const DedupStore&) = delete;

  boost::asio::awaitable<ClaimResult> Claim(std::string fingerprint, std::string delivery_id,
                                            std::chrono::milliseconds window) override;
  boost::asio::awaitable<std::string> Commit(std::string fingerprint, std::string delivery_id,
                                             std::chrono::milliseconds window) override;
  void Release(std::string fingerprint, std::string delivery_id,
               boost::asio::any_io_executor executor) override;

  // The same without a coroutine (Claim and Release never wait).
  ClaimResult ClaimNow(const std::string& fingerprint, const std::string& delivery_id,
                       int64_t now_ms);
  void ReleaseNow(const std::string& fingerprint, const std::string& delivery_id);

  const DedupRecovery& recovery() const { return recovery_; }
  size_t Size() const;

 private:
  struct Entry {
    int64_t expires_ms = 0;
    std::string delivery_id;
    bool accepted = false;  // false: claimed, its request still being accepted
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;
    std::deque<std::pair<std::string, int64_t>> accepted_order;  // (fingerprint, expires)
  };
  struct QueuedLine {
    std::string line;
    int64_t expires_ms = 0;
    std::function<void(std::string)> complete;
  };

  DedupStore(DedupStoreOptions options, Logger& logger);
  Shard& ShardOf(const std::string& fingerprint);
  void Accept(const std::string& fingerprint, const std::string& delivery_id, int64_t expires_ms,
              int64_t now_ms);
  void MakeRoom(Shard& shard, int64_t now_ms);
  std::optional<std::string> Recover(int64_t now_ms);
  std::optional<std::string> StartFile(uint64_t number);
  std::filesystem::path FilePath(uint64_t number) const;
  void Run();
  void DeleteExpiredFiles(int64_t now_ms);

  static constexpr size_t kShards = 16;
  const DedupStoreOptions options_;
  Logger& logger_;
  DedupRecovery recovery_;
  std::array<Shard, kShards> shards_;
  std::atomic<bool> warned_full_{false};

  std::mutex queue_mutex_;
  std::condition_variable wake_;
  std::vector<QueuedLine> queue_;
  bool stopping_ = false;
  std::thread writer_;

  // Writer thread only (and Recover before it starts).
  int fd_ = -1;
  uint64_t file_number_ = 0;
  uint64_t file_size_ = 0;
  std::map<uint64_t, int64_t> file_expires_;  // file -> the latest expiry of a key in it
};

}  // namespace wg
