#include "connections/http/http_client.hpp"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>

#include "config/json_reader.hpp"

namespace wg {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// The handshake's error, in words a user can act on.
std::string HandshakeError(const HttpTarget& target, const beast::error_code& ec) {
  if (ec == beast::error::timeout) {
    return fmt::format("TLS handshake with {}:{} timed out", target.host, target.port);
  }
  return fmt::format("TLS handshake with {}:{} failed: {}", target.host, target.port, ec.message());
}

}  // namespace

std::shared_ptr<ssl::context> MakeTlsClientContext(const std::string& ca_file,
                                                   const std::string& path, ConfigErrors& errors) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(ca_file, ec);
  }
  if (ec) {
    errors.Add(path, ca_file.empty()
                         ? fmt::format("cannot load the system's CA certificates: {}", ec.message())
                         : fmt::format("cannot load CA certificates from \"{}\": {}", ca_file,
                                       ec.message()));
    return nullptr;
  }
  return context;
}

void HttpStream::ExpiresAfter(std::chrono::milliseconds timeout) {
  std::visit([&](auto& stream) { beast::get_lowest_layer(stream).expires_after(timeout); },
             stream_);
}

asio::awaitable<beast::error_code> HttpStream::Write(Request& request) {
  auto writing = std::visit(
      [&](auto& stream) { return http::async_write(stream, request, kUseTuple); }, stream_);
  auto [ec, written] = co_await std::move(writing);
  co_return ec;
}

asio::awaitable<beast::error_code> HttpStream::Read(beast::flat_buffer& buffer,
                                                    ResponseParser& parser) {
  auto reading = std::visit(
      [&](auto& stream) { return http::async_read(stream, buffer, parser, kUseTuple); }, stream_);
  auto [ec, read] = co_await std::move(reading);
  co_return ec;
}

asio::awaitable<beast::error_code> HttpStream::ReadSome(beast::flat_buffer& buffer,
                                                        ResponseParser& parser) {
  auto reading = std::visit(
      [&](auto& stream) { return http::async_read_some(stream, buffer, parser, kUseTuple); },
      stream_);
  auto [ec, read] = co_await std::move(reading);
  co_return ec;
}

void HttpStream::Close() {
  std::visit([](auto& stream) { beast::get_lowest_layer(stream).close(); }, stream_);
}

asio::awaitable<HttpConnection> OpenHttpStream(asio::any_io_executor executor, HttpTarget target,
                                               bool host_allowed_explicitly,
                                               std::chrono::milliseconds timeout,
                                               std::shared_ptr<ssl::context> tls) {
  HttpConnection connection;
  auto connecting = ConnectOutbound(executor, target, host_allowed_explicitly, timeout);
  OutboundConnection connected = co_await std::move(connecting);
  if (!connected.stream) {
    connection.error = std::move(connected.error);
    connection.refused = connected.refused;
    co_return connection;
  }
  if (!target.tls) {
    connection.stream.emplace(std::move(*connected.stream));
    co_return connection;
  }
  if (!tls) {
    connection.error = "https is not configured for this call";
    connection.refused = true;
    co_return connection;
  }
  HttpStream::Secure secure(std::move(*connected.stream), *tls);
  if (!IsIpLiteral(target.host) &&
      !SSL_set_tlsext_host_name(secure.native_handle(), target.host.c_str())) {
    connection.error = fmt::format("cannot set TLS server name {}", target.host);
    co_return connection;
  }
  secure.set_verify_callback(ssl::host_name_verification(target.host));
  auto [ec] = co_await secure.async_handshake(ssl::stream_base::client, kUseTuple);
  if (ec) {
    connection.error = HandshakeError(target, ec);
    co_return connection;
  }
  connection.stream.emplace(std::move(secure));
  co_return connection;
}

std::optional<OutboundEndpoint> ParseOutboundEndpoint(
    const std::string& url, const std::string& path, const std::set<std::string>& allowed_hosts,
    const std::string& ca_file, const std::string& ca_path, std::string_view credentials_hint,
    ConfigErrors& errors) {
  auto target = ParseHttpTarget(url, path, credentials_hint, errors);
  if (!target) return std::nullopt;
  OutboundEndpoint endpoint;
  endpoint.host_allowed_explicitly = allowed_hosts.contains(target->host);
  if (!endpoint.host_allowed_explicitly) {
    if (auto reason = BlockedHostReason(target->host)) {
      errors.Add(
          path,
          fmt::format("refused endpoint host \"{}\": {} (list it in allowed_hosts to allow it)",
                      target->host, *reason));
      return std::nullopt;
    }
  }
  if (target->tls) {
    endpoint.tls = MakeTlsClientContext(ca_file, ca_path, errors);
    if (!endpoint.tls) return std::nullopt;
  }
  endpoint.target = std::move(*target);
  return endpoint;
}

bool IsHeaderToken(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool IsSafeHeaderValue(std::string_view value) {
  if (value.size() > 8192) return false;
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0' || c == '\v' || c == '\f') return false;
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> ParseConfiguredHeaders(
    const boost::json::object& headers, const std::string& path, ConfigErrors& errors) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& member : headers) {
    std::string header_path = JoinPath(path, member.key());
    if (!member.value().is_string()) {
      errors.Add(header_path, "header value must be a string");
      continue;
    }
    std::string name(member.key());
    std::string value(member.value().get_string());
    if (!IsHeaderToken(name)) {
      errors.Add(header_path, "invalid header name");
    } else if (!IsSafeHeaderValue(value)) {
      errors.Add(header_path, "header value contains forbidden characters or is longer than 8192");
    } else {
      out.emplace_back(std::move(name), std::move(value));
    }
  }
  return out;
}

std::optional<HttpStream> HttpConnectionPool::Take(const asio::any_io_executor& executor) {
  std::lock_guard lock(mutex_);
  auto& idle = idle_[&asio::query(executor, asio::execution::context)];
  const auto now = std::chrono::steady_clock::now();
  while (!idle.empty()) {
    Idle entry = std::move(idle.back());
    idle.pop_back();
    if (now - entry.since < max_age_) return std::move(entry.stream);
    entry.stream.Close();
  }
  return std::nullopt;
}

void HttpConnectionPool::Return(const asio::any_io_executor& executor, HttpStream stream) {
  std::lock_guard lock(mutex_);
  auto& idle = idle_[&asio::query(executor, asio::execution::context)];
  if (idle.size() >= max_per_thread_) {
    stream.Close();
    return;
  }
  idle.push_back(Idle{std::move(stream), std::chrono::steady_clock::now()});
}

asio::awaitable<PooledAnswer> ExchangePooled(HttpConnectionPool& pool, const HttpTarget& target,
                                             bool host_allowed_explicitly,
                                             std::shared_ptr<asio::ssl::context> tls,
                                             std::chrono::milliseconds timeout,
                                             HttpStream::Request& request,
                                             size_t max_response_bytes) {
  auto executor = co_await asio::this_coro::executor;
  PooledAnswer answer;
  for (int round = 0;; ++round) {
    // The second round, after a stale kept connection, always opens a new one.
    std::optional<HttpStream> stream = round == 0 ? pool.Take(executor) : std::nullopt;
    const bool reused = stream.has_value();
    if (!stream) {
      auto opening = OpenHttpStream(executor, target, host_allowed_explicitly, timeout, tls);
      HttpConnection connection = co_await std::move(opening);
      if (!connection.stream) {
        answer.failure = PooledAnswer::Failure::kConnect;
        answer.error = std::move(connection.error);
        answer.refused = connection.refused;
        co_return answer;
      }
      stream.emplace(std::move(*connection.stream));
    }
    stream->ExpiresAfter(timeout);
    auto writing = stream->Write(request);
    beast::error_code ec = co_await std::move(writing);
    beast::flat_buffer buffer;
    HttpStream::ResponseParser parser;
    parser.body_limit(max_response_bytes);
    if (!ec) {
      auto reading = stream->Read(buffer, parser);
      ec = co_await std::move(reading);
    }
    if (ec) {
      stream->Close();
      // Nothing came back on a kept connection: the server closed it while it was idle.
      if (reused && buffer.size() == 0 && ec != beast::error::timeout) continue;
      answer.failure = ec == beast::error::timeout ? PooledAnswer::Failure::kTimeout
                                                   : PooledAnswer::Failure::kBroken;
      answer.error = ec.message();
      co_return answer;
    }
    answer.response = parser.release();
    if (answer.response.keep_alive()) {
      pool.Return(executor, std::move(*stream));
    } else {
      stream->Close();
    }
    co_return answer;
  }
}

asio::awaitable<HttpExchange> ExchangeOnce(asio::any_io_executor executor,
                                           const OutboundEndpoint& endpoint,
                                           std::chrono::milliseconds timeout,
                                           HttpStream::Request request, size_t max_response_bytes) {
  HttpExchange exchange;
  auto opening = OpenHttpStream(executor, endpoint.target, endpoint.host_allowed_explicitly,
                                timeout, endpoint.tls);
  HttpConnection connection = co_await std::move(opening);
  if (!connection.stream) {
    exchange.error = std::move(connection.error);
    co_return exchange;
  }
  HttpStream& stream = *connection.stream;
  request.set(http::field::host, endpoint.target.host_header);
  request.set(http::field::user_agent, "webhook-gateway");
  request.keep_alive(false);
  request.prepare_payload();
  auto writing = stream.Write(request);
  beast::error_code ec = co_await std::move(writing);
  beast::flat_buffer buffer;
  HttpStream::ResponseParser parser;
  parser.body_limit(max_response_bytes);
  if (!ec) {
    auto reading = stream.Read(buffer, parser);
    ec = co_await std::move(reading);
  }
  stream.Close();
  if (ec == beast::error::timeout) {
    exchange.error = fmt::format("no answer within {} ms", timeout.count());
  } else if (ec) {
    exchange.error = fmt::format("exchange failed: {}", ec.message());
  } else {
    exchange.status = parser.get().result_int();
    exchange.body = std::move(parser.get().body());
  }
  co_return exchange;
}

}  // namespace wg
