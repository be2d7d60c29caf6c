// One shared, asynchronous PostgreSQL client per connection name of connections.json, built on
// libpq's non-blocking API (PQconnectStart/PQconnectPoll, PQsendQueryParams, PQconsumeInput)
// driven by the event loop: the I/O threads wait for the socket, never inside libpq.
// Each event loop owns a small pool of connections (a socket belongs to one loop), each in libpq's
// pipeline mode: under load, concurrent statements share a connection without waiting for each
// other's round trip (up to 64 in flight per connection), each with its own result and its own
// transaction. After a failed connect the loop's pool waits with exponential backoff before
// trying again, and meanwhile queries fail at once as retryable, so the chain's retry policy
// decides when to try again.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/json_reader.hpp"

namespace wg {

struct PostgresqlEndpoint {
  // libpq connection keywords (host, port, dbname, user, password, sslmode, ...), or a URI in
  // `connection_string` which libpq expands itself.
  std::vector<std::pair<std::string, std::string>> keywords;
  std::optional<std::string> connection_string;
  size_t pool_max_size = 4;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds query_timeout{10000};
};

// Reads host (localhost), port (5432), database (postgres), user (postgres), password (""), or
// connection_string; ssl, ssl_ca_cert, ssl_cert, ssl_key; pool_min_size, pool_max_size (4);
// connect_timeout (5 s) and query_timeout (10 s).
std::optional<PostgresqlEndpoint> ParsePostgresqlEndpoint(const boost::json::object& settings,
                                                          const std::string& path,
                                                          ConfigErrors& errors);

bool IsPostgresqlConnectionType(std::string_view type);

struct PostgresqlResult {
  enum class Status { kOk, kRetryable, kPermanent };
  Status status = Status::kOk;
  std::string sqlstate;  // of a server error, "" otherwise
  std::string message;   // why it failed
  bool ok() const { return status == Status::kOk; }
};

// Whether an error with this SQLSTATE is worth another attempt (connection, resources,
// serialization, shutdown) or caused by the statement or its data (classes 22, 23, 42, ...).
bool IsRetryableSqlState(std::string_view sqlstate);

class PostgresqlPool;

class PostgresqlClient {
 public:
  PostgresqlClient(std::string name, PostgresqlEndpoint endpoint);
  ~PostgresqlClient();

  // Runs one statement with text parameters (a null optional is SQL NULL) on a connection of the
  // calling thread's pool, as a transaction of its own.
  boost::asio::awaitable<PostgresqlResult> Execute(std::string sql,
                                                   std::vector<std::optional<std::string>> params);

  // Runs each statement once per client (CREATE TABLE IF NOT EXISTS ...), remembered after
  // success, so deliveries do not repeat DDL.
  boost::asio::awaitable<PostgresqlResult> EnsureOnce(std::vector<std::string> statements);

  // "connected", "not connected yet" or "down: <last error>".
  std::string State() const;
  const std::string& name() const { return name_; }

 private:
  std::shared_ptr<PostgresqlPool> PoolFor(const boost::asio::any_io_executor& executor);

  std::string name_;
  PostgresqlEndpoint endpoint_;
  mutable std::mutex mutex_;
  std::map<void*, std::shared_ptr<PostgresqlPool>> pools_;  // by event loop
  std::set<std::string> done_;                             // statements of EnsureOnce
};

}  // namespace wg
