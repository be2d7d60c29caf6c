#include "connections/mysql/mysql_client.hpp"

#include <errmsg.h>
#include <fmt/format.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <algorithm>
#include <map>

#include "connections/thread_handoff.hpp"

namespace wg {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::chrono::milliseconds kMinBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
// Prepared statements kept per connection; a module's inserts need one or a few (one per set of
// payload keys present when schema fields have defaults).
constexpr size_t kMaxCachedStatements = 64;
// A connection idle for longer is pinged before use.
constexpr std::chrono::seconds kIdleCheckAfter{5};

// The connector's timeouts are whole seconds.
unsigned int Seconds(std::chrono::milliseconds duration) {
  return static_cast<unsigned int>(std::max<int64_t>(1, (duration.count() + 999) / 1000));
}

// Errors that mean the connection cannot be used again.
bool LosesConnection(unsigned int code) {
  return (code >= CR_MIN_ERROR && code <= CR_MAX_ERROR) || code == ER_SERVER_SHUTDOWN ||
         code == ER_CONNECTION_KILLED ||
         (code >= ER_ABORTING_CONNECTION && code <= ER_NET_WRITE_INTERRUPTED) ||
         code == ER_NEW_ABORTING_CONNECTION;
}
}  // namespace

bool IsMysqlConnectionType(std::string_view type) { return type == "mysql" || type == "mariadb"; }

OutcomeKind ClassifyMysqlError(unsigned int code) {
  if (code >= CR_MIN_ERROR && code <= CR_MAX_ERROR) return OutcomeKind::kRetryable;
  switch (code) {
    case ER_DISK_FULL:
    case ER_OUTOFMEMORY:
    case ER_CON_COUNT_ERROR:
    case ER_OUT_OF_RESOURCES:
    case ER_SERVER_SHUTDOWN:
    case ER_HOST_IS_BLOCKED:
    case ER_TOO_MANY_USER_CONNECTIONS:
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_TABLE_FULL:
    case ER_LOCK_DEADLOCK:
    case ER_USER_LIMIT_REACHED:
    case ER_OPTION_PREVENTS_STATEMENT:  // --read-only, as during a failover
    case ER_QUERY_INTERRUPTED:
    case ER_CONNECTION_KILLED:
    case ER_STATEMENT_TIMEOUT:
    case ER_NEW_ABORTING_CONNECTION:
      return OutcomeKind::kRetryable;
    default:
      break;
  }
  if (code >= ER_ABORTING_CONNECTION && code <= ER_NET_WRITE_INTERRUPTED)
    return OutcomeKind::kRetryable;
  return OutcomeKind::kPermanent;
}

std::optional<MysqlEndpoint> ParseMysqlEndpoint(const boost::json::object& settings,
                                                const std::string& path, ConfigErrors& errors) {
  ObjectReader reader(settings, path, errors);
  const size_t before = errors.size();
  MysqlEndpoint endpoint;
  endpoint.host = reader.StringOr("host", "localhost");
  endpoint.port = static_cast<int>(reader.Integer("port", 3306, 1, 65535));
  endpoint.unix_socket = reader.StringOr("unix_socket", "");
  endpoint.database = reader.StringOr("database", "mysql");
  endpoint.user = reader.StringOr("user", "root");
  endpoint.password = reader.StringOr("password", "");
  endpoint.ssl = reader.Bool("ssl", false);
  endpoint.ssl_ca_cert = reader.StringOr("ssl_ca_cert", "");
  endpoint.ssl_cert = reader.StringOr("ssl_cert", "");
  endpoint.ssl_key = reader.StringOr("ssl_key", "");
  reader.Integer("pool_min_size", 0, 0,
                 100);  // the Python project's key; connections open on demand
  endpoint.pool_max_size = static_cast<size_t>(reader.Integer("pool_max_size", 4, 1, 64));
  endpoint.connect_timeout = std::chrono::milliseconds(
      static_cast<int64_t>(reader.Number("connect_timeout", 5.0, 1, 600) * 1000));
  endpoint.query_timeout = std::chrono::milliseconds(
      static_cast<int64_t>(reader.Number("query_timeout", 10.0, 1, 3600) * 1000));
  reader.Allow({"type"});
  reader.RejectUnknownKeys("mysql connection");
  if (endpoint.host.empty() && endpoint.unix_socket.empty()) {
    errors.Add(reader.PathOf("host"), "must not be empty");
  }
  if ((!endpoint.ssl_cert.empty()) != (!endpoint.ssl_key.empty())) {
    errors.Add(reader.PathOf(endpoint.ssl_cert.empty() ? "ssl_cert" : "ssl_key"),
               "ssl_cert and ssl_key go together (a client certificate and its key)");
  }
  if (errors.size() != before) return std::nullopt;
  return endpoint;
}

struct MysqlClient::Request {
  std::vector<std::string> ddl;                    // run as text, in order (EnsureOnce)
  std::string sql;                                 // else: this prepared statement ...
  std::vector<std::optional<std::string>> params;  // ... with these parameters
  Clock::time_point deadline;                      // a worker must take it up before this
  OutcomeCallback complete;
};

// One connection, only touched by the worker thread that owns it.
class MysqlClient::Connection {
 public:
  explicit Connection(const MysqlEndpoint& endpoint) : endpoint_(endpoint) {}
  ~Connection() { Close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool ok() const { return mysql_ != nullptr; }

  // Whether a connection unused for a while still answers; closed if not. (The server drops
  // idle connections after wait_timeout, and a restart drops them all.)
  bool StillThere() {
    if (mysql_ == nullptr) return false;
    if (Clock::now() - last_used_ < kIdleCheckAfter) return true;
    if (mysql_ping(mysql_) != 0) Close();
    return ok();
  }

  void Used() { last_used_ = Clock::now(); }

  // Delivered when connected; else the reason, and the connection stays closed.
  Outcome Connect() {
    Close();
    mysql_ = mysql_init(nullptr);
    if (mysql_ == nullptr) return Outcome::Retryable("out of memory");
    unsigned int connect_timeout = Seconds(endpoint_.connect_timeout);
    unsigned int query_timeout = Seconds(endpoint_.query_timeout);
    mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_optionsv(mysql_, MYSQL_OPT_READ_TIMEOUT, &query_timeout);
    mysql_optionsv(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &query_timeout);
    mysql_optionsv(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_optionsv(mysql_, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
    my_bool no = 0;
    mysql_optionsv(mysql_, MYSQL_OPT_RECONNECT, &no);  // a reconnect behind our back loses state
    // "localhost" means TCP to this host, as with the Python project's driver, not the
    // connector's default socket path; unix_socket asks for a socket.
    unsigned int protocol =
        endpoint_.unix_socket.empty() ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
    mysql_optionsv(mysql_, MYSQL_OPT_PROTOCOL, &protocol);
    if (endpoint_.ssl) {
      my_bool yes = 1;
      mysql_optionsv(mysql_, MYSQL_OPT_SSL_ENFORCE, &yes);
      mysql_optionsv(mysql_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
      if (!endpoint_.ssl_ca_cert.empty())
        mysql_optionsv(mysql_, MYSQL_OPT_SSL_CA, endpoint_.ssl_ca_cert.c_str());
      if (!endpoint_.ssl_cert.empty())
        mysql_optionsv(mysql_, MYSQL_OPT_SSL_CERT, endpoint_.ssl_cert.c_str());
      if (!endpoint_.ssl_key.empty())
        mysql_optionsv(mysql_, MYSQL_OPT_SSL_KEY, endpoint_.ssl_key.c_str());
    }
    last_used_ = Clock::now();
    if (mysql_real_connect(mysql_, endpoint_.host.c_str(), endpoint_.user.c_str(),
                           endpoint_.password.c_str(), endpoint_.database.c_str(),
                           static_cast<unsigned int>(endpoint_.port),
                           endpoint_.unix_socket.empty() ? nullptr : endpoint_.unix_socket.c_str(),
                           0) == nullptr) {
      Outcome failure = Failure("cannot connect", mysql_errno(mysql_), mysql_sqlstate(mysql_),
                                mysql_error(mysql_));
      Close();
      return failure;
    }
    return Outcome::Delivered();
  }

  // Each statement as text, stopping at the first error.
  Outcome RunText(const std::vector<std::string>& statements) {
    last_error_ = 0;
    for (const auto& sql : statements) {
      if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return ConnectionFailure();
      // DDL has no result set; a statement that has one must not leave it unread.
      if (MYSQL_RES* result = mysql_store_result(mysql_)) mysql_free_result(result);
    }
    return Outcome::Delivered();
  }

  // One prepared statement (prepared once per connection) with text parameters.
  Outcome RunPrepared(const std::string& sql,
                      const std::vector<std::optional<std::string>>& params) {
    last_error_ = 0;
    Outcome failure;
    MYSQL_STMT* statement = Prepared(sql, failure);
    if (statement == nullptr) return failure;
    if (mysql_stmt_param_count(statement) != params.size()) {
      Forget(sql);
      return Outcome::Permanent(fmt::format("the statement takes {} parameters, {} given",
                                            mysql_stmt_param_count(statement), params.size()));
    }
    std::vector<MYSQL_BIND> binds(params.size());
    std::vector<unsigned long> lengths(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      MYSQL_BIND& bind = binds[i];
      if (!params[i]) {
        bind.buffer_type = MYSQL_TYPE_NULL;
        continue;
      }
      lengths[i] = static_cast<unsigned long>(params[i]->size());
      bind.buffer_type = MYSQL_TYPE_STRING;
      bind.buffer = const_cast<char*>(params[i]->data());
      bind.buffer_length = lengths[i];
      bind.length = &lengths[i];
    }
    if (mysql_stmt_bind_param(statement, binds.data()) != 0 || mysql_stmt_execute(statement) != 0) {
      Outcome failure = Failure("", mysql_stmt_errno(statement), mysql_stmt_sqlstate(statement),
                                mysql_stmt_error(statement));
      if (LosesConnection(mysql_stmt_errno(statement)))
        Close();
      else
        Forget(sql);  // a statement the server refused is prepared afresh next time
      return failure;
    }
    return Outcome::Delivered();
  }

  // The error number of the last failure on the connection (0 when none).
  unsigned int last_error() const { return last_error_; }

  void Close() {
    for (auto& [sql, statement] : statements_) mysql_stmt_close(statement);
    statements_.clear();
    if (mysql_ != nullptr) mysql_close(mysql_);
    mysql_ = nullptr;
  }

 private:
  // The prepared statement for `sql`, or null with the reason in `failure`.
  MYSQL_STMT* Prepared(const std::string& sql, Outcome& failure) {
    if (auto found = statements_.find(sql); found != statements_.end()) return found->second;
    if (statements_.size() >= kMaxCachedStatements) {
      for (auto& [text, statement] : statements_) mysql_stmt_close(statement);
      statements_.clear();
    }
    MYSQL_STMT* statement = mysql_stmt_init(mysql_);
    if (statement == nullptr) {
      failure = ConnectionFailure();
      return nullptr;
    }
    if (mysql_stmt_prepare(statement, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
      unsigned int code = mysql_stmt_errno(statement);
      failure = Failure("", code, mysql_stmt_sqlstate(statement), mysql_stmt_error(statement));
      mysql_stmt_close(statement);
      if (LosesConnection(code)) Close();
      return nullptr;
    }
    statements_.emplace(sql, statement);
    return statement;
  }

  void Forget(const std::string& sql) {
    auto found = statements_.find(sql);
    if (found == statements_.end()) return;
    mysql_stmt_close(found->second);
    statements_.erase(found);
  }

  // The connection's last error as an outcome; closes the connection if it is lost.
  Outcome ConnectionFailure() {
    unsigned int code = mysql_errno(mysql_);
    Outcome failure = Failure("", code, mysql_sqlstate(mysql_), mysql_error(mysql_));
    if (LosesConnection(code) || code == 0) Close();
    return failure;
  }

  Outcome Failure(std::string_view doing, unsigned int code, const char* sqlstate,
                  const char* message) {
    last_error_ = code;
    std::string text =
        fmt::format("{}{}{} (error {}, SQLSTATE {})", doing, doing.empty() ? "" : ": ",
                    message != nullptr ? message : "", code, sqlstate != nullptr ? sqlstate : "");
    if (code == 0) return Outcome::Retryable(std::move(text));
    return {ClassifyMysqlError(code), std::move(text)};
  }

  const MysqlEndpoint& endpoint_;
  MYSQL* mysql_ = nullptr;
  std::map<std::string, MYSQL_STMT*, std::less<>> statements_;
  unsigned int last_error_ = 0;
  Clock::time_point last_used_ = Clock::now();
};

MysqlClient::MysqlClient(std::string name, MysqlEndpoint endpoint)
    : name_(std::move(name)), endpoint_(std::move(endpoint)) {}

MysqlClient::~MysqlClient() {
  std::deque<std::shared_ptr<Request>> left;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    left.swap(queue_);
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
  for (auto& request : left) {
    CompleteOnce(request->complete,
                 Outcome::Retryable(fmt::format("mysql \"{}\": shutting down", name_)));
  }
}

std::string MysqlClient::State() const {
  std::lock_guard lock(mutex_);
  return state_;
}

asio::awaitable<Outcome> MysqlClient::Execute(std::string sql,
                                              std::vector<std::optional<std::string>> params) {
  auto request = std::make_shared<Request>();
  request->sql = std::move(sql);
  request->params = std::move(params);
  auto submitting = Submit(std::move(request));
  Outcome outcome = co_await std::move(submitting);
  co_return outcome;
}

asio::awaitable<Outcome> MysqlClient::EnsureOnce(std::vector<std::string> statements) {
  std::string key = fmt::format("{}", fmt::join(statements, ";\n"));
  {
    std::lock_guard lock(mutex_);
    if (done_.contains(key)) co_return Outcome::Delivered();
  }
  auto request = std::make_shared<Request>();
  request->ddl = std::move(statements);
  auto submitting = Submit(request);
  Outcome outcome = co_await std::move(submitting);
  if (outcome.delivered()) {
    std::lock_guard lock(mutex_);
    done_.insert(std::move(key));
  }
  co_return outcome;
}

asio::awaitable<Outcome> MysqlClient::Submit(std::shared_ptr<Request> request) {
  request->deadline = Clock::now() + endpoint_.query_timeout;
  auto waiting = AwaitFromThread<Outcome>([this, request](OutcomeCallback complete) {
    request->complete = std::move(complete);
    Enqueue(request);
  });
  Outcome outcome = co_await std::move(waiting);
  co_return outcome;
}

void MysqlClient::Enqueue(std::shared_ptr<Request> request) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      CompleteOnce(request->complete,
                   Outcome::Retryable(fmt::format("mysql \"{}\": shutting down", name_)));
      return;
    }
    queue_.push_back(std::move(request));
    // One more worker (and connection) while every worker is busy, up to pool_max_size.
    if (idle_workers_ < queue_.size() && workers_.size() < endpoint_.pool_max_size) {
      workers_.emplace_back([this] { Work(); });
    }
  }
  wake_.notify_one();
}

void MysqlClient::Work() {
  mysql_thread_init();
  {
    Connection connection(endpoint_);
    std::unique_lock lock(mutex_);
    while (true) {
      ++idle_workers_;
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      --idle_workers_;
      if (stopping_) break;
      std::shared_ptr<Request> request = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      Run(connection, *request);
      lock.lock();
    }
  }
  mysql_thread_end();
}

void MysqlClient::Run(Connection& connection, Request& request) {
  const std::string where = endpoint_.unix_socket.empty()
                                ? fmt::format("{}:{}", endpoint_.host, endpoint_.port)
                                : endpoint_.unix_socket;
  auto finish = [&](Outcome outcome) {
    if (!outcome.delivered()) {
      outcome.message = fmt::format("mysql \"{}\" ({}): {}", name_, where, outcome.message);
    }
    CompleteOnce(request.complete, std::move(outcome));
  };
  if (Clock::now() > request.deadline) {
    return finish(
        Outcome::Retryable(fmt::format("no connection was free within {} s (pool_max_size {})",
                                       Seconds(endpoint_.query_timeout), endpoint_.pool_max_size)));
  }
  // A connection the server closed while it sat idle is only noticed when used: one fresh
  // connection and a second try, for statements that never reached the server.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!connection.StillThere()) {
      {
        std::lock_guard lock(mutex_);
        if (Clock::now() < retry_at_) return finish(Outcome::Retryable(state_));
      }
      Outcome connected = connection.Connect();
      std::lock_guard lock(mutex_);
      if (!connected.delivered()) {
        backoff_ = std::clamp(backoff_ * 2, kMinBackoff, kMaxBackoff);
        retry_at_ = Clock::now() + backoff_;
        state_ = "down: " + connected.message;
        return finish(std::move(connected));
      }
      backoff_ = std::chrono::milliseconds(0);
      state_ = "connected";
    }
    Outcome outcome = request.ddl.empty() ? connection.RunPrepared(request.sql, request.params)
                                          : connection.RunText(request.ddl);
    connection.Used();
    bool gone_before_sent = !outcome.delivered() && connection.last_error() == CR_SERVER_GONE_ERROR;
    if (attempt == 0 && gone_before_sent) continue;
    if (!connection.ok()) {  // lost: /health says so until a connect succeeds
      std::lock_guard lock(mutex_);
      state_ = "down: " + outcome.message;
    }
    return finish(std::move(outcome));
  }
}

}  // namespace wg
