#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio.hpp>

#include "connections/clickhouse/clickhouse_client.hpp"
#include "connections/connection_registry.hpp"
#include "modules/clickhouse/clickhouse_table.hpp"
#include "test_support.hpp"

namespace wg {
namespace {

boost::json::object Object(std::string_view text) { return boost::json::parse(text).as_object(); }

std::vector<std::string> Messages(const ConfigErrors& errors) {
  std::vector<std::string> out;
  for (const auto& error : errors.errors()) out.push_back(error.path + ": " + error.message);
  return out;
}

bool HasMessage(const ConfigErrors& errors, std::string_view start) {
  auto messages = Messages(errors);
  return std::any_of(messages.begin(), messages.end(),
                     [&](const std::string& m) { return m.rfind(start, 0) == 0; });
}

ClickhouseEndpoint Endpoint(std::string_view json) {
  ConfigErrors errors;
  auto endpoint = ParseClickhouseEndpoint(Object(json), "/ch", errors);
  EXPECT_TRUE(endpoint) << ::testing::PrintToString(Messages(errors));
  return endpoint ? *endpoint : ClickhouseEndpoint{};
}

Delivery MakeClickhouseDelivery() {
  Delivery delivery;
  delivery.id = "7d0c6c1e-2b1e-4c43-9a57-0e0f5b4f6a11";
  delivery.webhook_id = "orders";
  delivery.payload = boost::json::parse(R"({"order":42,"note":"h\u00e9 \"q\"\n"})");
  delivery.headers = {{"content-type", "application/json"}, {"x-tag", "a"}, {"x-tag", "b"}};
  delivery.received_at = std::chrono::system_clock::time_point(std::chrono::seconds(1796300000));
  return delivery;
}

// ------------------------------------------------------------------ connection settings

TEST(ClickhouseConnectionTest, DefaultsAreTheHttpInterfaceOfALocalServer) {
  auto endpoint = Endpoint(R"({"type":"clickhouse"})");
  EXPECT_EQ(endpoint.host, "localhost");
  EXPECT_EQ(endpoint.port, 8123);
  EXPECT_EQ(endpoint.database, "default");
  EXPECT_EQ(endpoint.user, "default");
  EXPECT_EQ(endpoint.password, "");
  EXPECT_FALSE(endpoint.secure);
  EXPECT_FALSE(endpoint.target.tls);
  EXPECT_EQ(endpoint.target.host_header, "localhost:8123");
  EXPECT_EQ(endpoint.timeout, std::chrono::milliseconds(10000));
}

TEST(ClickhouseConnectionTest, SettingsAsStringsFromSubstitution) {
  auto endpoint = Endpoint(
      R"({"host":"ch.internal","port":"18123","database":"events","user":"writer",
          "password":"s3cret","timeout":"2.5"})");
  EXPECT_EQ(endpoint.target.host, "ch.internal");
  EXPECT_EQ(endpoint.target.port, "18123");
  EXPECT_EQ(endpoint.database, "events");
  EXPECT_EQ(endpoint.user, "writer");
  EXPECT_EQ(endpoint.password, "s3cret");
  EXPECT_EQ(endpoint.timeout, std::chrono::milliseconds(2500));
}

TEST(ClickhouseConnectionTest, SecureMeansHttpsOn8443) {
  auto endpoint = Endpoint(R"({"host":"ch.example.com","secure":true})");
  EXPECT_TRUE(endpoint.target.tls);
  EXPECT_EQ(endpoint.port, 8443);
  EXPECT_TRUE(endpoint.tls);
  auto alias = Endpoint(R"({"host":"ch.example.com","tls":true,"port":9443})");
  EXPECT_TRUE(alias.target.tls);
  EXPECT_EQ(alias.target.port, "9443");
}

TEST(ClickhouseConnectionTest, IPv6HostIsBracketedInTheHostHeader) {
  auto endpoint = Endpoint(R"({"host":"::1","port":8123})");
  EXPECT_EQ(endpoint.target.host, "::1");
  EXPECT_EQ(endpoint.target.host_header, "[::1]:8123");
}

TEST(ClickhouseConnectionTest, TheNativeProtocolPortIsRefusedWithAHint) {
  for (std::string_view json :
       {R"({"port":9000})", R"({"port":"9000"})", R"({"port":9440,"secure":true})"}) {
    ConfigErrors errors;
    EXPECT_FALSE(ParseClickhouseEndpoint(Object(json), "/warehouse", errors)) << json;
    ASSERT_EQ(errors.size(), 1u) << json;
    const auto& error = errors.errors()[0];
    EXPECT_EQ(error.path, "/warehouse/port");
    EXPECT_NE(error.message.find("native protocol"), std::string::npos) << error.message;
    EXPECT_NE(error.message.find("HTTP interface"), std::string::npos) << error.message;
    EXPECT_NE(error.message.find(json.find("secure") == std::string_view::npos ? "8123" : "8443"),
              std::string::npos)
        << error.message;
  }
}

TEST(ClickhouseConnectionTest, EveryProblemNamesItsPath) {
  ConfigErrors errors;
  EXPECT_FALSE(
      ParseClickhouseEndpoint(Object(R"({"host":"","port":70000,"user":"","database":"","colour":1,
                 "ssl_ca_cert":"/x.pem"})"),
                              "/ch", errors));
  EXPECT_TRUE(HasMessage(errors, "/ch/host: must not be empty"));
  EXPECT_TRUE(HasMessage(errors, "/ch/port:"));
  EXPECT_TRUE(HasMessage(errors, "/ch/user: must not be empty"));
  EXPECT_TRUE(HasMessage(errors, "/ch/database: must not be empty"));
  EXPECT_TRUE(HasMessage(errors, "/ch/colour"));
  EXPECT_TRUE(HasMessage(errors, "/ch/ssl_ca_cert: only used with"));
}

TEST(ClickhouseConnectionTest, RegistryBuildsOneSharedClientAndReportsBadSettings) {
  std::map<std::string, ConnectionConfig, std::less<>> connections;
  connections.emplace(
      "warehouse",
      ConnectionConfig{"warehouse", "clickhouse", {{"host", "127.0.0.1"}, {"port", 8123}}});
  connections.emplace(
      "legacy", ConnectionConfig{"legacy", "clickhouse", {{"host", "127.0.0.1"}, {"port", 9000}}});
  ConfigErrors errors;
  auto registry = ConnectionRegistry::Build(connections, errors);
  ASSERT_TRUE(registry->Clickhouse("warehouse"));
  EXPECT_FALSE(registry->Clickhouse("legacy"));
  EXPECT_TRUE(HasMessage(errors, "/legacy/port: 9000 is ClickHouse's native protocol port"))
      << ::testing::PrintToString(Messages(errors));
  EXPECT_EQ(registry->Health().at("warehouse").as_string(), "not used yet");

  ConfigErrors again;
  auto reloaded = ConnectionRegistry::Build(connections, again, registry.get());
  EXPECT_EQ(reloaded->Clickhouse("warehouse"), registry->Clickhouse("warehouse"));
}

// ------------------------------------------------------------------ the request

TEST(ClickhouseRequestTest, SqlAndDatabaseInTheUrlCredentialsInHeaders) {
  auto endpoint = Endpoint(R"({"host":"127.0.0.1","port":18123,"database":"my db",
                               "user":"writer","password":"p@ss:word"})");
  auto request = BuildClickhouseRequest(endpoint, "INSERT INTO `t` FORMAT JSONEachRow", "{}\n");
  EXPECT_EQ(request.method(), boost::beast::http::verb::post);
  EXPECT_EQ(request.target(),
            "/?database=my%20db&query=INSERT%20INTO%20%60t%60%20FORMAT%20JSONEachRow");
  EXPECT_EQ(request[boost::beast::http::field::host], "127.0.0.1:18123");
  EXPECT_EQ(request["X-ClickHouse-User"], "writer");
  EXPECT_EQ(request["X-ClickHouse-Key"], "p@ss:word");
  EXPECT_EQ(request.body(), "{}\n");
  EXPECT_EQ(request[boost::beast::http::field::content_length], "3");
  EXPECT_TRUE(request.keep_alive());
  EXPECT_EQ(std::string(request.target()).find("p%40ss"), std::string::npos);

  auto anonymous = BuildClickhouseRequest(Endpoint(R"({})"), "SELECT 1", "");
  EXPECT_EQ(anonymous["X-ClickHouse-User"], "default");
  EXPECT_EQ(anonymous.count("X-ClickHouse-Key"), 0u);
}

// ------------------------------------------------------------------ answers

TEST(ClickhouseAnswerTest, ErrorCodes) {
  EXPECT_EQ(ClickhouseErrorCode("Code: 60, e.displayText() = DB::Exception: x"), 60);
  EXPECT_EQ(ClickhouseErrorCode("Code: 516. DB::Exception: default: Authentication failed"), 516);
  EXPECT_EQ(ClickhouseErrorCode("Bad Gateway"), -1);
  EXPECT_EQ(ClickhouseErrorCode("Code: x"), -1);
}

TEST(ClickhouseAnswerTest, ClassifiesAnswers) {
  EXPECT_TRUE(ClassifyClickhouseAnswer(200, "", "INSERT INTO `t`").delivered());

  auto unknown = ClassifyClickhouseAnswer(
      404,
      "Code: 60, e.displayText() = DB::Exception: Table default.nosuch doesn't exist., "
      "e.what() = DB::Exception\n",
      "INSERT INTO `nosuch`");
  EXPECT_EQ(unknown.kind, OutcomeKind::kPermanent);
  EXPECT_EQ(unknown.message,
            "clickhouse INSERT INTO `nosuch`: HTTP 404: Code: 60: Table default.nosuch doesn't "
            "exist.");

  // 18.16 answers data that does not fit the table with 500: the code makes it permanent.
  auto mismatch = ClassifyClickhouseAnswer(
      500, "Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected \"\n",
      "INSERT INTO `t`");
  EXPECT_EQ(mismatch.kind, OutcomeKind::kPermanent);
  EXPECT_EQ(mismatch.message.find('\n'), std::string::npos);

  EXPECT_EQ(ClassifyClickhouseAnswer(401,
                                     "Code: 193, e.displayText() = DB::Exception: Wrong "
                                     "password for user writer",
                                     "x")
                .kind,
            OutcomeKind::kPermanent);
  EXPECT_EQ(ClassifyClickhouseAnswer(400, "Code: 62, Syntax error", "x").kind,
            OutcomeKind::kPermanent);
  EXPECT_EQ(ClassifyClickhouseAnswer(500, "Code: 252, Too many parts", "x").kind,
            OutcomeKind::kRetryable);
  EXPECT_EQ(ClassifyClickhouseAnswer(503, "", "x").kind, OutcomeKind::kRetryable);
  EXPECT_EQ(ClassifyClickhouseAnswer(429, "", "x").kind, OutcomeKind::kRetryable);

  auto huge = ClassifyClickhouseAnswer(500, std::string(10000, 'e'), "x");
  EXPECT_LT(huge.message.size(), 400u);
}

TEST(ClickhouseClientTest, ARefusedConnectionIsRetryableAndBacksOff) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  int port = acceptor.local_endpoint().port();
  acceptor.close();  // nothing listens there now
  auto endpoint =
      Endpoint(fmt::format(R"({{"host":"127.0.0.1","port":{},"password":"hidden"}})", port));
  ClickhouseClient client("warehouse", endpoint);
  auto first = testing::RunAwaitable(client.Execute("SELECT 1", "", "SELECT"));
  EXPECT_EQ(first.outcome.kind, OutcomeKind::kRetryable);
  EXPECT_NE(first.outcome.message.find("warehouse"), std::string::npos) << first.outcome.message;
  EXPECT_EQ(first.outcome.message.find("hidden"), std::string::npos);
  EXPECT_EQ(client.State().rfind("down: ", 0), 0u) << client.State();
  // Within the backoff: fails at once, without trying to connect.
  auto second = testing::RunAwaitable(client.Execute("SELECT 1", "", "SELECT"));
  EXPECT_EQ(second.outcome.kind, OutcomeKind::kRetryable);
  EXPECT_NE(second.outcome.message.find("not tried again"), std::string::npos)
      << second.outcome.message;
}

// ------------------------------------------------------------------ module-config and rows

TEST(ClickhouseConfigTest, Defaults) {
  ConfigErrors errors;
  auto options = ParseClickhouseTableOptions(Object("{}"), "/w/module-config", errors);
  ASSERT_TRUE(options);
  EXPECT_EQ(options->table, "webhook_logs");
  EXPECT_TRUE(options->include_headers);
  EXPECT_EQ(options->engine, "MergeTree");
}

TEST(ClickhouseConfigTest, TableNames) {
  for (std::string_view good : {"webhook_updates", "select_events", "T1", "_x", "2026_orders"}) {
    EXPECT_TRUE(IsClickhouseTableName(good)) << good;
  }
  for (std::string_view bad : {"", "a-b", "a.b", "a b", "t`x", "x;DROP", "é"}) {
    EXPECT_FALSE(IsClickhouseTableName(bad)) << bad;
  }
  EXPECT_TRUE(IsClickhouseTableName(std::string(255, 'a')));
  EXPECT_FALSE(IsClickhouseTableName(std::string(256, 'a')));
}

TEST(ClickhouseConfigTest, EveryProblemNamesItsPath) {
  ConfigErrors errors;
  auto options = ParseClickhouseTableOptions(
      Object(R"({"table":"a-b","engine":"Memory","include_headers":"maybe","colour":1,
                 "include_timestamp":true})"),
      "/w/module-config", errors);
  EXPECT_FALSE(options);
  EXPECT_TRUE(HasMessage(errors, "/w/module-config/table: \"a-b\" is not a table name"));
  EXPECT_TRUE(HasMessage(errors, "/w/module-config/engine: \"Memory\" is not supported"));
  EXPECT_TRUE(HasMessage(errors, "/w/module-config/include_headers"));
  EXPECT_TRUE(HasMessage(errors, "/w/module-config/colour"));
  EXPECT_FALSE(HasMessage(errors, "/w/module-config/include_timestamp"));
  ASSERT_EQ(errors.warnings().size(), 1u);
  EXPECT_EQ(errors.warnings()[0].path, "/w/module-config/include_timestamp");
}

TEST(ClickhouseTableTest, CreateAndInsertStatements) {
  ClickhouseTableOptions options;
  EXPECT_EQ(BuildClickhouseCreateTable(options),
            "CREATE TABLE IF NOT EXISTS `webhook_logs` (id String, webhook_id String, timestamp "
            "DateTime, payload String, headers String, created_at DateTime DEFAULT now()) ENGINE = "
            "MergeTree() PARTITION BY toYYYYMM(timestamp) ORDER BY (webhook_id, timestamp)");
  options.table = "webhook_updates";
  options.engine = "StripeLog";
  EXPECT_EQ(BuildClickhouseCreateTable(options),
            "CREATE TABLE IF NOT EXISTS `webhook_updates` (id String, webhook_id String, timestamp "
            "DateTime, payload String, headers String, created_at DateTime DEFAULT now()) ENGINE = "
            "StripeLog");
  EXPECT_EQ(BuildClickhouseInsert(options), "INSERT INTO `webhook_updates` FORMAT JSONEachRow");
}

TEST(ClickhouseTableTest, OneRowWithEveryColumn) {
  ClickhouseTableOptions options;
  Delivery delivery = MakeClickhouseDelivery();
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1796300003));
  std::string row = BuildClickhouseRow(options, delivery, now);
  ASSERT_EQ(row.back(), '\n');
  auto parsed = boost::json::parse(row).as_object();
  EXPECT_EQ(parsed.at("id").as_string(), delivery.id);
  EXPECT_EQ(parsed.at("webhook_id").as_string(), "orders");
  EXPECT_EQ(parsed.at("timestamp").as_int64(), 1796300000);
  EXPECT_EQ(parsed.at("created_at").as_int64(), 1796300003);
  EXPECT_EQ(boost::json::parse(parsed.at("payload").as_string()), delivery.payload);
  EXPECT_EQ(parsed.at("headers").as_string(),
            R"({"content-type":"application/json","x-tag":"a, b"})");

  options.include_headers = false;
  auto without = boost::json::parse(BuildClickhouseRow(options, delivery, now)).as_object();
  EXPECT_EQ(without.at("headers").as_string(), "{}");
}

TEST(ClickhouseTableTest, BlobBytesAreStoredAsTheyCame) {
  ClickhouseTableOptions options;
  Delivery delivery = MakeClickhouseDelivery();
  delivery.data_type = DataType::kBlob;
  delivery.payload = nullptr;
  delivery.body = std::string("\xff\xfe\x00\x01ok\"\\", 8);
  std::string row = BuildClickhouseRow(options, delivery, delivery.received_at);
  EXPECT_NE(row.find(R"("payload":")"
                     "\xff\xfe"
                     R"(\u0000\u0001ok\"\\")"),
            std::string::npos)
      << row;
}

TEST(ClickhouseTableTest, JsonStringEscapes) {
  EXPECT_EQ(ClickhouseJsonString("a\"b\\c\nd\te\x1f"), R"("a\"b\\c\nd\te\u001f")");
  EXPECT_EQ(ClickhouseJsonString("h\xc3\xa9"), "\"h\xc3\xa9\"");
}

}  // namespace
}  // namespace wg
