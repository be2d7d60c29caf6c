#include "modules/save_to_disk/save_to_disk_module.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/json_reader.hpp"
#include "test_support.hpp"

namespace wg {
namespace {
namespace fs = std::filesystem;

class SaveToDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("wg-save-" + std::to_string(::getpid()) + "-" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
  }
  void TearDown() override { fs::remove_all(base_); }

  std::unique_ptr<Module> Create(std::string config_json, ConfigErrors& errors) {
    config_ = boost::json::parse(config_json).as_object();
    return CreateSaveToDiskModule({config_, "/w/module-config", nullptr}, context_, errors);
  }

  static std::string Read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }

  fs::path base_;
  boost::json::object config_;
  boost::asio::thread_pool pool_{1};
  ModuleContext context_{&pool_, nullptr, "/tmp"};
};

TEST_F(SaveToDiskTest, WritesThePayloadAsJson) {
  ConfigErrors errors("webhooks.json");
  auto module = Create(R"({"base_dir":")" + base_.string() + R"(","path":"orders"})", errors);
  ASSERT_TRUE(module) << errors.size();
  auto delivery = testing::MakeDelivery(R"({"id": 7, "name": "x"})");
  Outcome outcome = testing::RunAwaitable(module->Deliver(delivery));
  ASSERT_TRUE(outcome.delivered()) << outcome.message;
  fs::path file = base_ / "orders" / (delivery->id + ".json");
  ASSERT_TRUE(fs::exists(file));
  EXPECT_EQ(Read(file), R"({"id":7,"name":"x"})");
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  int entries = 0;
  for (auto& entry : fs::directory_iterator(base_ / "orders")) entries += entry.is_regular_file();
  EXPECT_EQ(entries, 1) << "no temporary file left behind";
}

TEST_F(SaveToDiskTest, IncludesHeadersWhenAsked) {
  ConfigErrors errors("webhooks.json");
  auto module = Create(R"({"base_dir":")" + base_.string() + R"(","include_headers":true,"fsync":true})", errors);
  ASSERT_TRUE(module);
  auto delivery = testing::MakeDelivery(R"([1,2])");
  ASSERT_TRUE(testing::RunAwaitable(module->Deliver(delivery)).delivered());
  auto document = boost::json::parse(Read(base_ / (delivery->id + ".json")));
  EXPECT_EQ(document.at("payload"), boost::json::parse("[1,2]"));
  EXPECT_EQ(document.at("headers").at("content-type").as_string(), "application/json");
  EXPECT_EQ(document.at("id").as_string(), delivery->id);
}

TEST_F(SaveToDiskTest, BlobIsWrittenAsRawBytes) {
  ConfigErrors errors("webhooks.json");
  auto module = Create(R"({"base_dir":")" + base_.string() + R"("})", errors);
  ASSERT_TRUE(module);
  auto delivery = testing::MakeDelivery("null");
  delivery->data_type = DataType::kBlob;
  delivery->body = std::string("\x00\x01\xff", 3);
  ASSERT_TRUE(testing::RunAwaitable(module->Deliver(delivery)).delivered());
  EXPECT_EQ(Read(base_ / (delivery->id + ".bin")), std::string("\x00\x01\xff", 3));
}

TEST_F(SaveToDiskTest, PathsMustStayInsideBaseDir) {
  ConfigErrors errors("webhooks.json");
  EXPECT_FALSE(Create(R"({"base_dir":")" + base_.string() + R"(","path":"../x"})", errors));
  EXPECT_FALSE(Create(R"({"base_dir":")" + base_.string() + R"(","path":"/etc"})", errors));
  EXPECT_FALSE(Create(R"({"base_dir":"/proc/self"})", errors));
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors.errors()[0].path, "/w/module-config/path");
  EXPECT_EQ(errors.errors()[2].path, "/w/module-config/base_dir");
}

TEST_F(SaveToDiskTest, UnwritableDirectoryIsAFailureNotACrash) {
  ConfigErrors errors("webhooks.json");
  fs::create_directories(base_);
  std::ofstream(base_ / "file") << "x";
  auto module = Create(R"({"base_dir":")" + base_.string() + R"(","path":"file/sub"})", errors);
  ASSERT_TRUE(module);
  Outcome outcome = testing::RunAwaitable(module->Deliver(testing::MakeDelivery()));
  EXPECT_FALSE(outcome.delivered());
  EXPECT_NE(outcome.message.find("cannot create"), std::string::npos) << outcome.message;
}

}  // namespace
}  // namespace wg
