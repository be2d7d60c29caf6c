#include "dedup/dedup_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "observability/logger.hpp"
#include "util/await_from_thread.hpp"
#include "util/sync_directory.hpp"
#include "util/thread_name.hpp"
#include "util/write_all.hpp"

namespace wg {
namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Line(int64_t expires_ms, std::string_view fingerprint, std::string_view delivery_id) {
  return fmt::format("{} {} {}\n", expires_ms, fingerprint, delivery_id);
}

struct JournalLine {
  int64_t expires_ms = 0;
  std::string fingerprint;
  std::string delivery_id;
};

// One whole line (without its '\n'), or nullopt when it is not one of ours.
std::optional<JournalLine> ParseLine(std::string_view text) {
  size_t first = text.find(' ');
  size_t second = first == std::string_view::npos ? first : text.find(' ', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  JournalLine line;
  auto [end, ec] = std::from_chars(text.data(), text.data() + first, line.expires_ms);
  if (ec != std::errc() || end != text.data() + first) return std::nullopt;
  line.fingerprint = std::string(text.substr(first + 1, second - first - 1));
  line.delivery_id = std::string(text.substr(second + 1));
  if (line.fingerprint.size() != 32 || line.delivery_id.empty()) return std::nullopt;
  return line;
}

// keys-<number>.log -> number; 0 for anything else.
uint64_t FileNumber(const fs::path& path) {
  std::string name = path.filename().string();
  if (!name.starts_with("keys-") || !name.ends_with(".log")) return 0;
  uint64_t number = 0;
  auto digits = std::string_view(name).substr(5, name.size() - 9);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (ec != std::errc() || end != digits.data() + digits.size()) return 0;
  return number;
}

}  // namespace

DedupStore::DedupStore(DedupStoreOptions options, Logger& logger)
    : options_(std::move(options)), logger_(logger) {}

std::variant<std::string, std::unique_ptr<DedupStore>> DedupStore::Open(DedupStoreOptions options,
                                                                        Logger& logger) {
  std::error_code ec;
  fs::create_directories(options.directory, ec);
  if (ec) return fmt::format("cannot create {}: {}", options.directory.string(), ec.message());
  std::unique_ptr<DedupStore> store(new DedupStore(std::move(options), logger));
  if (auto error = store->Recover(NowMs())) return *error;
  store->writer_ = std::thread([raw = store.get()] {
    NameThisThread("wg-dedup");
    raw->Run();
  });
  return store;
}

DedupStore::~DedupStore() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  if (fd_ >= 0) ::close(fd_);
}

fs::path DedupStore::FilePath(uint64_t number) const {
  return options_.directory / fmt::format("keys-{:020}.log", number);
}

std::optional<std::string> DedupStore::StartFile(uint64_t number) {
  fs::path path = FilePath(number);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot create {}: {}", path.string(), std::strerror(errno));
  SyncDirectory(options_.directory);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  file_number_ = number;
  file_size_ = 0;
  file_expires_[number] = 0;
  return std::nullopt;
}

std::optional<std::string> DedupStore::Recover(int64_t now_ms) {
  std::map<uint64_t, fs::path> files;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(options_.directory, ec)) {
    if (uint64_t number = FileNumber(item.path())) files[number] = item.path();
  }
  if (ec) return fmt::format("cannot read {}: {}", options_.directory.string(), ec.message());
  for (const auto& [number, path] : files) {
    ++recovery_.files;
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    const std::string text = content.str();
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) {  // a line cut by a crash: its request got no 2xx
        ++recovery_.torn_lines;
        break;
      }
      auto line = ParseLine(std::string_view(text).substr(start, end - start));
      start = end + 1;
      if (!line) {
        ++recovery_.torn_lines;
        continue;
      }
      if (line->expires_ms > now_ms) {
        Accept(line->fingerprint, line->delivery_id, line->expires_ms, now_ms);
      }
    }
  }
  // The keys still in their window go to a new file; then the old files can go.
  uint64_t next = files.empty() ? 1 : files.rbegin()->first + 1;
  if (auto error = StartFile(next)) return error;
  std::string batch;
  int64_t latest = 0;
  for (auto& shard : shards_) {
    for (const auto& [fingerprint, entry] : shard.entries) {
      batch += Line(entry.expires_ms, fingerprint, entry.delivery_id);
      latest = std::max(latest, entry.expires_ms);
      ++recovery_.keys;
    }
  }
  if (int error = WriteAll(fd_, batch.data(), batch.size()); error != 0 || ::fdatasync(fd_) != 0) {
    return fmt::format("cannot write {}: {}", FilePath(next).string(),
                       std::strerror(error != 0 ? error : errno));
  }
  file_size_ = batch.size();
  file_expires_[next] = latest;
  for (const auto& [number, path] : files) fs::remove(path, ec);
  SyncDirectory(options_.directory);
  return std::nullopt;
}

DedupStore::Shard& DedupStore::ShardOf(const std::string& fingerprint) {
  return shards_[std::hash<std::string>{}(fingerprint) % kShards];
}

size_t DedupStore::Size() const {
  size_t size = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    size += shard.entries.size();
  }
  return size;
}

void DedupStore::MakeRoom(Shard& shard, int64_t now_ms) {
  const size_t limit = std::max<size_t>(1, options_.max_entries / kShards);
  // The order holds every accepted key once per acceptance; a stale pair (the key was claimed
  // again or removed since) is dropped on the way.
  while (shard.entries.size() >= limit && !shard.accepted_order.empty()) {
    auto [fingerprint, expires_ms] = shard.accepted_order.front();
    shard.accepted_order.pop_front();
    auto found = shard.entries.find(fingerprint);
    if (found == shard.entries.end() || !found->second.accepted ||
        found->second.expires_ms != expires_ms) {
      continue;
    }
    if (expires_ms > now_ms && !warned_full_.exchange(true)) {
      logger_.Warn(
          "dedup: the key table is full; the oldest keys are forgotten before their "
          "window ends, and a repeat of one of them is delivered again",
          {{"max_entries", std::to_string(options_.max_entries)}});
    }
    shard.entries.erase(found);
  }
}

void DedupStore::Accept(const std::string& fingerprint, const std::string& delivery_id,
                        int64_t expires_ms, int64_t now_ms) {
  Shard& shard = ShardOf(fingerprint);
  std::lock_guard lock(shard.mutex);
  auto found = shard.entries.find(fingerprint);
  if (found == shard.entries.end()) {
    MakeRoom(shard, now_ms);
    found = shard.entries.emplace(fingerprint, Entry{}).first;
  }
  found->second = Entry{expires_ms, delivery_id, true};
  shard.accepted_order.emplace_back(fingerprint, expires_ms);
}

ClaimResult DedupStore::ClaimNow(const std::string& fingerprint, const std::string& delivery_id,
                                 int64_t now_ms) {
  Shard& shard = ShardOf(fingerprint);
  std::lock_guard lock(shard.mutex);
  auto found = shard.entries.find(fingerprint);
  if (found != shard.entries.end()) {
    const Entry& entry = found->second;
    if (!entry.accepted) return {ClaimResult::Status::kPending, {}, {}};
    if (entry.expires_ms > now_ms) {
      return {ClaimResult::Status::kDuplicate, entry.delivery_id, {}};
    }
    found->second = Entry{0, delivery_id, false};
    return {};
  }
  MakeRoom(shard, now_ms);
  shard.entries.emplace(fingerprint, Entry{0, delivery_id, false});
  return {};
}

void DedupStore::ReleaseNow(const std::string& fingerprint, const std::string& delivery_id) {
  Shard& shard = ShardOf(fingerprint);
  std::lock_guard lock(shard.mutex);
  auto found = shard.entries.find(fingerprint);
  if (found != shard.entries.end() && !found->second.accepted &&
      found->second.delivery_id == delivery_id) {
    shard.entries.erase(found);
  }
}

asio::awaitable<ClaimResult> DedupStore::Claim(std::string fingerprint, std::string delivery_id,
                                               std::chrono::milliseconds window) {
  (void)window;  // a claim lasts until Commit or Release
  co_return ClaimNow(fingerprint, delivery_id, NowMs());
}

void DedupStore::Release(std::string fingerprint, std::string delivery_id,
                         asio::any_io_executor executor) {
  (void)executor;
  ReleaseNow(fingerprint, delivery_id);
}

asio::awaitable<std::string> DedupStore::Commit(std::string fingerprint, std::string delivery_id,
                                                std::chrono::milliseconds window) {
  const int64_t now_ms = NowMs();
  const int64_t expires_ms = now_ms + window.count();
  QueuedLine queued{Line(expires_ms, fingerprint, delivery_id), expires_ms, {}};
  auto waiting =
      AwaitFromThread<std::string>([this, &queued](std::function<void(std::string)> complete) {
        queued.complete = std::move(complete);
        {
          std::lock_guard lock(queue_mutex_);
          queue_.push_back(std::move(queued));
        }
        wake_.notify_one();
      });
  std::string error = co_await std::move(waiting);
  // Even when the journal failed the request was accepted: this process still knows the key.
  Accept(fingerprint, delivery_id, expires_ms, now_ms);
  co_return error;
}

void DedupStore::DeleteExpiredFiles(int64_t now_ms) {
  for (auto it = file_expires_.begin(); it != file_expires_.end();) {
    if (it->first == file_number_ || it->second > now_ms) {
      ++it;
      continue;
    }
    std::error_code ec;
    fs::remove(FilePath(it->first), ec);
    it = file_expires_.erase(it);
  }
}

void DedupStore::Run() {
  std::vector<QueuedLine> lines;
  std::string batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, all written
      lines.swap(queue_);
    }
    std::string error;
    if (file_size_ >= options_.file_bytes) {
      if (auto failed = StartFile(file_number_ + 1)) error = *failed;
      DeleteExpiredFiles(NowMs());
    }
    batch.clear();
    int64_t latest = 0;
    for (const auto& line : lines) {
      batch += line.line;
      latest = std::max(latest, line.expires_ms);
    }
    if (error.empty()) {
      if (int failed = WriteAll(fd_, batch.data(), batch.size())) {
        error = fmt::format("dedup journal write failed: {}", std::strerror(failed));
      } else if (::fdatasync(fd_) != 0) {
        error = fmt::format("dedup journal fdatasync failed: {}", std::strerror(errno));
      }
      file_size_ += batch.size();
      file_expires_[file_number_] = std::max(file_expires_[file_number_], latest);
    }
    if (!error.empty()) logger_.Error("dedup: keys not stored durably", {{"error", error}});
    for (auto& line : lines) line.complete(error);
    lines.clear();
  }
}

}  // namespace wg
