// Dedup keys in Redis, shared by several gateway processes: "wg:dedup:<fingerprint>" holds
// "~<delivery id>" while claimed (SET NX with a short expiry, so a process that dies while
// accepting blocks nobody for long) and "<delivery id>" once accepted (for the window).
#pragma once

#include <memory>

#include "connections/redis/redis_client.hpp"
#include "dedup/dedup_backend.hpp"

namespace wg {

class RedisDedup final : public DedupBackend {
 public:
  explicit RedisDedup(std::shared_ptr<RedisClient> redis) : redis_(std::move(redis)) {}

  boost::asio::awaitable<ClaimResult> Claim(std::string fingerprint, std::string delivery_id,
                                            std::chrono::milliseconds window) override;
  boost::asio::awaitable<std::string> Commit(std::string fingerprint, std::string delivery_id,
                                             std::chrono::milliseconds window) override;
  void Release(std::string fingerprint, std::string delivery_id,
               boost::asio::any_io_executor executor) override;

 private:
  std::shared_ptr<RedisClient> redis_;
};

}  // namespace wg
