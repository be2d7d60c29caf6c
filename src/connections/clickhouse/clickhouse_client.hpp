// One shared ClickHouse client per connection of type "clickhouse", speaking ClickHouse's HTTP
// interface (port 8123; https 8443): Debian has no C++ library for the native protocol (9000).
//
// Each statement is one POST (SQL in the `query` URL parameter, data in the body) on a pooled
// keep-alive connection, kept per I/O thread like http_webhook's. Credentials travel in the
// X-ClickHouse-User / X-ClickHouse-Key headers (never in the URL, never logged), the database in
// the `database` URL parameter. The connection is the operator's own server, so the SSRF rules of
// url_policy.hpp do not apply (as for redis or postgresql).
//
// Answers: 2xx delivered; a refused or lost connection, a timeout, 408/429 and 5xx retryable,
// except ClickHouse errors (`Code: NNN` in the body) that another attempt cannot fix — unknown
// table, syntax, wrong password, data that does not fit the table — which are permanent, whatever
// the status (18.16 answers a column that does not parse with 500). After a connection failure
// the client stays down for a backoff (100 ms doubling to 5 s) and fails at once as retryable.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/json_reader.hpp"
#include "connections/http/http_client.hpp"
#include "modules/module.hpp"

namespace wg {

struct ClickhouseEndpoint {
  std::string host = "localhost";
  int port = 8123;
  std::string database = "default";
  std::string user = "default";
  std::string password;  // never logged
  bool secure = false;   // https, the certificate verified (system CA store or `ssl_ca_cert`)
  std::chrono::milliseconds timeout{10000};        // each statement: connect, write, answer
  HttpTarget target;                               // derived: scheme, host, port
  std::shared_ptr<boost::asio::ssl::context> tls;  // derived: set when secure
};

// Reads `host` (localhost), `port` (8123; 8443 with `secure`), `database` (default), `user`
// (default), `password` (""), `secure` (false; alias `tls`), `ssl_ca_cert`, `timeout` (seconds,
// 10). Port 9000/9440 (the native protocol the Python project used) is refused with a hint.
std::optional<ClickhouseEndpoint> ParseClickhouseEndpoint(const boost::json::object& settings,
                                                          const std::string& path,
                                                          ConfigErrors& errors);

// The request for one statement: POST /?database=..&query=<sql> with `body`.
HttpStream::Request BuildClickhouseRequest(const ClickhouseEndpoint& endpoint, std::string_view sql,
                                           std::string body);

// ClickHouse's numeric error code of an error answer ("Code: 60, e.displayText() = ..."), or -1.
int ClickhouseErrorCode(std::string_view body);

// The outcome of an answer; `what` names the statement for the message.
Outcome ClassifyClickhouseAnswer(unsigned status, std::string_view body, std::string_view what);

struct ClickhouseResult {
  Outcome outcome;
  int error_code = -1;  // ClickHouse's error code when it answered with one
};

class ClickhouseClient {
 public:
  ClickhouseClient(std::string name, ClickhouseEndpoint endpoint);
  ClickhouseClient(const ClickhouseClient&) = delete;
  ClickhouseClient& operator=(const ClickhouseClient&) = delete;

  // Runs `sql` with `body` as its data; `what` names it in messages ("INSERT INTO `t`").
  boost::asio::awaitable<ClickhouseResult> Execute(std::string sql, std::string body,
                                                   std::string what);

  // Tables this connection has created (CREATE TABLE IF NOT EXISTS ran), so that every webhook
  // writing to the same table creates it only once.
  bool TableReady(const std::string& table) const;
  void SetTableReady(const std::string& table, bool ready);

  // "not used yet", "ok" (the last statement got an answer) or "down: <last error>".
  std::string State() const;
  const std::string& name() const { return name_; }
  const ClickhouseEndpoint& endpoint() const { return endpoint_; }

 private:
  // Before a request: the reason to fail at once while backing off, or nullopt.
  std::optional<std::string> BackingOff();
  void RecordFailure(const std::string& error);
  void RecordAnswer();

  const std::string name_;
  const ClickhouseEndpoint endpoint_;
  HttpConnectionPool pool_;  // keep-alive connections, per I/O thread
  mutable std::mutex mutex_;
  std::set<std::string> ready_tables_;
  std::string state_ = "not used yet";
  std::string last_error_;
  std::chrono::steady_clock::time_point down_until_{};
  std::chrono::milliseconds backoff_{0};
};

}  // namespace wg
