// The spool alone: how many accepted webhooks per second it makes durable with N requests
// waiting at once (group commit), and how long a restart takes to read back a spool of
// unfinished webhooks. Runs in ./data/spool-bench on the disk the spool would use.
#include <benchmark/benchmark.h>

#include <boost/asio.hpp>

#include <filesystem>

#include "observability/logger.hpp"
#include "spool/spool.hpp"

namespace {
namespace fs = std::filesystem;
using namespace wg;

const fs::path kDirectory = "data/spool-bench";

AcceptedRecord Record(int n) {
  AcceptedRecord record;
  record.delivery_id = "01a2261f-0000-7000-8000-" + std::to_string(100000000000 + n);
  record.webhook_id = "orders";
  record.received_at_us = 1700000000000000 + n;
  record.pending_items = 0b11;
  record.headers = {{"content-type", "application/json"},
                    {"user-agent", "GitHub-Hookshot/abc123"},
                    {"x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"}};
  record.body = std::string(R"({"action":"opened","number":)") + std::to_string(n) + "," +
                R"("pull_request":{"title":")" + std::string(800, 'x') + R"("}})";
  return record;
}

// Append reads the record when it starts: this coroutine keeps it alive until then.
boost::asio::awaitable<void> AppendOwned(Spool& spool, AcceptedRecord record) {
  auto appending = spool.Append(record.View());
  co_await std::move(appending);
}

std::unique_ptr<Spool> OpenSpool(Logger& logger, bool zero_fill_ahead = true) {
  auto opened = Spool::Open(
      SpoolOptions{kDirectory, uint64_t{8} << 30, uint64_t{64} << 20, zero_fill_ahead}, logger);
  if (auto* error = std::get_if<std::string>(&opened)) {
    fprintf(stderr, "%s\n", error->c_str());
    std::abort();
  }
  return std::move(std::get<std::unique_ptr<Spool>>(opened));
}

// state.range(0) appends wait at once, like that many concurrent requests; state.range(1) is
// whether segments are zero-filled ahead of the writer (the default) or grow with each write.
void BM_AppendDurably(benchmark::State& state) {
  fs::remove_all(kDirectory);
  Logger logger(LogLevel::kError, LogFormat::kText);
  auto spool = OpenSpool(logger, state.range(1) != 0);
  const int concurrent = static_cast<int>(state.range(0));
  int n = 0;
  for (auto _ : state) {
    boost::asio::io_context io;
    for (int i = 0; i < concurrent; ++i) {
      boost::asio::co_spawn(io, AppendOwned(*spool, Record(n++)), boost::asio::detached);
    }
    io.run();
  }
  state.SetItemsProcessed(state.iterations() * concurrent);
  SpoolStats stats = spool->Stats();
  state.counters["records_per_fsync"] =
      static_cast<double>(stats.appended) / static_cast<double>(std::max<uint64_t>(1, stats.fsyncs));
  state.counters["in_place"] =
      static_cast<double>(stats.fsyncs_in_place) / static_cast<double>(std::max<uint64_t>(1, stats.fsyncs));
  spool.reset();
  fs::remove_all(kDirectory);
}
BENCHMARK(BM_AppendDurably)
    ->ArgsProduct({{1, 16, 64, 256}, {0, 1}})
    ->ArgNames({"concurrent", "zero_fill"})
    ->UseRealTime();

// A restart with state.range(0) unfinished webhooks of ~1 KiB in the spool.
void BM_Recover(benchmark::State& state) {
  fs::remove_all(kDirectory);
  Logger logger(LogLevel::kError, LogFormat::kText);
  {
    auto spool = OpenSpool(logger);
    boost::asio::io_context io;
    for (int i = 0; i < state.range(0); ++i) {
      boost::asio::co_spawn(io, AppendOwned(*spool, Record(i)), boost::asio::detached);
      if (i % 1024 == 1023) io.run(), io.restart();
    }
    io.run();
  }
  size_t unfinished = 0;
  for (auto _ : state) {
    auto spool = OpenSpool(logger);
    unfinished = spool->TakeUnfinished().size();
  }
  state.counters["unfinished"] = static_cast<double>(unfinished);
  fs::remove_all(kDirectory);
}
BENCHMARK(BM_Recover)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
