#include <gtest/gtest.h>

#include "connections/mysql/mysql_client.hpp"
#include "modules/sql_table/sql_table.hpp"
#include "test_support.hpp"

namespace wg {
namespace {

SqlTableOptions ParseOk(std::string_view config) {
  ConfigErrors errors("webhooks.json");
  auto options = ParseSqlTableOptions(SqlDialect::kMysql, boost::json::parse(config).as_object(),
                                      "/hook/module-config", errors);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : ConfigErrors::Format(errors.errors()[0]));
  EXPECT_TRUE(options.has_value());
  return options.value_or(SqlTableOptions{});
}

std::string AllErrors(std::string_view config) {
  ConfigErrors errors("webhooks.json");
  auto options = ParseSqlTableOptions(SqlDialect::kMysql, boost::json::parse(config).as_object(),
                                      "/hook/module-config", errors);
  EXPECT_FALSE(options.has_value());
  std::string all;
  for (const auto& error : errors.errors()) all += error.path + ": " + error.message + "\n";
  return all;
}

TEST(MysqlSqlTest, JsonModeTableAndInsertWithBackticksAndQuestionMarks) {
  auto options = ParseOk(R"({"table": "events"})");
  auto statements = BuildSqlCreateStatements(options);
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_EQ(
      statements[0],
      "CREATE TABLE IF NOT EXISTS `events` (`id` CHAR(36) PRIMARY KEY DEFAULT (UUID()), "
      "`webhook_id` VARCHAR(255) NOT NULL, `delivery_id` VARCHAR(64), `timestamp` DATETIME(6) "
      "DEFAULT CURRENT_TIMESTAMP(6), `payload` JSON NOT NULL, `headers` JSON, `created_at` "
      "DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6))");

  auto delivery = testing::MakeDelivery(R"({"x":"'); DROP TABLE events; --"})");
  delivery->received_at =
      std::chrono::system_clock::time_point(std::chrono::microseconds(1700000000123456));
  auto insert = BuildSqlInsert(options, *delivery);
  EXPECT_EQ(insert.sql,
            "INSERT INTO `events` (`webhook_id`, `delivery_id`, `timestamp`, "
            "`payload`, `headers`) VALUES (?, ?, ?, ?, ?)");
  ASSERT_EQ(insert.params.size(), 5u);
  EXPECT_EQ(insert.params[2], "2023-11-14 22:13:20.123456");  // DATETIME has no zone: UTC
  EXPECT_EQ(insert.params[3], R"({"x":"'); DROP TABLE events; --"})");
}

TEST(MysqlSqlTest, JsonModeUpsertKeepsTheFirstRowOfADeliveryId) {
  auto options = ParseOk(R"({"upsert": true, "include_headers": false})");
  auto statements = BuildSqlCreateStatements(options);
  ASSERT_EQ(statements.size(), 2u);  // no GIN index: PostgreSQL's
  EXPECT_EQ(statements[1],
            "CREATE UNIQUE INDEX IF NOT EXISTS `webhook_events_delivery_id_key` ON "
            "`webhook_events` (`delivery_id`)");
  auto insert = BuildSqlInsert(options, *testing::MakeDelivery());
  EXPECT_EQ(insert.sql,
            "INSERT INTO `webhook_events` (`webhook_id`, `delivery_id`, `timestamp`, "
            "`payload`) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE `delivery_id` = "
            "`delivery_id`");
}

TEST(MysqlSqlTest, RelationalUpsertTypesDefaultsAndValues) {
  auto options = ParseOk(R"({"table": "orders", "storage_mode": "relational", "upsert": true,
      "upsert_key": "order_id", "schema": {"fields": {
        "order_id": {"type": "string", "constraints": "PRIMARY KEY"},
        "paid": {"type": "bool"},
        "total": {"type": "number", "default": 0},
        "seen": {"type": "timestamp", "default": "CURRENT_TIMESTAMP"},
        "at": {"type": "datetime"},
        "note": {"default": "it's \\ here"},
        "meta": {"type": "json"}}}})");
  auto statements = BuildSqlCreateStatements(options);
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_EQ(
      statements[0],
      "CREATE TABLE IF NOT EXISTS `orders` (`id` CHAR(36) NOT NULL DEFAULT (UUID()), "
      "`webhook_id` VARCHAR(255) NOT NULL, `delivery_id` VARCHAR(64), `order_id` VARCHAR(255) "
      "PRIMARY KEY, `paid` BOOLEAN, `total` DOUBLE DEFAULT '0', `seen` DATETIME(6) DEFAULT "
      "CURRENT_TIMESTAMP(6), `at` DATETIME(6), `note` TEXT DEFAULT 'it''s \\\\ here', `meta` "
      "JSON, `created_at` DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6))");

  auto insert = BuildSqlInsert(
      options,
      *testing::MakeDelivery(
          R"({"order_id": "A-7", "paid": true, "at": "2024-05-01T10:00:00.5+02:00", "meta": [1]})"));
  EXPECT_EQ(insert.sql,
            "INSERT INTO `orders` (`webhook_id`, `delivery_id`, `order_id`, `paid`, "
            "`at`, `meta`) VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
            "`webhook_id` = VALUES(`webhook_id`), `delivery_id` = VALUES(`delivery_id`), "
            "`paid` = VALUES(`paid`), `at` = VALUES(`at`), `meta` = VALUES(`meta`)");
  ASSERT_EQ(insert.params.size(), 6u);
  EXPECT_EQ(insert.params[2], "A-7");
  EXPECT_EQ(insert.params[3], "1");                      // BOOLEAN is TINYINT(1)
  EXPECT_EQ(insert.params[4], "2024-05-01 08:00:00.5");  // ISO 8601 with a zone, in UTC
  EXPECT_EQ(insert.params[5], "[1]");
}

TEST(MysqlSqlTest, DatetimeTextsWithoutAZoneOrUnknownAreLeftToTheServer) {
  auto options = ParseOk(R"({"storage_mode": "relational", "schema": {"fields": {
      "at": {"type": "datetime"}}}})");
  auto at = [&](std::string_view value) {
    auto delivery = testing::MakeDelivery(std::string(R"({"at": )") + std::string(value) + "}");
    return BuildSqlInsert(options, *delivery).params.back().value_or("NULL");
  };
  EXPECT_EQ(at(R"("2024-05-01T10:00:00Z")"), "2024-05-01 10:00:00");
  EXPECT_EQ(at(R"("2024-05-01T23:30:00-01:00")"), "2024-05-02 00:30:00");
  EXPECT_EQ(at(R"("2024-05-01T10:00:00")"), "2024-05-01 10:00:00");
  EXPECT_EQ(at(R"("2024-05-01 10:00:00.25")"), "2024-05-01 10:00:00.25");
  EXPECT_EQ(at(R"("yesterday")"), "yesterday");
  EXPECT_EQ(at(R"("2024-05-01T10:00:00 CEST")"), "2024-05-01T10:00:00 CEST");
  EXPECT_EQ(at("null"), "NULL");
}

TEST(MysqlSqlTest, IndexedStringsAreVarcharAndLimitsAreMysqls) {
  auto options = ParseOk(R"({"storage_mode": "hybrid", "schema": {
      "fields": {"kind": {}, "note": {}},
      "indexes": {"by_kind": {"columns": ["kind", "webhook_id"]}}}})");
  auto statements = BuildSqlCreateStatements(options);
  ASSERT_EQ(statements.size(), 2u);
  EXPECT_NE(statements[0].find("`kind` VARCHAR(255)"), std::string::npos) << statements[0];
  EXPECT_NE(statements[0].find("`note` TEXT"), std::string::npos) << statements[0];
  EXPECT_EQ(statements[1],
            "CREATE INDEX IF NOT EXISTS `by_kind` ON `webhook_events` (`kind`, "
            "`webhook_id`)");

  ParseOk(std::string(R"({"table": ")") + std::string(64, 'a') + "\"}");
  std::string errors = AllErrors(std::string(R"({"table": ")") + std::string(65, 'a') +
                                 R"(", "storage_mode": "rows", "colour": 1})");
  EXPECT_NE(errors.find("/hook/module-config/table: "), std::string::npos) << errors;
  EXPECT_NE(errors.find("at most 64 characters"), std::string::npos) << errors;
  EXPECT_NE(errors.find("/hook/module-config/storage_mode"), std::string::npos) << errors;
  EXPECT_NE(errors.find("/hook/module-config/colour: unknown key in mysql module-config"),
            std::string::npos)
      << errors;
  EXPECT_EQ(QuoteSqlIdentifier(SqlDialect::kMysql, "a`b"), "`a``b`");
}

TEST(MysqlClientTest, ConnectionSettings) {
  ConfigErrors errors("connections.json");
  auto endpoint = ParseMysqlEndpoint(
      boost::json::parse(R"({"type": "mariadb", "host": "db", "port": 3307, "password": "pw",
                             "pool_min_size": 2, "pool_max_size": 10})")
          .as_object(),
      "/my", errors);
  ASSERT_TRUE(endpoint.has_value())
      << (errors.empty() ? "" : ConfigErrors::Format(errors.errors()[0]));
  EXPECT_EQ(endpoint->host, "db");
  EXPECT_EQ(endpoint->port, 3307);
  EXPECT_EQ(endpoint->database, "mysql");  // the Python project's defaults
  EXPECT_EQ(endpoint->user, "root");
  EXPECT_EQ(endpoint->password, "pw");
  EXPECT_EQ(endpoint->pool_max_size, 10u);
  EXPECT_TRUE(IsMysqlConnectionType("mysql"));
  EXPECT_TRUE(IsMysqlConnectionType("mariadb"));
  EXPECT_FALSE(IsMysqlConnectionType("postgresql"));

  ConfigErrors bad("connections.json");
  EXPECT_FALSE(ParseMysqlEndpoint(boost::json::parse(R"({"port": 0, "ssl_cert": "c.pem",
                                                         "hots": 1})")
                                      .as_object(),
                                  "/my", bad)
                   .has_value());
  std::string all;
  for (const auto& error : bad.errors()) all += error.path + ": " + error.message + "\n";
  EXPECT_NE(all.find("/my/port"), std::string::npos) << all;
  EXPECT_NE(all.find("/my/ssl_key: ssl_cert and ssl_key go together"), std::string::npos) << all;
  EXPECT_NE(all.find("/my/hots"), std::string::npos) << all;
}

// The numbers of errmsg.h (client, 2xxx) and mysqld_error.h (server).
TEST(MysqlClientTest, ClassifiesErrors) {
  EXPECT_EQ(ClassifyMysqlError(2006), OutcomeKind::kRetryable);  // CR_SERVER_GONE_ERROR
  EXPECT_EQ(ClassifyMysqlError(2003), OutcomeKind::kRetryable);
  EXPECT_EQ(ClassifyMysqlError(1213), OutcomeKind::kRetryable);
  EXPECT_EQ(ClassifyMysqlError(1040), OutcomeKind::kRetryable);
  EXPECT_EQ(ClassifyMysqlError(1290), OutcomeKind::kRetryable);
  EXPECT_EQ(ClassifyMysqlError(1045), OutcomeKind::kPermanent);
  EXPECT_EQ(ClassifyMysqlError(1049), OutcomeKind::kPermanent);
  EXPECT_EQ(ClassifyMysqlError(1146), OutcomeKind::kPermanent);
  EXPECT_EQ(ClassifyMysqlError(1062), OutcomeKind::kPermanent);
  EXPECT_EQ(ClassifyMysqlError(1054), OutcomeKind::kPermanent);
}

}  // namespace
}  // namespace wg
