#include "config/command_line.hpp"

#include <fmt/format.h>

#include <charconv>
#include <functional>
#include <map>

#include "webhook/webhook_id.hpp"

namespace wg {
namespace {

bool ParseListen(std::string_view text, std::string& address, uint16_t& port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || value > 65535) return false;
  address = host.empty() ? "0.0.0.0" : std::string(host);
  port = static_cast<uint16_t>(value);
  return true;
}

template <typename T>
bool ParseUnsigned(std::string_view text, T& out, T min, T max) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  out = value;
  return true;
}

}  // namespace

std::string HelpText() {
  return R"(webhook-gateway: receive, authenticate, validate and deliver webhooks through chains.

Usage: webhook-gateway [options]

Configuration (same files as the Python Core Webhook Module):
  --webhooks FILE        webhook definitions (env WEBHOOKS_CONFIG_FILE; default ./webhooks.json;
                         if the default file is absent, a catch-all "default" log webhook is used)
  --connections FILE     named connections (env CONNECTIONS_CONFIG_FILE; default ./connections.json)
  --check-config         validate both files, print every error with its JSON path, and exit
                         (0 = valid, 1 = errors)
  --no-watch-config      do not reload when either file changes (env
                         CONFIG_FILE_WATCHING_ENABLED=false); SIGHUP and POST
                         /admin/reload-config still reload. A reload that has errors is
                         rejected whole and the running configuration stays.
  --reload-quiet-period S  after a file change, seconds without further changes before the
                         reload (env CONFIG_RELOAD_DEBOUNCE_SECONDS; default 0.5)
  --config-backend B     file (default) or etcd (env CONFIG_BACKEND). With etcd the webhooks
                         are the keys <prefix><namespace>/webhooks/<id> and the connections
                         <prefix>global/connections/<name>, watched for changes
  --etcd HOST:PORT       etcd's client address (env ETCD_HOST, ETCD_PORT; default
                         localhost:2379)
  --etcd-prefix P        key prefix (env ETCD_PREFIX; default /cwm/)
  --etcd-namespace NS    the namespace served at /webhook/<id> (env ETCD_NAMESPACE; default
                         "default"); others answer at /webhook/<namespace>/<id>. With etcd's
                         authentication on, the user comes from ETCD_USERNAME and
                         ETCD_PASSWORD (environment only: a password in argv is visible)

Server:
  --listen ADDR:PORT     where to accept webhooks (env HOST and PORT; default 0.0.0.0:8000;
                         port 0 picks a free port, printed at start)
  --threads N            I/O threads, each with its own event loop (default: one per core)
  --max-in-flight N      chain executions running at once (env MAX_CONCURRENT_TASKS; default 100)
  --max-queued N         accepted webhooks waiting for a free slot; beyond it new webhooks get
                         503 with Retry-After (default 10000)
  --shutdown-timeout S   on SIGTERM/SIGINT, seconds to finish requests and chains in progress
                         (default 10)

Durability (webhooks with "acknowledge": "persisted", the default):
  --spool-dir DIR        where accepted webhooks are fsync'd before the 2xx, and where their
                         dead letters are kept (env SPOOL_DIR; default ./data/spool); one
                         directory per gateway process
  --spool-max-bytes N    spool size limit; beyond it new webhooks get 503 with Retry-After
                         (env SPOOL_MAX_BYTES; default 1073741824)

Admin API (dead letters: list, show, replay, delete; config reload and status):
  --admin-token TOKEN    bearer token for /admin/... (env ADMIN_TOKEN); without it the admin
                         API answers 404

Status pages (GET /health stays public):
  --stats-token TOKEN    GET /stats and GET /metrics need "Authorization: Bearer TOKEN"
                         (env STATS_AUTH_TOKEN); without it they are public
  --stats-allowed-ips L  comma-separated addresses and CIDR ranges that may read them
                         (env STATS_ALLOWED_IPS), e.g. 127.0.0.1,10.0.0.0/8

Limits on what clients send:
  --max-body-bytes N     request body limit, 413 beyond it (default 10485760)
  --header-timeout S     seconds to receive a request's head (default 10)
  --body-timeout S       seconds to receive a request's body (default 30)
  --idle-timeout S       seconds a keep-alive connection may wait for its next request (default 60)

Logging:
  --log-level LEVEL      debug, info, warn or error (env LOG_LEVEL; default info)
  --log-format FORMAT    text or json (env LOG_FORMAT; default text)

  --help                 this text
  --version              print the version
)";
}

CommandLineResult ParseCommandLine(const std::vector<std::string>& args, const EnvLookup& env) {
  CommandLineResult result;
  CommandLine& options = result.options;
  auto& errors = result.errors;

  if (auto value = env("WEBHOOKS_CONFIG_FILE"); value && !value->empty()) {
    options.sources.webhooks_path = *value;
    options.sources.webhooks_path_explicit = true;
  }
  if (auto value = env("CONNECTIONS_CONFIG_FILE"); value && !value->empty()) {
    options.sources.connections_path = *value;
    options.sources.connections_path_explicit = true;
  }
  if (auto host = env("HOST"); host && !host->empty()) options.listen_address = *host;
  if (auto port = env("PORT"); port && !port->empty()) {
    if (!ParseUnsigned<uint16_t>(*port, options.listen_port, 0, 65535)) {
      errors.push_back(fmt::format("PORT: \"{}\" is not a port number", *port));
    }
  }
  if (auto tasks = env("MAX_CONCURRENT_TASKS"); tasks && !tasks->empty()) {
    if (!ParseUnsigned<size_t>(*tasks, options.max_in_flight, 1, 100000)) {
      errors.push_back(fmt::format("MAX_CONCURRENT_TASKS: \"{}\" must be 1..100000", *tasks));
    }
  }
  if (auto level = env("LOG_LEVEL"); level && !level->empty()) {
    if (!ParseLogLevel(*level, options.log_level)) {
      errors.push_back(fmt::format("LOG_LEVEL: unknown level \"{}\"", *level));
    }
  }
  if (auto format = env("LOG_FORMAT"); format && !format->empty()) {
    if (*format == "json") options.log_format = LogFormat::kJson;
    else if (*format != "text") errors.push_back(fmt::format("LOG_FORMAT: unknown format \"{}\"", *format));
  }

  if (auto dir = env("SPOOL_DIR"); dir && !dir->empty()) options.spool_dir = *dir;
  if (auto bytes = env("SPOOL_MAX_BYTES"); bytes && !bytes->empty()) {
    if (!ParseUnsigned<uint64_t>(*bytes, options.spool_max_bytes, 4096, uint64_t{1} << 50)) {
      errors.push_back(fmt::format("SPOOL_MAX_BYTES: \"{}\" must be 4096..2^50", *bytes));
    }
  }
  if (auto token = env("ADMIN_TOKEN"); token && !token->empty()) options.admin_token = *token;
  if (auto token = env("STATS_AUTH_TOKEN"); token && !token->empty()) options.stats_token = *token;
  if (auto ips = env("STATS_ALLOWED_IPS"); ips && !ips->empty()) options.stats_allowed_ips = *ips;
  if (auto watching = env("CONFIG_FILE_WATCHING_ENABLED"); watching && !watching->empty()) {
    if (*watching == "false" || *watching == "0") options.watch_config = false;
    else if (*watching == "true" || *watching == "1") options.watch_config = true;
    else errors.push_back(fmt::format("CONFIG_FILE_WATCHING_ENABLED: \"{}\" must be true or false", *watching));
  }

  std::string backend = "file";
  EtcdSettings etcd;
  if (auto value = env("CONFIG_BACKEND"); value && !value->empty()) backend = *value;
  if (auto value = env("ETCD_HOST"); value && !value->empty()) etcd.host = *value;
  if (auto value = env("ETCD_PORT"); value && !value->empty()) {
    uint16_t port = 0;
    if (ParseUnsigned<uint16_t>(*value, port, 1, 65535))
      etcd.port = *value;
    else
      errors.push_back(fmt::format("ETCD_PORT: \"{}\" is not a port number", *value));
  }
  if (auto value = env("ETCD_PREFIX"); value && !value->empty()) etcd.prefix = *value;
  if (auto value = env("ETCD_NAMESPACE"); value && !value->empty()) etcd.ns = *value;
  if (auto value = env("ETCD_USERNAME"); value && !value->empty()) etcd.username = *value;
  if (auto value = env("ETCD_PASSWORD"); value && !value->empty()) etcd.password = *value;

  auto seconds = [&](std::string_view flag, std::string_view value,
                     std::chrono::milliseconds& out) {
    double number = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (ec != std::errc() || end != value.data() + value.size() || !(number > 0) || number > 86400) {
      errors.push_back(fmt::format("{}: \"{}\" must be a number of seconds > 0", flag, value));
      return;
    }
    out = std::chrono::milliseconds(static_cast<int64_t>(number * 1000));
  };
  if (auto quiet = env("CONFIG_RELOAD_DEBOUNCE_SECONDS"); quiet && !quiet->empty()) {
    seconds("CONFIG_RELOAD_DEBOUNCE_SECONDS", *quiet, options.reload_quiet_period);
  }

  using Handler = std::function<void(std::string_view flag, std::string_view value)>;
  const std::map<std::string, Handler, std::less<>> with_value = {
      {"--webhooks",
       [&](auto, auto v) {
         options.sources.webhooks_path = std::string(v);
         options.sources.webhooks_path_explicit = true;
       }},
      {"--connections",
       [&](auto, auto v) {
         options.sources.connections_path = std::string(v);
         options.sources.connections_path_explicit = true;
       }},
      {"--listen",
       [&](auto f, auto v) {
         if (!ParseListen(v, options.listen_address, options.listen_port)) {
           errors.push_back(fmt::format("{}: \"{}\" is not ADDR:PORT", f, v));
         }
       }},
      {"--threads",
       [&](auto f, auto v) {
         if (!ParseUnsigned<int>(v, options.threads, 1, 256))
           errors.push_back(fmt::format("{}: \"{}\" must be 1..256", f, v));
       }},
      {"--max-in-flight",
       [&](auto f, auto v) {
         if (!ParseUnsigned<size_t>(v, options.max_in_flight, 1, 100000))
           errors.push_back(fmt::format("{}: \"{}\" must be 1..100000", f, v));
       }},
      {"--max-queued",
       [&](auto f, auto v) {
         if (!ParseUnsigned<size_t>(v, options.max_queued, 0, 10000000))
           errors.push_back(fmt::format("{}: \"{}\" must be 0..10000000", f, v));
       }},
      {"--max-body-bytes",
       [&](auto f, auto v) {
         if (!ParseUnsigned<size_t>(v, options.limits.max_body_bytes, 1, size_t{1} << 32))
           errors.push_back(fmt::format("{}: \"{}\" must be 1..4294967296", f, v));
       }},
      {"--spool-dir",
       [&](auto f, auto v) {
         if (v.empty())
           errors.push_back(fmt::format("{}: needs a directory", f));
         else
           options.spool_dir = std::string(v);
       }},
      {"--spool-max-bytes",
       [&](auto f, auto v) {
         if (!ParseUnsigned<uint64_t>(v, options.spool_max_bytes, 4096, uint64_t{1} << 50))
           errors.push_back(fmt::format("{}: \"{}\" must be 4096..2^50", f, v));
       }},
      {"--admin-token",
       [&](auto f, auto v) {
         if (v.size() < 16)
           errors.push_back(fmt::format("{}: use at least 16 characters", f));
         else
           options.admin_token = std::string(v);
       }},
      {"--stats-token",
       [&](auto f, auto v) {
         if (v.empty())
           errors.push_back(fmt::format("{}: needs a token", f));
         else
           options.stats_token = std::string(v);
       }},
      {"--stats-allowed-ips", [&](auto f, auto v) { options.stats_allowed_ips = std::string(v); }},
      {"--shutdown-timeout", [&](auto f, auto v) { seconds(f, v, options.shutdown_timeout); }},
      {"--reload-quiet-period",
       [&](auto f, auto v) { seconds(f, v, options.reload_quiet_period); }},
      {"--config-backend", [&](auto, auto v) { backend = std::string(v); }},
      {"--etcd",
       [&](auto f, auto v) {
         std::string host;
         uint16_t port = 0;
         if (!ParseListen(v, host, port) || port == 0 || v.starts_with(":")) {
           errors.push_back(fmt::format("{}: \"{}\" is not HOST:PORT", f, v));
           return;
         }
         etcd.host = host;
         etcd.port = std::to_string(port);
       }},
      {"--etcd-prefix", [&](auto, auto v) { etcd.prefix = std::string(v); }},
      {"--etcd-namespace", [&](auto, auto v) { etcd.ns = std::string(v); }},
      {"--header-timeout", [&](auto f, auto v) { seconds(f, v, options.limits.header_timeout); }},
      {"--body-timeout", [&](auto f, auto v) { seconds(f, v, options.limits.body_timeout); }},
      {"--idle-timeout", [&](auto f, auto v) { seconds(f, v, options.limits.idle_timeout); }},
      {"--log-level",
       [&](auto f, auto v) {
         if (!ParseLogLevel(v, options.log_level))
           errors.push_back(fmt::format("{}: unknown level \"{}\"", f, v));
       }},
      {"--log-format",
       [&](auto f, auto v) {
         if (v == "json")
           options.log_format = LogFormat::kJson;
         else if (v == "text")
           options.log_format = LogFormat::kText;
         else
           errors.push_back(fmt::format("{}: unknown format \"{}\"", f, v));
       }},
  };

  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") { options.help = true; continue; }
    if (arg == "--version") { options.version = true; continue; }
    if (arg == "--check-config") { options.check_config = true; continue; }
    if (arg == "--no-watch-config") { options.watch_config = false; continue; }
    std::string_view flag = arg;
    std::optional<std::string_view> value;
    if (auto eq = arg.find('='); eq != std::string_view::npos && arg.starts_with("--")) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    auto handler = with_value.find(flag);
    if (handler == with_value.end()) {
      errors.push_back(fmt::format("unknown option \"{}\" (see --help)", arg));
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        errors.push_back(fmt::format("{} needs a value", flag));
        continue;
      }
      value = args[++i];
    }
    handler->second(flag, *value);
  }

  if (backend == "etcd") {
    if (etcd.prefix.empty() || etcd.prefix.front() != '/') {
      errors.push_back(fmt::format("etcd prefix \"{}\" must start with '/'", etcd.prefix));
    }
    if (!IsValidNamespace(etcd.ns)) {
      errors.push_back(
          fmt::format("etcd namespace \"{}\" must match [A-Za-z0-9_-]{{1,64}}", etcd.ns));
    }
    options.sources.etcd = etcd;
  } else if (backend != "file") {
    errors.push_back(fmt::format("config backend \"{}\" is unknown: use file or etcd", backend));
  }
  return result;
}

}  // namespace wg
