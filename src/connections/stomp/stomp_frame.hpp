// STOMP 1.2 frames (https://stomp.github.io/stomp-specification-1.2.html): what the gateway
// sends (CONNECT, SEND, DISCONNECT) and a reader for what a broker answers (CONNECTED, RECEIPT,
// ERROR), fed with bytes as they arrive.
//
//   COMMAND LF (header-name ":" header-value LF)* LF body NUL
//
// Header names and values are escaped (\\ \n \r \c) in every frame but CONNECT and CONNECTED;
// a SEND always carries content-length, so a body may hold any byte, NUL included.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wg {

struct StompFrame {
  std::string command;
  std::vector<std::pair<std::string, std::string>> headers;  // in order; the first one counts
  std::string body;

  // The value of the first header named `name`, or nullptr.
  const std::string* Header(std::string_view name) const;
};

// The frame's bytes; `escape` false only for CONNECT.
std::string EncodeStompFrame(const StompFrame& frame, bool escape = true);

// Splits a byte stream into frames. Heart-beat newlines between frames are skipped.
class StompFrameReader {
 public:
  explicit StompFrameReader(size_t max_frame_bytes = 1 << 20) : max_frame_bytes_(max_frame_bytes) {}

  void Append(std::string_view bytes) { buffer_.append(bytes); }

  // The next complete frame, nullopt when more bytes are needed. A malformed or oversized frame
  // sets error() and returns nullopt from then on.
  std::optional<StompFrame> Next();
  const std::string& error() const { return error_; }

 private:
  std::string buffer_;
  size_t max_frame_bytes_;
  std::string error_;
};

}  // namespace wg
