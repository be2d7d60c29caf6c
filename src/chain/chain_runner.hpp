// Runs one webhook's chain: items in sequence or in parallel, each with its own retry policy,
// the whole chain bounded by chain-config.timeout, continue_on_error deciding whether a failure
// stops (sequential) or cancels (parallel) the rest.
//
// Runs on the caller's executor, which must be serialised (a single-threaded io_context or a
// strand): the items of one chain share state without locks.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "chain/chain.hpp"
#include "chain/chain_result.hpp"

namespace wg {

class Metrics;

struct ChainRunOptions {
  uint32_t items = ~uint32_t{0};  // bit i set: run item i; the others are reported as skipped
  // Called as soon as an item is delivered, so progress can be recorded before the chain ends.
  std::function<void(size_t item)> on_delivered;
  // Where every attempt and retry is counted (null: not counted), under this webhook label
  // (the configured id that served the request, never the id a sender made up).
  Metrics* metrics = nullptr;
  std::string webhook;
};

class ChainRunner {
 public:
  using Done = std::function<void(ChainResult)>;

  // Starts the chain on `executor`, from a handler or coroutine already running on it. `done`
  // is called once, on it, with the result: before Start returns when no item had to wait.
  static void Start(std::shared_ptr<const Chain> chain, std::shared_ptr<const Delivery> delivery,
                    ChainRunOptions options, boost::asio::any_io_executor executor, Done done);

  // The same, awaited on the calling coroutine's executor.
  static boost::asio::awaitable<ChainResult> Run(std::shared_ptr<const Chain> chain,
                                                 std::shared_ptr<const Delivery> delivery,
                                                 ChainRunOptions options = {});
};

}  // namespace wg
