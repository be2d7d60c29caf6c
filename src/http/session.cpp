#include "http/session.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <optional>

#include "observability/logger.hpp"

namespace wg {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr uint64_t kMaxAdminBodyBytes = 64 * 1024;
// What a connection may hold unparsed: bounds a chunk-size line with a huge extension (the
// body itself goes from the buffer into the request as it is parsed).
constexpr size_t kMaxReadBufferBytes = 256 * 1024;

// Framing we refuse before reading a body: a transfer coding other than chunked alone (we would
// store a gzip body as if it were plain, and "identity" or a list invites request smuggling),
// and an HTTP/1.1 request without Host (RFC 9112 §3.2).
std::optional<HttpAnswer> FramingProblem(const RequestParser& request) {
  if (request.transfer_encodings() > 1 || !request.only_chunked()) {
    HttpAnswer answer = HttpAnswer::Error(501, "Unsupported Transfer-Encoding: only chunked");
    answer.close = true;
    return answer;
  }
  if (request.version() >= 11 && !request.has_host()) {
    HttpAnswer answer = HttpAnswer::Error(400, "Missing Host header");
    answer.close = true;
    return answer;
  }
  return std::nullopt;
}

// What to answer when reading a body failed, or nullopt to just close: the sender is gone, or
// too slow (the stream's timeout has closed the socket already).
std::optional<HttpAnswer> BodyReadProblem(const beast::error_code& ec) {
  if (ec.category() != http::make_error_code(http::error::bad_chunk).category() ||
      ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return std::nullopt;
  }
  HttpAnswer answer = HttpAnswer::Error(400, fmt::format("Malformed request body: {}", ec.message()));
  answer.close = true;
  return answer;
}

// Sets the deadline of the next read or write from now.
void ExpiresAfter(SessionState& state, std::chrono::milliseconds timeout) {
  state.deadline = SessionState::Clock::now() + timeout;
}

// Writes the whole answer under the deadline. Asynchronously even when the socket would take it
// at once: a synchronous send let the next read start immediately and mostly find nothing yet,
// one failed recv per request more (measured: docs/performance.md).
asio::awaitable<beast::error_code> WriteAll(tcp::socket& socket, std::string_view bytes,
                                            SessionState& state,
                                            std::chrono::milliseconds timeout) {
  ExpiresAfter(state, timeout);
  auto [ec, n] = co_await asio::async_write(socket, asio::buffer(bytes), kUseTuple);
  co_return ec;
}

// Feeds `parser` from `buffer`, reading from the socket only while it needs more, until the
// head (`whole` false) or the whole message is parsed. Beast's async_read_header and async_read
// do the same, but complete through one more round of the scheduler when the bytes were already
// buffered, which is where most requests are after the first read.
asio::awaitable<beast::error_code> Parse(tcp::socket& socket, beast::flat_buffer& buffer,
                                         RequestParser& parser, bool whole) {
  parser.eager(whole);
  beast::error_code ec;
  auto finished = [&] { return whole ? parser.is_done() : parser.is_header_done(); };
  while (!finished()) {
    if (buffer.size() > 0) {
      buffer.consume(parser.put(buffer.data(), ec));
      if (ec && ec != http::error::need_more) co_return ec;
      ec = {};
      if (finished()) break;
      // need_more, or a head without its body yet
    }
    const size_t size = beast::read_size(buffer, 65536);
    if (size == 0) co_return http::make_error_code(http::error::buffer_overflow);
    auto [read_ec, n] = co_await socket.async_read_some(buffer.prepare(size), kUseTuple);
    buffer.commit(n);
    if (read_ec == asio::error::eof) {
      if (!parser.got_some()) co_return http::make_error_code(http::error::end_of_stream);
      parser.put_eof(ec);
      co_return ec;
    }
    if (read_ec) co_return read_ec;
  }
  co_return ec;
}

// Removes the session from the registry whatever way the coroutine ends.
struct Registration {
  Registration(SessionRegistry& registry, SessionState& state) : registry(registry), state(state) {
    registry.sessions.insert(&state);
    registry.open_sessions->fetch_add(1, std::memory_order_relaxed);
  }
  ~Registration() {
    registry.sessions.erase(&state);
    registry.open_sessions->fetch_sub(1, std::memory_order_relaxed);
  }
  SessionRegistry& registry;
  SessionState& state;
};

}  // namespace

asio::awaitable<void> RunSession(tcp::socket socket, SessionRegistry& registry,
                                 const Router& router, Logger& logger) {
  std::string peer_address;
  {
    beast::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    if (!ec) {
      auto address = endpoint.address();
      // An IPv4 client on a dual-stack socket is reported as ::ffff:a.b.c.d.
      if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
      }
      peer_address = address.to_string();
    }
  }
  tcp::socket& stream = socket;
  SessionState state{&socket, true};
  Registration registration(registry, state);
  const RequestLimits& limits = router.pipeline().limits();
  beast::flat_buffer buffer(kMaxReadBufferBytes);

  while (!registry.draining) {
    // Wait for the first byte of the next request under the idle timeout...
    state.idle = true;
    if (buffer.size() == 0) {
      ExpiresAfter(state, limits.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kUseTuple);
      if (ec) break;  // closed, idle timeout, or shutdown
      buffer.commit(n);
    }
    state.idle = false;

    // ...then the whole head must arrive within the header timeout (slowloris).
    RequestParser parser;
    // No body limit while reading the head: the pipeline answers an oversized Content-Length
    // with its own 413 (after authentication), and the limit is set before any body byte.
    parser.body_limit(boost::none);
    ExpiresAfter(state, limits.header_timeout);
    auto reading_head = Parse(stream, buffer, parser, false);
    beast::error_code head_ec = co_await std::move(reading_head);
    if (head_ec) {
      std::optional<HttpAnswer> refusal;
      if (head_ec == http::error::header_limit) {
        refusal = HttpAnswer::Error(431, "Request header fields too large");
      } else if (head_ec != http::error::end_of_stream && head_ec != asio::error::eof &&
                 head_ec != asio::error::operation_aborted &&
                 head_ec != asio::error::connection_reset) {
        refusal = HttpAnswer::Error(400, "Bad Request");
      }
      if (refusal) {
        std::string bytes = SerializeResponse(std::move(*refusal), 11, false);
        auto writing = WriteAll(stream, bytes, state, limits.body_timeout);
        co_await std::move(writing);
      }
      break;
    }

    const unsigned version = parser.version();
    bool keep_alive = parser.keep_alive();
    std::vector<Header>& headers = parser.headers();
    auto length = parser.content_length();
    const std::optional<uint64_t> content_length =
        length ? std::optional<uint64_t>(*length) : std::nullopt;
    auto problem = FramingProblem(parser);
    WebhookCall call;  // what /metrics and /stats count once the request is answered
    auto route = problem ? std::variant<HttpAnswer, Admission, AdminRequest>(std::move(*problem))
                         : router.OnHead(parser.method(), parser.target(), headers, content_length,
                                         peer_address, &call);
    if (auto* pending = std::get_if<Admission>(&route);
        pending != nullptr && pending->awaits_shared_rate_limit) {
      // The webhook's rate limit is kept in Redis: asked before any other check.
      RequestHead head{
          {}, {}, headers, content_length, parser.method_string(), parser.target(), peer_address};
      auto limiting = router.pipeline().OnSharedRateLimit(std::move(*pending), head);
      auto limited = co_await std::move(limiting);
      if (auto* refused = std::get_if<HttpAnswer>(&limited)) {
        route = std::move(*refused);
      } else {
        route = std::move(std::get<Admission>(limited));
      }
    }
    auto* admitted = std::get_if<Admission>(&route);
    if (admitted && admitted->async_check_from) {
      // A method that asks another server (oauth2 introspection), still before the body.
      auto checking = router.pipeline().FinishHead(*admitted, headers, content_length);
      std::optional<HttpAnswer> refused = co_await std::move(checking);
      if (refused) route = std::move(*refused);
    }

    HttpAnswer answer;
    if (auto* early = std::get_if<HttpAnswer>(&route)) {
      answer = std::move(*early);
      if (!parser.is_done()) answer.close = true;  // a body we will not read
    } else if (auto* admin_request = std::get_if<AdminRequest>(&route)) {
      // Admin calls take their parameters from the query; a body is read and ignored.
      parser.body_limit(kMaxAdminBodyBytes);
      ExpiresAfter(state, limits.body_timeout);
      auto reading_body = Parse(stream, buffer, parser, true);
      beast::error_code body_ec = co_await std::move(reading_body);
      state.deadline = SessionState::Clock::time_point::max();
      if (body_ec) {
        auto problem = BodyReadProblem(body_ec);
        if (!problem) break;
        answer = std::move(*problem);
      } else {
        auto handling = router.admin()->Handle(std::move(*admin_request));
        answer = co_await std::move(handling);
      }
    } else {
      auto& admission = std::get<Admission>(route);
      if (parser.expects_continue()) {
        http::response<http::empty_body> proceed(http::status::continue_, version);
        ExpiresAfter(state, limits.body_timeout);
        co_await http::async_write(stream, proceed, kUseTuple);
      }
      parser.body_limit(limits.max_body_bytes);
      ExpiresAfter(state, limits.body_timeout);
      auto reading_body = Parse(stream, buffer, parser, true);
      beast::error_code body_ec = co_await std::move(reading_body);
      state.deadline = SessionState::Clock::time_point::max();  // the chain has its own timeout
      if (body_ec == http::error::body_limit) {
        answer = HttpAnswer::Error(413, fmt::format("Payload too large: more than {} bytes (max: {})",
                                                    limits.max_body_bytes, limits.max_body_bytes));
        answer.close = true;
      } else if (body_ec) {
        // Nothing was accepted. A sender still there learns why; a broken connection just ends.
        auto problem = BodyReadProblem(body_ec);
        if (!problem) break;
        answer = std::move(*problem);
      } else {
        auto accepting = router.pipeline().OnBody(std::move(admission), std::move(headers),
                                                  std::move(parser.body()));
        answer = co_await std::move(accepting);
      }
    }

    router.Answered(call, answer.status);
    const bool close = answer.close || !keep_alive || registry.draining;
    std::string bytes =
        SerializeResponse(std::move(answer), version, !close, parser.method() != http::verb::head);
    auto writing = WriteAll(stream, bytes, state, limits.body_timeout);
    beast::error_code write_ec = co_await std::move(writing);
    if (write_ec || close) break;
  }
  beast::error_code ignored;
  stream.shutdown(tcp::socket::shutdown_send, ignored);
  stream.close(ignored);
}

asio::awaitable<void> SweepDeadlines(SessionRegistry& registry, std::chrono::milliseconds period) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    const auto now = SessionState::Clock::now();
    for (SessionState* session : registry.sessions) {
      if (session->deadline <= now) {
        session->deadline = SessionState::Clock::time_point::max();
        beast::error_code ignored;
        session->socket->cancel(ignored);
      }
    }
  }
}

}  // namespace wg
