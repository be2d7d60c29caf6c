#include <gtest/gtest.h>

#include "connections/postgresql/postgresql_client.hpp"
#include "modules/sql_table/sql_table.hpp"
#include "test_support.hpp"

namespace wg {
namespace {

std::optional<SqlTableOptions> Parse(std::string_view config, ConfigErrors& errors) {
  auto object = boost::json::parse(config).as_object();
  return ParseSqlTableOptions(SqlDialect::kPostgresql, object, "/hook/module-config", errors);
}

SqlTableOptions ParseOk(std::string_view config) {
  ConfigErrors errors("webhooks.json");
  auto options = Parse(config, errors);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : ConfigErrors::Format(errors.errors()[0]));
  EXPECT_TRUE(options.has_value());
  return options.value_or(SqlTableOptions{});
}

std::vector<std::string> Errors(std::string_view config) {
  ConfigErrors errors("webhooks.json");
  auto options = Parse(config, errors);
  EXPECT_FALSE(options.has_value());
  std::vector<std::string> out;
  for (const auto& error : errors.errors()) out.push_back(error.path + ": " + error.message);
  return out;
}

bool AnyContains(const std::vector<std::string>& texts, std::string_view needle) {
  for (const auto& text : texts) {
    if (text.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(PostgresqlConfigTest, DefaultsAreJsonModeIntoWebhookEvents) {
  auto options = ParseOk("{}");
  EXPECT_EQ(options.table, "webhook_events");
  EXPECT_EQ(options.mode, SqlStorageMode::kJson);
  EXPECT_FALSE(options.upsert);
  EXPECT_EQ(options.upsert_key, "id");
  EXPECT_TRUE(options.include_headers);
}

TEST(PostgresqlConfigTest, RejectsBadIdentifiersModesAndKeysWithTheirPaths) {
  auto errors = Errors(R"({"table": "events; DROP TABLE x", "storage_mode": "columns",
                           "colour": 1})");
  EXPECT_TRUE(AnyContains(errors, "/hook/module-config/table: \"events; DROP TABLE x\" must match"));
  EXPECT_TRUE(AnyContains(errors, "/hook/module-config/storage_mode: must be \"json\", "
                                  "\"relational\" or \"hybrid\", got \"columns\""));
  EXPECT_TRUE(AnyContains(errors, "/hook/module-config/colour"));
  EXPECT_TRUE(AnyContains(Errors(R"({"table": "1abc"})"), "/table"));
  EXPECT_TRUE(AnyContains(Errors(std::string(R"({"table": ")") + std::string(64, 'a') + "\"}"),
                          "/table"));
  ParseOk(std::string(R"({"table": ")") + std::string(63, 'a') + "\"}");
}

TEST(PostgresqlConfigTest, ChecksSchemaFields) {
  auto errors = Errors(R"js({"storage_mode": "relational", "schema": {"fields": {
      "a": {"column": "bad-name"}, "b": {"type": "money"}, "c": {"constraints": "CHECK (x)"},
      "d": {"column": "webhook_id"}, "e": {"type": "int", "size": 3}}}})js");
  EXPECT_TRUE(AnyContains(errors, "/schema/fields/a/column: column name \"bad-name\""));
  EXPECT_TRUE(AnyContains(errors, "/schema/fields/b/type: unknown type \"money\""));
  EXPECT_TRUE(AnyContains(errors, "/schema/fields/c/constraints: \"CHECK (x)\" is not allowed"));
  EXPECT_TRUE(AnyContains(errors, "/schema/fields/d: column \"webhook_id\" is used twice"));
  EXPECT_TRUE(AnyContains(errors, "/schema/fields/e/size"));
  EXPECT_TRUE(AnyContains(Errors(R"({"storage_mode": "relational"})"),
                          "/schema/fields: storage_mode \"relational\" needs at least one"));
}

TEST(PostgresqlConfigTest, UpsertKeyMustBeAUniqueSchemaField) {
  EXPECT_TRUE(AnyContains(Errors(R"({"storage_mode": "relational", "upsert": true,
      "schema": {"fields": {"order_id": {"type": "integer"}}}})"),
                          "/upsert_key: \"id\" is not a schema field"));
  EXPECT_TRUE(AnyContains(Errors(R"({"storage_mode": "hybrid", "upsert": true,
      "upsert_key": "order_id", "schema": {"fields": {"order_id": {"type": "integer"}}}})"),
                          "/upsert_key: field \"order_id\" needs the constraint UNIQUE or PRIMARY KEY"));
  auto options = ParseOk(R"({"storage_mode": "relational", "upsert": true, "upsert_key": "order_id",
      "schema": {"fields": {"order_id": {"type": "integer", "constraints": ["UNIQUE", "NOT NULL"]}}}})");
  ASSERT_TRUE(options.upsert_field.has_value());
  EXPECT_EQ(*options.upsert_field, 0u);
}

TEST(PostgresqlSqlTest, JsonModeTableAndInsert) {
  auto options = ParseOk(R"({"table": "events"})");
  auto statements = BuildSqlCreateStatements(options);
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_EQ(statements[0],
            "CREATE TABLE IF NOT EXISTS \"events\" (\"id\" UUID PRIMARY KEY DEFAULT "
            "gen_random_uuid(), \"webhook_id\" TEXT NOT NULL, \"delivery_id\" TEXT, \"timestamp\" "
            "TIMESTAMPTZ DEFAULT now(), \"payload\" JSONB NOT NULL, \"headers\" JSONB, "
            "\"created_at\" TIMESTAMPTZ DEFAULT now())");

  auto delivery = testing::MakeDelivery(R"({"x":"'); DROP TABLE events; --"})");
  delivery->received_at = std::chrono::system_clock::time_point(std::chrono::microseconds(
      1700000000123456));
  auto insert = BuildSqlInsert(options, *delivery);
  EXPECT_EQ(insert.sql, "INSERT INTO \"events\" (\"webhook_id\", \"delivery_id\", \"timestamp\", "
                        "\"payload\", \"headers\") VALUES ($1, $2, $3, $4, $5)");
  ASSERT_EQ(insert.params.size(), 5u);
  EXPECT_EQ(insert.params[0], "orders");
  EXPECT_EQ(insert.params[1], delivery->id);
  EXPECT_EQ(insert.params[2], "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(insert.params[3], R"({"x":"'); DROP TABLE events; --"})");
  EXPECT_EQ(boost::json::parse(*insert.params[4]),
            boost::json::parse(R"({"content-type":"application/json","authorization":"Bearer s3cret"})"));
}

TEST(PostgresqlSqlTest, JsonModeUpsertIgnoresARepeatedDeliveryId) {
  auto options = ParseOk(R"({"upsert": true, "include_headers": false})");
  auto statements = BuildSqlCreateStatements(options);
  ASSERT_EQ(statements.size(), 3u);
  EXPECT_EQ(statements[1], "CREATE UNIQUE INDEX IF NOT EXISTS \"webhook_events_delivery_id_key\" ON "
                           "\"webhook_events\" (\"delivery_id\")");
  auto insert = BuildSqlInsert(options, *testing::MakeDelivery());
  EXPECT_EQ(insert.sql, "INSERT INTO \"webhook_events\" (\"webhook_id\", \"delivery_id\", "
                        "\"timestamp\", \"payload\") VALUES ($1, $2, $3, $4) ON CONFLICT "
                        "(\"delivery_id\") DO NOTHING");
}

TEST(PostgresqlSqlTest, RelationalUpsertUpdatesEveryOtherColumn) {
  auto options = ParseOk(R"({"table": "orders", "storage_mode": "relational", "upsert": true,
      "upsert_key": "order_id", "schema": {"fields": {
        "order_id": {"type": "integer", "constraints": "PRIMARY KEY"},
        "status": {"column": "order_status", "type": "string", "constraints": ["NOT NULL"]},
        "total": {"type": "float", "default": 0},
        "seen": {"type": "datetime", "default": "CURRENT_TIMESTAMP"},
        "note": {"default": "it's"},
        "meta": {"type": "json"}}}})");
  auto statements = BuildSqlCreateStatements(options);
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_EQ(statements[0],
            "CREATE TABLE IF NOT EXISTS \"orders\" (\"id\" UUID NOT NULL DEFAULT gen_random_uuid(), "
            "\"webhook_id\" TEXT NOT NULL, \"delivery_id\" TEXT, \"order_id\" BIGINT PRIMARY KEY, "
            "\"order_status\" TEXT NOT NULL, \"total\" DOUBLE PRECISION DEFAULT E'0', \"seen\" "
            "TIMESTAMP WITH TIME ZONE DEFAULT now(), \"note\" TEXT DEFAULT E'it''s', \"meta\" JSONB, "
            "\"created_at\" TIMESTAMPTZ DEFAULT now())");

  auto delivery = testing::MakeDelivery(
      R"({"order_id": 7, "status": "paid", "meta": "x", "extra": true})");
  auto insert = BuildSqlInsert(options, *delivery);
  // total, seen and note are missing: their columns keep the DEFAULT.
  EXPECT_EQ(insert.sql, "INSERT INTO \"orders\" (\"webhook_id\", \"delivery_id\", \"order_id\", "
                        "\"order_status\", \"meta\") VALUES ($1, $2, $3, $4, $5) ON CONFLICT "
                        "(\"order_id\") DO UPDATE SET \"webhook_id\" = EXCLUDED.\"webhook_id\", "
                        "\"delivery_id\" = EXCLUDED.\"delivery_id\", \"order_status\" = "
                        "EXCLUDED.\"order_status\", \"meta\" = EXCLUDED.\"meta\"");
  ASSERT_EQ(insert.params.size(), 5u);
  EXPECT_EQ(insert.params[2], "7");
  EXPECT_EQ(insert.params[3], "paid");
  EXPECT_EQ(insert.params[4], "\"x\"");  // JSONB columns get JSON text
}

TEST(PostgresqlSqlTest, HybridStoresPayloadAndColumnsAndNullForMissingKeys) {
  auto options = ParseOk(R"({"table": "mixed", "storage_mode": "hybrid", "include_headers": false,
      "schema": {"fields": {"kind": {}, "ok": {"type": "bool"}},
                 "indexes": {"mixed_kind": {"columns": ["kind", "webhook_id"]}}}})");
  auto statements = BuildSqlCreateStatements(options);
  ASSERT_EQ(statements.size(), 2u);
  EXPECT_EQ(statements[0],
            "CREATE TABLE IF NOT EXISTS \"mixed\" (\"id\" UUID PRIMARY KEY DEFAULT gen_random_uuid(), "
            "\"webhook_id\" TEXT NOT NULL, \"delivery_id\" TEXT, \"payload\" JSONB NOT NULL, "
            "\"kind\" TEXT, \"ok\" BOOLEAN, \"created_at\" TIMESTAMPTZ DEFAULT now())");
  EXPECT_EQ(statements[1], "CREATE INDEX IF NOT EXISTS \"mixed_kind\" ON \"mixed\" (\"kind\", "
                           "\"webhook_id\")");
  auto insert = BuildSqlInsert(options, *testing::MakeDelivery(R"({"ok": false})"));
  EXPECT_EQ(insert.sql, "INSERT INTO \"mixed\" (\"webhook_id\", \"delivery_id\", \"payload\", "
                        "\"kind\", \"ok\") VALUES ($1, $2, $3, $4, $5)");
  EXPECT_EQ(insert.params[3], std::nullopt);
  EXPECT_EQ(insert.params[4], "false");
}

TEST(PostgresqlSqlTest, QuotesIdentifiers) {
  EXPECT_EQ(QuoteSqlIdentifier(SqlDialect::kPostgresql, "Events"), "\"Events\"");
  EXPECT_EQ(QuoteSqlIdentifier(SqlDialect::kPostgresql, "a\"b"), "\"a\"\"b\"");
  EXPECT_TRUE(IsSqlIdentifier(SqlDialect::kPostgresql, "_a1"));
  EXPECT_FALSE(IsSqlIdentifier(SqlDialect::kPostgresql, "a.b"));
  EXPECT_FALSE(IsSqlIdentifier(SqlDialect::kPostgresql, ""));
}

TEST(PostgresqlClientTest, ClassifiesSqlStates) {
  EXPECT_FALSE(IsRetryableSqlState("23505"));  // unique violation
  EXPECT_FALSE(IsRetryableSqlState("23502"));  // not null violation
  EXPECT_FALSE(IsRetryableSqlState("22P02"));  // invalid text representation
  EXPECT_FALSE(IsRetryableSqlState("42703"));  // undefined column
  EXPECT_TRUE(IsRetryableSqlState("40001"));   // serialization failure
  EXPECT_TRUE(IsRetryableSqlState("53300"));   // too many connections
  EXPECT_TRUE(IsRetryableSqlState("57P01"));   // admin shutdown
  EXPECT_TRUE(IsRetryableSqlState("08006"));   // connection failure
  EXPECT_TRUE(IsRetryableSqlState(""));        // no answer at all
}

TEST(PostgresqlClientTest, ConnectionSettings) {
  ConfigErrors errors("connections.json");
  auto endpoint = ParsePostgresqlEndpoint(
      boost::json::parse(R"({"type": "postgresql", "host": "db", "port": "6543", "password": "pw"})")
          .as_object(),
      "/pg", errors);
  ASSERT_TRUE(endpoint.has_value());
  EXPECT_EQ(endpoint->pool_max_size, 4u);
  std::map<std::string, std::string> keywords(endpoint->keywords.begin(), endpoint->keywords.end());
  EXPECT_EQ(keywords["host"], "db");
  EXPECT_EQ(keywords["port"], "6543");
  EXPECT_EQ(keywords["dbname"], "postgres");
  EXPECT_EQ(keywords["user"], "postgres");
  EXPECT_EQ(keywords["password"], "pw");

  auto from_uri = ParsePostgresqlEndpoint(
      boost::json::parse(R"({"connection_string": "postgresql://u:p@h:7/d", "pool_max_size": 2})")
          .as_object(),
      "/pg", errors);
  ASSERT_TRUE(from_uri.has_value());
  std::map<std::string, std::string> uri(from_uri->keywords.begin(), from_uri->keywords.end());
  EXPECT_EQ(uri["host"], "h");
  EXPECT_EQ(uri["port"], "7");
  EXPECT_EQ(uri["dbname"], "d");
  EXPECT_EQ(uri["user"], "u");
  EXPECT_EQ(from_uri->pool_max_size, 2u);

  ConfigErrors bad("connections.json");
  EXPECT_FALSE(ParsePostgresqlEndpoint(
                   boost::json::parse(
                       R"({"connection_string": "mysql://x", "pool_max_size": 0, "hots": 1})")
                       .as_object(),
                   "/pg", bad)
                   .has_value());
  std::string all;
  for (const auto& error : bad.errors()) all += error.path + ": " + error.message + "\n";
  EXPECT_NE(all.find("/pg/connection_string: must start with postgresql://"), std::string::npos);
  EXPECT_NE(all.find("/pg/pool_max_size"), std::string::npos);
  EXPECT_NE(all.find("/pg/hots"), std::string::npos);
}

}  // namespace
}  // namespace wg
