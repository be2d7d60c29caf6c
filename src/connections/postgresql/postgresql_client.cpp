#include "connections/postgresql/postgresql_client.hpp"

#include <libpq-fe.h>

#include <boost/asio.hpp>
#include <fmt/format.h>

#include <atomic>

namespace wg {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using WaitType = asio::posix::descriptor_base::wait_type;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kMinBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};

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

// One libpq connection, only touched from the thread of its event loop.
class PostgresqlConnection : public std::enable_shared_from_this<PostgresqlConnection> {
 public:
  explicit PostgresqlConnection(asio::any_io_executor executor)
      : executor_(std::move(executor)), timer_(executor_) {}
  ~PostgresqlConnection() { Close(); }

  bool ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

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
    if (PQsetnonblocking(conn_, 1) != 0) co_return ConnectFailure();
    co_return PostgresqlResult{};
  }

  asio::awaitable<PostgresqlResult> Query(const std::string& sql,
                                          const std::vector<std::optional<std::string>>& params,
                                          Clock::time_point deadline) {
    auto self = shared_from_this();
    std::vector<const char*> values;
    for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
    if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                          values.data(), nullptr, nullptr, 0) == 0) {
      co_return Lost();
    }
    for (;;) {
      int flushed = PQflush(conn_);
      if (flushed == 0) break;
      if (flushed < 0) co_return Lost();
      auto waiting = Wait(WaitType::wait_write, deadline);
      std::string error = co_await std::move(waiting);
      if (!error.empty()) co_return Lost(error);
    }
    PostgresqlResult result;
    for (;;) {
      while (PQisBusy(conn_) == 0) {
        PGresult* answer = PQgetResult(conn_);
        if (answer == nullptr) co_return result;  // the connection is idle again
        if (PQresultStatus(answer) == PGRES_FATAL_ERROR && result.ok()) {
          const char* sqlstate = PQresultErrorField(answer, PG_DIAG_SQLSTATE);
          result.sqlstate = sqlstate != nullptr ? sqlstate : "";
          result.message = Trim(PQresultErrorMessage(answer));
          result.status = IsRetryableSqlState(result.sqlstate) ? PostgresqlResult::Status::kRetryable
                                                               : PostgresqlResult::Status::kPermanent;
        }
        PQclear(answer);
        if (PQstatus(conn_) == CONNECTION_BAD) co_return Lost();
      }
      auto waiting = Wait(WaitType::wait_read, deadline);
      std::string error = co_await std::move(waiting);
      if (!error.empty()) co_return Lost(error);
      if (PQconsumeInput(conn_) == 0) co_return Lost();
    }
  }

  void Close() {
    ReleaseSocket();
    if (conn_ != nullptr) {
      PQfinish(conn_);
      conn_ = nullptr;
    }
  }

 private:
  PostgresqlResult ConnectFailure() {
    std::string message = Trim(conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory");
    Close();
    auto status = IsPermanentConnectError(message) ? PostgresqlResult::Status::kPermanent
                                                   : PostgresqlResult::Status::kRetryable;
    return Failure(status, "cannot connect: " + message);
  }

  // The connection is unusable after this; the pool drops it.
  PostgresqlResult Lost(std::string why = {}) {
    if (why.empty()) why = Trim(conn_ != nullptr ? PQerrorMessage(conn_) : "");
    if (why.empty()) why = "connection lost";
    Close();
    return Failure(PostgresqlResult::Status::kRetryable, why);
  }

  // The socket belongs to libpq: release, never close, so PQfinish does not close it twice.
  void ReleaseSocket() {
    if (socket_) {
      socket_->release();
      socket_.reset();
    }
  }

  // Waits until libpq's socket is ready; "" when it is, else why not (timeout, error).
  asio::awaitable<std::string> Wait(WaitType type, Clock::time_point deadline) {
    int fd = PQsocket(conn_);
    if (fd < 0) co_return "no socket";
    if (!socket_) {
      boost::system::error_code ec;
      socket_.emplace(executor_);
      socket_->assign(fd, ec);
      if (ec) {
        socket_.reset();
        co_return ec.message();
      }
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
  asio::steady_timer timer_;
  uint64_t wait_generation_ = 0;
};

// The connections of one event loop.
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
      while (!idle_.empty()) {
        auto connection = std::move(idle_.back());
        idle_.pop_back();
        if (connection->ok()) co_return Acquired{std::move(connection), {}};
        Dropped(true);
      }
      if (open_ < endpoint_.pool_max_size) {
        if (Clock::now() < retry_after_) {
          co_return Acquired{nullptr, Failure(last_status_,
                                              fmt::format("postgresql \"{}\" is down ({}); "
                                                          "reconnecting", name_, LastError()))};
        }
        ++open_;
        auto connection = std::make_shared<PostgresqlConnection>(executor_);
        struct Guard {  // a cancelled connect must still give its place back
          PostgresqlPool* pool;
          bool armed = true;
          ~Guard() { if (armed) pool->Dropped(false); }
        } guard{this, true};
        auto connecting = connection->Connect(endpoint_, std::min(deadline, Clock::now() +
                                                                    endpoint_.connect_timeout));
        PostgresqlResult result = co_await std::move(connecting);
        if (!result.ok()) {
          Fail(result);
          result.message = fmt::format("postgresql \"{}\": {}", name_, result.message);
          co_return Acquired{nullptr, std::move(result)};
        }
        guard.armed = false;
        backoff_ = kMinBackoff;
        ++connected_;
        NoteSuccess();
        co_return Acquired{std::move(connection), {}};
      }
      // Every connection is busy: wait until one comes back.
      auto waiter = std::make_shared<asio::steady_timer>(executor_, deadline);
      waiters_.push_back(waiter);
      co_await waiter->async_wait(kUseTuple);
      if (Clock::now() >= deadline) {
        co_return Acquired{nullptr, Failure(PostgresqlResult::Status::kRetryable,
                                            fmt::format("postgresql \"{}\": all {} connections "
                                                        "stayed busy", name_, open_))};
      }
    }
  }

  // `error`: why a connection that is not reusable failed, for /health.
  void Release(std::shared_ptr<PostgresqlConnection> connection, bool reusable,
               const std::string& error) {
    if (reusable && connection->ok()) {
      idle_.push_back(std::move(connection));
      NoteSuccess();
    } else {
      connection->Close();
      Dropped(true);
      if (!error.empty()) {
        std::lock_guard lock(error_mutex_);
        last_error_ = error;
        failed_ = true;
        last_failure_ = Clock::now().time_since_epoch().count();
      }
    }
    // Few waiters at most (one per delivery in flight on this loop): wake them all.
    for (auto& waiter : waiters_) waiter->cancel();
    waiters_.clear();
  }

  size_t connected() const { return connected_.load(); }
  // Steady-clock ticks of the last answer from the server and of the last failure (0: never).
  int64_t last_success() const { return last_success_.load(); }
  int64_t last_failure() const { return last_failure_.load(); }
  bool ever_failed() const { return failed_.load(); }
  std::string LastError() const {
    std::lock_guard lock(error_mutex_);
    return last_error_;
  }

 private:
  void NoteSuccess() { last_success_ = Clock::now().time_since_epoch().count(); }

  void Dropped(bool was_connected) {
    --open_;
    if (was_connected) --connected_;
  }

  void Fail(const PostgresqlResult& result) {
    {
      std::lock_guard lock(error_mutex_);
      last_error_ = result.message;
    }
    failed_ = true;
    last_failure_ = Clock::now().time_since_epoch().count();
    last_status_ = result.status;
    retry_after_ = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  }

  asio::any_io_executor executor_;
  PostgresqlEndpoint endpoint_;
  std::string name_;
  std::vector<std::shared_ptr<PostgresqlConnection>> idle_;
  size_t open_ = 0;  // connected or connecting, leased or idle
  std::vector<std::shared_ptr<asio::steady_timer>> waiters_;
  Clock::time_point retry_after_{};
  std::chrono::milliseconds backoff_ = kMinBackoff;
  PostgresqlResult::Status last_status_ = PostgresqlResult::Status::kRetryable;
  std::atomic<size_t> connected_{0};  // also read by /health from other threads
  std::atomic<bool> failed_{false};
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

  // Gives the connection back; one left mid-query (cancelled, failed) is closed, not reused.
  struct Lease {
    std::shared_ptr<PostgresqlPool> pool;
    std::shared_ptr<PostgresqlConnection> connection;
    bool reusable = false;
    std::string error;
    ~Lease() { pool->Release(std::move(connection), reusable, error); }
  } lease{pool, acquired.connection, false, {}};
  auto querying = acquired.connection->Query(sql, params, deadline);
  PostgresqlResult result = co_await std::move(querying);
  lease.reusable = result.ok() || !result.sqlstate.empty();
  if (!result.ok() && result.sqlstate.empty()) {
    lease.error = result.message;
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
