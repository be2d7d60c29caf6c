#include "observability/line_writer.hpp"

#include "util/write_all.hpp"

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
    WriteAll(fd_, batch.data(), batch.size());  // nowhere to report a broken stdout
    batch.clear();
  }
}

}  // namespace wg
