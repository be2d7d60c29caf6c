#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zmq.h>

#include "config/json_reader.hpp"
#include "connections/zeromq/zeromq_client.hpp"
#include "modules/zeromq/zeromq_module.hpp"
#include "test_support.hpp"

namespace wg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Messages(const ConfigErrors& errors) {
  std::vector<std::string> out;
  for (const auto& error : errors.errors()) out.push_back(error.path + ": " + error.message);
  return out;
}

std::optional<ZeromqModuleOptions> Parse(std::string_view json, ConfigErrors& errors) {
  auto config = boost::json::parse(json).as_object();
  return ParseZeromqModuleOptions(config, "/hook/module-config", errors);
}

ZeromqModuleOptions Options(std::string_view json) {
  ConfigErrors errors;
  auto options = Parse(json, errors);
  EXPECT_TRUE(options) << (errors.empty() ? "" : Messages(errors)[0]);
  return options.value_or(ZeromqModuleOptions{});
}

// The single error `json` produces.
std::string Error(std::string_view json) {
  ConfigErrors errors;
  EXPECT_FALSE(Parse(json, errors)) << json;
  auto messages = Messages(errors);
  EXPECT_EQ(messages.size(), 1u) << json;
  return messages.empty() ? "" : messages[0];
}

TEST(ZeromqOptionsTest, DefaultsArePubConnectJsonFiveSeconds) {
  auto options = Options(R"({"endpoint": "tcp://events.example.com:5556"})");
  EXPECT_EQ(options.target.endpoint, "tcp://events.example.com:5556");
  EXPECT_EQ(options.target.socket_type, ZeromqSocketType::kPub);
  EXPECT_FALSE(options.target.bind);
  EXPECT_EQ(options.target.tcp_host, "events.example.com");
  EXPECT_EQ(options.target.tcp_port, "5556");
  EXPECT_FALSE(options.target.host_allowed_explicitly);
  EXPECT_EQ(options.topic, "");
  EXPECT_EQ(options.format, ZeromqFormat::kJson);
  EXPECT_EQ(options.timeout, std::chrono::milliseconds(5000));
}

TEST(ZeromqOptionsTest, PushBindTopicFormatAndTimeout) {
  auto push = Options(
      R"({"endpoint": "tcp://*:5557", "socket_type": "push", "bind": true, "format": "raw",
          "timeout": 0.5})");
  EXPECT_EQ(push.target.socket_type, ZeromqSocketType::kPush);
  EXPECT_TRUE(push.target.bind);
  EXPECT_EQ(push.target.tcp_host, "*");
  EXPECT_EQ(push.format, ZeromqFormat::kRaw);
  EXPECT_EQ(push.timeout, std::chrono::milliseconds(500));

  auto pub = Options(R"({"endpoint": "ipc:///run/wg/events.sock", "topic": "orders"})");
  EXPECT_EQ(pub.target.endpoint, "ipc:///run/wg/events.sock");
  EXPECT_EQ(pub.target.tcp_host, "");
  EXPECT_EQ(pub.topic, "orders");
}

TEST(ZeromqOptionsTest, LoopbackOnlyWhenAllowedExplicitly) {
  EXPECT_THAT(Error(R"({"endpoint": "tcp://localhost:5555"})"),
              HasSubstr("/hook/module-config/endpoint: refused endpoint host \"localhost\": "
                        "loopback host name (list it in allowed_hosts"));
  EXPECT_THAT(Error(R"({"endpoint": "tcp://127.0.0.1:5555"})"), HasSubstr("loopback address"));
  EXPECT_THAT(Error(R"({"endpoint": "tcp://10.1.2.3:5555"})"), HasSubstr("private address"));
  EXPECT_THAT(Error(R"({"endpoint": "tcp://169.254.169.254:80"})"), HasSubstr("link-local"));
  EXPECT_THAT(Error(R"({"endpoint": "tcp://[::1]:5555"})"), HasSubstr("loopback address"));
  EXPECT_THAT(Error(R"({"endpoint": "tcp://2130706433:5555"})"), HasSubstr("numeric host"));

  auto allowed = Options(R"({"endpoint": "tcp://127.0.0.1:5555", "allowed_hosts": ["127.0.0.1"]})");
  EXPECT_TRUE(allowed.target.host_allowed_explicitly);
  auto v6 = Options(R"({"endpoint": "tcp://[::1]:5555", "allowed_hosts": ["::1"]})");
  EXPECT_EQ(v6.target.tcp_host, "::1");
  // Binding listens on a local address: the outbound rules are not about that.
  EXPECT_TRUE(Options(R"({"endpoint": "tcp://127.0.0.1:5555", "bind": true})").target.bind);
}

TEST(ZeromqOptionsTest, RefusesEndpointsThatCannotWork) {
  EXPECT_THAT(Error(R"({"endpoint": "inproc://events"})"),
              HasSubstr("inproc:// only reaches sockets inside the gateway's own process"));
  EXPECT_THAT(Error(R"({"endpoint": "pgm://eth0;239.192.1.1:5555"})"),
              HasSubstr("transport \"pgm\" is not supported (tcp or ipc)"));
  EXPECT_THAT(Error(R"({"endpoint": "events.example.com:5555"})"),
              HasSubstr("is not a ZeroMQ endpoint"));
  EXPECT_THAT(Error(R"({"endpoint": "tcp://events.example.com"})"), HasSubstr("needs a port"));
  EXPECT_THAT(Error(R"({"endpoint": "tcp://events.example.com:0"})"),
              HasSubstr("must be a number from 1 to 65535"));
  EXPECT_THAT(Error(R"({"endpoint": "tcp://events.example.com:65536"})"),
              HasSubstr("must be a number from 1 to 65535"));
  EXPECT_THAT(Error(R"({"endpoint": "tcp://:5555"})"), HasSubstr("needs a host"));
  EXPECT_THAT(Error(R"({"endpoint": "tcp://*:5555"})"), HasSubstr("only works with \"bind\""));
  EXPECT_THAT(Error(R"({"endpoint": "tcp://eth0;events.example.com:5555"})"),
              HasSubstr("source address"));
  EXPECT_THAT(Error(R"({"endpoint": "tcp://[::1:5555", "allowed_hosts": ["::1"]})"),
              HasSubstr("tcp://[address]:port"));
  EXPECT_THAT(Error(R"({"endpoint": "ipc://"})"), HasSubstr("ipc:// path must have 1 to 107"));
  EXPECT_THAT(Error(R"({"endpoint": "ipc:///)" + std::string(120, 'x') + R"("})"),
              HasSubstr("ipc:// path must have 1 to 107"));
  EXPECT_THAT(Error(R"({"endpoint": "tcp://a.example.com:1)" + std::string(600, '0') + R"("})"),
              HasSubstr("at most 512 characters"));
}

TEST(ZeromqOptionsTest, EveryErrorWithItsPath) {
  ConfigErrors errors;
  EXPECT_FALSE(
      Parse(R"({"socket_type": "REQ", "format": "xml", "timeout": 0, "colour": 1})", errors));
  EXPECT_THAT(Messages(errors),
              ::testing::UnorderedElementsAre(
                  "/hook/module-config/endpoint: required string is missing",
                  HasSubstr("/hook/module-config/socket_type: \"REQ\" is not supported: it "
                            "expects replies the gateway does not read"),
                  "/hook/module-config/format: unknown format \"xml\" (known: json, raw)",
                  HasSubstr("/hook/module-config/timeout: must be between 0.1 and 600"),
                  HasSubstr("/hook/module-config/colour")));
}

TEST(ZeromqOptionsTest, SocketTypesAndTopics) {
  EXPECT_THAT(Error(R"({"endpoint": "ipc:///tmp/x", "socket_type": "DEALER"})"),
              HasSubstr("\"DEALER\" is not supported"));
  EXPECT_THAT(Error(R"({"endpoint": "ipc:///tmp/x", "socket_type": "PAIR"})"),
              HasSubstr("unknown socket type \"PAIR\" (known: PUB, PUSH)"));
  EXPECT_THAT(Error(R"({"endpoint": "ipc:///tmp/x", "socket_type": "PUSH", "topic": "t"})"),
              HasSubstr("/hook/module-config/topic: only used with \"socket_type\": \"PUB\""));
  EXPECT_THAT(Error(R"({"endpoint": "ipc:///tmp/x", "topic": ""})"),
              HasSubstr("must have 1 to 1024 bytes"));
}

TEST(ZeromqFramesTest, TopicFrameThenTheBody) {
  auto delivery = testing::MakeDelivery(R"({"id": 1, "name": "h\u00e9llo"})");
  auto plain = Options(R"({"endpoint": "ipc:///tmp/x"})");
  EXPECT_THAT(ZeromqFrames(plain, *delivery), ElementsAre("{\"id\":1,\"name\":\"h\xc3\xa9llo\"}"));
  auto topic = Options(R"({"endpoint": "ipc:///tmp/x", "topic": "orders"})");
  EXPECT_THAT(ZeromqFrames(topic, *delivery),
              ElementsAre("orders", "{\"id\":1,\"name\":\"h\xc3\xa9llo\"}"));
  auto raw = Options(R"({"endpoint": "ipc:///tmp/x", "format": "raw"})");
  EXPECT_THAT(ZeromqFrames(raw, *delivery), ElementsAre(R"({"id": 1, "name": "h\u00e9llo"})"));

  auto blob = testing::MakeDelivery("null");
  blob->data_type = DataType::kBlob;
  blob->body = std::string("\x00\xff\x01", 3);
  blob->payload = nullptr;
  EXPECT_THAT(ZeromqFrames(plain, *blob), ElementsAre(std::string("\x00\xff\x01", 3)));

  auto text = testing::MakeDelivery("null");
  text->data_type = DataType::kText;
  text->payload = "plain words";
  EXPECT_THAT(ZeromqFrames(plain, *text), ElementsAre("plain words"));
}

// A PULL peer of the test's own on a free loopback port.
class PullPeer {
 public:
  PullPeer() : context_(zmq_ctx_new()), socket_(zmq_socket(context_, ZMQ_PULL)) {
    int linger = 0;
    zmq_setsockopt(socket_, ZMQ_LINGER, &linger, sizeof linger);
    EXPECT_EQ(zmq_bind(socket_, "tcp://127.0.0.1:*"), 0);
    char endpoint[256];
    size_t size = sizeof endpoint;
    zmq_getsockopt(socket_, ZMQ_LAST_ENDPOINT, endpoint, &size);
    endpoint_ = endpoint;
  }
  ~PullPeer() {
    zmq_close(socket_);
    zmq_ctx_term(context_);
  }
  const std::string& endpoint() const { return endpoint_; }

  // The frames of the next message, or nothing within 5 s.
  std::vector<std::string> Receive() {
    int timeout = 5000;
    zmq_setsockopt(socket_, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    std::vector<std::string> frames;
    int more = 1;
    while (more) {
      zmq_msg_t message;
      zmq_msg_init(&message);
      if (zmq_msg_recv(&message, socket_, 0) < 0) {
        zmq_msg_close(&message);
        return frames;
      }
      frames.emplace_back(static_cast<const char*>(zmq_msg_data(&message)), zmq_msg_size(&message));
      more = zmq_msg_more(&message);
      zmq_msg_close(&message);
    }
    return frames;
  }

 private:
  void* context_;
  void* socket_;
  std::string endpoint_;
};

ZeromqTarget PushTo(const std::string& endpoint) {
  ZeromqTarget target;
  target.endpoint = endpoint;
  target.socket_type = ZeromqSocketType::kPush;
  target.tcp_host = "127.0.0.1";
  target.tcp_port = endpoint.substr(endpoint.rfind(':') + 1);
  target.host_allowed_explicitly = true;
  return target;
}

TEST(ZeromqClientTest, PushIsDeliveredToAConnectedPeer) {
  PullPeer peer;
  ZeromqClient client(PushTo(peer.endpoint()));
  for (int n = 0; n < 3; ++n) {
    Outcome outcome = testing::RunAwaitable(
        client.Send({"frame", "n=" + std::to_string(n)}, std::chrono::milliseconds(5000)));
    EXPECT_TRUE(outcome.delivered()) << outcome.message;
    EXPECT_THAT(peer.Receive(), ElementsAre("frame", "n=" + std::to_string(n)));
  }
  EXPECT_EQ(client.State(), "connected");
}

TEST(ZeromqClientTest, PushWithoutAPeerIsRetryableAfterTheTimeout) {
  std::string endpoint;
  {
    PullPeer gone;
    endpoint = gone.endpoint();
  }
  ZeromqClient client(PushTo(endpoint));
  auto start = std::chrono::steady_clock::now();
  Outcome outcome = testing::RunAwaitable(client.Send({"lost"}, std::chrono::milliseconds(300)));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(outcome.kind, OutcomeKind::kRetryable);
  EXPECT_THAT(outcome.message, HasSubstr("no peer took the message within 300 ms"));
  EXPECT_GE(waited, std::chrono::milliseconds(290));
  EXPECT_LT(waited, std::chrono::milliseconds(3000));
  EXPECT_THAT(client.State(), HasSubstr("down: no peer took the message"));
}

TEST(ZeromqClientTest, ConnectRefusesAddressesTheOutboundRulesForbid) {
  ZeromqTarget target = PushTo("tcp://localhost:5555");
  target.tcp_host = "localhost";
  target.host_allowed_explicitly = false;  // as a DNS name that resolves to loopback
  ZeromqClient client(target);
  Outcome outcome = testing::RunAwaitable(client.Send({"x"}, std::chrono::milliseconds(300)));
  EXPECT_EQ(outcome.kind, OutcomeKind::kPermanent);
  EXPECT_THAT(outcome.message, HasSubstr("refused: localhost resolves to"));
  EXPECT_THAT(outcome.message, HasSubstr("list the host in allowed_hosts"));
}

TEST(ZeromqClientTest, BindingAnAddressInUseIsRetryable) {
  PullPeer peer;  // holds the port
  ZeromqTarget target = PushTo(peer.endpoint());
  target.bind = true;
  ZeromqClient client(target);
  Outcome outcome = testing::RunAwaitable(client.Send({"x"}, std::chrono::milliseconds(300)));
  EXPECT_EQ(outcome.kind, OutcomeKind::kRetryable);
  EXPECT_THAT(outcome.message, HasSubstr("cannot bind " + peer.endpoint()));
  EXPECT_THAT(outcome.message, HasSubstr("Address already in use"));
}

}  // namespace
}  // namespace wg
