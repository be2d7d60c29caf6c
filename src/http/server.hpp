// The listener: one io_context per thread, each with its own SO_REUSEPORT acceptor on the same
// port (measured faster than threads sharing one io_context; see docs/architecture.md).
// A connection and the chains of the webhooks it accepted stay on one thread, so the chain
// runner needs no locks.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/router.hpp"
#include "http/session.hpp"

namespace wg {

class Logger;

struct ServerOptions {
  std::string address = "0.0.0.0";
  uint16_t port = 8000;
  int threads = 1;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, Logger& logger);
  ~Server();

  // Binds all acceptors; returns an error message on failure. Port 0 picks a free port.
  std::optional<std::string> Bind();
  uint16_t port() const { return bound_port_; }

  void Start();
  // The event loops (after Bind), e.g. for work that starts without a request.
  std::vector<boost::asio::any_io_executor> Executors() const;
  // Stops accepting and closes idle keep-alive connections; requests in progress finish.
  void BeginShutdown();
  size_t OpenSessions() const { return open_sessions_.load(); }
  // Stops the I/O threads (after BeginShutdown and the drain wait) and joins them.
  void Stop();

 private:
  struct Worker {
    boost::asio::io_context io{1};
    // Keeps run() alive while idle: a chain queued on another thread may still be posted here.
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
    std::optional<boost::asio::ip::tcp::acceptor> acceptor;
    SessionRegistry registry;
    std::thread thread;
  };

  ServerOptions options_;
  const Router& router_;
  Logger& logger_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<size_t> open_sessions_{0};
  uint16_t bound_port_ = 0;
};

}  // namespace wg
