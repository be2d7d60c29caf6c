// One client connection: keep-alive loop of read head -> route -> maybe read body -> answer.
// Limits are enforced while reading: header size by the parser, body size from Content-Length
// before the body is read (413) or by the parser while a chunked body streams in.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <unordered_set>

#include "http/request_parser.hpp"
#include "http/router.hpp"
#include "webhook/limits.hpp"

namespace wg {

class Logger;

struct SessionState {
  using Clock = std::chrono::steady_clock;
  boost::asio::ip::tcp::socket* socket = nullptr;
  bool idle = true;  // waiting for the next request: may be closed at shutdown
  // When the read or write in progress must have finished (idle, header, body timeouts);
  // max while none is. Checked by the thread's sweep rather than a timer per operation,
  // which would cost a timer queue insert and cancel for each read and write.
  Clock::time_point deadline = Clock::time_point::max();
};

// The sessions of one I/O thread; touched only from that thread.
struct SessionRegistry {
  std::unordered_set<SessionState*> sessions;
  bool draining = false;
  std::atomic<size_t>* open_sessions = nullptr;  // across all threads
};

// Every `period`, cancels the I/O of the thread's sessions whose deadline passed: the session
// sees operation_aborted and closes the connection. Runs until the io_context stops.
boost::asio::awaitable<void> SweepDeadlines(SessionRegistry& registry,
                                            std::chrono::milliseconds period);

boost::asio::awaitable<void> RunSession(boost::asio::ip::tcp::socket socket,
                                        SessionRegistry& registry, const Router& router,
                                        Logger& logger);

}  // namespace wg
