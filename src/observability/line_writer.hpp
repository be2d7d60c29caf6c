// Writes lines to a file descriptor from a background thread, in batches. Callers only append
// to a buffer under a mutex, so an I/O thread never waits on a pipe or a terminal, and many
// lines share one write(2).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace wg {

class LineWriter {
 public:
  explicit LineWriter(int fd, size_t max_buffered_bytes = 64 * 1024 * 1024);
  ~LineWriter();  // writes what is buffered, then stops
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  // Appends `line` and a newline; false when the buffer is full (the reader is too slow).
  bool Write(std::string_view line);

 private:
  void Run();

  const int fd_;
  const size_t max_buffered_bytes_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string buffer_;
  bool stopping_ = false;
  bool idle_ = false;  // the thread waits for lines
  std::thread thread_;
};

}  // namespace wg
