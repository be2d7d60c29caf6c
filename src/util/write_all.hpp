// write(2) and pwrite(2) until everything is written, across short writes and EINTR.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace wg {

// Returns 0, or the errno of the write that failed.
inline int WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

// The same at a file offset. Returns 0, or the errno of the write that failed.
inline int PwriteAll(int fd, const char* data, size_t size, off_t offset) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    data += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return 0;
}

}  // namespace wg
