#include "modules/zeromq/zeromq_module.hpp"

#include <fmt/format.h>

#include <set>

#include "config/json_reader.hpp"
#include "config/names.hpp"
#include "connections/connection_registry.hpp"
#include "connections/http/url_policy.hpp"

namespace wg {
namespace json = boost::json;
namespace {

constexpr size_t kMaxEndpointLength = 512;
constexpr size_t kMaxIpcPathBytes = 107;  // sockaddr_un's sun_path, less its NUL
constexpr size_t kMaxTopicBytes = 1024;

class ZeromqModule final : public Module {
 public:
  ZeromqModule(std::shared_ptr<ZeromqClient> client, ZeromqModuleOptions options)
      : client_(std::move(client)), options_(std::move(options)) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    auto frames = ZeromqFrames(options_, *delivery);
    size_t bytes = 0;
    for (const auto& frame : frames) bytes += frame.size();
    if (bytes > kMaxZeromqMessageBytes) {
      co_return Outcome::Permanent(
          fmt::format("{}: the message has {} bytes, more than the {} "
                      "a ZeroMQ message may have here",
                      client_->name(), bytes, kMaxZeromqMessageBytes));
    }
    auto sending = client_->Send(std::move(frames), options_.timeout);
    Outcome outcome = co_await std::move(sending);
    co_return outcome;
  }

 private:
  std::shared_ptr<ZeromqClient> client_;
  ZeromqModuleOptions options_;
};

bool IsPort(std::string_view text) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != text.npos) {
    return false;
  }
  int port = std::stoi(std::string(text));
  return port >= 1 && port <= 65535;
}

// Splits "host:port" of a tcp:// endpoint into target; reports problems at `path`.
bool ParseTcpAddress(std::string_view address, const std::string& path, ZeromqTarget& target,
                     ConfigErrors& errors) {
  if (address.find(';') != address.npos) {
    errors.Add(path, "a source address (\"source;host:port\") is not supported");
    return false;
  }
  std::string_view host;
  std::string_view port;
  if (address.starts_with('[')) {
    size_t close = address.find(']');
    if (close == address.npos || close + 1 >= address.size() || address[close + 1] != ':') {
      errors.Add(path, "an IPv6 address needs the form tcp://[address]:port");
      return false;
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == address.npos) {
      errors.Add(path, "a tcp:// endpoint needs a port: tcp://host:port");
      return false;
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (host.empty()) {
    errors.Add(path, "a tcp:// endpoint needs a host: tcp://host:port");
    return false;
  }
  if (!IsPort(port)) {
    errors.Add(path, fmt::format("port \"{}\" must be a number from 1 to 65535", port));
    return false;
  }
  target.tcp_host = ToLower(host);
  target.tcp_port = std::string(port);
  return true;
}

// Reads `endpoint` into target (bind already set); reports problems at `path`.
void ParseEndpoint(const std::string& endpoint, const std::string& path,
                   const std::set<std::string>& allowed_hosts, ZeromqTarget& target,
                   ConfigErrors& errors) {
  if (endpoint.size() > kMaxEndpointLength || endpoint.find('\0') != endpoint.npos) {
    errors.Add(path, fmt::format("must be at most {} characters, without NUL", kMaxEndpointLength));
    return;
  }
  size_t separator = endpoint.find("://");
  std::string scheme = ToLower(endpoint.substr(0, separator));
  std::string rest = separator == endpoint.npos ? "" : endpoint.substr(separator + 3);
  if (separator == endpoint.npos) {
    errors.Add(path, fmt::format("\"{}\" is not a ZeroMQ endpoint (tcp://host:port or ipc://path)",
                                 endpoint));
    return;
  }
  if (scheme == "inproc") {
    errors.Add(path,
               "inproc:// only reaches sockets inside the gateway's own process, where no peer "
               "is; use tcp://host:port or ipc://path");
    return;
  }
  if (scheme == "ipc") {
    if (rest.empty() || rest.size() > kMaxIpcPathBytes) {
      errors.Add(path, fmt::format("an ipc:// path must have 1 to {} bytes", kMaxIpcPathBytes));
      return;
    }
    target.endpoint = "ipc://" + rest;
    return;
  }
  if (scheme != "tcp") {
    errors.Add(path, fmt::format("transport \"{}\" is not supported (tcp or ipc)", scheme));
    return;
  }
  if (!ParseTcpAddress(rest, path, target, errors)) return;
  target.endpoint = "tcp://" + rest;
  if (target.bind) return;  // a local address to listen on: the outbound rules do not apply
  if (target.tcp_host == "*") {
    errors.Add(path, "\"*\" (every interface) only works with \"bind\": true");
    return;
  }
  target.host_allowed_explicitly = allowed_hosts.contains(target.tcp_host);
  if (!target.host_allowed_explicitly) {
    if (auto reason = BlockedHostReason(target.tcp_host)) {
      errors.Add(path,
                 fmt::format("refused endpoint host \"{}\": {} (list it in allowed_hosts to allow "
                             "it)",
                             target.tcp_host, *reason));
    }
  }
}

}  // namespace

std::optional<ZeromqModuleOptions> ParseZeromqModuleOptions(const json::object& config,
                                                            const std::string& path,
                                                            ConfigErrors& errors) {
  ObjectReader reader(config, path, errors);
  const size_t before = errors.size();
  ZeromqModuleOptions options;
  auto endpoint = reader.String("endpoint", true);
  std::string socket_type = reader.StringOr("socket_type", "PUB");
  options.target.bind = reader.Bool("bind", false);
  auto topic = reader.String("topic");
  std::string format = reader.StringOr("format", "json");
  double timeout = reader.Number("timeout", 5, 0.1, 600);
  options.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  std::set<std::string> allowed_hosts;
  if (auto hosts = reader.StringList("allowed_hosts")) {
    for (const auto& host : *hosts) allowed_hosts.insert(ToLower(host));
  }
  reader.RejectUnknownKeys("zeromq module-config");

  std::string type = socket_type;
  for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (type == "PUB") {
    options.target.socket_type = ZeromqSocketType::kPub;
  } else if (type == "PUSH") {
    options.target.socket_type = ZeromqSocketType::kPush;
  } else if (type == "REQ" || type == "DEALER") {
    errors.Add(reader.PathOf("socket_type"),
               fmt::format("\"{}\" is not supported: it expects replies the gateway does not "
                           "read; use \"PUSH\" (to PULL peers) or \"PUB\" (to SUB peers)",
                           socket_type));
  } else {
    errors.Add(reader.PathOf("socket_type"),
               fmt::format("unknown socket type \"{}\" (known: PUB, PUSH)", socket_type));
  }
  if (format == "json") {
    options.format = ZeromqFormat::kJson;
  } else if (format == "raw") {
    options.format = ZeromqFormat::kRaw;
  } else {
    errors.Add(reader.PathOf("format"),
               fmt::format("unknown format \"{}\" (known: json, raw)", format));
  }
  if (topic) {
    if (options.target.socket_type != ZeromqSocketType::kPub) {
      errors.Add(reader.PathOf("topic"), "only used with \"socket_type\": \"PUB\"");
    } else if (topic->empty() || topic->size() > kMaxTopicBytes) {
      errors.Add(reader.PathOf("topic"),
                 fmt::format("must have 1 to {} bytes (leave it out for one-frame messages)",
                             kMaxTopicBytes));
    } else {
      options.topic = *topic;
    }
  }
  if (endpoint) {
    ParseEndpoint(*endpoint, reader.PathOf("endpoint"), allowed_hosts, options.target, errors);
  }
  if (errors.size() != before) return std::nullopt;
  return options;
}

std::vector<std::string> ZeromqFrames(const ZeromqModuleOptions& options,
                                      const Delivery& delivery) {
  std::vector<std::string> frames;
  if (!options.topic.empty()) frames.push_back(options.topic);
  if (options.format == ZeromqFormat::kRaw || delivery.data_type == DataType::kBlob) {
    frames.push_back(delivery.body);
  } else if (delivery.payload.is_string()) {
    frames.emplace_back(delivery.payload.get_string());
  } else {
    frames.push_back(json::serialize(delivery.payload));
  }
  return frames;
}

std::unique_ptr<Module> CreateZeromqModule(const ModuleSettings& settings,
                                           const ModuleContext& context, ConfigErrors& errors) {
  auto options = ParseZeromqModuleOptions(settings.config, settings.path, errors);
  if (!options) return nullptr;
  std::shared_ptr<ZeromqClient> client;
  if (context.connections != nullptr) {
    client = context.connections->InlineZeromq(options->target);
  } else {
    client = std::make_shared<ZeromqClient>(options->target);  // unit tests
  }
  return std::make_unique<ZeromqModule>(std::move(client), std::move(*options));
}

}  // namespace wg
