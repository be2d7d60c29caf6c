#include "modules/redis/rq_job.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <array>
#include <ctime>
#include <random>

#include "config/names.hpp"
#include "modules/redis/pickle.hpp"

namespace wg {
namespace json = boost::json;
namespace {

// zlib as RQ writes it (`zlib.compress`), with one deflate state per thread: compress2() would
// allocate, zero and free about 300 KB per job, which dominated this path under load. A 4 KB
// window and a small hash are plenty for webhook payloads and make each reset cheap; the zlib
// header records them, so any inflater reads the result.
std::string Compress(const std::string& data) {
  struct Deflater {
    Deflater() { ok = deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 12, 2,
                                   Z_DEFAULT_STRATEGY) == Z_OK; }
    ~Deflater() {
      if (ok) deflateEnd(&stream);
    }
    z_stream stream{};
    bool ok = false;
  };
  thread_local Deflater deflater;
  if (!deflater.ok || deflateReset(&deflater.stream) != Z_OK) return data;
  z_stream& stream = deflater.stream;
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  if (deflate(&stream, Z_FINISH) != Z_STREAM_END) {
    return data;  // RQ falls back to the raw bytes when zlib cannot decompress them
  }
  out.resize(stream.total_out);
  return out;
}

// RQ's utcformat: 2026-11-29T06:12:07.317628Z
std::string RqTime(std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  auto micros = duration_cast<microseconds>(now.time_since_epoch()).count() % 1000000;
  std::time_t seconds = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
}

json::object HeaderObject(const Delivery& delivery) {
  json::object headers;
  for (const auto& header : delivery.headers) headers[header.name] = header.value;
  return headers;
}

constexpr std::array<std::string_view, 12> kBlockedFunctions = {
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals",
    "vars", "input", "breakpoint"};
constexpr std::array<std::string_view, 8> kBlockedModules = {
    "os", "subprocess", "sys", "builtins", "shutil", "importlib", "pickle", "socket"};

}  // namespace

std::string NewUuid4() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t high = (rng() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  uint64_t low = (rng() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xffff,
                     high & 0xffff, low >> 48, low & 0xffffffffffffULL);
}

std::string CheckRqFunctionName(const std::string& function) {
  if (function.empty() || function.size() > 255) return "must be 1 to 255 characters";
  size_t parts = 0;
  bool identifiers = true;
  for (size_t start = 0; start <= function.size(); ++parts) {
    size_t dot = function.find('.', start);
    if (dot == std::string::npos) dot = function.size();
    identifiers = identifiers && IsIdentifier(std::string_view(function).substr(start, dot - start));
    start = dot + 1;
  }
  if (!identifiers || parts > 3) {
    return "must be a Python import path such as \"tasks.handle_webhook\" (one to three names)";
  }
  if (function.find("__") != std::string::npos) return "dunder names are not allowed";
  std::string first = function.substr(0, function.find('.'));
  std::string last = function.substr(function.rfind('.') + 1);
  for (auto blocked : kBlockedModules) {
    if (first == blocked) return fmt::format("functions of module \"{}\" are not allowed", blocked);
  }
  for (auto blocked : kBlockedFunctions) {
    if (last == blocked) return fmt::format("\"{}\" is not allowed", blocked);
  }
  return {};
}

std::string SerializeRqJobData(const RqJobOptions& options, const Delivery& delivery) {
  json::object headers = HeaderObject(delivery);
  if (options.serializer == RqSerializer::kJson) {
    json::array data;
    data.push_back(json::string(options.function));
    data.push_back(nullptr);
    json::array args;
    if (delivery.data_type == DataType::kBlob) {
      args.push_back(json::string(delivery.body));  // JSON cannot carry bytes: the raw text
    } else {
      args.push_back(delivery.payload);
    }
    args.push_back(std::move(headers));
    data.push_back(std::move(args));
    data.push_back(json::object());
    return Compress(json::serialize(data));
  }
  PickleWriter pickle;
  pickle.Mark();
  pickle.String(options.function);
  pickle.None();
  pickle.Mark();
  if (delivery.data_type == DataType::kBlob) {
    pickle.Bytes(delivery.body);
  } else {
    pickle.Value(delivery.payload);
  }
  pickle.Value(headers);
  pickle.TupleFromMark();
  pickle.EmptyDict();
  pickle.TupleFromMark();
  return Compress(pickle.Finish());
}

std::vector<std::vector<std::string>> BuildRqJobCommands(const RqJobOptions& options,
                                                         const Delivery& delivery,
                                                         const std::string& job_id,
                                                         std::chrono::system_clock::time_point now) {
  const std::string key = "rq:job:" + job_id;
  const std::string queue_key = "rq:queue:" + options.queue;
  const std::string time = RqTime(now);
  return {
      {"MULTI"},
      {"HSET", key, "data", SerializeRqJobData(options, delivery), "status", "queued", "origin",
       options.queue, "description", fmt::format("{}(webhook {})", options.function, delivery.webhook_id),
       "created_at", time, "enqueued_at", time, "timeout", std::to_string(options.timeout_seconds),
       "result_ttl", std::to_string(options.result_ttl_seconds)},
      {"SADD", "rq:queues", queue_key},
      {"RPUSH", queue_key, job_id},
      {"EXEC"},
  };
}

}  // namespace wg
