// `postgresql` (alias `postgres`): writes each webhook as a row of a PostgreSQL table, in one of
// three storage modes: json (the payload as JSONB), relational (one column per schema field) or
// hybrid (both). The table is created on first use; rows go through a shared libpq client.
#pragma once

#include <memory>

#include "modules/module.hpp"

namespace wg {

std::unique_ptr<Module> CreatePostgresqlModule(const ModuleSettings& settings,
                                               const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
