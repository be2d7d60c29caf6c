// A chain as the config describes it, with its modules built: what ChainRunner executes.
// A webhook with a single `module` is a chain of one item.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chain/retry_policy.hpp"
#include "modules/module.hpp"

namespace wg {

enum class Execution { kSequential, kParallel };
enum class SuccessPolicy { kAll, kAny };

struct ChainSettings {
  Execution execution = Execution::kSequential;
  bool continue_on_error = true;
  std::chrono::milliseconds timeout{30000};  // bounds the whole chain, in both modes
  SuccessPolicy success = SuccessPolicy::kAll;
};

struct ChainItem {
  std::string module_name;
  std::shared_ptr<Module> module;
  RetryPolicy retry;
  std::string connection;  // the connections.json entry its module uses; empty when none
};

// Chain limits of the Python project (a longer chain is a config error there too). The chain
// runner and the spool keep a set of items as bits of a uint32_t.
constexpr size_t kMaxChainItems = 20;
static_assert(kMaxChainItems <= 32);

struct Chain {
  std::vector<ChainItem> items;
  ChainSettings settings;
};

// The bit mask with one bit per chain item (bit i = item i), as the spool records pending items.
inline uint32_t AllItemsMask(size_t count) {
  return count >= 32 ? ~uint32_t{0} : (uint32_t{1} << count) - 1;
}

}  // namespace wg
