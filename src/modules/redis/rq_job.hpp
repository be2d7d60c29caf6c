// The Redis commands that enqueue a job exactly as Python RQ 1.x does, so that a stock
// `rq worker` runs `function(payload, headers)`.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "modules/module.hpp"

namespace wg {

enum class RqSerializer { kPickle, kJson };

struct RqJobOptions {
  std::string function;  // "tasks.handle_webhook"
  std::string queue = "default";
  RqSerializer serializer = RqSerializer::kPickle;
  int timeout_seconds = 180;
  int result_ttl_seconds = 500;
};

// MULTI, HSET rq:job:<id> ..., SADD rq:queues ..., RPUSH rq:queue:<q> <id>, EXEC.
std::vector<std::vector<std::string>> BuildRqJobCommands(const RqJobOptions& options,
                                                         const Delivery& delivery,
                                                         const std::string& job_id,
                                                         std::chrono::system_clock::time_point now);

// The job's `data` field: zlib(serializer((function, None, (payload, headers), {}))).
std::string SerializeRqJobData(const RqJobOptions& options, const Delivery& delivery);

// Why a function path is refused, or empty (the Python project's rules).
std::string CheckRqFunctionName(const std::string& function);

std::string NewUuid4();

}  // namespace wg
