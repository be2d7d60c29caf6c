#include "connections/clickhouse/clickhouse_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <cctype>

namespace wg {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr size_t kMaxIdlePerThread = 16;
constexpr size_t kMaxAnswerBytes = 64 * 1024;
constexpr size_t kMaxErrorText = 300;
// ClickHouse closes a keep-alive connection after keep_alive_timeout (3 s by default): an idle
// connection older than this is dropped rather than reused into a race with that close.
constexpr std::chrono::milliseconds kMaxIdleAge{2000};
constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};

// Errors that no retry fixes: the statement, the table, the data or the login is wrong.
constexpr std::array kPermanentCodes = {
    6,    // CANNOT_PARSE_TEXT
    8,    // THERE_IS_NO_COLUMN
    10,   // NOT_FOUND_COLUMN_IN_BLOCK
    16,   // NO_SUCH_COLUMN_IN_TABLE
    26,   // CANNOT_PARSE_QUOTED_STRING
    27,   // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    36,   // BAD_ARGUMENTS
    38,   // CANNOT_PARSE_DATE
    41,   // CANNOT_PARSE_DATETIME
    44,   // ILLEGAL_COLUMN
    47,   // UNKNOWN_IDENTIFIER
    48,   // NOT_IMPLEMENTED
    53,   // TYPE_MISMATCH
    57,   // TABLE_ALREADY_EXISTS
    60,   // UNKNOWN_TABLE
    62,   // SYNTAX_ERROR
    70,   // CANNOT_CONVERT_TYPE
    72,   // CANNOT_PARSE_NUMBER
    81,   // UNKNOWN_DATABASE
    117,  // INCORRECT_DATA
    122,  // INCOMPATIBLE_COLUMNS
    131,  // TOO_LARGE_STRING_SIZE
    164,  // READONLY
    192,  // UNKNOWN_USER
    193,  // WRONG_PASSWORD
    194,  // REQUIRED_PASSWORD
    195,  // IP_ADDRESS_NOT_ALLOWED
    349,  // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
    497,  // ACCESS_DENIED
    516,  // AUTHENTICATION_FAILED
};

std::string PercentEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// ClickHouse's error text, on one line and bounded: "Code: 60, e.displayText() = DB::Exception:
// Table default.x doesn't exist., e.what() = DB::Exception" -> "Code: 60: Table default.x ...".
std::string ErrorText(std::string_view body) {
  std::string text(body);
  auto cut = [&](std::string_view from, std::string_view to) {
    size_t at = text.find(from);
    if (at != std::string::npos) text.replace(at, from.size(), to);
  };
  cut(", e.displayText() = DB::Exception: ", ": ");
  cut(", e.what() = DB::Exception", "");
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (text.size() > kMaxErrorText) text = text.substr(0, kMaxErrorText) + "...";
  return text;
}

}  // namespace

std::optional<ClickhouseEndpoint> ParseClickhouseEndpoint(const boost::json::object& settings,
                                                          const std::string& path,
                                                          ConfigErrors& errors) {
  ObjectReader reader(settings, path, errors);
  const size_t before = errors.size();
  ClickhouseEndpoint endpoint;
  endpoint.host = reader.StringOr("host", "localhost");
  bool secure = reader.Bool("secure", false);
  if (reader.Has("tls")) secure = reader.Bool("tls", false);
  endpoint.secure = secure;
  endpoint.port = static_cast<int>(reader.Integer("port", secure ? 8443 : 8123, 1, 65535));
  endpoint.database = reader.StringOr("database", "default");
  endpoint.user = reader.StringOr("user", "default");
  endpoint.password = reader.StringOr("password", "");
  std::string ca_file = reader.StringOr("ssl_ca_cert", "");
  double timeout = reader.Number("timeout", 10, 0.1, 600);
  endpoint.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  reader.Allow({"type"});
  reader.RejectUnknownKeys("clickhouse connection");

  if (endpoint.port == 9000 || endpoint.port == 9440) {
    errors.Add(reader.PathOf("port"),
               fmt::format("{} is ClickHouse's native protocol port; this gateway talks to "
                           "ClickHouse over its HTTP interface: set \"port\" to the HTTP port "
                           "({} by default, http_port / https_port in the server's config.xml)",
                           endpoint.port, secure ? 8443 : 8123));
  }
  if (endpoint.host.empty()) errors.Add(reader.PathOf("host"), "must not be empty");
  if (endpoint.user.empty()) errors.Add(reader.PathOf("user"), "must not be empty");
  if (!IsSafeHeaderValue(endpoint.user))
    errors.Add(reader.PathOf("user"), "contains control characters");
  if (!IsSafeHeaderValue(endpoint.password)) {
    errors.Add(reader.PathOf("password"), "contains control characters");
  }
  if (endpoint.database.empty()) errors.Add(reader.PathOf("database"), "must not be empty");
  if (!endpoint.secure && reader.Has("ssl_ca_cert")) {
    errors.Add(reader.PathOf("ssl_ca_cert"), "only used with \"secure\": true");
  }
  if (errors.size() != before) return std::nullopt;

  bool ipv6 = endpoint.host.find(':') != std::string::npos;
  std::string url = fmt::format("{}://{}{}{}:{}/", endpoint.secure ? "https" : "http",
                                ipv6 ? "[" : "", endpoint.host, ipv6 ? "]" : "", endpoint.port);
  auto target =
      ParseHttpTarget(url, reader.PathOf("host"), "use \"user\" and \"password\"", errors);
  if (!target) return std::nullopt;
  endpoint.target = std::move(*target);
  if (endpoint.secure) {
    endpoint.tls = MakeTlsClientContext(ca_file, reader.PathOf("ssl_ca_cert"), errors);
    if (!endpoint.tls) return std::nullopt;
  }
  return endpoint;
}

HttpStream::Request BuildClickhouseRequest(const ClickhouseEndpoint& endpoint, std::string_view sql,
                                           std::string body) {
  std::string target =
      fmt::format("/?database={}&query={}", PercentEncode(endpoint.database), PercentEncode(sql));
  HttpStream::Request request(http::verb::post, target, 11);
  request.set(http::field::host, endpoint.target.host_header);
  request.set(http::field::user_agent, "webhook-gateway");
  request.set("X-ClickHouse-User", endpoint.user);
  if (!endpoint.password.empty()) request.set("X-ClickHouse-Key", endpoint.password);
  request.set(http::field::content_type, "application/x-ndjson");
  request.body() = std::move(body);
  request.keep_alive(true);
  request.prepare_payload();
  return request;
}

int ClickhouseErrorCode(std::string_view body) {
  constexpr std::string_view kPrefix = "Code: ";
  size_t at = body.find(kPrefix);
  if (at == std::string_view::npos || at > 64) return -1;
  int code = 0;
  size_t i = at + kPrefix.size();
  size_t digits = 0;
  for (; i < body.size() && digits < 6 && body[i] >= '0' && body[i] <= '9'; ++i, ++digits) {
    code = code * 10 + (body[i] - '0');
  }
  return digits == 0 ? -1 : code;
}

Outcome ClassifyClickhouseAnswer(unsigned status, std::string_view body, std::string_view what) {
  if (status >= 200 && status < 300) return Outcome::Delivered();
  std::string text = ErrorText(body);
  std::string message =
      fmt::format("clickhouse {}: HTTP {}{}", what, status, text.empty() ? "" : ": " + text);
  int code = ClickhouseErrorCode(body);
  if (code >= 0 &&
      std::find(kPermanentCodes.begin(), kPermanentCodes.end(), code) != kPermanentCodes.end()) {
    return Outcome::Permanent(std::move(message));
  }
  if (status == 408 || status == 429 || status >= 500)
    return Outcome::Retryable(std::move(message));
  return Outcome::Permanent(std::move(message));
}

ClickhouseClient::ClickhouseClient(std::string name, ClickhouseEndpoint endpoint)
    : name_(std::move(name)),
      endpoint_(std::move(endpoint)),
      pool_(kMaxIdlePerThread, kMaxIdleAge) {}

asio::awaitable<ClickhouseResult> ClickhouseClient::Execute(std::string sql, std::string body,
                                                            std::string what) {
  if (auto down = BackingOff()) co_return ClickhouseResult{Outcome::Retryable(std::move(*down))};
  auto request = BuildClickhouseRequest(endpoint_, sql, std::move(body));
  auto exchanging = ExchangePooled(pool_, endpoint_.target, true, endpoint_.tls, endpoint_.timeout,
                                   request, kMaxAnswerBytes);
  PooledAnswer answer = co_await std::move(exchanging);
  std::string error;
  switch (answer.failure) {
    case PooledAnswer::Failure::kNone: {
      RecordAnswer();
      const unsigned status = answer.response.result_int();
      const std::string& text = answer.response.body();
      int code = status >= 200 && status < 300 ? -1 : ClickhouseErrorCode(text);
      co_return ClickhouseResult{
          ClassifyClickhouseAnswer(status, text, fmt::format("\"{}\": {}", name_, what)), code};
    }
    case PooledAnswer::Failure::kConnect:
      error = fmt::format("clickhouse \"{}\": {}", name_, answer.error);
      break;
    case PooledAnswer::Failure::kTimeout:
      error = fmt::format("clickhouse \"{}\": {} timed out after {} ms", name_, what,
                          endpoint_.timeout.count());
      break;
    case PooledAnswer::Failure::kBroken:
      error = fmt::format("clickhouse \"{}\": {} failed: {}", name_, what, answer.error);
      break;
  }
  RecordFailure(error);
  co_return ClickhouseResult{Outcome::Retryable(std::move(error))};
}

bool ClickhouseClient::TableReady(const std::string& table) const {
  std::lock_guard lock(mutex_);
  return ready_tables_.contains(table);
}

void ClickhouseClient::SetTableReady(const std::string& table, bool ready) {
  std::lock_guard lock(mutex_);
  if (ready) {
    ready_tables_.insert(table);
  } else {
    ready_tables_.erase(table);
  }
}

std::string ClickhouseClient::State() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::optional<std::string> ClickhouseClient::BackingOff() {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (now >= down_until_) return std::nullopt;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(down_until_ - now);
  return fmt::format("{} (not tried again for another {} ms)", last_error_, left.count());
}

void ClickhouseClient::RecordFailure(const std::string& error) {
  std::lock_guard lock(mutex_);
  state_ = "down: " + error;
  backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, kMaxBackoff);
  down_until_ = std::chrono::steady_clock::now() + backoff_;
  last_error_ = error;
}

void ClickhouseClient::RecordAnswer() {
  std::lock_guard lock(mutex_);
  state_ = "ok";
  backoff_ = std::chrono::milliseconds(0);
  down_until_ = {};
}

}  // namespace wg
