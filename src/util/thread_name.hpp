// Names the calling thread as `top -H`, `ps -L` and /proc/<pid>/task/*/comm show it (at most 15
// bytes; longer names are cut), so an operator sees which of the gateway's threads is busy.
#pragma once

#include <pthread.h>

#include <string>

namespace wg {

inline void NameThisThread(std::string name) {
  if (name.size() > 15) name.resize(15);
  pthread_setname_np(pthread_self(), name.c_str());
}

}  // namespace wg
