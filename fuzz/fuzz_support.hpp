// What the fuzz targets share: a property check that stops the run with a readable reason.
// A failed check aborts, which libFuzzer reports as a crash and saves the input as crash-<sha1>.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace wg::fuzz {

inline void Require(bool holds, std::string_view what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property violated: %.*s\n", static_cast<int>(what.size()),
               what.data());
  std::abort();
}

}  // namespace wg::fuzz
