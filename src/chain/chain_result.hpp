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
};

std::string_view ItemStatusName(ItemStatus status);

struct ItemResult {
  std::string module;
  ItemStatus status = ItemStatus::kNotExecuted;
  int attempts = 0;
  std::chrono::microseconds duration{0};
  std::string error;  // the last failure message, empty when delivered
};

struct ChainResult {
  std::vector<ItemResult> items;
  bool success = false;  // by the chain's success policy
  std::chrono::microseconds duration{0};

  int Delivered() const;
  boost::json::object ToJson() const;
};

bool EvaluateSuccess(const std::vector<ItemResult>& items, SuccessPolicy policy);

}  // namespace wg
