#include "modules/redis/rq_job.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include "modules/redis/pickle.hpp"
#include "test_support.hpp"

namespace wg {
namespace {

std::string Inflate(const std::string& data) {
  std::string out(1 << 20, '\0');
  uLongf size = out.size();
  EXPECT_EQ(uncompress(reinterpret_cast<Bytef*>(out.data()), &size,
                       reinterpret_cast<const Bytef*>(data.data()), data.size()),
            Z_OK);
  out.resize(size);
  return out;
}

TEST(PickleTest, EncodesJsonValuesWithProtocolThreeOpcodes) {
  PickleWriter writer;
  writer.Value(boost::json::parse(R"({"a":[1,true,null]})"));
  std::string pickle = writer.Finish();
  // PROTO 3, EMPTY_DICT, MARK, BINUNICODE "a", EMPTY_LIST, MARK, BININT 1, NEWTRUE, NONE,
  // APPENDS, SETITEMS, STOP.
  static constexpr char kExpected[] = "\x80\x03}(X\x01\x00\x00\x00" "a](J\x01\x00\x00\x00\x88N" "eu.";
  std::string expected(kExpected, sizeof kExpected - 1);
  EXPECT_EQ(pickle, expected);
}

TEST(PickleTest, LargeIntegersUseLong1) {
  PickleWriter writer;
  writer.Value(boost::json::value(int64_t{1} << 40));
  std::string pickle = writer.Finish();
  EXPECT_EQ(pickle.substr(2, 2), std::string("\x8a\x08", 2));
}

TEST(RqJobTest, CommandsMatchWhatPythonRqSends) {
  RqJobOptions options;
  options.function = "tasks.handle";
  options.queue = "webhooks";
  auto delivery = testing::MakeDelivery(R"({"x":1})");
  auto commands = BuildRqJobCommands(options, *delivery, "job-1", std::chrono::system_clock::now());
  ASSERT_EQ(commands.size(), 5u);
  EXPECT_EQ(commands[0][0], "MULTI");
  EXPECT_EQ(commands[1][0], "HSET");
  EXPECT_EQ(commands[1][1], "rq:job:job-1");
  EXPECT_EQ(commands[2], (std::vector<std::string>{"SADD", "rq:queues", "rq:queue:webhooks"}));
  EXPECT_EQ(commands[3], (std::vector<std::string>{"RPUSH", "rq:queue:webhooks", "job-1"}));
  EXPECT_EQ(commands[4][0], "EXEC");
  std::map<std::string, std::string> fields;
  for (size_t i = 2; i + 1 < commands[1].size(); i += 2) fields[commands[1][i]] = commands[1][i + 1];
  EXPECT_EQ(fields["status"], "queued");
  EXPECT_EQ(fields["origin"], "webhooks");
  EXPECT_EQ(fields["timeout"], "180");
  std::string data = Inflate(fields["data"]);
  EXPECT_EQ(data.substr(0, 2), "\x80\x03");
  EXPECT_NE(data.find("tasks.handle"), std::string::npos);
}

TEST(RqJobTest, JsonSerializerWritesRqsJsonTuple) {
  RqJobOptions options;
  options.function = "tasks.handle";
  options.serializer = RqSerializer::kJson;
  auto delivery = testing::MakeDelivery(R"({"x":1})");
  auto data = boost::json::parse(Inflate(SerializeRqJobData(options, *delivery)));
  EXPECT_EQ(data.at(0).as_string(), "tasks.handle");
  EXPECT_TRUE(data.at(1).is_null());
  EXPECT_EQ(data.at(2).at(0), boost::json::parse(R"({"x":1})"));
  EXPECT_EQ(data.at(2).at(1).at("content-type").as_string(), "application/json");
}

TEST(RqJobTest, FunctionNameRules) {
  EXPECT_EQ(CheckRqFunctionName("tasks.handle_webhook"), "");
  EXPECT_EQ(CheckRqFunctionName("a.b.c"), "");
  EXPECT_NE(CheckRqFunctionName("a.b.c.d"), "");
  EXPECT_NE(CheckRqFunctionName("os.system"), "");
  EXPECT_NE(CheckRqFunctionName("tasks.eval"), "");
  EXPECT_NE(CheckRqFunctionName("tasks.__init__"), "");
  EXPECT_NE(CheckRqFunctionName("1tasks.x"), "");
  EXPECT_NE(CheckRqFunctionName("tasks..x"), "");
  EXPECT_NE(CheckRqFunctionName(""), "");
}

}  // namespace
}  // namespace wg
