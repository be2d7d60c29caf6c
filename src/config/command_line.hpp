// Command-line flags, with environment variables as fallbacks. Parsed without side effects so
// it can be tested; main.cpp acts on the result.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config_loader.hpp"
#include "config/env_substitution.hpp"
#include "observability/logger.hpp"
#include "webhook/limits.hpp"

namespace wg {

struct CommandLine {
  ConfigSources sources;
  std::string listen_address = "0.0.0.0";
  uint16_t listen_port = 8000;
  int threads = 0;  // 0 = one per core
  bool check_config = false;
  bool watch_config = true;  // reload when webhooks.json or connections.json changes
  std::chrono::milliseconds reload_quiet_period{500};
  bool help = false;
  bool version = false;
  size_t max_in_flight = 100;
  size_t max_queued = 10000;
  RequestLimits limits;
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;
  std::chrono::milliseconds shutdown_timeout{10000};
  std::string spool_dir = "data/spool";
  uint64_t spool_max_bytes = uint64_t{1} << 30;
  std::optional<std::string> admin_token;  // admin API off without one
  std::optional<std::string> stats_token;  // guards /stats and /metrics when set
  std::optional<std::string> stats_allowed_ips;  // comma-separated addresses / CIDR ranges
};

struct CommandLineResult {
  CommandLine options;
  std::vector<std::string> errors;  // every problem, not just the first
};

CommandLineResult ParseCommandLine(const std::vector<std::string>& args, const EnvLookup& env);

std::string HelpText();

}  // namespace wg
