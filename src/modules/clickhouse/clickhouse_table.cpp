#include "modules/clickhouse/clickhouse_table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

namespace wg {
namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 4> kEngines = {"MergeTree", "Log", "StripeLog", "TinyLog"};

int64_t UnixSeconds(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

std::string PayloadText(const Delivery& delivery) {
  if (delivery.data_type == DataType::kBlob) return delivery.body;
  return json::serialize(delivery.payload);
}

std::string HeadersText(const Delivery& delivery) {
  json::object headers;
  for (const auto& header : delivery.headers) {
    auto* existing = headers.if_contains(header.name);
    if (existing != nullptr && existing->is_string()) {
      existing->get_string() =
          json::string(std::string(existing->get_string()) + ", " + header.value);
    } else {
      headers[header.name] = header.value;
    }
  }
  return json::serialize(headers);
}

}  // namespace

bool IsClickhouseTableName(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::optional<ClickhouseTableOptions> ParseClickhouseTableOptions(const json::object& config,
                                                                  const std::string& path,
                                                                  ConfigErrors& errors) {
  ObjectReader reader(config, path, errors);
  const size_t before = errors.size();
  ClickhouseTableOptions options;
  options.table = reader.StringOr("table", options.table);
  options.include_headers = reader.Bool("include_headers", true);
  options.engine = reader.StringOr("engine", options.engine);
  if (reader.Has("include_timestamp")) {
    reader.Get("include_timestamp");
    errors.Warn(reader.PathOf("include_timestamp"),
                "ignored: the timestamp column is always written");
  }
  reader.RejectUnknownKeys("clickhouse module-config");

  if (!IsClickhouseTableName(options.table)) {
    errors.Add(reader.PathOf("table"),
               fmt::format("\"{}\" is not a table name: use 1 to 255 letters, digits and '_'",
                           options.table));
  }
  if (std::find(kEngines.begin(), kEngines.end(), options.engine) == kEngines.end()) {
    errors.Add(reader.PathOf("engine"), fmt::format("\"{}\" is not supported: use {}",
                                                    options.engine, fmt::join(kEngines, ", ")));
  }
  if (errors.size() != before) return std::nullopt;
  return options;
}

std::string BuildClickhouseCreateTable(const ClickhouseTableOptions& options) {
  std::string sql = fmt::format(
      "CREATE TABLE IF NOT EXISTS `{}` (id String, webhook_id String, timestamp DateTime, "
      "payload String, headers String, created_at DateTime DEFAULT now()) ENGINE = ",
      options.table);
  if (options.engine == "MergeTree") {
    sql += "MergeTree() PARTITION BY toYYYYMM(timestamp) ORDER BY (webhook_id, timestamp)";
  } else {
    sql += options.engine;
  }
  return sql;
}

std::string BuildClickhouseInsert(const ClickhouseTableOptions& options) {
  return fmt::format("INSERT INTO `{}` FORMAT JSONEachRow", options.table);
}

std::string BuildClickhouseRow(const ClickhouseTableOptions& options, const Delivery& delivery,
                               std::chrono::system_clock::time_point now) {
  return fmt::format(
      "{{\"id\":{},\"webhook_id\":{},\"timestamp\":{},\"payload\":{},\"headers\":{},"
      "\"created_at\":{}}}\n",
      ClickhouseJsonString(delivery.id), ClickhouseJsonString(delivery.webhook_id),
      UnixSeconds(delivery.received_at), ClickhouseJsonString(PayloadText(delivery)),
      ClickhouseJsonString(options.include_headers ? HeadersText(delivery) : "{}"),
      UnixSeconds(now));
}

std::string ClickhouseJsonString(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace wg
