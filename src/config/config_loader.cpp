#include "config/config_loader.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "webhook/webhook_id.hpp"

namespace wg {
namespace json = boost::json;
namespace {

constexpr std::chrono::milliseconds kEtcdReadTimeout{10000};

std::string FileName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Returns nullopt when the file does not exist; reports other read errors.
std::optional<std::string> ReadFile(const std::string& path, bool& missing, ConfigErrors& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    missing = errno == ENOENT;
    if (!missing) errors.Add("", fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Reads and parses one config file. A missing file is an error only when it was named
// explicitly; `missing` tells the caller so it can fall back.
std::optional<json::value> ReadDocument(const std::string& path, bool named_explicitly,
                                        bool& missing, ConfigErrors& errors) {
  ConfigErrors file_errors(path);
  std::optional<json::value> document;
  auto text = ReadFile(path, missing, file_errors);
  if (text) {
    file_errors.SetFile(FileName(path));
    document = ParseJsonDocument(*text, file_errors);
  } else if (missing && named_explicitly) {
    file_errors.Add("", "file not found");
  }
  errors.Append(file_errors);
  return document;
}

LoadResult Finish(ConfigErrors& errors, std::shared_ptr<GatewayConfig> config) {
  LoadResult result;
  result.errors = errors.errors();
  result.warnings = errors.warnings();
  if (errors.empty()) result.config = std::move(config);
  return result;
}

void ProcessDocuments(std::optional<json::value> webhooks_doc,
                      std::optional<json::value> connections_doc, const std::string& webhooks_name,
                      const std::string& connections_name, const EnvLookup& lookup,
                      const ModuleContext& context, const GatewayConfig* previous,
                      ConfigErrors& errors, GatewayConfig& config) {
  ConfigErrors connection_errors(connections_name);
  if (connections_doc) {
    SubstituteEnvironment(*connections_doc, lookup, connection_errors);
    ParseConnections(*connections_doc, connection_errors, config.connections);
  }
  config.connection_registry = ConnectionRegistry::Build(
      config.connections, connection_errors,
      previous != nullptr ? previous->connection_registry.get() : nullptr);
  errors.Append(connection_errors);
  ModuleContext module_context = context;
  module_context.connections = config.connection_registry.get();

  ConfigErrors webhook_errors(webhooks_name);
  if (webhooks_doc) {
    SubstituteEnvironment(*webhooks_doc, lookup, webhook_errors);
    ParseWebhooks(*webhooks_doc, config.connections, module_context, webhook_errors,
                  config.webhooks);
    for (const auto& [id, unused] : config.webhooks) {
      // From etcd, "<namespace>/<id>": the namespace was checked when the key was read.
      std::string_view callable = id;
      if (config.namespaced) callable = callable.substr(callable.find('/') + 1);
      if (auto problem = ValidateWebhookId(callable)) {
        webhook_errors.Warn(JoinPath("", id),
                            fmt::format("this webhook can never be called: {}", *problem));
      }
    }
  }
  errors.Append(webhook_errors);
}

}  // namespace

std::shared_ptr<const WebhookDefinition> GatewayConfig::Find(std::string_view id,
                                                             std::string_view ns) const {
  if (namespaced && !ns.empty() && ns != default_namespace) {
    auto found = webhooks.find(fmt::format("{}/{}", ns, id));
    return found != webhooks.end() ? found->second : nullptr;
  }
  auto found = webhooks.find(id);
  if (found != webhooks.end()) return found->second;
  found = webhooks.find(std::string_view("default"));
  if (found != webhooks.end()) return found->second;
  return nullptr;
}

std::optional<json::value> ParseJsonDocument(std::string_view text, ConfigErrors& errors) {
  json::stream_parser parser;
  boost::system::error_code ec;
  size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    size_t offset = std::min(consumed, text.size());
    size_t line = 1;
    size_t column = 1;
    for (size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    errors.Add("", fmt::format("invalid JSON at line {}, column {}: {}", line, column,
                               ec.message()));
    return std::nullopt;
  }
  return parser.release();
}

LoadResult LoadConfigFromText(const std::optional<std::string>& webhooks_text,
                              const std::optional<std::string>& connections_text,
                              const EnvLookup& lookup, const ModuleContext& context) {
  auto config = std::make_shared<GatewayConfig>();
  ConfigErrors errors;
  std::optional<json::value> webhooks_doc;
  std::optional<json::value> connections_doc;
  ConfigErrors webhook_syntax("webhooks.json");
  ConfigErrors connection_syntax("connections.json");
  if (webhooks_text) {
    webhooks_doc = ParseJsonDocument(*webhooks_text, webhook_syntax);
  } else {
    webhooks_doc = DefaultWebhooksDocument();
    config->default_webhook_synthesised = true;
  }
  if (connections_text) connections_doc = ParseJsonDocument(*connections_text, connection_syntax);
  errors.Append(connection_syntax);
  errors.Append(webhook_syntax);
  ProcessDocuments(std::move(webhooks_doc), std::move(connections_doc), "webhooks.json",
                   "connections.json", lookup, context, nullptr, errors, *config);
  return Finish(errors, config);
}

LoadResult LoadConfig(const ConfigSources& sources, const EnvLookup& lookup,
                      const ModuleContext& context, const GatewayConfig* previous) {
  auto config = std::make_shared<GatewayConfig>();
  ConfigErrors errors;
  if (sources.etcd) {
    const EtcdSettings& etcd = *sources.etcd;
    EtcdSnapshot snapshot = ReadEtcdSnapshot(etcd, kEtcdReadTimeout, errors);
    if (!snapshot.read) return Finish(errors, config);
    config->namespaced = true;
    config->default_namespace = etcd.ns;
    config->etcd_revision = snapshot.revision;
    ProcessDocuments(json::value(std::move(snapshot.webhooks)),
                     json::value(std::move(snapshot.connections)),
                     fmt::format("etcd {}*/webhooks/*", etcd.prefix),
                     fmt::format("etcd {}global/connections/*", etcd.prefix), lookup, context,
                     previous, errors, *config);
    return Finish(errors, config);
  }
  const std::string webhooks_name = FileName(sources.webhooks_path);
  const std::string connections_name = FileName(sources.connections_path);

  bool webhooks_missing = false;
  std::optional<json::value> webhooks_doc = ReadDocument(
      sources.webhooks_path, sources.webhooks_path_explicit, webhooks_missing, errors);
  if (webhooks_missing && !sources.webhooks_path_explicit) {
    ConfigErrors warning(sources.webhooks_path);
    warning.Warn("", "no webhooks file: serving the built-in \"default\" log webhook");
    errors.Append(warning);
    webhooks_doc = DefaultWebhooksDocument();
    config->default_webhook_synthesised = true;
  }
  bool connections_missing = false;
  std::optional<json::value> connections_doc = ReadDocument(
      sources.connections_path, sources.connections_path_explicit, connections_missing, errors);

  ProcessDocuments(std::move(webhooks_doc), std::move(connections_doc), webhooks_name,
                   connections_name, lookup, context, previous, errors, *config);
  return Finish(errors, config);
}

}  // namespace wg
