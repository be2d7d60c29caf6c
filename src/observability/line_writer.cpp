#include "observability/line_writer.hpp"

#include <unistd.h>

#include <cerrno>

namespace wg {

LineWriter::LineWriter(int fd, size_t max_buffered_bytes)
    : fd_(fd), max_buffered_bytes_(max_buffered_bytes), thread_([this] { Run(); }) {}

LineWriter::~LineWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool LineWriter::Write(std::string_view line) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (buffer_.size() + line.size() + 1 > max_buffered_bytes_) return false;
    buffer_.append(line);
    buffer_.push_back('\n');
    wake = idle_;
    idle_ = false;
  }
  if (wake) wake_.notify_one();
  return true;
}

void LineWriter::Run() {
  std::string batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      while (buffer_.empty() && !stopping_) {
        idle_ = true;
        wake_.wait(lock);
      }
      if (buffer_.empty() && stopping_) return;
      batch.swap(buffer_);
    }
    const char* data = batch.data();
    size_t left = batch.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, data, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        break;  // nowhere to report a broken stdout; drop the batch
      }
      data += n;
      left -= static_cast<size_t>(n);
    }
    batch.clear();
  }
}

}  // namespace wg
