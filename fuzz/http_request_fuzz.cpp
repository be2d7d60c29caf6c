// Bytes from a client -> what a session does with them, without a socket: the session's
// RequestParser (Beast's parser, with our head limit), the router, the webhook pipeline's head
// checks (id, lookup, authentication, header limits, declared size), the body limit, body checks
// (hmac), parsing by data_type with the JSON limits, the chain (log module into /dev/null) and
// the response. Several requests in one input are handled as on a keep-alive connection.
//
// Properties: every answer is a valid HTTP status with a JSON body, errors as {"detail": "..."}.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fcntl.h>

#include <memory>
#include <sstream>

#include "chain/work_queue.hpp"
#include "config/config_loader.hpp"
#include "fuzz_support.hpp"
#include "http/router.hpp"
#include "http/session.hpp"
#include "observability/line_writer.hpp"
#include "observability/logger.hpp"

namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using wg::fuzz::Require;

// One webhook per data_type and per authentication method, all delivered to the log module.
// `delivered` runs the chain inside the request; `received` goes through the work queue.
constexpr std::string_view kWebhooks = R"({
  "json": {"module": "log", "acknowledge": "delivered"},
  "form": {"module": "log", "acknowledge": "delivered", "data_type": "form"},
  "text": {"module": "log", "acknowledge": "received", "data_type": "text"},
  "blob": {"module": "log", "acknowledge": "received", "data_type": "blob"},
  "bearer": {"module": "log", "acknowledge": "delivered", "authorization": "Bearer t0ken"},
  "basic": {"module": "log", "acknowledge": "delivered",
            "basic_auth": {"username": "alice", "password": "s3cret"}},
  "header": {"module": "log", "acknowledge": "delivered", "header_auth": {"api_key": "k3y"}},
  "query": {"module": "log", "acknowledge": "delivered", "query_auth": {"api_key": "k3y"}},
  "ip": {"module": "log", "acknowledge": "delivered", "ip_whitelist": ["127.0.0.0/8", "::1"]},
  "github": {"module": "log", "acknowledge": "delivered",
             "hmac": {"provider": "github", "secret": "s3cret"}},
  "stripe": {"module": "log", "acknowledge": "delivered",
             "hmac": {"provider": "stripe", "secret": "whsec_s3cret"}},
  "chain": {"chain": ["log", "log"], "chain-config": {"execution": "parallel"},
            "acknowledge": "delivered", "data_type": "json"}
})";

// Small limits, so that short inputs reach every limit check.
wg::RequestLimits FuzzLimits() {
  wg::RequestLimits limits;
  limits.max_body_bytes = 2048;
  limits.max_headers = 20;
  limits.max_header_bytes = 1024;
  limits.max_json_depth = 8;
  limits.max_string_length = 64;
  return limits;
}

struct Gateway {
  Gateway()
      : null_fd(::open("/dev/null", O_WRONLY | O_CLOEXEC)),
        log_output(null_fd),
        context{&pool, nullptr, "/tmp", nullptr, &log_output} {
    auto loaded = wg::LoadConfigFromText(
        std::string(kWebhooks), std::nullopt,
        [](const std::string&) -> std::optional<std::string> { return std::nullopt; }, context);
    Require(loaded.config != nullptr, "the fuzz target's own webhooks.json loads");
    config = std::make_unique<wg::ConfigHolder>(loaded.config);
    pipeline = std::make_unique<wg::Pipeline>(*config, queue, nullptr, nullptr, logger,
                                              FuzzLimits());
    router = std::make_unique<wg::Router>(*pipeline, queue, *config);
  }

  asio::thread_pool pool{1};
  int null_fd;
  wg::LineWriter log_output;
  wg::ModuleContext context;
  wg::Logger logger{wg::LogLevel::kError, wg::LogFormat::kText, null_fd};
  wg::WorkQueue queue{4, 4};
  std::unique_ptr<wg::ConfigHolder> config;
  std::unique_ptr<wg::Pipeline> pipeline;
  std::unique_ptr<wg::Router> router;
};

// Feeds the parser until the head (or the whole message) is parsed, as Beast's read operations
// do, with `input` standing for everything the client sent; the end of the input is the end of
// the stream.
beast::error_code Feed(wg::RequestParser& parser, std::string_view& input, bool whole_message) {
  beast::error_code ec;
  while (whole_message ? !parser.is_done() : !parser.is_header_done()) {
    size_t used = 0;
    if (!input.empty()) {
      used = parser.put(asio::buffer(input.data(), input.size()), ec);
      input.remove_prefix(used);
      if (ec == http::error::need_more) ec = {};
      if (ec) return ec;
    }
    if (used == 0) {  // nothing more the parser can take: the client closed the connection
      parser.put_eof(ec);
      return ec ? ec : beast::error_code(http::error::partial_message);
    }
  }
  return ec;
}

void CheckAnswer(const wg::HttpAnswer& answer) {
  Require(answer.status >= 200 && answer.status <= 599, "status is a final HTTP status");
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(answer.body, ec);
  Require(!ec, "the answer's body is JSON");
  if (answer.status >= 400 && answer.status != 502 && answer.status != 504) {
    Require(body.is_object() && body.as_object().size() == 1 &&
                body.as_object().contains("detail") && body.at("detail").is_string(),
            "an error answer is {\"detail\": \"...\"}");
  }
}

// Handles one request; false when the connection would be closed after it.
bool HandleOneRequest(Gateway& gateway, std::string_view& input) {
  wg::RequestParser parser;
  parser.body_limit(boost::none);
  if (auto ec = Feed(parser, input, false)) {
    // The session answers 431 or 400 (or nothing, at the end of the stream) and closes.
    return false;
  }
  std::vector<wg::Header>& headers = parser.headers();
  auto length = parser.content_length();
  auto route =
      gateway.router->OnHead(parser.method(), parser.target(), headers,
                             length ? std::optional<uint64_t>(*length) : std::nullopt, "127.0.0.1");
  wg::HttpAnswer answer;
  if (auto* early = std::get_if<wg::HttpAnswer>(&route)) {
    answer = std::move(*early);
    if (!parser.is_done()) answer.close = true;
  } else {
    Require(std::holds_alternative<wg::Admission>(route), "no admin API is configured");
    parser.body_limit(gateway.pipeline->limits().max_body_bytes);
    auto ec = Feed(parser, input, true);
    if (ec == http::error::body_limit) return false;  // 413, then the session closes
    if (ec) return false;
    asio::io_context io;
    asio::co_spawn(io,
                   gateway.pipeline->OnBody(std::get<wg::Admission>(std::move(route)),
                                            std::move(headers), std::move(parser.body())),
                   [&answer](std::exception_ptr error, wg::HttpAnswer result) {
                     Require(!error, "OnBody does not throw");
                     answer = std::move(result);
                   });
    io.run();
  }
  CheckAnswer(answer);
  const bool keep_alive = parser.keep_alive() && !answer.close;
  std::string wire = wg::SerializeResponse(std::move(answer), parser.version(), keep_alive);
  if (wire.find("\r\n\r\n") == std::string::npos) __builtin_trap();
  return keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Gateway gateway;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (int requests = 0; requests < 4 && !input.empty(); ++requests) {
    if (!HandleOneRequest(gateway, input)) break;
  }
  return 0;
}
