#include "spool/zero_filler.hpp"

#include <unistd.h>

#include <algorithm>
#include <vector>

#include "util/thread_name.hpp"
#include "util/write_all.hpp"

namespace wg {

ZeroFiller::ZeroFiller(uint64_t chunk_bytes, uint64_t ahead_bytes, uint64_t limit_bytes)
    : chunk_bytes_(chunk_bytes), ahead_bytes_(ahead_bytes), limit_bytes_(limit_bytes) {
  thread_ = std::thread([this] {
    NameThisThread("wg-zero-fill");
    Run();
  });
}

ZeroFiller::~ZeroFiller() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

void ZeroFiller::Switch(int fd, uint64_t data_end) {
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return !busy_; });
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::dup(fd);
  zeroed_until_ = data_end;
  data_end_ = data_end;
  failed_ = fd_ < 0;
  lock.unlock();
  wake_.notify_one();
}

bool ZeroFiller::BeforeWrite(uint64_t from, uint64_t to) {
  std::unique_lock lock(mutex_);
  // A fill only ever starts at or after data_end_, so it can overlap only the new range.
  done_.wait(lock, [&] { return !busy_ || to <= busy_from_; });
  data_end_ = std::max(data_end_, to);
  bool zeroed = from < to && to <= zeroed_until_;
  // Woken only when the horizon came too close: once per chunk, not once per group commit
  // (a wake the filler does not need costs both threads a futex call and a switch).
  bool wanted = !busy_ && FillWanted();
  lock.unlock();
  if (wanted) wake_.notify_one();
  return zeroed;
}

bool ZeroFiller::FillWanted() const {
  return fd_ >= 0 && !failed_ && zeroed_until_ < std::min(limit_bytes_, data_end_ + ahead_bytes_);
}

void ZeroFiller::Run() {
  static const std::vector<char> zeros(1 << 20, '\0');
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || FillWanted(); });
    if (stopping_) return;
    uint64_t from = std::max(zeroed_until_, data_end_);
    uint64_t to = std::min(limit_bytes_, from + chunk_bytes_);
    if (from >= to) {  // the data already reaches the limit
      zeroed_until_ = from;
      continue;
    }
    int fd = fd_;
    busy_ = true;
    busy_from_ = from;
    lock.unlock();

    bool ok = true;
    for (uint64_t at = from; ok && at < to; at += zeros.size()) {
      size_t size = static_cast<size_t>(std::min<uint64_t>(zeros.size(), to - at));
      ok = PwriteAll(fd, zeros.data(), size, static_cast<off_t>(at)) == 0;
    }
    ok = ok && ::fdatasync(fd) == 0;

    lock.lock();
    busy_ = false;
    if (ok) {
      zeroed_until_ = to;
    } else {
      failed_ = true;  // until the next segment; the writer's own writes still extend the file
    }
    done_.notify_all();
  }
}

}  // namespace wg
