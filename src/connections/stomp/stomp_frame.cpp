#include "connections/stomp/stomp_frame.hpp"

#include <charconv>

namespace wg {
namespace {

void AppendEscaped(std::string& out, std::string_view text, bool escape) {
  if (!escape) {
    out.append(text);
    return;
  }
  for (char c : text) {
    switch (c) {
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case ':':
        out.append("\\c");
        break;
      default:
        out.push_back(c);
    }
  }
}

// Undoes AppendEscaped; nullopt for an escape the specification does not define.
std::optional<std::string> Unescape(std::string_view text, bool escaped) {
  if (!escaped) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    if (++i == text.size()) return std::nullopt;
    switch (text[i]) {
      case '\\':
        out.push_back('\\');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'c':
        out.push_back(':');
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

// One line without its LF (and a CR before it); npos when the line is not complete.
size_t LineEnd(std::string_view buffer, size_t from) { return buffer.find('\n', from); }

std::string_view WithoutCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

const std::string* StompFrame::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::string EncodeStompFrame(const StompFrame& frame, bool escape) {
  std::string out;
  out.reserve(frame.command.size() + frame.body.size() + 64 * (frame.headers.size() + 1));
  out.append(frame.command);
  out.push_back('\n');
  for (const auto& [name, value] : frame.headers) {
    AppendEscaped(out, name, escape);
    out.push_back(':');
    AppendEscaped(out, value, escape);
    out.push_back('\n');
  }
  out.push_back('\n');
  out.append(frame.body);
  out.push_back('\0');
  return out;
}

std::optional<StompFrame> StompFrameReader::Next() {
  if (!error_.empty()) return std::nullopt;
  // Heart-beats: end-of-lines between frames.
  size_t start = 0;
  while (start < buffer_.size() && (buffer_[start] == '\n' || buffer_[start] == '\r')) ++start;
  buffer_.erase(0, start);
  if (buffer_.empty()) return std::nullopt;

  std::string_view data = buffer_;
  size_t end = LineEnd(data, 0);
  if (end == std::string_view::npos) {
    if (data.size() > max_frame_bytes_) error_ = "frame too large";
    return std::nullopt;
  }
  StompFrame frame;
  frame.command = std::string(WithoutCr(data.substr(0, end)));
  const bool escaped = frame.command != "CONNECTED" && frame.command != "CONNECT";
  size_t position = end + 1;
  std::optional<size_t> content_length;
  while (true) {
    end = LineEnd(data, position);
    if (end == std::string_view::npos) {
      if (data.size() > max_frame_bytes_) error_ = "frame too large";
      return std::nullopt;
    }
    std::string_view line = WithoutCr(data.substr(position, end - position));
    position = end + 1;
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      error_ = "malformed header line";
      return std::nullopt;
    }
    auto name = Unescape(line.substr(0, colon), escaped);
    auto value = Unescape(line.substr(colon + 1), escaped);
    if (!name || !value) {
      error_ = "undefined escape in a header";
      return std::nullopt;
    }
    if (*name == "content-length" && !content_length) {
      size_t length = 0;
      auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), length);
      if (ec != std::errc() || ptr != value->data() + value->size() || length > max_frame_bytes_) {
        error_ = "bad content-length";
        return std::nullopt;
      }
      content_length = length;
    }
    frame.headers.emplace_back(std::move(*name), std::move(*value));
  }
  size_t body_end = 0;
  if (content_length) {
    if (data.size() < position + *content_length + 1) {
      if (data.size() > max_frame_bytes_ + position) error_ = "frame too large";
      return std::nullopt;
    }
    body_end = position + *content_length;
    if (data[body_end] != '\0') {
      error_ = "frame body not followed by NUL";
      return std::nullopt;
    }
  } else {
    body_end = data.find('\0', position);
    if (body_end == std::string_view::npos) {
      if (data.size() > max_frame_bytes_) error_ = "frame too large";
      return std::nullopt;
    }
  }
  frame.body = std::string(data.substr(position, body_end - position));
  buffer_.erase(0, body_end + 1);
  return frame;
}

}  // namespace wg
