#include "connections/redis/resp.hpp"

#include <fmt/format.h>

#include <charconv>

namespace wg {
namespace {

constexpr int kMaxDepth = 16;
constexpr int64_t kMaxBulk = 512 * 1024 * 1024;

// Parses the line after the type byte; returns the offset past "\r\n" or 0 if incomplete.
size_t ReadLine(std::string_view data, size_t start, std::string_view& line) {
  size_t end = data.find("\r\n", start);
  if (end == std::string_view::npos) return 0;
  line = data.substr(start, end - start);
  return end + 2;
}

bool ToInt(std::string_view text, int64_t& value) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size();
}

int64_t Parse(std::string_view data, size_t offset, RedisReply& reply, int depth) {
  if (depth > kMaxDepth) return -1;
  if (offset >= data.size()) return 0;
  char type = data[offset];
  std::string_view line;
  size_t next = ReadLine(data, offset + 1, line);
  if (next == 0) return 0;
  int64_t number = 0;
  switch (type) {
    case '+':
      reply.kind = RedisReply::Kind::kStatus;
      reply.text = std::string(line);
      return static_cast<int64_t>(next);
    case '-':
      reply.kind = RedisReply::Kind::kError;
      reply.text = std::string(line);
      return static_cast<int64_t>(next);
    case ':':
      if (!ToInt(line, number)) return -1;
      reply.kind = RedisReply::Kind::kInteger;
      reply.integer = number;
      return static_cast<int64_t>(next);
    case '$': {
      if (!ToInt(line, number) || number < -1 || number > kMaxBulk) return -1;
      if (number == -1) {
        reply.kind = RedisReply::Kind::kNil;
        return static_cast<int64_t>(next);
      }
      size_t length = static_cast<size_t>(number);
      if (data.size() < next + length + 2) return 0;
      if (data.substr(next + length, 2) != "\r\n") return -1;
      reply.kind = RedisReply::Kind::kBulk;
      reply.text = std::string(data.substr(next, length));
      return static_cast<int64_t>(next + length + 2);
    }
    case '*': {
      if (!ToInt(line, number) || number < -1 || number > 1024 * 1024) return -1;
      if (number == -1) {
        reply.kind = RedisReply::Kind::kNil;
        return static_cast<int64_t>(next);
      }
      reply.kind = RedisReply::Kind::kArray;
      reply.elements.clear();
      reply.elements.resize(static_cast<size_t>(number));
      size_t position = next;
      for (auto& element : reply.elements) {
        int64_t end = Parse(data, position, element, depth + 1);
        if (end <= 0) return end;
        position = static_cast<size_t>(end);
      }
      return static_cast<int64_t>(position);
    }
    default:
      return -1;
  }
}

}  // namespace

void EncodeCommand(std::string& out, const std::vector<std::string>& args) {
  out += fmt::format("*{}\r\n", args.size());
  for (const auto& arg : args) {
    out += fmt::format("${}\r\n", arg.size());
    out += arg;
    out += "\r\n";
  }
}

int64_t ParseReply(std::string_view data, RedisReply& reply) { return Parse(data, 0, reply, 0); }

std::string DescribeReply(const RedisReply& reply) {
  switch (reply.kind) {
    case RedisReply::Kind::kStatus: return reply.text;
    case RedisReply::Kind::kError: return "error: " + reply.text;
    case RedisReply::Kind::kInteger: return std::to_string(reply.integer);
    case RedisReply::Kind::kBulk: return "\"" + reply.text.substr(0, 100) + "\"";
    case RedisReply::Kind::kNil: return "nil";
    case RedisReply::Kind::kArray: return fmt::format("array of {}", reply.elements.size());
  }
  return "?";
}

}  // namespace wg
