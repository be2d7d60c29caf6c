// Outbound HTTP/1.1 over plain TCP or TLS, for every call the gateway makes to a URL a user
// configured: http_webhook deliveries, oauth2 token introspection, recaptcha verification.
//
// - Connections are opened under the SSRF rules of url_policy.hpp (ConnectOutbound).
// - https: TLS 1.2 or later, the server's certificate verified against the system's CA store
//   (or the PEM bundle of `ssl_ca_cert`) and the URL's host name (SNI sent for DNS names).
//   There is no switch to turn verification off.
// - One deadline covers connect, handshake, write and read.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "connections/http/url_policy.hpp"

namespace wg {

class ConfigErrors;

// The TLS settings of https calls, built once at start. `ca_file` empty: the system's CA store.
// A file that cannot be read is reported at `path`; returns null then.
std::shared_ptr<boost::asio::ssl::context> MakeTlsClientContext(const std::string& ca_file,
                                                                const std::string& path,
                                                                ConfigErrors& errors);

// A URL from a user's config that the gateway calls (introspection, recaptcha), checked at start.
struct OutboundEndpoint {
  HttpTarget target;
  bool host_allowed_explicitly = false;            // listed in allowed_hosts: no address checks
  std::shared_ptr<boost::asio::ssl::context> tls;  // set for https
};

// Parses `url` (reported at `path`) under the SSRF rules unless its host is in `allowed_hosts`
// (lower-case); https gets the CA store of `ca_file` (reported at `ca_path`) or the system's.
std::optional<OutboundEndpoint> ParseOutboundEndpoint(
    const std::string& url, const std::string& path, const std::set<std::string>& allowed_hosts,
    const std::string& ca_file, const std::string& ca_path, std::string_view credentials_hint,
    ConfigErrors& errors);

// One open connection, plain or TLS.
class HttpStream {
 public:
  using Plain = boost::beast::tcp_stream;
  using Secure = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using ResponseParser = boost::beast::http::response_parser<boost::beast::http::string_body>;

  explicit HttpStream(Plain stream) : stream_(std::move(stream)) {}
  explicit HttpStream(Secure stream) : stream_(std::move(stream)) {}

  void ExpiresAfter(std::chrono::milliseconds timeout);
  boost::asio::awaitable<boost::beast::error_code> Write(Request& request);
  boost::asio::awaitable<boost::beast::error_code> Read(boost::beast::flat_buffer& buffer,
                                                        ResponseParser& parser);
  // Reads what has arrived (at least the head): for answers that stream, like etcd's watch.
  boost::asio::awaitable<boost::beast::error_code> ReadSome(boost::beast::flat_buffer& buffer,
                                                            ResponseParser& parser);
  // Closes the socket without a TLS close_notify: nothing waits on a peer that may not answer.
  void Close();

  // The connection itself, for a protocol on top of it (a WebSocket).
  std::variant<Plain, Secure> Release() && { return std::move(stream_); }

 private:
  std::variant<Plain, Secure> stream_;
};

struct HttpConnection {
  std::optional<HttpStream> stream;
  std::string error;     // when there is no stream
  bool refused = false;  // an address the rules forbid: retrying will not help
};

// Connects to `target` (TLS with `tls` when target.tls; `tls` must then be set). The stream's
// deadline is left at `timeout` from the start.
boost::asio::awaitable<HttpConnection> OpenHttpStream(
    boost::asio::any_io_executor executor, HttpTarget target, bool host_allowed_explicitly,
    std::chrono::milliseconds timeout, std::shared_ptr<boost::asio::ssl::context> tls);

// A header name (an RFC 9110 token), and a value we are willing to send (at most 8192 bytes,
// no CR, LF, NUL, VT or FF).
bool IsHeaderToken(std::string_view name);
bool IsSafeHeaderValue(std::string_view value);

// A module-config's `headers` object: extra request headers {name: value}, each bad one reported
// at its path.
std::vector<std::pair<std::string, std::string>> ParseConfiguredHeaders(
    const boost::json::object& headers, const std::string& path, ConfigErrors& errors);

// Keep-alive connections to one destination, kept per I/O thread (a stream is used only on the
// io_context that opened it): at most `max_per_thread` each, closed once unused for `max_age`
// (before the server's own keep-alive timeout would race with a reuse).
class HttpConnectionPool {
 public:
  HttpConnectionPool(size_t max_per_thread, std::chrono::milliseconds max_age)
      : max_per_thread_(max_per_thread), max_age_(max_age) {}

  std::optional<HttpStream> Take(const boost::asio::any_io_executor& executor);
  void Return(const boost::asio::any_io_executor& executor, HttpStream stream);

 private:
  struct Idle {
    HttpStream stream;
    std::chrono::steady_clock::time_point since;
  };
  const size_t max_per_thread_;
  const std::chrono::milliseconds max_age_;
  std::mutex mutex_;
  std::map<boost::asio::execution_context*, std::vector<Idle>> idle_;
};

// What one request on a pooled connection came to: the answer, or why there is none.
struct PooledAnswer {
  enum class Failure {
    kNone,     // `response` holds the answer
    kConnect,  // no connection: `error` says why, `refused` when the SSRF rules forbid it
    kTimeout,  // no answer within the timeout
    kBroken,   // the connection failed while writing or reading: `error` says how
  };
  Failure failure = Failure::kNone;
  std::string error;
  bool refused = false;
  boost::beast::http::response<boost::beast::http::string_body> response;
};

// Sends `request` on a kept connection from `pool`, or on a new one to `target`, and reads the
// answer (a body of at most `max_response_bytes`) within `timeout`. A kept connection the server
// closed meanwhile is replaced once by a new one. The connection goes back to the pool when the
// answer allows keep-alive.
boost::asio::awaitable<PooledAnswer> ExchangePooled(
    HttpConnectionPool& pool, const HttpTarget& target, bool host_allowed_explicitly,
    std::shared_ptr<boost::asio::ssl::context> tls, std::chrono::milliseconds timeout,
    HttpStream::Request& request, size_t max_response_bytes);

struct HttpExchange {
  unsigned status = 0;  // 0 when there is no answer
  std::string body;
  std::string error;  // when there is no answer: what went wrong, for logs and the sender
};

// One request to `endpoint` on a connection of its own, closed afterwards; the answer's body is
// limited to `max_response_bytes`. Host and User-Agent are set here.
boost::asio::awaitable<HttpExchange> ExchangeOnce(boost::asio::any_io_executor executor,
                                                  const OutboundEndpoint& endpoint,
                                                  std::chrono::milliseconds timeout,
                                                  HttpStream::Request request,
                                                  size_t max_response_bytes);

}  // namespace wg
