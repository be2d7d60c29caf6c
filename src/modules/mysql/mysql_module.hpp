// `mysql` (alias `mariadb`): one row per webhook in a MySQL / MariaDB table, in the storage modes
// of the `postgresql` module (json, relational, hybrid; upsert), sql_table.hpp.
#pragma once

#include <memory>

#include "modules/module.hpp"

namespace wg {

std::unique_ptr<Module> CreateMysqlModule(const ModuleSettings& settings,
                                          const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
