// What the pipeline asks before accepting a webhook that has `dedup`: is this delivery a repeat?
//
// The first request with a key claims it; a repeat that arrives while the first is still being
// accepted waits for its outcome (polling, up to kPendingWait): accepted -> duplicate, refused
// (any non-2xx) -> the claim is released and the repeat goes on as a first request. So two
// identical requests at the same time give exactly one delivery, and a first request that failed
// never blocks its retry.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "dedup/dedup_backend.hpp"
#include "dedup/dedup_rule.hpp"

namespace wg {

class Logger;

// A claimed key: Commit once the request is accepted; otherwise the destructor releases it.
class DedupClaim {
 public:
  DedupClaim(DedupBackend& backend, std::string fingerprint, std::string delivery_id,
             std::chrono::milliseconds window, boost::asio::any_io_executor executor)
      : backend_(&backend),
        fingerprint_(std::move(fingerprint)),
        delivery_id_(std::move(delivery_id)),
        window_(window),
        executor_(std::move(executor)) {}
  DedupClaim(DedupClaim&& other) noexcept;
  DedupClaim& operator=(DedupClaim&&) = delete;
  DedupClaim(const DedupClaim&) = delete;
  ~DedupClaim();

  // Returns an error message (the key may not survive a restart), empty on success.
  boost::asio::awaitable<std::string> Commit();

 private:
  DedupBackend* backend_;  // null once committed or moved from
  std::string fingerprint_;
  std::string delivery_id_;
  std::chrono::milliseconds window_;
  boost::asio::any_io_executor executor_;
};

struct DedupVerdict {
  enum class Status {
    kFirst,      // accept it; `claim` is set unless the request has no key or the check failed open
    kDuplicate,  // answer 200 with `original_id`, deliver nothing
    kBusy,       // the first request is still being accepted after kPendingWait: 503
    kUnavailable,  // Redis down and fail_open is false: 503
  };
  Status status = Status::kFirst;
  std::string original_id;
  std::optional<DedupClaim> claim;
};

inline constexpr std::chrono::seconds kPendingWait{10};

// `local` is the gateway's own store (null when it has none: a local rule then checks nothing).
boost::asio::awaitable<DedupVerdict> Deduplicate(const DedupRule& rule, DedupBackend* local,
                                                 const Delivery& delivery, Logger& logger);

}  // namespace wg
