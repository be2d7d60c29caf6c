#include "chain/chain_result.hpp"

#include "observability/logger.hpp"

namespace wg {

std::string_view ItemStatusName(ItemStatus status) {
  switch (status) {
    case ItemStatus::kDelivered: return "delivered";
    case ItemStatus::kFailed: return "failed";
    case ItemStatus::kTimedOut: return "timed_out";
    case ItemStatus::kCancelled: return "cancelled";
    case ItemStatus::kNotExecuted: return "not_executed";
    case ItemStatus::kSkipped: return "skipped";
  }
  return "unknown";
}

int ChainResult::Delivered() const {
  int count = 0;
  for (const auto& item : items) count += item.status == ItemStatus::kDelivered ? 1 : 0;
  return count;
}

void LogChainResult(Logger& logger, std::string_view webhook_id, std::string_view delivery_id,
                    const ChainResult& result) {
  LogLevel level = result.success ? LogLevel::kDebug : LogLevel::kWarn;
  if (!logger.Enabled(level)) return;
  logger.Log(level, result.success ? "chain delivered" : "chain failed",
             {{"webhook", std::string(webhook_id)},
              {"delivery", std::string(delivery_id)},
              {"result", boost::json::serialize(result.ToJson())}});
}

bool EvaluateSuccess(const std::vector<ItemResult>& items, SuccessPolicy policy) {
  int asked = 0;
  int delivered = 0;
  for (const auto& item : items) {
    if (item.status == ItemStatus::kSkipped) continue;
    ++asked;
    delivered += item.status == ItemStatus::kDelivered ? 1 : 0;
  }
  if (asked == 0) return false;
  return policy == SuccessPolicy::kAll ? delivered == asked : delivered > 0;
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
