// The table a `postgresql` module writes to, parsed from module-config, and the SQL text for it.
// Identifiers (table, columns, indexes) are checked at config time and always double-quoted;
// webhook data only ever travels as statement parameters ($1, $2, ...), never inside the SQL.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/json_reader.hpp"
#include "modules/module.hpp"

namespace wg {

enum class PostgresqlStorageMode { kJson, kRelational, kHybrid };

struct PostgresqlField {
  std::string name;    // the top-level payload key
  std::string column;  // defaults to the name
  std::string sql_type;
  bool not_null = false;
  bool unique = false;
  bool primary_key = false;
  std::optional<std::string> default_sql;  // an SQL literal or now()
};

struct PostgresqlIndex {
  std::string name;
  std::vector<std::string> columns;
  bool unique = false;
};

struct PostgresqlTableOptions {
  std::string table = "webhook_events";
  PostgresqlStorageMode mode = PostgresqlStorageMode::kJson;
  bool upsert = false;
  std::string upsert_key = "id";
  std::optional<size_t> upsert_field;  // index into fields (relational / hybrid upsert)
  bool include_headers = true;
  std::vector<PostgresqlField> fields;
  std::vector<PostgresqlIndex> indexes;
};

// PostgreSQL's limit for identifiers is 63 bytes; we also allow only [A-Za-z_][A-Za-z0-9_]*.
bool IsPostgresqlIdentifier(std::string_view name);
std::string QuotePostgresqlIdentifier(std::string_view name);

// Reads table, storage_mode, upsert, upsert_key, include_headers, include_timestamp, schema.
std::optional<PostgresqlTableOptions> ParsePostgresqlTableOptions(const boost::json::object& config,
                                                                  const std::string& path,
                                                                  ConfigErrors& errors);

// CREATE TABLE IF NOT EXISTS and CREATE INDEX IF NOT EXISTS statements, in order.
std::vector<std::string> BuildPostgresqlCreateStatements(const PostgresqlTableOptions& options);

struct PostgresqlStatement {
  std::string sql;
  std::vector<std::optional<std::string>> params;  // text parameters; nullopt is NULL
};

// The INSERT (or upsert) of one delivery.
PostgresqlStatement BuildPostgresqlInsert(const PostgresqlTableOptions& options,
                                          const Delivery& delivery);

}  // namespace wg
