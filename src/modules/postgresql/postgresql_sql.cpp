#include "modules/postgresql/postgresql_sql.hpp"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <set>

#include "config/names.hpp"

namespace wg {
namespace json = boost::json;

namespace {

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> SqlType(std::string_view type) {
  std::string t = Upper(type);
  if (t == "STRING" || t == "TEXT") return "TEXT";
  if (t == "INTEGER" || t == "INT") return "BIGINT";
  if (t == "FLOAT" || t == "NUMBER") return "DOUBLE PRECISION";
  if (t == "BOOLEAN" || t == "BOOL") return "BOOLEAN";
  if (t == "DATETIME" || t == "TIMESTAMP") return "TIMESTAMP WITH TIME ZONE";
  if (t == "JSON") return "JSONB";
  if (t == "DATE") return "DATE";
  if (t == "TIME") return "TIME";
  return std::nullopt;
}

// A string constant for DDL (defaults come from the config, never from webhooks). The E'' form
// with doubled backslashes means the same whatever standard_conforming_strings says.
std::string QuoteLiteral(std::string_view text) {
  std::string out = "E'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  out += '\'';
  return out;
}

// Reads "NOT NULL", "UNIQUE", "PRIMARY KEY" (one string holding several, or a list of them).
bool ParseConstraints(std::string_view text, PostgresqlField& field) {
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

std::optional<std::string> DefaultSql(const json::value& value) {
  if (value.is_string()) {
    std::string upper = Upper(value.get_string());
    if (upper == "CURRENT_TIMESTAMP" || upper == "NOW()" || upper == "NOW") return "now()";
    return QuoteLiteral(value.get_string());
  }
  if (value.is_bool()) return value.get_bool() ? "TRUE" : "FALSE";
  if (value.is_null()) return "NULL";
  if (value.is_number()) return QuoteLiteral(json::serialize(value));
  return QuoteLiteral(json::serialize(value));
}

// Columns the module itself creates in each storage mode.
std::vector<std::string_view> BuiltInColumns(PostgresqlStorageMode mode) {
  switch (mode) {
    case PostgresqlStorageMode::kJson:
      return {"id", "webhook_id", "delivery_id", "timestamp", "payload", "headers", "created_at"};
    case PostgresqlStorageMode::kRelational:
      return {"id", "webhook_id", "delivery_id", "created_at"};
    case PostgresqlStorageMode::kHybrid:
      return {"id", "webhook_id", "delivery_id", "payload", "headers", "created_at"};
  }
  return {};
}

void ParseField(const std::string& name, const json::value& value, const std::string& path,
                PostgresqlField& field, ConfigErrors& errors) {
  field.name = name;
  field.column = name;
  field.sql_type = "TEXT";
  if (!value.is_object()) {
    errors.Add(path, fmt::format("must be an object, got {}", JsonKindName(value)));
    return;
  }
  ObjectReader reader(value.get_object(), path, errors);
  field.column = reader.StringOr("column", name);
  std::string type = reader.StringOr("type", "string");
  if (auto sql_type = SqlType(type)) {
    field.sql_type = *sql_type;
  } else {
    errors.Add(reader.PathOf("type"),
               fmt::format("unknown type \"{}\"; known: string, text, integer, int, float, number, "
                           "boolean, bool, datetime, timestamp, json, date, time", type));
  }
  if (const json::value* constraints = reader.Get("constraints")) {
    std::vector<std::string> texts;
    if (constraints->is_string()) {
      texts.emplace_back(constraints->get_string());
    } else if (constraints->is_array()) {
      for (const auto& item : constraints->get_array()) {
        if (item.is_string()) texts.emplace_back(item.get_string());
        else texts.emplace_back();  // reported below
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
  if (const json::value* fallback = reader.Get("default")) field.default_sql = DefaultSql(*fallback);
  reader.Allow({"description"});
  reader.RejectUnknownKeys("schema field");
  if (!IsPostgresqlIdentifier(field.column)) {
    errors.Add(value.get_object().contains("column") ? reader.PathOf("column") : path,
               fmt::format("column name \"{}\" must match ^[a-zA-Z_][a-zA-Z0-9_]*$ and have at most "
                           "63 characters", field.column));
  }
}

std::string Timestamp(std::chrono::system_clock::time_point time) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, micros % 1000000);
}

std::string PayloadJson(const Delivery& delivery) {
  // A blob has no parsed payload: keep its bytes as a JSON string rather than lose them.
  if (delivery.payload.is_null() && !delivery.body.empty() && delivery.data_type == DataType::kBlob) {
    return json::serialize(json::string(delivery.body));
  }
  return json::serialize(delivery.payload);
}

std::string HeadersJson(const Delivery& delivery) {
  json::object headers;
  for (const auto& header : delivery.headers) headers[header.name] = header.value;
  return json::serialize(headers);
}

// A payload value as the text of a parameter for a column of the given type.
std::optional<std::string> FieldText(const json::value& value, const std::string& sql_type) {
  if (value.is_null()) return std::nullopt;
  if (sql_type == "JSONB") return json::serialize(value);
  if (value.is_string()) return std::string(value.get_string());
  if (value.is_bool()) return value.get_bool() ? "true" : "false";
  return json::serialize(value);
}

}  // namespace

bool IsPostgresqlIdentifier(std::string_view name) {
  return name.size() <= 63 && IsIdentifier(name);
}

std::string QuotePostgresqlIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::optional<PostgresqlTableOptions> ParsePostgresqlTableOptions(const json::object& config,
                                                                  const std::string& path,
                                                                  ConfigErrors& errors) {
  ObjectReader reader(config, path, errors);
  const size_t before = errors.size();
  PostgresqlTableOptions options;
  options.table = reader.StringOr("table", "webhook_events");
  std::string mode = reader.StringOr("storage_mode", "json");
  options.upsert = reader.Bool("upsert", false);
  bool has_upsert_key = reader.Has("upsert_key");
  options.upsert_key = reader.StringOr("upsert_key", "id");
  options.include_headers = reader.Bool("include_headers", true);
  reader.Bool("include_timestamp", true);  // accepted like the Python project; json rows have it
  const json::object* schema = reader.Object("schema");
  reader.RejectUnknownKeys("postgresql module-config");

  if (!IsPostgresqlIdentifier(options.table)) {
    errors.Add(reader.PathOf("table"), fmt::format("\"{}\" must match ^[a-zA-Z_][a-zA-Z0-9_]*$ and "
                                                   "have at most 63 characters", options.table));
  }
  if (mode == "json") options.mode = PostgresqlStorageMode::kJson;
  else if (mode == "relational") options.mode = PostgresqlStorageMode::kRelational;
  else if (mode == "hybrid") options.mode = PostgresqlStorageMode::kHybrid;
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
  if (fields != nullptr) {
    for (const auto& member : *fields) {
      PostgresqlField field;
      ParseField(std::string(member.key()), member.value(), JoinPath(fields_path, member.key()),
                 field, errors);
      options.fields.push_back(std::move(field));
    }
  }
  if (options.mode == PostgresqlStorageMode::kJson && !options.fields.empty()) {
    errors.Warn(schema_path, "storage_mode \"json\" stores the whole payload; schema is unused");
    options.fields.clear();
  }
  if (options.mode == PostgresqlStorageMode::kRelational && options.fields.empty()) {
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

  if (indexes != nullptr) {
    std::string indexes_path = JoinPath(schema_path, "indexes");
    for (const auto& member : *indexes) {
      std::string index_path = JoinPath(indexes_path, member.key());
      PostgresqlIndex index;
      index.name = std::string(member.key());
      if (!IsPostgresqlIdentifier(index.name)) {
        errors.Add(index_path, "index name must match ^[a-zA-Z_][a-zA-Z0-9_]*$ (at most 63)");
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
        }
        index.columns = *list;
      }
      options.indexes.push_back(std::move(index));
    }
  }

  if (options.upsert && options.mode != PostgresqlStorageMode::kJson) {
    for (size_t i = 0; i < options.fields.size(); ++i) {
      if (options.fields[i].name == options.upsert_key ||
          options.fields[i].column == options.upsert_key) {
        options.upsert_field = i;
      }
    }
    if (!options.upsert_field) {
      errors.Add(reader.PathOf("upsert_key"),
                 fmt::format("\"{}\" is not a schema field; upsert needs the field whose value "
                             "identifies a row", options.upsert_key));
    } else if (const auto& field = options.fields[*options.upsert_field];
               !field.unique && !field.primary_key) {
      errors.Add(reader.PathOf("upsert_key"),
                 fmt::format("field \"{}\" needs the constraint UNIQUE or PRIMARY KEY to be an "
                             "upsert key", field.name));
    }
  } else if (options.upsert && has_upsert_key) {
    errors.Warn(reader.PathOf("upsert_key"),
                "storage_mode \"json\" upserts on the delivery id; upsert_key is unused");
  }
  if (errors.size() != before) return std::nullopt;
  return options;
}

std::vector<std::string> BuildPostgresqlCreateStatements(const PostgresqlTableOptions& options) {
  const std::string table = QuotePostgresqlIdentifier(options.table);
  bool field_is_primary_key = false;
  for (const auto& field : options.fields) field_is_primary_key |= field.primary_key;

  std::vector<std::string> columns;
  columns.push_back(field_is_primary_key ? "\"id\" UUID NOT NULL DEFAULT gen_random_uuid()"
                                         : "\"id\" UUID PRIMARY KEY DEFAULT gen_random_uuid()");
  columns.push_back("\"webhook_id\" TEXT NOT NULL");
  columns.push_back("\"delivery_id\" TEXT");
  if (options.mode == PostgresqlStorageMode::kJson) {
    columns.push_back("\"timestamp\" TIMESTAMPTZ DEFAULT now()");
  }
  if (options.mode != PostgresqlStorageMode::kRelational) {
    columns.push_back("\"payload\" JSONB NOT NULL");
    if (options.mode == PostgresqlStorageMode::kJson || options.include_headers) {
      columns.push_back("\"headers\" JSONB");
    }
  }
  for (const auto& field : options.fields) {
    std::string column = QuotePostgresqlIdentifier(field.column) + " " + field.sql_type;
    if (field.not_null) column += " NOT NULL";
    if (field.unique) column += " UNIQUE";
    if (field.primary_key) column += " PRIMARY KEY";
    if (field.default_sql) column += " DEFAULT " + *field.default_sql;
    columns.push_back(std::move(column));
  }
  columns.push_back("\"created_at\" TIMESTAMPTZ DEFAULT now()");

  std::vector<std::string> statements;
  statements.push_back(fmt::format("CREATE TABLE IF NOT EXISTS {} ({})", table,
                                   fmt::join(columns, ", ")));
  if (options.upsert && options.mode == PostgresqlStorageMode::kJson) {
    // A unique index rather than a column constraint, so that a table created earlier without
    // upsert gets it too.
    statements.push_back(fmt::format("CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} (\"delivery_id\")",
                                     QuotePostgresqlIdentifier(options.table + "_delivery_id_key"),
                                     table));
    statements.push_back(fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} USING GIN (\"payload\")",
                                     QuotePostgresqlIdentifier(options.table + "_payload_gin"),
                                     table));
  }
  for (const auto& index : options.indexes) {
    std::vector<std::string> quoted;
    for (const auto& column : index.columns) quoted.push_back(QuotePostgresqlIdentifier(column));
    statements.push_back(fmt::format("CREATE {}INDEX IF NOT EXISTS {} ON {} ({})",
                                     index.unique ? "UNIQUE " : "",
                                     QuotePostgresqlIdentifier(index.name), table,
                                     fmt::join(quoted, ", ")));
  }
  return statements;
}

PostgresqlStatement BuildPostgresqlInsert(const PostgresqlTableOptions& options,
                                          const Delivery& delivery) {
  PostgresqlStatement statement;
  std::vector<std::string> columns;
  auto add = [&](std::string_view column, std::optional<std::string> value) {
    columns.push_back(QuotePostgresqlIdentifier(column));
    statement.params.push_back(std::move(value));
  };
  add("webhook_id", delivery.webhook_id);
  add("delivery_id", delivery.id);
  if (options.mode == PostgresqlStorageMode::kJson) {
    add("timestamp", Timestamp(delivery.received_at));
  }
  if (options.mode != PostgresqlStorageMode::kRelational) {
    add("payload", PayloadJson(delivery));
    if (options.include_headers) add("headers", HeadersJson(delivery));
  }
  const json::object* payload = delivery.payload.if_object();
  for (const auto& field : options.fields) {
    const json::value* value = payload != nullptr ? payload->if_contains(field.name) : nullptr;
    // A missing key leaves the column to its DEFAULT; without one it is NULL.
    if (value == nullptr && field.default_sql) continue;
    add(field.column, value != nullptr ? FieldText(*value, field.sql_type) : std::nullopt);
  }

  std::vector<std::string> placeholders;
  for (size_t i = 1; i <= columns.size(); ++i) placeholders.push_back(fmt::format("${}", i));
  statement.sql = fmt::format("INSERT INTO {} ({}) VALUES ({})",
                              QuotePostgresqlIdentifier(options.table), fmt::join(columns, ", "),
                              fmt::join(placeholders, ", "));
  if (!options.upsert) return statement;
  if (options.mode == PostgresqlStorageMode::kJson) {
    // The delivery id is the key: a delivery retried after its row was written (say, the reply
    // was lost with the connection) does not add a second row.
    statement.sql += " ON CONFLICT (\"delivery_id\") DO NOTHING";
    return statement;
  }
  const std::string key = QuotePostgresqlIdentifier(options.fields[*options.upsert_field].column);
  std::vector<std::string> updates;
  for (const auto& column : columns) {
    if (column != key) updates.push_back(fmt::format("{0} = EXCLUDED.{0}", column));
  }
  statement.sql += fmt::format(" ON CONFLICT ({}) DO UPDATE SET {}", key, fmt::join(updates, ", "));
  return statement;
}

}  // namespace wg
