// RESP2, the Redis wire protocol: encoding commands and incrementally parsing replies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wg {

struct RedisReply {
  enum class Kind { kStatus, kError, kInteger, kBulk, kNil, kArray };
  Kind kind = Kind::kNil;
  std::string text;  // status, error or bulk string
  int64_t integer = 0;
  std::vector<RedisReply> elements;

  bool IsError() const { return kind == Kind::kError; }
};

// Appends one command (array of bulk strings) to `out`.
void EncodeCommand(std::string& out, const std::vector<std::string>& args);

// Parses one reply from the front of `data`. Returns the number of bytes it used and fills
// `reply`, 0 when more bytes are needed, or -1 when the data is not RESP.
int64_t ParseReply(std::string_view data, RedisReply& reply);

std::string DescribeReply(const RedisReply& reply);

}  // namespace wg
