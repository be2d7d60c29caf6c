#include "chain/chain_result.hpp"

namespace wg {

std::string_view ItemStatusName(ItemStatus status) {
  switch (status) {
    case ItemStatus::kDelivered: return "delivered";
    case ItemStatus::kFailed: return "failed";
    case ItemStatus::kTimedOut: return "timed_out";
    case ItemStatus::kCancelled: return "cancelled";
    case ItemStatus::kNotExecuted: return "not_executed";
  }
  return "unknown";
}

int ChainResult::Delivered() const {
  int count = 0;
  for (const auto& item : items) count += item.status == ItemStatus::kDelivered ? 1 : 0;
  return count;
}

bool EvaluateSuccess(const std::vector<ItemResult>& items, SuccessPolicy policy) {
  if (items.empty()) return false;
  int delivered = 0;
  for (const auto& item : items) delivered += item.status == ItemStatus::kDelivered ? 1 : 0;
  return policy == SuccessPolicy::kAll ? delivered == static_cast<int>(items.size())
                                       : delivered > 0;
}

boost::json::object ChainResult::ToJson() const {
  boost::json::array list;
  for (const auto& item : items) {
    boost::json::object entry;
    entry["module"] = item.module;
    entry["status"] = ItemStatusName(item.status);
    entry["attempts"] = item.attempts;
    entry["duration_ms"] = static_cast<double>(item.duration.count()) / 1000.0;
    if (!item.error.empty()) entry["error"] = item.error;
    list.push_back(std::move(entry));
  }
  boost::json::object out;
  out["success"] = success;
  out["delivered"] = Delivered();
  out["total"] = items.size();
  out["duration_ms"] = static_cast<double>(duration.count()) / 1000.0;
  out["results"] = std::move(list);
  return out;
}

}  // namespace wg
