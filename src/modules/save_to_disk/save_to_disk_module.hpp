// `save_to_disk`: one file per webhook in `base_dir`/`path`, written to a temporary name and
// renamed, so a reader never sees half a file. JSON payloads are written as JSON (not Python
// repr); with `include_headers` the file is {"payload": ..., "headers": {...}}.
#pragma once

#include <memory>

#include "modules/module.hpp"

namespace wg {

std::unique_ptr<Module> CreateSaveToDiskModule(const ModuleSettings& settings,
                                               const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
