#include "connections/redis/resp.hpp"

#include <gtest/gtest.h>

namespace wg {
namespace {

TEST(RespTest, EncodesCommandsAsBulkArrays) {
  std::string out;
  EncodeCommand(out, {"SET", "k", std::string("a\r\nb", 4)});
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n");
}

TEST(RespTest, ParsesEveryReplyKind) {
  RedisReply reply;
  EXPECT_EQ(ParseReply("+OK\r\n", reply), 5);
  EXPECT_EQ(reply.kind, RedisReply::Kind::kStatus);
  EXPECT_EQ(reply.text, "OK");
  EXPECT_EQ(ParseReply("-ERR wrong\r\n", reply), 12);
  EXPECT_TRUE(reply.IsError());
  EXPECT_EQ(ParseReply(":-42\r\n", reply), 6);
  EXPECT_EQ(reply.integer, -42);
  EXPECT_EQ(ParseReply("$5\r\nhe\r\nl\r\n", reply), 11);
  EXPECT_EQ(reply.text, "he\r\nl");
  EXPECT_EQ(ParseReply("$-1\r\n", reply), 5);
  EXPECT_EQ(reply.kind, RedisReply::Kind::kNil);
  EXPECT_EQ(ParseReply("*2\r\n:1\r\n*1\r\n+QUEUED\r\n", reply), 21);
  ASSERT_EQ(reply.elements.size(), 2u);
  EXPECT_EQ(reply.elements[1].elements[0].text, "QUEUED");
}

TEST(RespTest, IncompleteInputAsksForMore) {
  RedisReply reply;
  for (std::string partial : {"", "+OK", "+OK\r", "$5\r\nhel", "*2\r\n:1\r\n", ":12"}) {
    EXPECT_EQ(ParseReply(partial, reply), 0) << partial;
  }
}

TEST(RespTest, GarbageIsAnError) {
  RedisReply reply;
  EXPECT_EQ(ParseReply("?\r\n", reply), -1);
  EXPECT_EQ(ParseReply(":x\r\n", reply), -1);
  EXPECT_EQ(ParseReply("$3\r\nabcd\r\n", reply), -1);
  EXPECT_EQ(ParseReply("$-5\r\n", reply), -1);
  std::string deep(100, '*');
  std::string nested;
  for (int i = 0; i < 100; ++i) nested += "*1\r\n";
  EXPECT_EQ(ParseReply(nested + ":1\r\n", reply), -1) << "nesting is bounded";
}

}  // namespace
}  // namespace wg
