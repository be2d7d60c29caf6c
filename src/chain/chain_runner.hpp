// Runs one webhook's chain: items in sequence or in parallel, each with its own retry policy,
// the whole chain bounded by chain-config.timeout, continue_on_error deciding whether a failure
// stops (sequential) or cancels (parallel) the rest.
//
// Runs on the caller's executor, which must be serialised (a single-threaded io_context or a
// strand): the items of one chain share state without locks.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>

#include "chain/chain.hpp"
#include "chain/chain_result.hpp"

namespace wg {

class ChainRunner {
 public:
  static boost::asio::awaitable<ChainResult> Run(std::shared_ptr<const Chain> chain,
                                                 std::shared_ptr<const Delivery> delivery);
};

}  // namespace wg
