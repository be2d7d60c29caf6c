// What the `clickhouse` module writes: its module-config, the table's CREATE statement and the
// one JSONEachRow row per delivery. Pure functions, unit-tested.
//
// The table has the Python project's schema (id, webhook_id, timestamp, payload, headers,
// created_at). Every column is sent, because ClickHouse 18.16 does not apply DEFAULT expressions
// to columns a JSONEachRow insert leaves out.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "config/json_reader.hpp"
#include "modules/module.hpp"

namespace wg {

struct ClickhouseTableOptions {
  std::string table = "webhook_logs";
  // The Python project's code default (its docs say false): kept true for compatibility.
  bool include_headers = true;
  std::string engine = "MergeTree";
};

// [A-Za-z0-9_]+, at most 255 bytes. Names are always backquoted in SQL, so words like
// `webhook_updates` are fine (the Python project rejected any name containing "update").
bool IsClickhouseTableName(std::string_view name);

// Reads `table`, `include_headers`, `engine` (MergeTree, Log, StripeLog or TinyLog); accepts
// `include_timestamp` (the Python project ignores it too) with a warning.
std::optional<ClickhouseTableOptions> ParseClickhouseTableOptions(const boost::json::object& config,
                                                                  const std::string& path,
                                                                  ConfigErrors& errors);

// CREATE TABLE IF NOT EXISTS `<table>` (...) ENGINE = ...
std::string BuildClickhouseCreateTable(const ClickhouseTableOptions& options);

// INSERT INTO `<table>` FORMAT JSONEachRow
std::string BuildClickhouseInsert(const ClickhouseTableOptions& options);

// One JSONEachRow line (with its '\n'): id = the delivery id (the same on every attempt, so a
// reader can drop duplicates), timestamp = when the webhook arrived, created_at = `now`, both as
// Unix seconds (no time zone involved); payload = the payload's JSON, or a blob's bytes exactly
// as received (a ClickHouse String holds any bytes); headers = {name: value} JSON (repeated
// headers joined with ", ") or "{}" without include_headers.
std::string BuildClickhouseRow(const ClickhouseTableOptions& options, const Delivery& delivery,
                               std::chrono::system_clock::time_point now);

// `text` as a JSON string literal, bytes >= 0x80 passed through unchanged (not UTF-8 checked).
std::string ClickhouseJsonString(std::string_view text);

}  // namespace wg
