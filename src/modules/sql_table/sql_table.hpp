// The table a SQL module (`postgresql`, `mysql`) writes to, parsed from module-config, and the SQL
// text for it in the server's dialect. Both modules take the same keys (storage_mode, upsert,
// schema ...); only quoting, column types and the upsert clause differ.
// Identifiers (table, columns, indexes) are checked at config time and always quoted; webhook
// data only ever travels as statement parameters ($1 or ?), never inside the SQL.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/json_reader.hpp"
#include "modules/module.hpp"

namespace wg {

enum class SqlDialect { kPostgresql, kMysql };

enum class SqlStorageMode { kJson, kRelational, kHybrid };

struct SqlField {
  std::string name;    // the top-level payload key
  std::string column;  // defaults to the name
  std::string type;    // the config's type, lower case: string, integer, float, boolean, ...
  std::string sql_type;
  bool not_null = false;
  bool unique = false;
  bool primary_key = false;
  std::optional<std::string> default_sql;  // an SQL literal or the current time
};

struct SqlIndex {
  std::string name;
  std::vector<std::string> columns;
  bool unique = false;
};

struct SqlTableOptions {
  SqlDialect dialect = SqlDialect::kPostgresql;
  std::string table = "webhook_events";
  SqlStorageMode mode = SqlStorageMode::kJson;
  bool upsert = false;
  std::string upsert_key = "id";
  std::optional<size_t> upsert_field;  // index into fields (relational / hybrid upsert)
  bool include_headers = true;
  std::vector<SqlField> fields;
  std::vector<SqlIndex> indexes;
};

// [A-Za-z_][A-Za-z0-9_]*, at most 63 bytes for PostgreSQL, 64 for MySQL / MariaDB.
bool IsSqlIdentifier(SqlDialect dialect, std::string_view name);
// "name" for PostgreSQL, `name` for MySQL / MariaDB.
std::string QuoteSqlIdentifier(SqlDialect dialect, std::string_view name);

// Reads table, storage_mode, upsert, upsert_key, include_headers, include_timestamp, schema.
std::optional<SqlTableOptions> ParseSqlTableOptions(SqlDialect dialect,
                                                    const boost::json::object& config,
                                                    const std::string& path, ConfigErrors& errors);

// CREATE TABLE IF NOT EXISTS and CREATE INDEX IF NOT EXISTS statements, in order.
std::vector<std::string> BuildSqlCreateStatements(const SqlTableOptions& options);

struct SqlStatement {
  std::string sql;
  std::vector<std::optional<std::string>> params;  // text parameters; nullopt is NULL
};

// The INSERT (or upsert) of one delivery.
SqlStatement BuildSqlInsert(const SqlTableOptions& options, const Delivery& delivery);

}  // namespace wg
