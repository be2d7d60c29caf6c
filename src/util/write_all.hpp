// write(2) until everything is written, across short writes and EINTR.
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

}  // namespace wg
