// Where dedup keys are kept: in this process and a journal in the spool directory
// (dedup_store.hpp), or in Redis for several gateway processes (redis_dedup.hpp).
//
// A key goes through two states: *claimed* while its first request is being accepted (a repeat
// then waits: it must not get a 2xx before the first one is safe, nor be delivered twice), and
// *accepted* once the first request got its 2xx (a repeat inside the window is a duplicate). A
// claim whose request was not accepted is released, so the sender's retry goes through.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

namespace wg {

struct ClaimResult {
  enum class Status {
    kClaimed,      // ours: accept the request, then Commit or Release
    kDuplicate,    // accepted before, inside the window
    kPending,      // another request with this key is being accepted right now
    kUnavailable,  // the backend cannot be asked (Redis down)
  };
  Status status = Status::kClaimed;
  std::string original_id;  // kDuplicate: the delivery id the first request got
  std::string error;        // kUnavailable: why
};

class DedupBackend {
 public:
  virtual ~DedupBackend() = default;
  // `fingerprint` identifies webhook and key (DedupFingerprint).
  virtual boost::asio::awaitable<ClaimResult> Claim(std::string fingerprint,
                                                    std::string delivery_id,
                                                    std::chrono::milliseconds window) = 0;
  // Records durably that `delivery_id` was accepted: repeats within `window` from now are
  // duplicates. Returns an error message, empty on success.
  virtual boost::asio::awaitable<std::string> Commit(std::string fingerprint,
                                                     std::string delivery_id,
                                                     std::chrono::milliseconds window) = 0;
  // Gives a claim up (its request was not accepted). Not waited for.
  virtual void Release(std::string fingerprint, std::string delivery_id,
                       boost::asio::any_io_executor executor) = 0;
};

}  // namespace wg
