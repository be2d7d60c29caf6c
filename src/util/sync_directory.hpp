// fsync(2) of a directory, so that a file created or removed in it survives a power cut.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

namespace wg {

inline void SyncDirectory(const std::filesystem::path& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace wg
