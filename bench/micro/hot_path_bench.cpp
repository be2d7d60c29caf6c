// The CPU cost of the steps every webhook takes before it is accepted, one at a time: parsing the
// HTTP request, parsing and checking the JSON body, verifying an HMAC signature, and rendering
// the log module's line. Bodies: the 110-byte JSON of bench/post.lua, a ~10 KiB GitHub-like
// event, and 1 MiB. Run: build/release/bench/micro/hot_path_bench
#include <benchmark/benchmark.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "auth/crypto.hpp"
#include "auth/hmac.hpp"
#include "config/json_reader.hpp"
#include "http/session.hpp"
#include "modules/log/log_module.hpp"
#include "webhook/payload.hpp"

namespace {
namespace beast = boost::beast;
namespace http = beast::http;
using namespace wg;

constexpr std::string_view kSmallBody =
    R"({"event":"order.created","id":12345,"amount":42.5,"items":[{"sku":"A1","qty":2}],"ts":"2026-01-01T00:00:00Z"})";
constexpr std::string_view kSecret = "It's a Secret to Everybody";

// A JSON object of about `bytes` bytes shaped like a GitHub push event: nested objects, arrays
// of commits, strings, numbers, booleans, nulls.
std::string JsonBody(size_t bytes) {
  std::string commits;
  for (int i = 0; commits.size() + 400 < bytes; ++i) {
    if (!commits.empty()) commits += ',';
    commits += fmt::format(
        R"({{"id":"{:040x}","message":"Fix the thing number {}\n\nLonger description","timestamp":"2026-01-01T00:00:{:02}Z","author":{{"name":"Ann Example","email":"ann@example.com"}},"distinct":true,"added":[],"removed":["old/file_{}.txt"],"modified":["src/a.cpp","src/b.cpp"],"parent":null}})",
        i * 7919, i, i % 60, i);
  }
  return fmt::format(
      R"({{"ref":"refs/heads/main","before":"{:040x}","after":"{:040x}","repository":{{"id":123456,"full_name":"example/repo","private":false,"stargazers_count":42}},"commits":[{}]}})",
      1, 2, commits);
}

std::string BodyOf(int64_t kind) {
  switch (kind) {
    case 0: return std::string(kSmallBody);
    case 1: return JsonBody(10 * 1024);
    default: return JsonBody(1024 * 1024);
  }
}

std::string RequestText(std::string_view body) {
  return fmt::format(
      "POST /webhook/orders HTTP/1.1\r\n"
      "Host: 127.0.0.1:8000\r\n"
      "User-Agent: GitHub-Hookshot/2c8f4a1\r\n"
      "Accept: */*\r\n"
      "Content-Type: application/json\r\n"
      "X-GitHub-Event: push\r\n"
      "X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958\r\n"
      "X-Hub-Signature-256: sha256={}\r\n"
      "Authorization: Bearer bench-token\r\n"
      "Content-Length: {}\r\n"
      "\r\n{}",
      HexEncode(ComputeHmac("SHA256", kSecret, {body})), body.size(), body);
}

// The session's parser over a request already in memory: the header list the pipeline gets
// (lower-cased names) and the body, as a session does per request.
void BM_ParseRequest(benchmark::State& state) {
  const std::string text = RequestText(BodyOf(state.range(0)));
  for (auto _ : state) {
    RequestParser parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.eager(true);
    beast::error_code ec;
    size_t used = parser.put(boost::asio::buffer(text), ec);
    if (ec || !parser.is_done() || used != text.size()) {
      state.SkipWithError("request not parsed");
      break;
    }
    benchmark::DoNotOptimize(parser.headers().data());
    benchmark::DoNotOptimize(parser.body().data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseRequest)->Arg(0)->Arg(1)->Arg(2)->ArgName("body");

// The body parsed as data_type json with the default depth and string limits (what every json
// webhook costs), then the whole Delivery modules receive.
void BM_ParseJsonPayload(benchmark::State& state) {
  const std::string body = BodyOf(state.range(0));
  RequestLimits limits;
  for (auto _ : state) {
    PayloadResult result = ParsePayload(DataType::kJson, body, limits);
    if (!result.ok) {
      state.SkipWithError("payload refused");
      break;
    }
    benchmark::DoNotOptimize(result.payload);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ParseJsonPayload)->Arg(0)->Arg(1)->Arg(2)->ArgName("body");

void BM_BuildDelivery(benchmark::State& state) {
  const std::string body = BodyOf(state.range(0));
  const std::vector<Header> headers = {{"content-type", "application/json"},
                                       {"user-agent", "GitHub-Hookshot/2c8f4a1"},
                                       {"x-github-event", "push"},
                                       {"authorization", "Bearer bench-token"}};
  RequestLimits limits;
  CredentialCleanup cleanup;
  for (auto _ : state) {
    BuiltDelivery built = BuildDelivery(
        DataType::kJson,
        {"0190d2a4-7c1e-7000-8000-000000000001", "orders", headers, body,
         std::chrono::system_clock::now()},
        limits, cleanup);
    if (!built.delivery) {
      state.SkipWithError("delivery refused");
      break;
    }
    benchmark::DoNotOptimize(built.delivery);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_BuildDelivery)->Arg(0)->Arg(1)->Arg(2)->ArgName("body");

// The hmac method with provider github (X-Hub-Signature-256 over the raw body), built from its
// webhooks.json config as at start; every iteration must pass.
void BM_HmacGithub(benchmark::State& state) {
  const std::string body = BodyOf(state.range(0));
  boost::json::object webhook;
  webhook["hmac"] = boost::json::object{{"secret", kSecret}, {"provider", "github"}};
  ConfigErrors errors("webhooks.json");
  auto validator = BuildHmac(webhook, "/orders", errors);
  if (!validator || !errors.errors().empty()) {
    state.SkipWithError("hmac config refused");
    return;
  }
  const std::vector<Header> headers = {
      {"x-hub-signature-256", "sha256=" + HexEncode(ComputeHmac("SHA256", kSecret, {body}))}};
  const std::vector<std::pair<std::string, std::string>> query;
  AuthRequest request{"POST", "/webhook/orders", "/webhook/orders", headers, query, "127.0.0.1",
                      std::chrono::system_clock::now()};
  for (auto _ : state) {
    auto failure = validator->CheckBody(request, body);
    if (failure) {
      state.SkipWithError("signature refused");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_HmacGithub)->Arg(0)->Arg(1)->Arg(2)->ArgName("body");

// The log module's line (headers and payload, sensitive keys redacted), per delivery.
void BM_RenderLogEntry(benchmark::State& state) {
  const std::string body = BodyOf(state.range(0));
  RequestLimits limits;
  CredentialCleanup cleanup;
  BuiltDelivery built = BuildDelivery(
      DataType::kJson,
      {"0190d2a4-7c1e-7000-8000-000000000001", "orders",
       {{"content-type", "application/json"}, {"authorization", "Bearer bench-token"}}, body,
       std::chrono::system_clock::now()},
      limits, cleanup);
  for (auto _ : state) {
    std::string line = RenderLogEntry(*built.delivery, false, true);
    benchmark::DoNotOptimize(line);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_RenderLogEntry)->Arg(0)->Arg(1)->ArgName("body");

}  // namespace

BENCHMARK_MAIN();
