#include "spool/spool.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

#include "observability/logger.hpp"
#include "util/sync_directory.hpp"
#include "util/thread_name.hpp"
#include "util/write_all.hpp"

namespace wg {
namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kSegmentPrefix = "segment-";
constexpr std::string_view kSegmentSuffix = ".log";

std::optional<uint64_t> SegmentNumber(const std::string& file_name) {
  if (file_name.size() <= kSegmentPrefix.size() + kSegmentSuffix.size() ||
      !file_name.starts_with(kSegmentPrefix) || !file_name.ends_with(kSegmentSuffix)) {
    return std::nullopt;
  }
  std::string digits = file_name.substr(
      kSegmentPrefix.size(), file_name.size() - kSegmentPrefix.size() - kSegmentSuffix.size());
  if (digits.empty() || digits.size() > 20) return std::nullopt;
  uint64_t number = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    number = number * 10 + static_cast<uint64_t>(c - '0');
  }
  return number;
}

std::string ErrnoText(int error) { return std::strerror(error); }

// fsync of the directory, so a created or deleted segment file survives a power loss.
std::optional<std::string> ReadWholeFile(const fs::path& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fmt::format("cannot open {}: {}", path.string(), ErrnoText(errno));
  struct stat info {};
  ::fstat(fd, &info);
  out.resize(static_cast<size_t>(info.st_size));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = errno;
      ::close(fd);
      return fmt::format("cannot read {}: {}", path.string(), n == 0 ? "short file" : ErrnoText(error));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return std::nullopt;
}

// Where the next undamaged frame starts after `from`, if any.
std::optional<size_t> NextGoodFrame(std::string_view data, size_t from) {
  const char magic[4] = {'W', 'G', 'S', '1'};
  std::string_view pattern(magic, 4);
  for (size_t at = data.find(pattern, from); at != std::string_view::npos;
       at = data.find(pattern, at + 1)) {
    if (DecodeFrame(data.substr(at)).status == DecodedFrame::Status::kOk) return at;
  }
  return std::nullopt;
}

}  // namespace

std::variant<std::string, std::unique_ptr<Spool>> Spool::Open(SpoolOptions options,
                                                              Logger& logger) {
  std::error_code ec;
  fs::create_directories(options.directory, ec);
  if (ec) {
    return fmt::format("spool directory {}: {}", options.directory.string(), ec.message());
  }
  fs::path lock_path = options.directory / "LOCK";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) {
    return fmt::format("spool directory {}: cannot open LOCK: {}", options.directory.string(),
                       ErrnoText(errno));
  }
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    return fmt::format("spool directory {} is in use by another gateway process (each process "
                       "needs its own --spool-dir)", options.directory.string());
  }
  std::unique_ptr<Spool> spool(new Spool(std::move(options), logger, lock_fd));
  if (auto error = spool->Recover()) return *error;
  if (spool->options_.zero_fill_ahead) {
    uint64_t segment_bytes = spool->options_.segment_bytes;
    uint64_t chunk = std::clamp<uint64_t>(segment_bytes / 8, 256 << 10, 4 << 20);
    spool->zero_filler_ = std::make_unique<ZeroFiller>(chunk, 2 * chunk, segment_bytes);
  }
  if (auto error = spool->OpenNewSegment()) return *error;
  spool->DeleteUnneededSegments();
  spool->writer_ = std::thread([raw = spool.get()] {
    NameThisThread("wg-spool");
    raw->Run();
  });
  return spool;
}

Spool::Spool(SpoolOptions options, Logger& logger, int lock_fd)
    : options_(std::move(options)), logger_(logger), lock_fd_(lock_fd) {}

Spool::~Spool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (active_fd_ >= 0) ::close(active_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

fs::path Spool::SegmentPath(uint64_t segment) const {
  return options_.directory / fmt::format("{}{:020}{}", kSegmentPrefix, segment, kSegmentSuffix);
}

std::optional<std::string> Spool::Recover() {
  auto start = std::chrono::steady_clock::now();
  std::vector<uint64_t> segments;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.directory, ec)) {
    if (auto number = SegmentNumber(entry.path().filename().string())) segments.push_back(*number);
  }
  if (ec) return fmt::format("spool directory {}: {}", options_.directory.string(), ec.message());
  std::sort(segments.begin(), segments.end());

  std::map<uint64_t, UnfinishedRecord> accepted_at;  // sequence -> where, for the unfinished list
  uint64_t max_sequence = 0;
  std::string data;
  for (uint64_t segment : segments) {
    fs::path path = SegmentPath(segment);
    if (auto error = ReadWholeFile(path, data)) return error;
    std::string_view view(data);
    size_t pos = 0;
    while (pos < view.size()) {
      DecodedFrame frame = DecodeFrame(view.substr(pos));
      if (frame.status != DecodedFrame::Status::kOk &&
          view.find_first_not_of('\0', pos) == std::string_view::npos) {
        data.resize(pos);  // the zeros written ahead of the writer (ZeroFiller): the clean end
        break;
      }
      if (frame.status != DecodedFrame::Status::kOk) {
        auto next = NextGoodFrame(view, pos + 1);
        size_t end = next ? *next : view.size();
        recovery_.skipped_bytes += end - pos;
        logger_.Warn(next ? "spool: skipped a damaged record" : "spool: dropped a torn tail",
                     {{"segment", path.filename().string()},
                      {"offset", std::to_string(pos)},
                      {"bytes", std::to_string(end - pos)}});
        if (!next) {
          // Nothing good follows (a write cut short by a crash): cut the file there.
          if (::truncate(path.c_str(), static_cast<off_t>(pos)) != 0) {
            return fmt::format("cannot truncate {}: {}", path.string(), ErrnoText(errno));
          }
          data.resize(pos);
          break;
        }
        pos = *next;
        continue;
      }
      if (frame.type == SpoolRecordType::kAccepted) {
        // Only the header fields are needed here; the body is read again when delivered.
        auto record = DecodeAccepted(frame.body);
        if (record) {
          ++recovery_.records;
          max_sequence = std::max(max_sequence, record->sequence);
          if (record->pending_items != 0) {
            live_[record->sequence] =
                Live{segment, record->pending_items, {}, record->received_at_us};
            ++segment_refs_[segment];
            accepted_at[record->sequence] = UnfinishedRecord{
                record->sequence,
                SpoolLocation{segment, pos, static_cast<uint32_t>(frame.frame_bytes)},
                record->pending_items, std::move(record->webhook_id), record->chain_fingerprint};
          }
        }
      } else if (auto finish = DecodeItemFinished(frame.body)) {
        ApplyFinish(*finish, segment);
      }
      pos += frame.frame_bytes;
    }
    segment_sizes_[segment] = data.size();
    stats_.bytes += data.size();
    active_segment_ = segment;
  }
  recovery_.segments = segments.size();
  for (auto& [sequence, unfinished] : accepted_at) {
    auto it = live_.find(sequence);
    if (it == live_.end()) continue;
    unfinished.pending_items = it->second.pending_items;
    unfinished_at_start_.push_back(std::move(unfinished));
  }
  recovery_.unfinished = unfinished_at_start_.size();
  next_sequence_ = max_sequence + 1;
  stats_.segments = segment_sizes_.size();
  stats_.unfinished = live_.size();
  stats_.oldest_unfinished_received_us = OldestUnfinished();
  recovery_.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return std::nullopt;
}

std::vector<UnfinishedRecord> Spool::TakeUnfinished() { return std::move(unfinished_at_start_); }

std::optional<std::string> Spool::OpenNewSegment() {
  uint64_t segment = active_segment_ + 1;  // 0 before the first segment
  fs::path path = SegmentPath(segment);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot create {}: {}", path.string(), ErrnoText(errno));
  SyncDirectory(options_.directory);
  if (active_fd_ >= 0) ::close(active_fd_);
  active_fd_ = fd;
  active_segment_ = segment;
  active_size_ = 0;
  if (zero_filler_) zero_filler_->Switch(fd, 0);
  segment_sizes_[segment] = 0;
  std::lock_guard lock(mutex_);
  stats_.segments = segment_sizes_.size();
  return std::nullopt;
}

void Spool::ApplyFinish(const ItemFinishedRecord& finish, uint64_t segment) {
  auto it = live_.find(finish.sequence);
  if (it == live_.end() || finish.item >= 32) return;
  Live& live = it->second;
  uint32_t bit = uint32_t{1} << finish.item;
  if ((live.pending_items & bit) == 0) return;
  live.pending_items &= ~bit;
  if (segment != live.segment &&
      std::find(live.finish_segments.begin(), live.finish_segments.end(), segment) ==
          live.finish_segments.end()) {
    live.finish_segments.push_back(segment);
    ++segment_refs_[segment];
  }
  if (live.pending_items != 0) return;
  Release(live.segment);
  for (uint64_t other : live.finish_segments) Release(other);
  live_.erase(it);
}

void Spool::Release(uint64_t segment) {
  auto it = segment_refs_.find(segment);
  if (it == segment_refs_.end()) return;
  if (--it->second == 0) segment_refs_.erase(it);
}

void Spool::DeleteUnneededSegments() {
  uint64_t freed = 0;
  for (auto it = segment_sizes_.begin(); it != segment_sizes_.end();) {
    if (it->first == active_segment_ || segment_refs_.count(it->first) != 0) {
      ++it;
      continue;
    }
    fs::path path = SegmentPath(it->first);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      logger_.Warn("spool: cannot delete a finished segment",
                   {{"segment", path.filename().string()}, {"error", ErrnoText(errno)}});
      ++it;
      continue;
    }
    freed += it->second;
    it = segment_sizes_.erase(it);
  }
  if (freed == 0) return;
  std::lock_guard lock(mutex_);
  stats_.bytes -= std::min(stats_.bytes, freed);
  stats_.segments = segment_sizes_.size();
}

asio::awaitable<AppendResult> Spool::Append(AcceptedRecordView record) {
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto waiting = asio::async_initiate<const asio::use_awaitable_t<>, void(AppendResult)>(
      [this, &record, &executor](auto handler) {
        Enqueue(record, executor, Completion(std::move(handler)));
      },
      asio::use_awaitable);
  co_return co_await std::move(waiting);
}

void Spool::Enqueue(AcceptedRecordView record, asio::any_io_executor executor,
                    Completion complete) {
  std::unique_lock lock(mutex_);
  AppendResult refused;
  if (stopping_) {
    refused.error = "the spool is shutting down";
  } else {
    // Encoded straight into the next batch: no frame of its own to allocate, copy and free.
    record.sequence = next_sequence_++;
    const size_t offset = queued_frames_.size();
    EncodeAccepted(record, queued_frames_);
    const size_t length = queued_frames_.size() - offset;
    if (stats_.bytes + writing_bytes_ + queued_frames_.size() <= options_.max_bytes) {
      queued_appends_.push_back({record.sequence, record.pending_items, record.received_at_us,
                                 offset, static_cast<uint32_t>(length), std::move(executor),
                                 std::move(complete)});
      lock.unlock();
      wake_.notify_one();
      return;
    }
    queued_frames_.resize(offset);
    refused.status = AppendResult::Status::kFull;
    refused.error =
        fmt::format("the spool is full ({} bytes of {})", stats_.bytes, options_.max_bytes);
  }
  lock.unlock();
  asio::post(executor, [complete = std::move(complete), refused = std::move(refused)]() mutable {
    complete(std::move(refused));
  });
}

void Spool::Finish(uint64_t sequence, uint16_t item, ItemFinish finish) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    queued_finishes_.push_back({sequence, item, finish});
    // The writer needs to hear of the first (it then waits kFinishDelay for more) and of a
    // full batch; those between ride along.
    wake = queued_finishes_.size() == 1 || queued_finishes_.size() == kFinishBatch;
  }
  if (wake) wake_.notify_one();
}

void Spool::Run() {
  std::vector<QueuedAppend> appends;
  std::vector<ItemFinishedRecord> finishes;
  std::string batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      auto write_now = [&] {
        return stopping_ || !queued_appends_.empty() || queued_finishes_.size() >= kFinishBatch;
      };
      wake_.wait(lock, [&] { return write_now() || !queued_finishes_.empty(); });
      // Finish records alone are not urgent (one lost in a crash only means a delivery again):
      // they wait a little for more, or for the next group commit to carry them.
      if (!write_now()) wake_.wait_for(lock, kFinishDelay, write_now);
      if (queued_appends_.empty() && queued_finishes_.empty()) return;  // stopping, all written
      appends.swap(queued_appends_);
      finishes.swap(queued_finishes_);
      batch.clear();
      batch.swap(queued_frames_);  // the appends' frames, already in order
      writing_bytes_ = batch.size();
    }

    if (active_size_ >= options_.segment_bytes) {
      if (auto error = OpenNewSegment()) {
        logger_.Error("spool: cannot start a new segment", {{"error", *error}});
      }
    }
    std::vector<SpoolLocation> locations;
    locations.reserve(appends.size());
    for (const auto& append : appends) {
      locations.push_back({active_segment_, active_size_ + append.offset, append.length});
    }
    std::vector<ItemFinishedRecord> written_finishes;
    for (const auto& finish : finishes) {
      auto it = live_.find(finish.sequence);
      if (it == live_.end() || finish.item >= 32 ||
          (it->second.pending_items & (uint32_t{1} << finish.item)) == 0) {
        continue;  // nothing to record (already finished)
      }
      EncodeItemFinished(finish, batch);
      written_finishes.push_back(finish);
    }

    std::string failure = broken_ ? broken_reason_ : std::string();
    bool in_place = false;
    if (failure.empty() && !batch.empty()) {
      if (zero_filler_) {
        in_place = zero_filler_->BeforeWrite(active_size_, active_size_ + batch.size());
      }
      if (int error = PwriteAll(active_fd_, batch.data(), batch.size(),
                                static_cast<off_t>(active_size_))) {
        failure = fmt::format("spool write failed: {}", ErrnoText(error));
        // Cut back whatever part was written, so the segment ends on a whole frame.
        if (::ftruncate(active_fd_, static_cast<off_t>(active_size_)) != 0) {
          broken_ = true;
          broken_reason_ = failure;
        }
        if (zero_filler_) zero_filler_->Switch(active_fd_, active_size_);
      } else if (!appends.empty() && ::fdatasync(active_fd_) != 0) {
        // After a failed fsync the kernel may have dropped the dirty pages: nothing written
        // since can be trusted, so stop acknowledging until an operator restarts us.
        failure = fmt::format("spool fsync failed: {}", ErrnoText(errno));
        broken_ = true;
        broken_reason_ = failure;
        logger_.Error("spool: fsync failed; new webhooks get 500 until restart",
                      {{"error", failure}});
      }
    }

    if (failure.empty()) {
      active_size_ += batch.size();
      segment_sizes_[active_segment_] = active_size_;
      for (const auto& append : appends) {
        if (append.pending_items == 0) continue;
        live_[append.sequence] =
            Live{active_segment_, append.pending_items, {}, append.received_at_us};
        ++segment_refs_[active_segment_];
      }
      for (const auto& finish : written_finishes) ApplyFinish(finish, active_segment_);
      {
        std::lock_guard lock(mutex_);
        writing_bytes_ = 0;
        stats_.bytes += batch.size();
        stats_.appended += appends.size();
        if (!appends.empty()) {
          ++stats_.fsyncs;
          if (in_place) ++stats_.fsyncs_in_place;
        }
        stats_.unfinished = live_.size();
        stats_.oldest_unfinished_received_us = OldestUnfinished();
      }
      if (!written_finishes.empty()) DeleteUnneededSegments();
    } else {
      logger_.Error("spool: write failed", {{"error", failure}});
      std::lock_guard lock(mutex_);
      writing_bytes_ = 0;
    }

    Complete(appends, locations, failure);
    appends.clear();
    finishes.clear();
    // A batch of large bodies does not keep its memory once written.
    if (batch.capacity() > kKeptBatchBytes) std::string().swap(batch);
  }
}

void Spool::Complete(std::vector<QueuedAppend>& appends,
                     const std::vector<SpoolLocation>& locations, const std::string& failure) {
  struct Resumed {
    Completion complete;
    AppendResult result;
  };
  // Usually one group per event loop: posting each append on its own would lock and wake the
  // loop once per webhook rather than once per batch.
  std::vector<std::pair<asio::any_io_executor, std::vector<Resumed>>> groups;
  for (size_t i = 0; i < appends.size(); ++i) {
    AppendResult result;
    if (failure.empty()) {
      result.status = AppendResult::Status::kOk;
      result.sequence = appends[i].sequence;
      result.location = locations[i];
    } else {
      result.status = AppendResult::Status::kFailed;
      result.error = failure;
    }
    auto group = std::find_if(groups.begin(), groups.end(),
                              [&](const auto& g) { return g.first == appends[i].executor; });
    if (group == groups.end()) {
      groups.emplace_back(appends[i].executor, std::vector<Resumed>());
      group = std::prev(groups.end());
    }
    group->second.push_back({std::move(appends[i].complete), std::move(result)});
  }
  for (auto& [executor, resumed] : groups) {
    asio::post(executor, [resumed = std::move(resumed)]() mutable {
      for (auto& one : resumed) one.complete(std::move(one.result));
    });
  }
}

std::optional<AcceptedRecord> Spool::Read(const SpoolLocation& location) const {
  fs::path path = SegmentPath(location.segment);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string data(location.length, '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pread(fd, data.data() + done, data.size() - done,
                        static_cast<off_t>(location.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (done != data.size()) return std::nullopt;
  DecodedFrame frame = DecodeFrame(data);
  if (frame.status != DecodedFrame::Status::kOk || frame.type != SpoolRecordType::kAccepted) {
    return std::nullopt;
  }
  return DecodeAccepted(frame.body);
}

int64_t Spool::OldestUnfinished() const {
  return live_.empty() ? 0 : live_.begin()->second.received_at_us;
}

SpoolStats Spool::Stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace wg
