#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "connections/http/http_client.hpp"
#include "test_support.hpp"

namespace wg {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

// Answers every request with 200 and "connection N" (N counts accepted connections), keep-alive.
// The first connection is closed right after its first answer, as a server does with a
// keep-alive connection that stayed idle too long.
asio::awaitable<void> Serve(tcp::socket socket, int number) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> request;
    auto [read_ec, read_n] =
        co_await http::async_read(socket, buffer, request, asio::as_tuple(asio::use_awaitable));
    if (read_ec) co_return;
    http::response<http::string_body> answer(http::status::ok, 11);
    answer.body() = "connection " + std::to_string(number);
    answer.keep_alive(true);
    answer.prepare_payload();
    auto [write_ec, write_n] =
        co_await http::async_write(socket, answer, asio::as_tuple(asio::use_awaitable));
    if (write_ec || number == 1) co_return;  // closes the socket
  }
}

asio::awaitable<void> Accept(tcp::acceptor& acceptor, int& accepted) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    asio::co_spawn(acceptor.get_executor(), Serve(std::move(socket), ++accepted), asio::detached);
  }
}

TEST(HttpConnectionPoolTest, ReusesKeptConnectionsAndReplacesOneTheServerClosed) {
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  int accepted = 0;
  asio::co_spawn(io, Accept(acceptor, accepted), asio::detached);
  HttpTarget target{false, "127.0.0.1", std::to_string(acceptor.local_endpoint().port()),
                    "127.0.0.1", "/hook"};
  HttpConnectionPool pool(4, 10s);
  std::vector<std::string> bodies;
  auto client = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      HttpStream::Request request(http::verb::post, "/hook", 11);
      request.set(http::field::host, "127.0.0.1");
      request.body() = "{}";
      request.keep_alive(true);
      request.prepare_payload();
      auto exchanging = ExchangePooled(pool, target, true, nullptr, 5000ms, request, 1024);
      PooledAnswer answer = co_await std::move(exchanging);
      EXPECT_EQ(answer.failure, PooledAnswer::Failure::kNone) << answer.error;
      bodies.push_back(answer.response.body());
      // Let the server's close of connection 1 reach us before the next request.
      asio::steady_timer pause(co_await asio::this_coro::executor, 50ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    acceptor.close();
  };
  asio::co_spawn(io, client(), [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
  io.run_for(10s);
  // The second request found connection 1 closed and went out on a new one, which the third
  // request reused.
  EXPECT_EQ(bodies, (std::vector<std::string>{"connection 1", "connection 2", "connection 2"}));
  EXPECT_EQ(accepted, 2);
}

TEST(HttpConnectionPoolTest, ReportsAConnectionThatCannotBeOpened) {
  asio::io_context io;
  // A port nobody listens on: bound, then closed.
  uint16_t port;
  {
    tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  HttpTarget target{false, "127.0.0.1", std::to_string(port), "127.0.0.1", "/"};
  HttpConnectionPool pool(4, 10s);
  HttpStream::Request request(http::verb::get, "/", 11);
  PooledAnswer answer =
      testing::RunAwaitable(ExchangePooled(pool, target, true, nullptr, 2000ms, request, 1024));
  EXPECT_EQ(answer.failure, PooledAnswer::Failure::kConnect);
  EXPECT_FALSE(answer.error.empty());
  EXPECT_FALSE(answer.refused);
}

TEST(HttpConnectionPoolTest, KeepsAtMostMaxPerThreadAndNothingOlderThanMaxAge) {
  asio::io_context first;
  asio::io_context second;
  HttpConnectionPool pool(2, 10s);
  for (int i = 0; i < 3; ++i)
    pool.Return(first.get_executor(), HttpStream(HttpStream::Plain(first)));
  EXPECT_FALSE(pool.Take(second.get_executor()));  // kept per thread (io_context)
  EXPECT_TRUE(pool.Take(first.get_executor()));
  EXPECT_TRUE(pool.Take(first.get_executor()));
  EXPECT_FALSE(pool.Take(first.get_executor()));  // the third was closed, not kept

  HttpConnectionPool expiring(2, 0ms);
  expiring.Return(first.get_executor(), HttpStream(HttpStream::Plain(first)));
  EXPECT_FALSE(expiring.Take(first.get_executor()));
}

}  // namespace
}  // namespace wg
