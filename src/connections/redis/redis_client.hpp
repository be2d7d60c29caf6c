// One shared, asynchronous Redis client per connection name of connections.json. Each I/O thread
// gets its own pipelined connection (a socket belongs to one event loop); a lost connection is
// re-established with exponential backoff, and while Redis is down commands fail at once as
// retryable, so the chain's retry policy decides when to try again.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/json_reader.hpp"
#include "connections/redis/resp.hpp"
#include "modules/module.hpp"

namespace wg {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  std::string port = "6379";
  int db = 0;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::chrono::milliseconds timeout{5000};
};

// Reads `host`, `port`, `db`, `password` (and `username`, `timeout`) of a connection.
std::optional<RedisEndpoint> ParseRedisEndpoint(const boost::json::object& settings,
                                                const std::string& path, ConfigErrors& errors,
                                                bool reject_unknown_keys);

struct RedisResult {
  bool ok = false;
  std::string error;                // when !ok: why (always worth a retry: the server is unreachable)
  std::vector<RedisReply> replies;  // one per command, in order
};

class RedisConnection;

class RedisClient {
 public:
  RedisClient(std::string name, RedisEndpoint endpoint);
  ~RedisClient();

  // Sends the commands in one pipeline on the calling thread's connection.
  boost::asio::awaitable<RedisResult> Execute(std::vector<std::vector<std::string>> commands);

  // "connected", "connecting", "not connected yet" or "down: <last error>".
  std::string State() const;
  const std::string& name() const { return name_; }

 private:
  std::shared_ptr<RedisConnection> ConnectionFor(const boost::asio::any_io_executor& executor);

  std::string name_;
  RedisEndpoint endpoint_;
  mutable std::mutex mutex_;
  std::map<void*, std::shared_ptr<RedisConnection>> connections_;  // by event loop
};

}  // namespace wg
