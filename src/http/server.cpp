#include "http/server.hpp"

#include <fmt/format.h>

#include <boost/asio.hpp>

#include "observability/logger.hpp"
#include "util/thread_name.hpp"

namespace wg {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// How often each thread looks for reads and writes past their deadline: timeouts fire up to
// this much late.
constexpr std::chrono::milliseconds kSweepPeriod{200};

asio::awaitable<void> AcceptLoop(tcp::acceptor& acceptor, SessionRegistry& registry,
                                 const Router& router, Logger& logger) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // Out of file descriptors and the like: log, back off briefly, keep serving.
      logger.Warn("accept failed", {{"error", ec.message()}});
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(acceptor.get_executor(), RunSession(std::move(socket), registry, router, logger),
                   asio::detached);
  }
}

}  // namespace

Server::Server(ServerOptions options, const Router& router, Logger& logger)
    : options_(std::move(options)), router_(router), logger_(logger) {}

Server::~Server() { Stop(); }

std::optional<std::string> Server::Bind() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options_.address, ec);
  if (ec) return fmt::format("invalid listen address \"{}\"", options_.address);
  uint16_t port = options_.port;
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    auto worker = std::make_unique<Worker>();
    worker->registry.open_sessions = &open_sessions_;
    tcp::endpoint endpoint(address, port);
    auto& acceptor = worker->acceptor.emplace(worker->io);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      int one = 1;
      if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        ec.assign(errno, boost::system::system_category());
      }
    }
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return fmt::format("cannot listen on {}:{}: {}", options_.address, port, ec.message());
    }
    port = acceptor.local_endpoint().port();  // the others bind the same (possibly picked) port
    workers_.push_back(std::move(worker));
  }
  bound_port_ = port;
  return std::nullopt;
}

void Server::Start() {
  for (size_t index = 0; index < workers_.size(); ++index) {
    Worker* w = workers_[index].get();
    w->guard.emplace(w->io.get_executor());
    asio::co_spawn(w->io, AcceptLoop(*w->acceptor, w->registry, router_, logger_), asio::detached);
    asio::co_spawn(w->io, SweepDeadlines(w->registry, kSweepPeriod), asio::detached);
    w->thread = std::thread([w, index] {
      NameThisThread("wg-loop-" + std::to_string(index));
      w->io.run();
    });
  }
}

std::vector<asio::any_io_executor> Server::Executors() const {
  std::vector<asio::any_io_executor> executors;
  for (const auto& worker : workers_) executors.push_back(worker->io.get_executor());
  return executors;
}

void Server::BeginShutdown() {
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    asio::post(w->io, [w] {
      w->registry.draining = true;
      boost::system::error_code ignored;
      if (w->acceptor) w->acceptor->close(ignored);
      for (SessionState* session : w->registry.sessions) {
        if (session->idle) session->socket->cancel(ignored);
      }
    });
  }
}

void Server::Stop() {
  for (auto& worker : workers_) {
    worker->guard.reset();
    worker->io.stop();
  }
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

}  // namespace wg
