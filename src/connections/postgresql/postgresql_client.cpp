#include "connections/postgresql/postgresql_client.hpp"

#include <libpq-fe.h>

#include <boost/asio.hpp>
#include <fmt/format.h>

#include <atomic>
#include <deque>
#include <functional>
#include <limits>

namespace wg {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using WaitType = asio::posix::descriptor_base::wait_type;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kMinBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
// Statements sent on one connection whose results are not all back yet. A statement that finds
// every connection's pipeline this full waits for room (until its query timeout).
constexpr size_t kMaxStatementsInFlight = 64;

PostgresqlResult Failure(PostgresqlResult::Status status, std::string message,
                         std::string sqlstate = {}) {
  PostgresqlResult result;
  result.status = status;
  result.message = std::move(message);
  result.sqlstate = std::move(sqlstate);
  return result;
}

std::string Trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

// Connection-time errors carry no SQLSTATE; these messages mean another attempt cannot succeed
// until someone changes the configuration or the server's users and databases.
bool IsPermanentConnectError(std::string_view message) {
  for (std::string_view needle : {"password authentication failed", "no password supplied",
                                  "does not exist", "no pg_hba.conf entry", "invalid connection option"}) {
    if (message.find(needle) != std::string_view::npos) return true;
  }
  return false;
}
}  // namespace

bool IsPostgresqlConnectionType(std::string_view type) {
  return type == "postgresql" || type == "postgres";
}

bool IsRetryableSqlState(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return true;  // no server verdict: the connection failed
  std::string_view error_class = sqlstate.substr(0, 2);
  // 08 connection exception, 40 serialization failure / deadlock, 53 insufficient resources
  // (too many connections), 57 operator intervention (shutdown, statement timeout), 58 system
  // error, XX internal error, 55P03 lock not available.
  return error_class == "08" || error_class == "40" || error_class == "53" || error_class == "57" ||
         error_class == "58" || error_class == "XX" || sqlstate == "55P03";
}

// One statement on its way through a connection's pipeline, shared by the caller who waits for
// it and the connection that hands out its result. (Not named SqlStatement: that is the
// module's SQL + parameters in sql_table.hpp, and two classes of one name break the
// one-definition rule — the linker kept one destructor for both.)
struct PipelinedStatement {
  PipelinedStatement(const asio::any_io_executor& executor, Clock::time_point deadline)
      : deadline(deadline), finished(executor, deadline) {}

  Clock::time_point deadline;
  asio::steady_timer finished;  // expires at the deadline; cancelled once the result is in
  PostgresqlResult result;
  bool answered = false;  // its own results are all read: the result of its Sync comes next
  bool done = false;      // `result` is final
};

// One libpq connection in pipeline mode, only touched from the thread of its event loop.
//
// Statements from any number of callers go out one behind the other without waiting for the
// previous answer; the results come back in the same order, each to its own caller. Each
// statement is followed by its own Sync (PQpipelineSync), so it is a transaction of its own, as
// outside pipeline mode: a failing statement aborts nothing but itself, and the statements
// behind it run as usual. (One Sync per batch would also make the batch one transaction: a
// failure would roll back its innocent neighbours, which would then have to be sent again —
// more code for little gain, since the round trips are saved either way.)
class PostgresqlConnection : public std::enable_shared_from_this<PostgresqlConnection> {
 public:
  // Called when `count` statements left the pipeline; `lost`: the connection is gone.
  using FinishedHandler = std::function<void(size_t count, bool lost)>;

  PostgresqlConnection(asio::any_io_executor executor, FinishedHandler on_finished)
      : executor_(std::move(executor)), timer_(executor_), on_finished_(std::move(on_finished)) {}
  ~PostgresqlConnection() { Close(); }

  bool ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }
  size_t in_flight() const { return statements_.size(); }

  asio::awaitable<PostgresqlResult> Connect(const PostgresqlEndpoint& endpoint,
                                            Clock::time_point deadline) {
    auto self = shared_from_this();
    std::vector<const char*> keys;
    std::vector<const char*> values;
    for (const auto& [key, value] : endpoint.keywords) {
      keys.push_back(key.c_str());
      values.push_back(value.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectStartParams(keys.data(), values.data(), 0);
    if (conn_ == nullptr) co_return Failure(PostgresqlResult::Status::kRetryable, "out of memory");
    // libpq prints NOTICEs ("relation ... already exists, skipping") to stderr by default; they
    // carry nothing an operator needs, and errors arrive as results anyway.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    if (PQstatus(conn_) == CONNECTION_BAD) co_return ConnectFailure();
    PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
    while (poll != PGRES_POLLING_OK) {
      if (poll == PGRES_POLLING_FAILED) co_return ConnectFailure();
      // libpq may move to a new socket between attempts (several addresses, SSL fallback), so
      // the descriptor is re-registered before every wait.
      ReleaseSocket();
      auto waiting = Wait(poll == PGRES_POLLING_READING ? WaitType::wait_read : WaitType::wait_write,
                          deadline);
      std::string error = co_await std::move(waiting);
      if (!error.empty()) {
        Close();
        co_return Failure(PostgresqlResult::Status::kRetryable, "cannot connect: " + error);
      }
      poll = PQconnectPoll(conn_);
    }
    if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
      co_return ConnectFailure();
    }
    ReleaseSocket();
    std::string error = AttachSocket();
    if (!error.empty()) {
      Close();
      co_return Failure(PostgresqlResult::Status::kRetryable, "cannot connect: " + error);
    }
    co_return PostgresqlResult{};
  }

  // Queues the statement behind those in flight; `statement` receives its result (at once when
  // it cannot be sent).
  void Send(std::shared_ptr<PipelinedStatement> statement, const std::string& sql,
            const std::vector<std::optional<std::string>>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
    if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                          values.data(), nullptr, nullptr, 0) == 0) {
      if (ok()) {
        // Refused before anything was written (too many parameters, ...): only this statement
        // fails, the pipeline goes on.
        statement->result =
            Failure(PostgresqlResult::Status::kRetryable, Trim(PQerrorMessage(conn_)));
        Finish(*statement);
        return;
      }
      statements_.push_back(std::move(statement));
      return Lose({});
    }
    statements_.push_back(std::move(statement));
    if (PQpipelineSync(conn_) == 0) return Lose({});
    Pump();
  }

  void Close() {
    ReleaseSocket();
    timer_.cancel();
    if (conn_ != nullptr) {
      PQfinish(conn_);
      conn_ = nullptr;
    }
  }

  // Fails what is in flight (retryable: the server may or may not have run it) and closes.
  void Lose(std::string why) {
    if (why.empty()) why = Trim(conn_ != nullptr ? PQerrorMessage(conn_) : "");
    if (why.empty()) why = "connection lost";
    Close();
    auto lost = std::move(statements_);
    statements_.clear();
    for (auto& statement : lost) {
      statement->result = Failure(PostgresqlResult::Status::kRetryable, why);
      Finish(*statement);
    }
    on_finished_(lost.size(), true);
  }

 private:
  static void Finish(PipelinedStatement& statement) {
    statement.done = true;
    statement.finished.cancel();
  }

  // Sends what libpq still holds, hands out the results that have arrived, then waits for the
  // socket for whatever is still missing.
  void Pump() {
    if (conn_ == nullptr) return;
    int flushed = PQflush(conn_);
    if (flushed < 0) return Lose({});
    HandOutResults();
    if (conn_ == nullptr) return;
    if (flushed == 1 && !writing_) AwaitSocket(WaitType::wait_write);
    if (statements_.empty()) return;
    if (!reading_) AwaitSocket(WaitType::wait_read);
    if (!watching_) Watch();
  }

  // In pipeline mode a statement's results end with a null result, and the result of its Sync
  // follows.
  void HandOutResults() {
    size_t finished = 0;
    std::optional<std::string> broken;  // why the connection cannot go on
    while (!statements_.empty() && PQisBusy(conn_) == 0) {
      PipelinedStatement& statement = *statements_.front();
      PGresult* answer = PQgetResult(conn_);
      if (!statement.answered) {
        if (answer == nullptr) {
          statement.answered = true;
        } else {
          Note(statement, answer);
          PQclear(answer);
        }
      } else {
        bool synced = answer != nullptr && PQresultStatus(answer) == PGRES_PIPELINE_SYNC;
        PQclear(answer);
        if (!synced) {
          broken = "unexpected result order in the pipeline";
          break;
        }
        Finish(statement);
        statements_.pop_front();
        ++finished;
      }
      if (PQstatus(conn_) == CONNECTION_BAD) {
        broken = "";
        break;
      }
    }
    if (finished > 0) on_finished_(finished, false);
    if (broken) Lose(std::move(*broken));
  }

  static void Note(PipelinedStatement& statement, const PGresult* answer) {
    if (!statement.result.ok()) return;  // the first error is the one that counts
    ExecStatusType status = PQresultStatus(answer);
    if (status == PGRES_FATAL_ERROR) {
      const char* sqlstate = PQresultErrorField(answer, PG_DIAG_SQLSTATE);
      statement.result.sqlstate = sqlstate != nullptr ? sqlstate : "";
      statement.result.message = Trim(PQresultErrorMessage(answer));
      statement.result.status = IsRetryableSqlState(statement.result.sqlstate)
                                    ? PostgresqlResult::Status::kRetryable
                                    : PostgresqlResult::Status::kPermanent;
    } else if (status == PGRES_PIPELINE_ABORTED) {
      // Only statements between a failure and the next Sync are aborted; with a Sync after each
      // statement there are none, but should it happen, another attempt is right.
      statement.result = Failure(PostgresqlResult::Status::kRetryable,
                                 "aborted by an earlier statement's error in the pipeline");
    }
  }

  void AwaitSocket(WaitType type) {
    (type == WaitType::wait_read ? reading_ : writing_) = true;
    socket_->async_wait(type, [self = shared_from_this(), type](boost::system::error_code ec) {
      (type == WaitType::wait_read ? self->reading_ : self->writing_) = false;
      if (self->conn_ == nullptr || ec == asio::error::operation_aborted) return;
      if (ec) return self->Lose(ec.message());
      if (type == WaitType::wait_read && PQconsumeInput(self->conn_) == 0) return self->Lose({});
      self->Pump();
    });
  }

  // The oldest statement overdue means the server or the network is stuck: the connection goes,
  // as a timeout always did, and with it the statements queued behind that one. They fail as
  // retryable; like any statement that timed out, the server may still run them (at least once:
  // `upsert` keeps a retried delivery to one row).
  void Watch() {
    watching_ = true;
    timer_.expires_at(statements_.front()->deadline);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code) {
      self->watching_ = false;
      if (self->conn_ == nullptr || self->statements_.empty()) return;
      if (Clock::now() >= self->statements_.front()->deadline) return self->Lose("timed out");
      self->Watch();
    });
  }

  PostgresqlResult ConnectFailure() {
    std::string message = Trim(conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory");
    Close();
    auto status = IsPermanentConnectError(message) ? PostgresqlResult::Status::kPermanent
                                                   : PostgresqlResult::Status::kRetryable;
    return Failure(status, "cannot connect: " + message);
  }

  // "" once libpq's socket is registered with the event loop, else why not.
  std::string AttachSocket() {
    int fd = PQsocket(conn_);
    if (fd < 0) return "no socket";
    boost::system::error_code ec;
    socket_.emplace(executor_);
    socket_->assign(fd, ec);
    if (ec) {
      socket_.reset();
      return ec.message();
    }
    return "";
  }

  // The socket belongs to libpq: release, never close, so PQfinish does not close it twice.
  // Releasing also cancels the waits on it.
  void ReleaseSocket() {
    if (socket_) {
      socket_->release();
      socket_.reset();
    }
  }

  // While connecting: waits until libpq's socket is ready; "" when it is, else why not.
  asio::awaitable<std::string> Wait(WaitType type, Clock::time_point deadline) {
    if (!socket_) {
      std::string error = AttachSocket();
      if (!error.empty()) co_return error;
    }
    if (Clock::now() >= deadline) co_return "timed out";
    uint64_t generation = ++wait_generation_;
    auto timed_out = std::make_shared<bool>(false);
    timer_.expires_at(deadline);
    timer_.async_wait([weak = weak_from_this(), generation, timed_out](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->wait_generation_ != generation || !self->socket_) return;
      *timed_out = true;
      self->socket_->cancel();
    });
    auto [ec] = co_await socket_->async_wait(type, kUseTuple);
    timer_.cancel();
    if (*timed_out) co_return "timed out";
    if (ec) co_return ec.message();
    co_return "";
  }

  asio::any_io_executor executor_;
  PGconn* conn_ = nullptr;
  std::optional<asio::posix::stream_descriptor> socket_;
  asio::steady_timer timer_;  // the connect timeout, then the watch over the oldest statement
  uint64_t wait_generation_ = 0;
  FinishedHandler on_finished_;
  std::deque<std::shared_ptr<PipelinedStatement>> statements_;  // in flight, oldest first
  // Whether a wait for the socket (to read, to write) or the watch over the oldest statement is
  // pending.
  bool reading_ = false;
  bool writing_ = false;
  bool watching_ = false;
};

// The connections of one event loop. A statement goes to an idle connection if there is one,
// else to a new connection while the pool may grow (more server processes work in parallel),
// else into the shortest pipeline; it waits only when every pipeline is full.
class PostgresqlPool : public std::enable_shared_from_this<PostgresqlPool> {
 public:
  PostgresqlPool(asio::any_io_executor executor, const PostgresqlEndpoint& endpoint,
                 std::string name)
      : executor_(std::move(executor)), endpoint_(endpoint), name_(std::move(name)) {}

  struct Acquired {
    std::shared_ptr<PostgresqlConnection> connection;
    PostgresqlResult error;
  };

  asio::awaitable<Acquired> Acquire(Clock::time_point deadline) {
    auto self = shared_from_this();
    for (;;) {
      auto least_busy = LeastBusy();
      if (least_busy && least_busy->in_flight() == 0) co_return Acquired{least_busy, {}};
      if (OpenCount() < endpoint_.pool_max_size && Clock::now() >= retry_after_) {
        auto opening = Open(deadline);
        Acquired opened = co_await std::move(opening);
        if (opened.connection) co_return opened;
        // The others may still serve while a new connection is refused (too many clients).
        least_busy = LeastBusy();
        if (HasRoom(least_busy)) co_return Acquired{least_busy, {}};
        co_return opened;
      }
      if (HasRoom(least_busy)) co_return Acquired{least_busy, {}};
      if (OpenCount() == 0) {
        co_return Acquired{nullptr, Failure(last_status_,
                                            fmt::format("postgresql \"{}\" is down ({}); "
                                                        "reconnecting", name_, LastError()))};
      }
      // Every pipeline is full, or the only connections are still connecting.
      auto waiter = std::make_shared<Waiter>(executor_, deadline);
      waiters_.push_back(waiter);
      co_await waiter->timer.async_wait(kUseTuple);
      waiter->waiting = false;
      if (Clock::now() >= deadline) {
        co_return Acquired{nullptr, Failure(PostgresqlResult::Status::kRetryable,
                                            fmt::format("postgresql \"{}\": all {} connections "
                                                        "stayed busy", name_, OpenCount()))};
      }
    }
  }

  // A statement got an answer from the server.
  void NoteAnswer() { last_success_ = Clock::now().time_since_epoch().count(); }

  // A statement failed without one (connection lost, timed out), for /health.
  void NoteLost(const std::string& error) {
    {
      std::lock_guard lock(error_mutex_);
      last_error_ = error;
    }
    failed_ = true;
    last_failure_ = Clock::now().time_since_epoch().count();
  }

  // Steady-clock ticks of the last answer from the server and of the last failure (0: never).
  int64_t last_success() const { return last_success_.load(); }
  int64_t last_failure() const { return last_failure_.load(); }
  bool ever_failed() const { return failed_.load(); }
  std::string LastError() const {
    std::lock_guard lock(error_mutex_);
    return last_error_;
  }

 private:
  struct Waiter {
    Waiter(const asio::any_io_executor& executor, Clock::time_point deadline)
        : timer(executor, deadline) {}
    asio::steady_timer timer;  // cancelled to wake the waiter
    bool waiting = true;
  };

  size_t OpenCount() const { return connections_.size() + connecting_; }

  static bool HasRoom(const std::shared_ptr<PostgresqlConnection>& connection) {
    return connection && connection->in_flight() < kMaxStatementsInFlight;
  }

  // Drops the connections that broke, then picks the one with the fewest statements in flight.
  std::shared_ptr<PostgresqlConnection> LeastBusy() {
    std::vector<std::shared_ptr<PostgresqlConnection>> broken;
    std::erase_if(connections_, [&](const auto& connection) {
      if (connection->ok()) return false;
      broken.push_back(connection);
      return true;
    });
    for (auto& connection : broken) connection->Lose({});
    std::shared_ptr<PostgresqlConnection> least_busy;
    for (const auto& connection : connections_) {
      if (!least_busy || connection->in_flight() < least_busy->in_flight()) least_busy = connection;
    }
    return least_busy;
  }

  asio::awaitable<Acquired> Open(Clock::time_point deadline) {
    auto self = shared_from_this();
    ++connecting_;
    struct Guard {  // a cancelled connect must still give its place back
      PostgresqlPool* pool;
      ~Guard() {
        --pool->connecting_;
        pool->Wake(std::numeric_limits<size_t>::max());  // to use it, or to learn it failed
      }
    } guard{this};
    auto connection = std::make_shared<PostgresqlConnection>(
        executor_, [weak = weak_from_this()](size_t count, bool lost) {
          if (auto pool = weak.lock()) {
            pool->Wake(lost ? std::numeric_limits<size_t>::max() : count);
          }
        });
    auto connecting = connection->Connect(
        endpoint_, std::min(deadline, Clock::now() + endpoint_.connect_timeout));
    PostgresqlResult result = co_await std::move(connecting);
    if (!result.ok()) {
      Fail(result);
      result.message = fmt::format("postgresql \"{}\": {}", name_, result.message);
      co_return Acquired{nullptr, std::move(result)};
    }
    connections_.push_back(connection);
    backoff_ = kMinBackoff;
    NoteAnswer();
    co_return Acquired{std::move(connection), {}};
  }

  // Wakes up to `count` waiters, oldest first, to look again for a connection with room.
  void Wake(size_t count) {
    while (count > 0 && !waiters_.empty()) {
      auto waiter = std::move(waiters_.front());
      waiters_.pop_front();
      if (!waiter->waiting) continue;  // gone already (its deadline passed)
      waiter->waiting = false;
      waiter->timer.cancel();
      --count;
    }
  }

  void Fail(const PostgresqlResult& result) {
    NoteLost(result.message);
    last_status_ = result.status;
    retry_after_ = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  }

  asio::any_io_executor executor_;
  PostgresqlEndpoint endpoint_;
  std::string name_;
  std::vector<std::shared_ptr<PostgresqlConnection>> connections_;  // connected
  size_t connecting_ = 0;
  std::deque<std::shared_ptr<Waiter>> waiters_;
  Clock::time_point retry_after_{};
  std::chrono::milliseconds backoff_ = kMinBackoff;
  PostgresqlResult::Status last_status_ = PostgresqlResult::Status::kRetryable;
  std::atomic<bool> failed_{false};  // these three are also read by /health from other threads
  std::atomic<int64_t> last_success_{0};
  std::atomic<int64_t> last_failure_{0};
  mutable std::mutex error_mutex_;
  std::string last_error_;
};

std::optional<PostgresqlEndpoint> ParsePostgresqlEndpoint(const boost::json::object& settings,
                                                          const std::string& path,
                                                          ConfigErrors& errors) {
  ObjectReader reader(settings, path, errors);
  const size_t before = errors.size();
  PostgresqlEndpoint endpoint;
  std::string host = reader.StringOr("host", "localhost");
  int64_t port = reader.Integer("port", 5432, 1, 65535);
  std::string database = reader.StringOr("database", "postgres");
  std::string user = reader.StringOr("user", "postgres");
  std::string password = reader.StringOr("password", "");
  auto connection_string = reader.String("connection_string");
  bool ssl = reader.Bool("ssl", false);
  auto ssl_ca_cert = reader.String("ssl_ca_cert");
  auto ssl_cert = reader.String("ssl_cert");
  auto ssl_key = reader.String("ssl_key");
  int64_t pool_min = reader.Integer("pool_min_size", 0, 0, 100);  // connections open on demand
  endpoint.pool_max_size = static_cast<size_t>(reader.Integer("pool_max_size", 4, 1, 100));
  endpoint.connect_timeout = std::chrono::milliseconds(
      static_cast<int64_t>(reader.Number("connect_timeout", 5.0, 0.1, 600) * 1000));
  endpoint.query_timeout = std::chrono::milliseconds(
      static_cast<int64_t>(reader.Number("query_timeout", 10.0, 0.1, 3600) * 1000));
  reader.Allow({"type"});
  reader.RejectUnknownKeys("postgresql connection");
  (void)pool_min;

  auto& keywords = endpoint.keywords;
  if (connection_string) {
    if (!connection_string->starts_with("postgresql://") &&
        !connection_string->starts_with("postgres://")) {
      errors.Add(reader.PathOf("connection_string"),
                 "must start with postgresql:// or postgres://");
    } else {
      char* error = nullptr;
      PQconninfoOption* options = PQconninfoParse(connection_string->c_str(), &error);
      if (options == nullptr) {
        errors.Add(reader.PathOf("connection_string"),
                   Trim(error != nullptr ? error : "cannot be parsed"));
      } else {
        for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
          if (option->val != nullptr) keywords.emplace_back(option->keyword, option->val);
        }
        PQconninfoFree(options);
      }
      PQfreemem(error);
    }
  } else {
    if (host.empty()) errors.Add(reader.PathOf("host"), "must not be empty");
    keywords = {{"host", host}, {"port", std::to_string(port)}, {"dbname", database},
                {"user", user}};
    if (!password.empty()) keywords.emplace_back("password", password);
  }
  if (ssl) keywords.emplace_back("sslmode", "require");
  if (ssl_ca_cert) keywords.emplace_back("sslrootcert", *ssl_ca_cert);
  if (ssl_cert) keywords.emplace_back("sslcert", *ssl_cert);
  if (ssl_key) keywords.emplace_back("sslkey", *ssl_key);
  keywords.emplace_back("application_name", "webhook-gateway");
  if (errors.size() != before) return std::nullopt;
  return endpoint;
}

PostgresqlClient::PostgresqlClient(std::string name, PostgresqlEndpoint endpoint)
    : name_(std::move(name)), endpoint_(std::move(endpoint)) {}

PostgresqlClient::~PostgresqlClient() = default;

std::shared_ptr<PostgresqlPool> PostgresqlClient::PoolFor(const asio::any_io_executor& executor) {
  void* loop = &asio::query(executor, asio::execution::context);
  std::lock_guard lock(mutex_);
  auto& pool = pools_[loop];
  if (!pool) pool = std::make_shared<PostgresqlPool>(executor, endpoint_, name_);
  return pool;
}

asio::awaitable<PostgresqlResult> PostgresqlClient::Execute(
    std::string sql, std::vector<std::optional<std::string>> params) {
  auto executor = co_await asio::this_coro::executor;
  auto pool = PoolFor(executor);
  auto deadline = Clock::now() + endpoint_.query_timeout;
  auto acquiring = pool->Acquire(deadline);
  auto acquired = co_await std::move(acquiring);
  if (!acquired.connection) co_return acquired.error;

  auto statement = std::make_shared<PipelinedStatement>(executor, deadline);
  acquired.connection->Send(statement, sql, params);
  if (!statement->done) co_await statement->finished.async_wait(kUseTuple);
  if (!statement->done) {
    // Timed out or cancelled: the statement stays in the pipeline and its result is dropped
    // (the connection itself goes once the statement is overdue).
    bool timed_out = Clock::now() >= deadline;
    if (timed_out) pool->NoteLost("timed out");
    co_return Failure(
        PostgresqlResult::Status::kRetryable,
        fmt::format("postgresql \"{}\": {}", name_, timed_out ? "timed out" : "cancelled"));
  }
  PostgresqlResult result = std::move(statement->result);
  if (result.ok() || !result.sqlstate.empty()) {
    pool->NoteAnswer();
  } else {
    pool->NoteLost(result.message);
    result.message = fmt::format("postgresql \"{}\": {}", name_, result.message);
  }
  co_return result;
}

asio::awaitable<PostgresqlResult> PostgresqlClient::EnsureOnce(std::vector<std::string> statements) {
  for (const auto& statement : statements) {
    {
      std::lock_guard lock(mutex_);
      if (done_.contains(statement)) continue;
    }
    auto executing = Execute(statement, {});
    PostgresqlResult result = co_await std::move(executing);
    // Two deliveries creating the same table at once: the loser sees the winner's catalog row.
    bool already_there = result.sqlstate == "42P07" || result.sqlstate == "42710" ||
                         result.sqlstate == "23505";
    if (!result.ok() && !already_there) co_return result;
    std::lock_guard lock(mutex_);
    done_.insert(statement);
  }
  co_return PostgresqlResult{};
}

std::string PostgresqlClient::State() const {
  // The latest news from any event loop wins: an idle connection of another loop does not know
  // yet that the server went away.
  std::lock_guard lock(mutex_);
  int64_t latest_success = 0;
  int64_t latest_failure = 0;
  std::string error;
  for (const auto& [loop, pool] : pools_) {
    latest_success = std::max(latest_success, pool->last_success());
    if (pool->ever_failed() && pool->last_failure() >= latest_failure) {
      latest_failure = pool->last_failure();
      error = pool->LastError();
    }
  }
  if (latest_failure > latest_success) return "down: " + error;
  if (latest_success > 0) return "connected";
  return "not connected yet";
}

}  // namespace wg
