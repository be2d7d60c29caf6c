// `clickhouse`: one row per webhook in a ClickHouse table (created on first use with
// CREATE TABLE IF NOT EXISTS), through the shared client of a `clickhouse` connection, which
// speaks ClickHouse's HTTP interface (connections/clickhouse/clickhouse_client.hpp). Unlike the
// Python project, a failed insert is never reported as delivered.
#pragma once

#include <memory>

#include "modules/module.hpp"

namespace wg {

std::unique_ptr<Module> CreateClickhouseModule(const ModuleSettings& settings,
                                               const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
