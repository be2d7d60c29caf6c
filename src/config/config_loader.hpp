// Loads webhooks.json + connections.json into one immutable snapshot: read, substitute {$VAR},
// parse, validate, build modules. Either everything is valid, or every error is returned.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/env_substitution.hpp"
#include "config/etcd_source.hpp"
#include "config/json_reader.hpp"
#include "config/webhook_config.hpp"
#include "connections/connection_registry.hpp"

namespace wg {

struct ConfigSources {
  std::string webhooks_path = "webhooks.json";
  bool webhooks_path_explicit = false;  // given by flag or variable: a missing file is an error
  std::string connections_path = "connections.json";
  bool connections_path_explicit = false;
  std::optional<EtcdSettings> etcd;  // CONFIG_BACKEND=etcd: read from etcd, not from the files
};

struct GatewayConfig {
  WebhookMap webhooks;
  ConnectionMap connections;
  std::shared_ptr<ConnectionRegistry> connection_registry;
  bool default_webhook_synthesised = false;
  // From etcd: webhooks of other namespaces than `default_namespace` are kept as "<ns>/<id>".
  bool namespaced = false;
  std::string default_namespace;
  int64_t etcd_revision = 0;  // of the snapshot this config was built from

  // Exact id, else the webhook named "default", else null. `ns` (from /webhook/<ns>/<id>) only
  // counts for a config from etcd; the file backend ignores it, as the Python project does.
  std::shared_ptr<const WebhookDefinition> Find(std::string_view id,
                                                std::string_view ns = {}) const;
};

struct LoadResult {
  std::shared_ptr<const GatewayConfig> config;  // null when there are errors
  std::vector<ConfigError> errors;
  std::vector<ConfigError> warnings;
};

// `previous`: the running config, on a reload; its connections that did not change are kept.
LoadResult LoadConfig(const ConfigSources& sources, const EnvLookup& lookup,
                      const ModuleContext& context, const GatewayConfig* previous = nullptr);

// Same, from in-memory documents (nullopt = file absent); used by tests.
LoadResult LoadConfigFromText(const std::optional<std::string>& webhooks_text,
                              const std::optional<std::string>& connections_text,
                              const EnvLookup& lookup, const ModuleContext& context);

// Parses a JSON document; a syntax error is reported with line and column.
std::optional<boost::json::value> ParseJsonDocument(std::string_view text, ConfigErrors& errors);

}  // namespace wg
