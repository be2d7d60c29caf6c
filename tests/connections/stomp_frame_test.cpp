#include "connections/stomp/stomp_frame.hpp"

#include <gtest/gtest.h>

namespace wg {
namespace {

using namespace std::string_literals;

TEST(StompFrameTest, SendIsEscapedAndCarriesItsBodyVerbatim) {
  StompFrame send{
      "SEND", {{"destination", "/queue/orders"}, {"x-note", "a:b\\c\nd\re"}}, "{\"a\":1}\0tail"s};
  EXPECT_EQ(EncodeStompFrame(send),
            "SEND\ndestination:/queue/orders\nx-note:a\\cb\\\\c\\nd\\re\n\n{\"a\":1}\0tail\0"s);
}

TEST(StompFrameTest, ConnectIsNotEscaped) {
  StompFrame connect{"CONNECT", {{"login", "a:b"}}, ""};
  EXPECT_EQ(EncodeStompFrame(connect, false), "CONNECT\nlogin:a:b\n\n\0"s);
}

TEST(StompFrameTest, ReadsFramesSplitAnywhereWithHeartBeatsBetween) {
  std::string wire =
      "CONNECTED\r\nversion:1.2\r\nserver:x:y\r\n\r\n\0"s  // CONNECTED is not escaped
      "\n\n"                                               // heart-beats
      "RECEIPT\nreceipt-id:7\n\n\0"s
      "ERROR\nreceipt-id:8\nmessage:no\\cway\ncontent-length:5\n\nab\0cd\0"s;
  StompFrameReader reader;
  std::vector<StompFrame> frames;
  for (char c : wire) {  // one byte at a time
    reader.Append(std::string_view(&c, 1));
    while (auto frame = reader.Next()) frames.push_back(*frame);
  }
  ASSERT_TRUE(reader.error().empty()) << reader.error();
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].command, "CONNECTED");
  EXPECT_EQ(*frames[0].Header("server"), "x:y");
  EXPECT_EQ(frames[1].command, "RECEIPT");
  EXPECT_EQ(*frames[1].Header("receipt-id"), "7");
  EXPECT_EQ(frames[2].command, "ERROR");
  EXPECT_EQ(*frames[2].Header("message"), "no:way");
  EXPECT_EQ(frames[2].body, "ab\0cd"s);
}

TEST(StompFrameTest, TheFirstOfRepeatedHeadersCounts) {
  StompFrameReader reader;
  reader.Append("RECEIPT\nreceipt-id:1\nreceipt-id:2\n\n\0"s);
  auto frame = reader.Next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(*frame->Header("receipt-id"), "1");
  EXPECT_EQ(frame->Header("missing"), nullptr);
}

TEST(StompFrameTest, MalformedFramesAreErrors) {
  for (std::string wire :
       {"ERROR\nno colon here\n\n\0"s, "ERROR\nmessage:bad\\x\n\n\0"s,
        "ERROR\ncontent-length:nope\n\n\0"s, "ERROR\ncontent-length:2\n\nabc\0"s}) {
    StompFrameReader reader;
    reader.Append(wire);
    EXPECT_FALSE(reader.Next());
    EXPECT_FALSE(reader.error().empty()) << wire;
  }
}

TEST(StompFrameTest, AFrameLargerThanTheLimitIsAnError) {
  StompFrameReader reader(64);
  reader.Append("MESSAGE\n\n" + std::string(100, 'x'));
  EXPECT_FALSE(reader.Next());
  EXPECT_EQ(reader.error(), "frame too large");
}

}  // namespace
}  // namespace wg
