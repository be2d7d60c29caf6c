// One shared MySQL / MariaDB client per connection name of connections.json, on MariaDB
// Connector/C (libmariadb).
//
// The connector's calls block, so each client owns a small pool of threads (up to
// `pool_max_size`, started as the load needs them), each with one connection of its own; modules
// hand statements to them through a queue and co_await the result (AwaitFromThread). Only the
// owning thread touches a connection. Inserts are prepared statements, cached per connection, with
// the webhook's data as parameters; the connection speaks utf8mb4 with time_zone UTC.
//
// A failed connect makes the whole client wait before the next attempt (100 ms doubling to 5 s);
// meanwhile statements fail at once as retryable, so the chain's retry policy decides when to try
// again. A connection the server closed while idle (wait_timeout, a restart) is reconnected once
// on the spot. Access denied and unknown database are permanent; so are errors caused by the
// statement or its data (unknown column, bad value, duplicate key).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/json_reader.hpp"
#include "modules/module.hpp"

namespace wg {

struct MysqlEndpoint {
  std::string host = "localhost";  // always TCP, as the Python project's driver; see unix_socket
  int port = 3306;
  std::string unix_socket;  // set: connect through this socket instead
  std::string database = "mysql";
  std::string user = "root";
  std::string password;
  bool ssl = false;  // TLS with the server's certificate verified
  std::string ssl_ca_cert;
  std::string ssl_cert;
  std::string ssl_key;
  size_t pool_max_size = 4;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds query_timeout{10000};
};

// Reads a connection of type "mysql" or "mariadb": host (localhost), port (3306), database
// (mysql), user (root), password (""), unix_socket; ssl, ssl_ca_cert, ssl_cert, ssl_key;
// pool_min_size (accepted; connections open on demand), pool_max_size (4); connect_timeout (5 s)
// and query_timeout (10 s).
std::optional<MysqlEndpoint> ParseMysqlEndpoint(const boost::json::object& settings,
                                                const std::string& path, ConfigErrors& errors);

bool IsMysqlConnectionType(std::string_view type);

// Whether an error number (server ER_* or client CR_*) is worth another attempt: connection
// lost or refused, server shutting down, too many connections, lock wait timeout, deadlock,
// read-only server. Errors caused by the statement, its data or the credentials are permanent.
OutcomeKind ClassifyMysqlError(unsigned int code);

class MysqlClient {
 public:
  MysqlClient(std::string name, MysqlEndpoint endpoint);
  ~MysqlClient();
  MysqlClient(const MysqlClient&) = delete;
  MysqlClient& operator=(const MysqlClient&) = delete;

  // Runs one statement with text parameters (a null optional is SQL NULL) as a prepared
  // statement, autocommitted.
  boost::asio::awaitable<Outcome> Execute(std::string sql,
                                          std::vector<std::optional<std::string>> params);

  // Runs each statement once per client (CREATE TABLE IF NOT EXISTS ...), remembered after
  // success, so deliveries do not repeat DDL.
  boost::asio::awaitable<Outcome> EnsureOnce(std::vector<std::string> statements);

  // "connected", "not connected yet" or "down: <last error>".
  std::string State() const;
  const std::string& name() const { return name_; }

  struct Request;
  class Connection;

 private:
  boost::asio::awaitable<Outcome> Submit(std::shared_ptr<Request> request);
  void Enqueue(std::shared_ptr<Request> request);
  void Work();
  void Run(Connection& connection, Request& request);

  std::string name_;
  MysqlEndpoint endpoint_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Request>> queue_;
  std::vector<std::thread> workers_;
  size_t idle_workers_ = 0;
  bool stopping_ = false;
  std::string state_ = "not connected yet";
  std::chrono::steady_clock::time_point retry_at_{};  // no connect attempt before this
  std::chrono::milliseconds backoff_{0};
  std::set<std::string> done_;  // statements of EnsureOnce
};

}  // namespace wg
