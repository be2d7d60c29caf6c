// The STOMP frame reader (src/connections/stomp/stomp_frame.hpp) on what a broker, or whatever
// answers on its port, may send. The first input byte picks a chunk size, so frames are also
// split at every possible place as a TCP stream splits them.
//
// Properties: fed whole or in chunks the reader yields the same frames; every frame it yields,
// encoded again (escaped unless CONNECTED) and read back, gives the same frame.
#include <string>
#include <vector>

#include "connections/stomp/stomp_frame.hpp"
#include "fuzz_support.hpp"

namespace {
using wg::fuzz::Require;

std::vector<wg::StompFrame> ReadAll(std::string_view bytes, size_t chunk, std::string& error) {
  wg::StompFrameReader reader(4096);
  std::vector<wg::StompFrame> frames;
  for (size_t offset = 0; offset < bytes.size(); offset += chunk) {
    reader.Append(bytes.substr(offset, chunk));
    while (auto frame = reader.Next()) frames.push_back(std::move(*frame));
  }
  error = reader.error();
  return frames;
}

bool Same(const wg::StompFrame& a, const wg::StompFrame& b) {
  return a.command == b.command && a.headers == b.headers && a.body == b.body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 17;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string whole_error;
  std::string chunked_error;
  auto whole = ReadAll(bytes, bytes.size() + 1, whole_error);
  auto chunked = ReadAll(bytes, chunk, chunked_error);
  // A frame that ends in the middle of the input is the same however the input was split; the
  // size limit may only cut the chunked reading short, never change a frame it did yield.
  const size_t common = std::min(whole.size(), chunked.size());
  for (size_t i = 0; i < common; ++i) {
    Require(Same(whole[i], chunked[i]), "chunking does not change the frames");
  }
  if (whole_error.empty() && chunked_error.empty()) {
    Require(whole.size() == chunked.size(), "chunking does not change how many frames");
  }
  for (const auto& frame : whole) {
    // Only what the reader could have produced from an encoding round-trips: a command with
    // a NUL, CR or LF, or a header name with a colon, has no encoding.
    if (frame.command.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos) continue;
    bool has_length = frame.Header("content-length") != nullptr;
    if (!has_length && frame.body.find('\0') != std::string::npos) continue;
    const bool escape = frame.command != "CONNECTED" && frame.command != "CONNECT";
    std::string again_error;
    auto again = ReadAll(wg::EncodeStompFrame(frame, escape), 1 << 20, again_error);
    if (!escape) continue;  // unescaped header values may hold the LF that ends a line
    Require(again.size() == 1 && Same(again[0], frame), "an encoded frame reads back the same");
  }
  return 0;
}
