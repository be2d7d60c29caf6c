// The one explicit list of modules. Adding a destination means adding a line in registry.cpp.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "config/json_reader.hpp"
#include "modules/module.hpp"

namespace wg {

// Parses and validates the module's settings (reporting every error with its JSON path) and
// builds the module; returns null when the settings are invalid.
using ModuleFactory = std::unique_ptr<Module> (*)(const ModuleSettings&, const ModuleContext&,
                                                  ConfigErrors&);

struct ModuleEntry {
  std::string_view name;
  ModuleFactory create;
  // Connection types the module can use, comma-separated; empty when it needs none. A chain item
  // without a `connection` gets the only connection of such a type, if there is exactly one.
  std::string_view connection_types = {};

  bool AcceptsConnectionType(std::string_view type) const;
};

const ModuleEntry* FindModule(std::string_view name);
std::string KnownModuleNames();  // "http_webhook, log, save_to_disk"

// Modules of the Python project that this build does not have yet: named in the error message so
// users see the difference between a typo and a missing feature.
bool IsPlannedModule(std::string_view name);

}  // namespace wg
