#include "modules/sql_table/sql_table.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <ctime>
#include <set>

#include "config/names.hpp"

namespace wg {
namespace json = boost::json;

namespace {

bool IsMysql(SqlDialect dialect) { return dialect == SqlDialect::kMysql; }

std::string_view ModuleName(SqlDialect dialect) {
  return IsMysql(dialect) ? "mysql" : "postgresql";
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The config's type names (the Python project's) and their canonical spelling.
std::optional<std::string_view> CanonicalType(std::string_view type) {
  std::string t = Upper(type);
  if (t == "STRING" || t == "TEXT") return "string";
  if (t == "INTEGER" || t == "INT") return "integer";
  if (t == "FLOAT" || t == "NUMBER") return "float";
  if (t == "BOOLEAN" || t == "BOOL") return "boolean";
  if (t == "DATETIME" || t == "TIMESTAMP") return "datetime";
  if (t == "JSON") return "json";
  if (t == "DATE") return "date";
  if (t == "TIME") return "time";
  return std::nullopt;
}

// `keyed`: the column is in a key (UNIQUE, PRIMARY KEY, an index). MySQL cannot index TEXT
// without a prefix length, so keyed strings are VARCHAR(255) there.
std::string SqlType(SqlDialect dialect, std::string_view type, bool keyed) {
  if (type == "string") return IsMysql(dialect) && keyed ? "VARCHAR(255)" : "TEXT";
  if (type == "integer") return "BIGINT";
  if (type == "float") return IsMysql(dialect) ? "DOUBLE" : "DOUBLE PRECISION";
  if (type == "boolean") return "BOOLEAN";
  if (type == "datetime") return IsMysql(dialect) ? "DATETIME(6)" : "TIMESTAMP WITH TIME ZONE";
  if (type == "json") return IsMysql(dialect) ? "JSON" : "JSONB";
  if (type == "date") return "DATE";
  return "TIME";
}

// The current time as a column default.
std::string NowSql(SqlDialect dialect, std::string_view sql_type) {
  if (!IsMysql(dialect)) return "now()";
  // MySQL wants the column's fractional precision in the default; other types take the
  // expression form.
  return sql_type == "DATETIME(6)" ? "CURRENT_TIMESTAMP(6)" : "(CURRENT_TIMESTAMP)";
}

// A string constant for DDL (defaults come from the config, never from webhooks).
// PostgreSQL: the E'' form with doubled backslashes means the same whatever
// standard_conforming_strings says. MySQL: quotes doubled, backslashes escaped (the default
// sql_mode; with NO_BACKSLASH_ESCAPES a backslash in a default would be doubled).
std::string QuoteLiteral(SqlDialect dialect, std::string_view text) {
  std::string out = IsMysql(dialect) ? "'" : "E'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += c == '\\' && IsMysql(dialect) ? '\\' : c;
    out += c;
  }
  out += '\'';
  return out;
}

// Reads "NOT NULL", "UNIQUE", "PRIMARY KEY" (one string holding several, or a list of them).
bool ParseConstraints(std::string_view text, SqlField& field) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!word.empty()) words.push_back(Upper(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(Upper(word));
  if (words.empty()) return false;
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i] == "UNIQUE") {
      field.unique = true;
    } else if (words[i] == "NOT" && i + 1 < words.size() && words[i + 1] == "NULL") {
      field.not_null = true;
      ++i;
    } else if (words[i] == "PRIMARY" && i + 1 < words.size() && words[i + 1] == "KEY") {
      field.primary_key = true;
      ++i;
    } else {
      return false;
    }
  }
  return true;
}

// The DEFAULT of a field, once its SQL type is known.
std::string DefaultSql(SqlDialect dialect, const json::value& value, std::string_view sql_type) {
  if (value.is_string()) {
    std::string upper = Upper(value.get_string());
    if (upper == "CURRENT_TIMESTAMP" || upper == "NOW()" || upper == "NOW") {
      return NowSql(dialect, sql_type);
    }
    return QuoteLiteral(dialect, value.get_string());
  }
  if (value.is_bool()) return value.get_bool() ? "TRUE" : "FALSE";
  if (value.is_null()) return "NULL";
  return QuoteLiteral(dialect, json::serialize(value));
}

// Columns the module itself creates in each storage mode.
std::vector<std::string_view> BuiltInColumns(SqlStorageMode mode) {
  switch (mode) {
    case SqlStorageMode::kJson:
      return {"id", "webhook_id", "delivery_id", "timestamp", "payload", "headers", "created_at"};
    case SqlStorageMode::kRelational:
      return {"id", "webhook_id", "delivery_id", "created_at"};
    case SqlStorageMode::kHybrid:
      return {"id", "webhook_id", "delivery_id", "payload", "headers", "created_at"};
  }
  return {};
}

// Reads one schema field; its SQL type and default are settled once the indexes are known.
void ParseField(SqlDialect dialect, const std::string& name, const json::value& value,
                const std::string& path, SqlField& field, std::optional<json::value>& fallback,
                ConfigErrors& errors) {
  field.name = name;
  field.column = name;
  field.type = "string";
  if (!value.is_object()) {
    errors.Add(path, fmt::format("must be an object, got {}", JsonKindName(value)));
    return;
  }
  ObjectReader reader(value.get_object(), path, errors);
  field.column = reader.StringOr("column", name);
  std::string type = reader.StringOr("type", "string");
  if (auto canonical = CanonicalType(type)) {
    field.type = *canonical;
  } else {
    errors.Add(reader.PathOf("type"),
               fmt::format("unknown type \"{}\"; known: string, text, integer, int, float, number, "
                           "boolean, bool, datetime, timestamp, json, date, time",
                           type));
  }
  if (const json::value* constraints = reader.Get("constraints")) {
    std::vector<std::string> texts;
    if (constraints->is_string()) {
      texts.emplace_back(constraints->get_string());
    } else if (constraints->is_array()) {
      for (const auto& item : constraints->get_array()) {
        if (item.is_string())
          texts.emplace_back(item.get_string());
        else
          texts.emplace_back();  // reported below
      }
    } else {
      errors.Add(reader.PathOf("constraints"), "must be a string or a list of strings");
    }
    for (const auto& text : texts) {
      if (!ParseConstraints(text, field)) {
        errors.Add(reader.PathOf("constraints"),
                   fmt::format("\"{}\" is not allowed; use NOT NULL, UNIQUE or PRIMARY KEY", text));
      }
    }
  }
  if (const json::value* given = reader.Get("default")) fallback = *given;
  reader.Allow({"description"});
  reader.RejectUnknownKeys("schema field");
  if (!IsSqlIdentifier(dialect, field.column)) {
    errors.Add(
        value.get_object().contains("column") ? reader.PathOf("column") : path,
        fmt::format("column name \"{}\" must match ^[a-zA-Z_][a-zA-Z0-9_]*$ and have at most "
                    "{} characters",
                    field.column, IsMysql(dialect) ? 64 : 63));
  }
}

std::string Timestamp(SqlDialect dialect, std::chrono::system_clock::time_point time) {
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  // MySQL's DATETIME has no zone: the connection's time_zone is UTC (mysql_client.cpp).
  std::string text =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, micros % 1000000);
  if (IsMysql(dialect)) {
    text[10] = ' ';
    text.pop_back();
  }
  return text;
}

std::string PayloadJson(const Delivery& delivery) {
  // A blob has no parsed payload: keep its bytes as a JSON string rather than lose them.
  if (delivery.payload.is_null() && !delivery.body.empty() &&
      delivery.data_type == DataType::kBlob) {
    return json::serialize(json::string(delivery.body));
  }
  return json::serialize(delivery.payload);
}

std::string HeadersJson(const Delivery& delivery) {
  json::object headers;
  for (const auto& header : delivery.headers) headers[header.name] = header.value;
  return json::serialize(headers);
}

int Digits(std::string_view text, size_t at, size_t count) {
  int value = 0;
  if (at + count > text.size()) return -1;
  auto [end, error] = std::from_chars(text.data() + at, text.data() + at + count, value);
  return error == std::errc() && end == text.data() + at + count ? value : -1;
}

// An ISO 8601 date-time with a zone ("2024-05-01T10:00:00Z", "...+02:00", fractions allowed) as
// MySQL's zone-less DATETIME text in UTC; anything else unchanged (the server judges it).
std::string MysqlDatetime(std::string_view text) {
  if (text.size() < 19 || (text[10] != 'T' && text[10] != ' ')) return std::string(text);
  size_t end = 19;
  if (end < text.size() && text[end] == '.') {
    ++end;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  }
  std::string_view fraction = text.substr(19, end - 19);
  std::string_view zone = text.substr(end);
  int offset_minutes = 0;
  if (zone == "Z" || zone == "z") {
    offset_minutes = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' &&
             Digits(zone, 1, 2) >= 0 && Digits(zone, 4, 2) >= 0) {
    offset_minutes = (Digits(zone, 1, 2) * 60 + Digits(zone, 4, 2)) * (zone[0] == '-' ? -1 : 1);
  } else {
    if (!zone.empty()) return std::string(text);
    std::string out(text);
    out[10] = ' ';
    return out;
  }
  std::tm tm{};
  tm.tm_year = Digits(text, 0, 4) - 1900;
  tm.tm_mon = Digits(text, 5, 2) - 1;
  tm.tm_mday = Digits(text, 8, 2);
  tm.tm_hour = Digits(text, 11, 2);
  tm.tm_min = Digits(text, 14, 2);
  tm.tm_sec = Digits(text, 17, 2);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mday < 0 || tm.tm_hour < 0 || tm.tm_min < 0 ||
      tm.tm_sec < 0 || text[4] != '-' || text[7] != '-' || text[13] != ':' || text[16] != ':') {
    return std::string(text);
  }
  std::time_t seconds = timegm(&tm) - static_cast<std::time_t>(offset_minutes) * 60;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}{}", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, fraction);
}

// A payload value as the text of a parameter for a column of the field's type.
std::optional<std::string> FieldText(SqlDialect dialect, const json::value& value,
                                     const SqlField& field) {
  if (value.is_null()) return std::nullopt;
  if (field.type == "json") return json::serialize(value);
  if (value.is_string()) {
    if (IsMysql(dialect) && field.type == "datetime") return MysqlDatetime(value.get_string());
    return std::string(value.get_string());
  }
  if (value.is_bool()) {
    if (IsMysql(dialect)) return value.get_bool() ? "1" : "0";  // BOOLEAN is TINYINT(1)
    return value.get_bool() ? "true" : "false";
  }
  return json::serialize(value);
}

}  // namespace

bool IsSqlIdentifier(SqlDialect dialect, std::string_view name) {
  return name.size() <= (IsMysql(dialect) ? 64u : 63u) && IsIdentifier(name);
}

std::string QuoteSqlIdentifier(SqlDialect dialect, std::string_view name) {
  const char quote = IsMysql(dialect) ? '`' : '"';
  std::string out(1, quote);
  for (char c : name) {
    if (c == quote) out += quote;
    out += c;
  }
  out += quote;
  return out;
}

std::optional<SqlTableOptions> ParseSqlTableOptions(SqlDialect dialect, const json::object& config,
                                                    const std::string& path, ConfigErrors& errors) {
  ObjectReader reader(config, path, errors);
  const size_t before = errors.size();
  SqlTableOptions options;
  options.dialect = dialect;
  options.table = reader.StringOr("table", "webhook_events");
  std::string mode = reader.StringOr("storage_mode", "json");
  options.upsert = reader.Bool("upsert", false);
  bool has_upsert_key = reader.Has("upsert_key");
  options.upsert_key = reader.StringOr("upsert_key", "id");
  options.include_headers = reader.Bool("include_headers", true);
  reader.Bool("include_timestamp", true);  // accepted like the Python project; json rows have it
  const json::object* schema = reader.Object("schema");
  reader.RejectUnknownKeys(fmt::format("{} module-config", ModuleName(dialect)));

  const int max_length = IsMysql(dialect) ? 64 : 63;
  if (!IsSqlIdentifier(dialect, options.table)) {
    errors.Add(reader.PathOf("table"), fmt::format("\"{}\" must match ^[a-zA-Z_][a-zA-Z0-9_]*$ and "
                                                   "have at most {} characters",
                                                   options.table, max_length));
  }
  if (mode == "json")
    options.mode = SqlStorageMode::kJson;
  else if (mode == "relational")
    options.mode = SqlStorageMode::kRelational;
  else if (mode == "hybrid")
    options.mode = SqlStorageMode::kHybrid;
  else {
    errors.Add(reader.PathOf("storage_mode"),
               fmt::format("must be \"json\", \"relational\" or \"hybrid\", got \"{}\"", mode));
  }

  std::string schema_path = reader.PathOf("schema");
  const json::object* fields = nullptr;
  const json::object* indexes = nullptr;
  if (schema != nullptr) {
    ObjectReader schema_reader(*schema, schema_path, errors);
    fields = schema_reader.Object("fields");
    indexes = schema_reader.Object("indexes");
    schema_reader.RejectUnknownKeys("schema");
  }
  std::string fields_path = JoinPath(schema_path, "fields");
  std::vector<std::optional<json::value>> defaults;
  if (fields != nullptr) {
    for (const auto& member : *fields) {
      SqlField field;
      std::optional<json::value> fallback;
      ParseField(dialect, std::string(member.key()), member.value(),
                 JoinPath(fields_path, member.key()), field, fallback, errors);
      options.fields.push_back(std::move(field));
      defaults.push_back(std::move(fallback));
    }
  }
  if (options.mode == SqlStorageMode::kJson && !options.fields.empty()) {
    errors.Warn(schema_path, "storage_mode \"json\" stores the whole payload; schema is unused");
    options.fields.clear();
    defaults.clear();
  }
  if (options.mode == SqlStorageMode::kRelational && options.fields.empty()) {
    errors.Add(fields_path, "storage_mode \"relational\" needs at least one schema field");
  }

  // Column names must be unique and must not collide with the module's own columns.
  std::set<std::string> columns;
  for (auto column : BuiltInColumns(options.mode)) columns.emplace(column);
  size_t primary_keys = 0;
  for (const auto& field : options.fields) {
    if (!columns.insert(field.column).second) {
      errors.Add(JoinPath(fields_path, field.name),
                 fmt::format("column \"{}\" is used twice (the module's own columns are: {})",
                             field.column, fmt::join(BuiltInColumns(options.mode), ", ")));
    }
    if (field.primary_key) ++primary_keys;
  }
  if (primary_keys > 1) errors.Add(fields_path, "only one field may be the PRIMARY KEY");

  std::set<std::string> indexed;
  if (indexes != nullptr) {
    std::string indexes_path = JoinPath(schema_path, "indexes");
    for (const auto& member : *indexes) {
      std::string index_path = JoinPath(indexes_path, member.key());
      SqlIndex index;
      index.name = std::string(member.key());
      if (!IsSqlIdentifier(dialect, index.name)) {
        errors.Add(index_path, fmt::format("index name must match ^[a-zA-Z_][a-zA-Z0-9_]*$ (at "
                                           "most {})",
                                           max_length));
      }
      if (!member.value().is_object()) {
        errors.Add(index_path, "must be an object");
        continue;
      }
      ObjectReader index_reader(member.value().get_object(), index_path, errors);
      auto list = index_reader.StringList("columns");
      index.unique = index_reader.Bool("unique", false);
      index_reader.RejectUnknownKeys("index");
      if (!list || list->empty()) {
        errors.Add(index_reader.PathOf("columns"), "must list at least one column");
      } else {
        for (const auto& column : *list) {
          if (!columns.contains(column)) {
            errors.Add(index_reader.PathOf("columns"),
                       fmt::format("\"{}\" is not a column of the table", column));
          }
          indexed.insert(column);
        }
        index.columns = *list;
      }
      options.indexes.push_back(std::move(index));
    }
  }
  for (size_t i = 0; i < options.fields.size(); ++i) {
    SqlField& field = options.fields[i];
    bool keyed = field.unique || field.primary_key || indexed.contains(field.column);
    field.sql_type = SqlType(dialect, field.type, keyed);
    if (defaults[i]) field.default_sql = DefaultSql(dialect, *defaults[i], field.sql_type);
  }

  if (options.upsert && options.mode != SqlStorageMode::kJson) {
    for (size_t i = 0; i < options.fields.size(); ++i) {
      if (options.fields[i].name == options.upsert_key ||
          options.fields[i].column == options.upsert_key) {
        options.upsert_field = i;
      }
    }
    if (!options.upsert_field) {
      errors.Add(reader.PathOf("upsert_key"),
                 fmt::format("\"{}\" is not a schema field; upsert needs the field whose value "
                             "identifies a row",
                             options.upsert_key));
    } else if (const auto& field = options.fields[*options.upsert_field];
               !field.unique && !field.primary_key) {
      errors.Add(reader.PathOf("upsert_key"),
                 fmt::format("field \"{}\" needs the constraint UNIQUE or PRIMARY KEY to be an "
                             "upsert key",
                             field.name));
    }
  } else if (options.upsert && has_upsert_key) {
    errors.Warn(reader.PathOf("upsert_key"),
                "storage_mode \"json\" upserts on the delivery id; upsert_key is unused");
  }
  if (errors.size() != before) return std::nullopt;
  return options;
}

std::vector<std::string> BuildSqlCreateStatements(const SqlTableOptions& options) {
  const SqlDialect dialect = options.dialect;
  const bool mysql = IsMysql(dialect);
  auto quote = [dialect](std::string_view name) { return QuoteSqlIdentifier(dialect, name); };
  const std::string table = quote(options.table);
  bool field_is_primary_key = false;
  for (const auto& field : options.fields) field_is_primary_key |= field.primary_key;

  const std::string id_type = mysql ? "CHAR(36)" : "UUID";
  const std::string new_id = mysql ? "(UUID())" : "gen_random_uuid()";
  const std::string time_type = mysql ? "DATETIME(6)" : "TIMESTAMPTZ";
  const std::string now = NowSql(dialect, time_type);
  const std::string json_type = mysql ? "JSON" : "JSONB";
  std::vector<std::string> columns;
  columns.push_back(fmt::format("{} {} {} DEFAULT {}", quote("id"), id_type,
                                field_is_primary_key ? "NOT NULL" : "PRIMARY KEY", new_id));
  // Keyed columns are VARCHAR in MySQL (it cannot index TEXT without a prefix length).
  columns.push_back(quote("webhook_id") + (mysql ? " VARCHAR(255) NOT NULL" : " TEXT NOT NULL"));
  columns.push_back(quote("delivery_id") + (mysql ? " VARCHAR(64)" : " TEXT"));
  if (options.mode == SqlStorageMode::kJson) {
    columns.push_back(fmt::format("{} {} DEFAULT {}", quote("timestamp"), time_type, now));
  }
  if (options.mode != SqlStorageMode::kRelational) {
    columns.push_back(fmt::format("{} {} NOT NULL", quote("payload"), json_type));
    if (options.mode == SqlStorageMode::kJson || options.include_headers) {
      columns.push_back(fmt::format("{} {}", quote("headers"), json_type));
    }
  }
  for (const auto& field : options.fields) {
    std::string column = quote(field.column) + " " + field.sql_type;
    if (field.not_null) column += " NOT NULL";
    if (field.unique) column += " UNIQUE";
    if (field.primary_key) column += " PRIMARY KEY";
    if (field.default_sql) column += " DEFAULT " + *field.default_sql;
    columns.push_back(std::move(column));
  }
  columns.push_back(fmt::format("{} {} DEFAULT {}", quote("created_at"), time_type, now));

  std::vector<std::string> statements;
  statements.push_back(
      fmt::format("CREATE TABLE IF NOT EXISTS {} ({})", table, fmt::join(columns, ", ")));
  if (options.upsert && options.mode == SqlStorageMode::kJson) {
    // A unique index rather than a column constraint, so that a table created earlier without
    // upsert gets it too. (CREATE INDEX IF NOT EXISTS is MariaDB's, not MySQL 8's.)
    statements.push_back(fmt::format("CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} ({})",
                                     quote(options.table + "_delivery_id_key"), table,
                                     quote("delivery_id")));
    if (!mysql) {
      statements.push_back(
          fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} USING GIN (\"payload\")",
                      quote(options.table + "_payload_gin"), table));
    }
  }
  for (const auto& index : options.indexes) {
    std::vector<std::string> quoted;
    for (const auto& column : index.columns) quoted.push_back(quote(column));
    statements.push_back(fmt::format("CREATE {}INDEX IF NOT EXISTS {} ON {} ({})",
                                     index.unique ? "UNIQUE " : "", quote(index.name), table,
                                     fmt::join(quoted, ", ")));
  }
  return statements;
}

SqlStatement BuildSqlInsert(const SqlTableOptions& options, const Delivery& delivery) {
  const SqlDialect dialect = options.dialect;
  auto quote = [dialect](std::string_view name) { return QuoteSqlIdentifier(dialect, name); };
  SqlStatement statement;
  std::vector<std::string> columns;
  auto add = [&](std::string_view column, std::optional<std::string> value) {
    columns.push_back(quote(column));
    statement.params.push_back(std::move(value));
  };
  add("webhook_id", delivery.webhook_id);
  add("delivery_id", delivery.id);
  if (options.mode == SqlStorageMode::kJson)
    add("timestamp", Timestamp(dialect, delivery.received_at));
  if (options.mode != SqlStorageMode::kRelational) {
    add("payload", PayloadJson(delivery));
    if (options.include_headers) add("headers", HeadersJson(delivery));
  }
  const json::object* payload = delivery.payload.if_object();
  for (const auto& field : options.fields) {
    const json::value* value = payload != nullptr ? payload->if_contains(field.name) : nullptr;
    // A missing key leaves the column to its DEFAULT; without one it is NULL.
    if (value == nullptr && field.default_sql) continue;
    add(field.column, value != nullptr ? FieldText(dialect, *value, field) : std::nullopt);
  }

  std::vector<std::string> placeholders;
  for (size_t i = 1; i <= columns.size(); ++i) {
    placeholders.push_back(IsMysql(dialect) ? std::string("?") : fmt::format("${}", i));
  }
  statement.sql = fmt::format("INSERT INTO {} ({}) VALUES ({})", quote(options.table),
                              fmt::join(columns, ", "), fmt::join(placeholders, ", "));
  if (!options.upsert) return statement;
  if (options.mode == SqlStorageMode::kJson) {
    // The delivery id is the key: a delivery retried after its row was written (say, the reply
    // was lost with the connection) does not add a second row.
    statement.sql += IsMysql(dialect)
                         ? fmt::format(" ON DUPLICATE KEY UPDATE {0} = {0}", quote("delivery_id"))
                         : std::string(" ON CONFLICT (\"delivery_id\") DO NOTHING");
    return statement;
  }
  const std::string key = quote(options.fields[*options.upsert_field].column);
  std::vector<std::string> updates;
  for (const auto& column : columns) {
    if (column == key) continue;
    updates.push_back(IsMysql(dialect) ? fmt::format("{0} = VALUES({0})", column)
                                       : fmt::format("{0} = EXCLUDED.{0}", column));
  }
  statement.sql +=
      IsMysql(dialect)
          ? fmt::format(" ON DUPLICATE KEY UPDATE {}", fmt::join(updates, ", "))
          : fmt::format(" ON CONFLICT ({}) DO UPDATE SET {}", key, fmt::join(updates, ", "));
  return statement;
}

}  // namespace wg
