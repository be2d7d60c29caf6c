// What one chain execution did, item by item: for logs, metrics and `acknowledge: delivered`.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "chain/chain.hpp"

namespace wg {

enum class ItemStatus {
  kDelivered,
  kFailed,       // the module failed permanently or ran out of attempts
  kTimedOut,     // the chain's timeout ended it
  kCancelled,    // another item failed with continue_on_error false (parallel)
  kNotExecuted,  // an earlier item failed with continue_on_error false (sequential)
  kSkipped,      // not asked for: finished before a restart, or outside a replay
};

std::string_view ItemStatusName(ItemStatus status);

struct AttemptFailure {
  int attempt = 0;
  std::chrono::system_clock::time_point at;
  std::string message;
};

struct ItemResult {
  std::string module;
  ItemStatus status = ItemStatus::kNotExecuted;
  int attempts = 0;
  std::chrono::microseconds duration{0};
  std::string error;  // the last failure message, empty when delivered
  std::vector<AttemptFailure> failures;  // every failed attempt, oldest first (for dead letters)
};

struct ChainResult {
  std::vector<ItemResult> items;
  bool success = false;  // by the chain's success policy
  std::chrono::microseconds duration{0};

  int Delivered() const;
  boost::json::object ToJson() const;
};

class Logger;

// One line per chain: debug when it succeeded, a warning with every item's result when not.
void LogChainResult(Logger& logger, std::string_view webhook_id, std::string_view delivery_id,
                    const ChainResult& result);

bool EvaluateSuccess(const std::vector<ItemResult>& items, SuccessPolicy policy);

}  // namespace wg
