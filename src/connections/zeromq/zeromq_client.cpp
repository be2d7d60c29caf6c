#include "connections/zeromq/zeromq_client.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <variant>

#include "connections/http/url_policy.hpp"
#include "connections/thread_handoff.hpp"

namespace wg {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::chrono::milliseconds kIdlePoll{1000};
// How long closing waits for messages already counted as delivered to leave: shutdown must not
// hang on a peer that is gone.
constexpr int kLingerMs = 1000;
// Messages ZeroMQ queues per peer before PUSH waits and PUB drops: a bound on memory.
constexpr int kSendHighWaterMark = 100;
// What we read: XPUB subscriptions only. A peer sending more is disconnected by ZeroMQ.
constexpr int64_t kMaxInboundBytes = 64 * 1024;
constexpr int kReconnectMs = 100;
constexpr int kMaxReconnectMs = 5000;
constexpr int kMaxSubscriptionsPerRound = 64;

const char* TypeName(ZeromqSocketType type) {
  return type == ZeromqSocketType::kPub ? "PUB" : "PUSH";
}

// A bad endpoint or option stays bad; anything else (address in use, no such host yet) may pass.
OutcomeKind ClassifyOpenError(int error) {
  switch (error) {
    case EINVAL:
    case EPROTONOSUPPORT:
    case ENOCOMPATPROTO:
    case ENODEV:
      return OutcomeKind::kPermanent;
    default:
      return OutcomeKind::kRetryable;
  }
}

std::optional<asio::ip::address> AddressOf(const addrinfo& info) {
  if (info.ai_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(info.ai_addr);
    return asio::ip::address_v4(ntohl(v4->sin_addr.s_addr));
  }
  if (info.ai_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(info.ai_addr);
    asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), v6->sin6_addr.s6_addr, bytes.size());
    return asio::ip::address_v6(bytes, v6->sin6_scope_id);
  }
  return std::nullopt;
}
}  // namespace

std::string ZeromqTarget::Key() const {
  return fmt::format("{}|{}|{}|{}", TypeName(socket_type), bind ? "bind" : "connect",
                     host_allowed_explicitly ? "allowed" : "checked", endpoint);
}

std::string ZeromqTarget::Name() const {
  return fmt::format("zeromq {} {}{}", TypeName(socket_type), endpoint, bind ? " (bind)" : "");
}

struct ZeromqClient::Request {
  std::vector<std::string> frames;
  std::chrono::milliseconds timeout{0};
  // Resumes the awaiting coroutine on its own executor; called once, from the client's thread.
  OutcomeCallback complete;
};

// The thread's side: the ZeroMQ context, the socket and the messages waiting for it. Only the
// client's thread touches it.
class ZeromqClient::Session {
 public:
  explicit Session(ZeromqClient& client)
      : client_(client), target_(client.target_), context_(zmq_ctx_new()) {}

  ~Session() {
    Close();
    if (context_ != nullptr) zmq_ctx_term(context_);  // waits at most kLingerMs
  }

  void Accept(std::vector<std::shared_ptr<Request>>& batch) {
    auto now = Clock::now();
    for (auto& request : batch) pending_.push_back({request, now + request->timeout});
  }

  // Sends what it can, fails what waited too long, then waits for the socket, the wake-up
  // descriptor or the next deadline.
  void Service(int wake_fd) {
    SendPending();
    ExpireOverdue();
    Poll(wake_fd);
    ReadSubscriptions();
  }

  // Shutting down: whatever has not been handed to ZeroMQ fails as retryable (the spool keeps
  // it); what has been gets kLingerMs to leave.
  void Stop() {
    FailAll(Outcome::Retryable(Describe("shutting down")));
    Close();
  }

 private:
  struct Pending {
    std::shared_ptr<Request> request;
    Clock::time_point deadline;
  };

  bool publisher() const { return target_.socket_type == ZeromqSocketType::kPub; }

  std::string Describe(const std::string& error) const {
    return fmt::format("{}: {}", client_.name_, error);
  }

  void SetState(std::string state) { client_.thread_.SetState(std::move(state)); }

  Outcome Failure(OutcomeKind kind, const std::string& error) {
    SetState("down: " + error);
    return Outcome{kind, Describe(error)};
  }

  void SendPending() {
    while (!pending_.empty()) {
      if (socket_ == nullptr) {
        if (auto failure = Open(pending_.front().deadline)) {
          FailAll(*failure);
          return;
        }
      }
      if (!ready_) {
        // A fresh PUB socket: wait for the first subscription, or until the deadline.
        if (!subscribed_ && Clock::now() < first_subscriber_deadline_) return;
        ready_ = true;
      }
      Pending& front = pending_.front();
      int error = SendFrames(front.request->frames);
      if (error == EAGAIN || error == EINTR) return;  // no peer can take it yet: poll
      Outcome outcome = Outcome::Delivered();
      if (error == 0) {
        SetState(target_.bind ? "bound" : "connected");
      } else {
        outcome =
            Failure(OutcomeKind::kRetryable, fmt::format("send failed: {}", zmq_strerror(error)));
        Close();  // a new socket for the next message
      }
      CompleteOnce(front.request->complete, std::move(outcome));
      pending_.pop_front();
    }
  }

  // 0, or the error of the first frame; an error after the first frame leaves the socket in the
  // middle of a message, so it is closed.
  int SendFrames(const std::vector<std::string>& frames) {
    for (size_t i = 0; i < frames.size(); ++i) {
      int flags = ZMQ_DONTWAIT | (i + 1 < frames.size() ? ZMQ_SNDMORE : 0);
      if (zmq_send(socket_, frames[i].data(), frames[i].size(), flags) >= 0) continue;
      int error = zmq_errno();
      if (i == 0) return error;
      Close();
      return error == EAGAIN ? EIO : error;
    }
    return 0;
  }

  // PUSH only: a message no peer took within its timeout. PUB never waits for a peer.
  void ExpireOverdue() {
    if (publisher() || pending_.empty()) return;
    auto now = Clock::now();
    auto overdue = [now](const Pending& item) { return item.deadline <= now; };
    if (std::none_of(pending_.begin(), pending_.end(), overdue)) return;
    std::deque<Pending> still;
    for (auto& item : pending_) {
      if (!overdue(item)) {
        still.push_back(std::move(item));
        continue;
      }
      std::string error = target_.bind
                              ? fmt::format("no peer connected to take the message within {} ms",
                                            item.request->timeout.count())
                              : fmt::format(
                                    "no peer took the message within {} ms (none connected, or its "
                                    "queue is full)",
                                    item.request->timeout.count());
      CompleteOnce(item.request->complete, Failure(OutcomeKind::kRetryable, error));
    }
    pending_ = std::move(still);
  }

  void Poll(int wake_fd) {
    auto now = Clock::now();
    auto wait = kIdlePoll;
    auto until = [&](Clock::time_point deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      wait = std::max(std::chrono::milliseconds(0),
                      std::min(wait, left + std::chrono::milliseconds(1)));
    };
    short events = 0;
    if (socket_ != nullptr && !pending_.empty()) {
      if (publisher()) {
        if (!ready_) until(first_subscriber_deadline_);
      } else {
        events |= ZMQ_POLLOUT;
        for (const auto& item : pending_) until(item.deadline);
      }
    }
    if (socket_ != nullptr && publisher()) events |= ZMQ_POLLIN;  // subscriptions
    std::array<zmq_pollitem_t, 2> items = {
        {{nullptr, wake_fd, ZMQ_POLLIN, 0}, {socket_, 0, events, 0}}};
    int count = socket_ != nullptr ? 2 : 1;
    int ready = zmq_poll(items.data(), count, static_cast<long>(wait.count()));
    if (ready > 0 && (items[0].revents & ZMQ_POLLIN)) {
      uint64_t value;
      if (read(wake_fd, &value, sizeof value) < 0) {
        // EAGAIN: another read took it; nothing to do.
      }
    }
  }

  // XPUB: subscriptions arrive as messages starting with 1 (unsubscriptions with 0).
  void ReadSubscriptions() {
    if (socket_ == nullptr || !publisher()) return;
    for (int i = 0; i < kMaxSubscriptionsPerRound; ++i) {
      zmq_msg_t message;
      zmq_msg_init(&message);
      if (zmq_msg_recv(&message, socket_, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&message);
        return;
      }
      if (zmq_msg_size(&message) > 0 && *static_cast<const char*>(zmq_msg_data(&message)) == 1) {
        subscribed_ = true;
      }
      zmq_msg_close(&message);
    }
  }

  // The address ZeroMQ connects to: tcp:// hosts resolved and checked here (see the header).
  std::variant<Outcome, std::string> ConnectAddress(bool& ipv6) {
    if (target_.bind || target_.tcp_host.empty()) return target_.endpoint;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* list = nullptr;
    int rc = getaddrinfo(target_.tcp_host.c_str(), target_.tcp_port.c_str(), &hints, &list);
    if (rc != 0) {
      return Failure(OutcomeKind::kRetryable,
                     fmt::format("cannot resolve {}: {}", target_.tcp_host, gai_strerror(rc)));
    }
    std::optional<asio::ip::address> chosen;
    std::optional<Outcome> refused;
    for (const addrinfo* info = list; info != nullptr && !refused; info = info->ai_next) {
      auto address = AddressOf(*info);
      if (!address) continue;
      if (!target_.host_allowed_explicitly) {
        if (auto reason = BlockedAddressReason(*address)) {
          refused = Failure(OutcomeKind::kPermanent,
                            fmt::format("refused: {} resolves to {} ({}); list the host in "
                                        "allowed_hosts to allow it",
                                        target_.tcp_host, address->to_string(), *reason));
          continue;
        }
      }
      // IPv4 first, as ZeroMQ's own resolver does.
      if (!chosen || (chosen->is_v6() && address->is_v4())) chosen = *address;
    }
    freeaddrinfo(list);
    if (refused) return *refused;
    if (!chosen) {
      return Failure(OutcomeKind::kRetryable,
                     fmt::format("{} has no IPv4 or IPv6 address", target_.tcp_host));
    }
    ipv6 = chosen->is_v6();
    if (ipv6) return fmt::format("tcp://[{}]:{}", chosen->to_string(), target_.tcp_port);
    return fmt::format("tcp://{}:{}", chosen->to_string(), target_.tcp_port);
  }

  std::optional<Outcome> Open(Clock::time_point first_deadline) {
    if (context_ == nullptr) {
      return Failure(OutcomeKind::kRetryable,
                     fmt::format("cannot create a ZeroMQ context: {}", zmq_strerror(zmq_errno())));
    }
    bool ipv6 = target_.bind && target_.tcp_host.find(':') != std::string::npos;
    auto address = ConnectAddress(ipv6);
    if (auto* failure = std::get_if<Outcome>(&address)) return *failure;
    const std::string& endpoint = std::get<std::string>(address);

    socket_ = zmq_socket(context_, publisher() ? ZMQ_XPUB : ZMQ_PUSH);
    if (socket_ == nullptr) {
      return Failure(OutcomeKind::kRetryable,
                     fmt::format("cannot create a socket: {}", zmq_strerror(zmq_errno())));
    }
    auto set = [this](int option, int value) {
      zmq_setsockopt(socket_, option, &value, sizeof value);
    };
    set(ZMQ_LINGER, kLingerMs);
    set(ZMQ_SNDHWM, kSendHighWaterMark);
    set(ZMQ_RECONNECT_IVL, kReconnectMs);
    set(ZMQ_RECONNECT_IVL_MAX, kMaxReconnectMs);
    set(ZMQ_TCP_KEEPALIVE, 1);
    if (!target_.bind) set(ZMQ_IMMEDIATE, 1);  // no queue for a peer that is not connected
    if (ipv6) set(ZMQ_IPV6, 1);
    int64_t max_inbound = kMaxInboundBytes;
    zmq_setsockopt(socket_, ZMQ_MAXMSGSIZE, &max_inbound, sizeof max_inbound);

    int rc =
        target_.bind ? zmq_bind(socket_, endpoint.c_str()) : zmq_connect(socket_, endpoint.c_str());
    if (rc != 0) {
      int error = zmq_errno();
      Close();
      return Failure(ClassifyOpenError(error),
                     fmt::format("cannot {} {}: {}", target_.bind ? "bind" : "connect to", endpoint,
                                 zmq_strerror(error)));
    }
    ready_ = !publisher();
    subscribed_ = false;
    first_subscriber_deadline_ = first_deadline;
    SetState(target_.bind ? "bound" : "connecting");
    return std::nullopt;
  }

  void Close() {
    if (socket_ != nullptr) zmq_close(socket_);
    socket_ = nullptr;
  }

  void FailAll(const Outcome& outcome) {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& item : pending) CompleteOnce(item.request->complete, outcome);
  }

  ZeromqClient& client_;
  const ZeromqTarget target_;
  void* context_ = nullptr;
  void* socket_ = nullptr;
  std::deque<Pending> pending_;  // in order; the front is the next to send
  bool ready_ = false;           // PUB: done waiting for the first subscription
  bool subscribed_ = false;      // PUB: a subscription arrived on this socket
  Clock::time_point first_subscriber_deadline_{};
};

ZeromqClient::ZeromqClient(ZeromqTarget target)
    : target_(std::move(target)), name_(target_.Name()) {}

ZeromqClient::~ZeromqClient() { thread_.Stop(); }

asio::awaitable<Outcome> ZeromqClient::Send(std::vector<std::string> frames,
                                            std::chrono::milliseconds timeout) {
  auto request = std::make_shared<Request>();
  request->frames = std::move(frames);
  request->timeout = timeout;
  auto waiting = AwaitFromThread<Outcome>([this, request](OutcomeCallback complete) {
    request->complete = std::move(complete);
    Enqueue(request);
  });
  Outcome outcome = co_await std::move(waiting);
  co_return outcome;
}

void ZeromqClient::Enqueue(std::shared_ptr<Request> request) {
  if (auto refused = thread_.Push(request, [this] { Run(); })) {
    CompleteOnce(request->complete, Outcome::Retryable(fmt::format("{}: {}", name_, *refused)));
  }
}

void ZeromqClient::Run() {
  Session session(*this);
  while (auto batch = thread_.Take()) {
    if (!batch->empty()) session.Accept(*batch);
    session.Service(thread_.wake_fd());
  }
  session.Stop();
  for (auto& request : thread_.TakeRemaining()) {
    CompleteOnce(request->complete, Outcome::Retryable(fmt::format("{}: shutting down", name_)));
  }
}

std::string ZeromqClient::State() const { return thread_.State(); }

}  // namespace wg
