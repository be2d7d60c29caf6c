#include "config/webhook_config.hpp"

#include <fmt/format.h>

#include <array>

#include "modules/registry.hpp"

namespace wg {
namespace json = boost::json;
namespace {

// Legacy fields a chain item (or the webhook) may carry outside module-config.
constexpr std::array<std::string_view, 3> kLegacyItemFields = {"topic", "queue_name", "destination"};
// Legacy fields only the webhook itself carries: redis_publish's top-level `redis` block.
constexpr std::array<std::string_view, 1> kLegacyWebhookFields = {"redis"};

RetryPolicy ParseRetry(const json::object& object, const std::string& path, ConfigErrors& errors) {
  ObjectReader reader(object, path, errors);
  RetryPolicy retry;
  retry.enabled = reader.Bool("enabled", false);
  retry.max_attempts = static_cast<int>(reader.Integer("max_attempts", 3, 1, 20));
  retry.initial_delay_seconds = reader.Number("initial_delay", 1.0, 0, 60);
  retry.max_delay_seconds = reader.Number("max_delay", 60.0, 0, 3600);
  retry.backoff_multiplier = reader.Number("backoff_multiplier", 2.0, 0.1, 10);
  if (retry.max_delay_seconds < retry.initial_delay_seconds) {
    retry.max_delay_seconds = retry.initial_delay_seconds;
  }
  for (auto key : {"retryable_errors", "non_retryable_errors"}) {
    if (reader.StringList(key)) {
      errors.Warn(reader.PathOf(key),
                  "ignored: each module classifies its own failures as retryable or permanent");
    }
  }
  reader.RejectUnknownKeys("retry");
  return retry;
}

ChainSettings ParseChainConfig(const json::value& value, const std::string& path,
                               ConfigErrors& errors) {
  ChainSettings settings;
  if (value.is_null()) return settings;
  if (!value.is_object()) {
    errors.Add(path, fmt::format("must be an object, got {}", JsonKindName(value)));
    return settings;
  }
  ObjectReader reader(value.get_object(), path, errors);
  std::string execution = reader.StringOr("execution", "sequential");
  if (execution == "parallel") {
    settings.execution = Execution::kParallel;
  } else if (execution != "sequential") {
    errors.Add(reader.PathOf("execution"),
               fmt::format("must be \"sequential\" or \"parallel\", got \"{}\"", execution));
  }
  settings.continue_on_error = reader.Bool("continue_on_error", true);
  double timeout = reader.Number("timeout", 30.0, 0.001, 86400);
  settings.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000.0));
  std::string success = reader.StringOr("success", "all");
  if (success == "any") {
    settings.success = SuccessPolicy::kAny;
  } else if (success != "all") {
    errors.Add(reader.PathOf("success"),
               fmt::format("must be \"all\" or \"any\", got \"{}\"", success));
  }
  reader.RejectUnknownKeys("chain-config");
  return settings;
}

struct ItemSpec {
  std::string module;
  std::string module_path;  // where to point an unknown-module error
  std::optional<std::string> connection;
  std::string connection_path;
  json::object module_config;
  std::string module_config_path;
  RetryPolicy retry;
  // A string item takes the webhook-level module-config (as the Python project); keys meant for
  // the other items of the chain are then not errors.
  bool shared_module_config = false;
  bool simple_form = false;  // a chain item written as a bare module name
};

// Builds a chain item's module, or reports why it cannot be built.
std::shared_ptr<Module> BuildModule(const ItemSpec& spec, const ConnectionMap& connections,
                                    const ModuleContext& context, ConfigErrors& errors,
                                    std::string& connection_name) {
  const ModuleEntry* entry = FindModule(spec.module);
  if (entry == nullptr) {
    if (IsPlannedModule(spec.module)) {
      errors.Add(spec.module_path,
                 fmt::format("module \"{}\" is not available in this build yet (available: {})",
                             spec.module, KnownModuleNames()));
    } else {
      errors.Add(spec.module_path, fmt::format("unknown module \"{}\" (known: {})", spec.module,
                                               KnownModuleNames()));
    }
    return nullptr;
  }
  const ConnectionConfig* connection = nullptr;
  if (spec.connection) {
    auto found = connections.find(*spec.connection);
    if (found == connections.end()) {
      std::string defined;
      for (const auto& [name, unused] : connections) {
        defined += defined.empty() ? name : ", " + name;
      }
      errors.Add(spec.connection_path,
                 fmt::format("unknown connection \"{}\" (defined in connections.json: {})",
                             *spec.connection, defined.empty() ? "none" : defined));
      return nullptr;
    }
    connection = &found->second;
  } else if (spec.simple_form && !entry->connection_types.empty()) {
    // The simple array form (`"chain": ["s3", "redis_rq"]`) names no connections: use the
    // connection of a fitting type when there is exactly one.
    for (const auto& [name, candidate] : connections) {
      if (!entry->AcceptsConnectionType(candidate.type)) continue;
      if (connection != nullptr) {
        connection = nullptr;  // several fit: the module asks for an explicit one
        break;
      }
      connection = &candidate;
    }
    if (connection != nullptr) {
      errors.Warn(spec.module_path, fmt::format("no \"connection\" given: using \"{}\", the only "
                                                "connection of type \"{}\"", connection->name,
                                                connection->type));
    }
  }
  if (connection != nullptr) connection_name = connection->name;
  if (spec.shared_module_config) {
    // Drop the keys this module does not know (they belong to other items), then build for real.
    json::object own = spec.module_config;
    ConfigErrors trial;
    ModuleSettings trial_settings{own, spec.module_config_path, connection};
    entry->create(trial_settings, context, trial);
    for (const auto& error : trial.errors()) {
      const std::string prefix = spec.module_config_path + "/";
      if (error.message.starts_with("unknown key in") && error.path.starts_with(prefix)) {
        own.erase(error.path.substr(prefix.size()));
      }
    }
    ModuleSettings settings{own, spec.module_config_path, connection};
    return entry->create(settings, context, errors);
  }
  ModuleSettings settings{spec.module_config, spec.module_config_path, connection};
  return entry->create(settings, context, errors);
}

// Moves legacy top-level fields (queue_name, topic, destination) into module-config.
template <size_t N>
void MergeLegacyFields(ObjectReader& reader, ItemSpec& spec, ConfigErrors& errors,
                       const std::array<std::string_view, N>& fields) {
  for (auto field : fields) {
    auto value = reader.Get(field);
    if (value == nullptr) continue;
    if (spec.module_config.contains(field)) {
      errors.Add(reader.PathOf(field),
                 fmt::format("\"{}\" is given both here and in module-config; keep one", field));
      continue;
    }
    spec.module_config[field] = *value;
  }
}

void ParseItemCommon(ObjectReader& reader, ItemSpec& spec, ConfigErrors& errors) {
  if (auto connection = reader.String("connection")) {
    spec.connection = *connection;
    spec.connection_path = reader.PathOf("connection");
  }
  spec.module_config_path = reader.PathOf("module-config");
  if (const json::object* config = reader.Object("module-config")) spec.module_config = *config;
  if (const json::object* retry = reader.Object("retry")) {
    spec.retry = ParseRetry(*retry, reader.PathOf("retry"), errors);
  }
  MergeLegacyFields(reader, spec, errors, kLegacyItemFields);
}

std::optional<ItemSpec> ParseChainItem(const json::value& value, const std::string& path,
                                       ConfigErrors& errors) {
  ItemSpec spec;
  if (value.is_string()) {
    spec.simple_form = true;
    spec.module = std::string(value.get_string());
    spec.module_path = path;
    spec.module_config_path = path;
    return spec;
  }
  if (!value.is_object()) {
    errors.Add(path, fmt::format("chain item must be a module name or an object, got {}",
                                 JsonKindName(value)));
    return std::nullopt;
  }
  ObjectReader reader(value.get_object(), path, errors);
  auto module = reader.String("module", true);
  ParseItemCommon(reader, spec, errors);
  reader.RejectUnknownKeys("chain item");
  if (!module) return std::nullopt;
  spec.module = *module;
  spec.module_path = reader.PathOf("module");
  return spec;
}

std::shared_ptr<const WebhookDefinition> ParseWebhook(const std::string& id, const json::value& value,
                                                      const ConnectionMap& connections,
                                                      const ModuleContext& context,
                                                      ConfigErrors& errors) {
  const std::string path = JoinPath("", id);
  if (!value.is_object()) {
    errors.Add(path, fmt::format("webhook definition must be an object, got {}",
                                 JsonKindName(value)));
    return nullptr;
  }
  const size_t errors_before = errors.size();
  ObjectReader reader(value.get_object(), path, errors);
  auto webhook = std::make_shared<WebhookDefinition>();
  webhook->id = id;

  std::string data_type = reader.StringOr("data_type", "json");
  if (data_type == "json") webhook->data_type = DataType::kJson;
  else if (data_type == "blob") webhook->data_type = DataType::kBlob;
  else if (data_type == "form") webhook->data_type = DataType::kForm;
  else if (data_type == "text") webhook->data_type = DataType::kText;
  else errors.Add(reader.PathOf("data_type"),
                  fmt::format("must be one of json, blob, form, text; got \"{}\"", data_type));

  if (const json::value* rate_limit = reader.Get("rate_limit")) {
    webhook->rate_limit = RateLimit::FromConfig(*rate_limit, reader.PathOf("rate_limit"), id,
                                                connections, context, errors);
  }
  if (const json::value* dedup = reader.Get("dedup")) {
    webhook->dedup = DedupRule::FromConfig(*dedup, reader.PathOf("dedup"), connections, context,
                                           errors);
  }

  for (const auto& kind : ValidatorKinds()) {
    reader.Allow({kind.key});
    for (auto companion : kind.companions) reader.Allow({companion});
    if (value.get_object().if_contains(kind.key) == nullptr) continue;
    if (auto validator = kind.build(value.get_object(), path, errors)) {
      webhook->checks_body = webhook->checks_body || validator->NeedsBody();
      webhook->checks_payload = webhook->checks_payload || validator->NeedsPayload();
      webhook->validators.push_back(std::move(validator));
      webhook->validator_keys.push_back(kind.key);
    }
  }

  if (const json::value* cleanup = reader.Get("credential_cleanup")) {
    auto parsed =
        CredentialCleanup::FromConfig(*cleanup, reader.PathOf("credential_cleanup"), errors);
    if (parsed) webhook->credential_cleanup = std::move(*parsed);
  }

  std::string acknowledge = reader.StringOr("acknowledge", "persisted");
  if (acknowledge == "persisted") webhook->acknowledge = Acknowledge::kPersisted;
  else if (acknowledge == "received") webhook->acknowledge = Acknowledge::kReceived;
  else if (acknowledge == "delivered") webhook->acknowledge = Acknowledge::kDelivered;
  else errors.Add(reader.PathOf("acknowledge"),
                  fmt::format("must be one of persisted, received, delivered; got \"{}\"",
                              acknowledge));

  const json::value* chain_value = reader.Get("chain");
  if (chain_value != nullptr) {
    const std::string chain_path = reader.PathOf("chain");
    if (!chain_value->is_array()) {
      errors.Add(chain_path, fmt::format("must be an array of chain items, got {}",
                                         JsonKindName(*chain_value)));
    } else if (chain_value->get_array().empty()) {
      errors.Add(chain_path, "Chain must contain at least 1 module");
    } else if (chain_value->get_array().size() > kMaxChainItems) {
      errors.Add(chain_path, fmt::format("Chain length {} exceeds security limit {}",
                                         chain_value->get_array().size(), kMaxChainItems));
    } else {
      const auto& items = chain_value->get_array();
      const json::value* shared_config = reader.Get("module-config");
      for (size_t i = 0; i < items.size(); ++i) {
        auto spec = ParseChainItem(items[i], JoinPath(chain_path, i), errors);
        if (!spec) continue;
        if (items[i].is_string() && shared_config != nullptr && shared_config->is_object()) {
          spec->module_config = shared_config->get_object();
          spec->module_config_path = reader.PathOf("module-config");
          spec->shared_module_config = true;
        }
        std::string connection;
        auto module = BuildModule(*spec, connections, context, errors, connection);
        if (module) {
          webhook->chain.items.push_back(
              {spec->module, std::move(module), spec->retry, std::move(connection)});
        }
      }
    }
    if (const json::value* settings = reader.Get("chain-config")) {
      webhook->chain.settings = ParseChainConfig(*settings, reader.PathOf("chain-config"), errors);
    }
    for (auto key : {"module", "connection", "retry"}) {
      if (reader.Get(key) != nullptr) {
        errors.Warn(reader.PathOf(key), "ignored: \"chain\" takes precedence over \"module\"");
      }
    }
    for (auto key : kLegacyItemFields) {
      if (reader.Get(key) != nullptr) {
        errors.Warn(reader.PathOf(key), "ignored in a chain: give it to the chain item instead");
      }
    }
    for (auto key : kLegacyWebhookFields) {
      if (reader.Get(key) != nullptr) {
        errors.Warn(reader.PathOf(key), "ignored in a chain: give it to the chain item's "
                                        "module-config instead");
      }
    }
  } else {
    ItemSpec spec;
    auto module = reader.String("module");
    if (!module && !reader.Has("module")) {
      errors.Add(path, "needs \"module\" or \"chain\"");
    }
    ParseItemCommon(reader, spec, errors);
    MergeLegacyFields(reader, spec, errors, kLegacyWebhookFields);
    if (const json::value* settings = reader.Get("chain-config")) {
      webhook->chain.settings = ParseChainConfig(*settings, reader.PathOf("chain-config"), errors);
    }
    if (module) {
      spec.module = *module;
      spec.module_path = reader.PathOf("module");
      std::string connection;
      auto built = BuildModule(spec, connections, context, errors, connection);
      if (built) {
        webhook->chain.items.push_back(
            {spec.module, std::move(built), spec.retry, std::move(connection)});
      }
    }
  }
  reader.RejectUnknownKeys("webhook definition");
  if (errors.size() != errors_before) return nullptr;
  return webhook;
}

}  // namespace

std::string_view DataTypeName(DataType type) {
  switch (type) {
    case DataType::kJson: return "json";
    case DataType::kBlob: return "blob";
    case DataType::kForm: return "form";
    case DataType::kText: return "text";
  }
  return "json";
}

json::value DefaultWebhooksDocument() {
  return json::parse(
      R"({"default":{"data_type":"json","module":"log",)"
      R"("module-config":{"pretty_print":true,"redact_sensitive":true}}})");
}

void ParseConnections(const json::value& document, ConfigErrors& errors,
                      ConnectionMap& connections) {
  if (!document.is_object()) {
    errors.Add("", fmt::format("must be an object of named connections, got {}",
                               JsonKindName(document)));
    return;
  }
  for (const auto& member : document.get_object()) {
    const std::string path = JoinPath("", member.key());
    if (!member.value().is_object()) {
      errors.Add(path, fmt::format("connection must be an object, got {}",
                                   JsonKindName(member.value())));
      continue;
    }
    const auto& object = member.value().get_object();
    const json::value* type = object.if_contains("type");
    if (type == nullptr || !type->is_string() || type->get_string().empty()) {
      errors.Add(JoinPath(path, "type"), "required string \"type\" is missing");
      continue;
    }
    ConnectionConfig connection;
    connection.name = std::string(member.key());
    connection.type = std::string(type->get_string());
    connection.settings = object;
    connections.emplace(connection.name, std::move(connection));
  }
}

void ParseWebhooks(const json::value& document, const ConnectionMap& connections,
                   const ModuleContext& context, ConfigErrors& errors, WebhookMap& webhooks) {
  if (!document.is_object()) {
    errors.Add("", fmt::format("must be an object of webhook definitions, got {}",
                               JsonKindName(document)));
    return;
  }
  for (const auto& member : document.get_object()) {
    std::string id(member.key());
    auto webhook = ParseWebhook(id, member.value(), connections, context, errors);
    if (webhook) webhooks.emplace(std::move(id), std::move(webhook));
  }
}

}  // namespace wg
