// Flags, wiring and signals. Everything testable lives in the library under src/.
#include <signal.h>
#include <unistd.h>

#include <boost/asio/thread_pool.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "chain/work_queue.hpp"
#include "config/command_line.hpp"
#include "config/config_loader.hpp"
#include "config/config_reloader.hpp"
#include "http/admin_api.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/status_access.hpp"
#include "observability/line_writer.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "observability/webhook_stats.hpp"
#include "dedup/dedup_store.hpp"
#include "spool/dead_letters.hpp"
#include "spool/spool.hpp"
#include "spool/spool_dispatcher.hpp"
#include "webhook/pipeline.hpp"

namespace {
constexpr std::string_view kVersion = "0.1.0";
}

int main(int argc, char** argv) {
  using namespace wg;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = ParseCommandLine(args, ProcessEnvironment());
  if (parsed.options.help) {
    std::cout << HelpText();
    return 0;
  }
  if (parsed.options.version) {
    std::cout << "webhook-gateway " << kVersion << "\n";
    return 0;
  }
  if (!parsed.errors.empty()) {
    for (const auto& error : parsed.errors) std::cerr << "webhook-gateway: " << error << "\n";
    return 2;
  }
  const CommandLine& options = parsed.options;
  auto status_access = StatusAccess::Make(options.stats_token, options.stats_allowed_ips);
  if (auto* error = std::get_if<std::string>(&status_access)) {
    std::cerr << "webhook-gateway: --stats-allowed-ips / STATS_ALLOWED_IPS: " << *error << "\n";
    return 2;
  }
  Logger logger(options.log_level, options.log_format);

  // Block the signals before any thread starts, so that only sigwait below receives them:
  // SIGTERM / SIGINT stop, SIGHUP reloads the configuration.
  sigset_t handled_signals;
  sigemptyset(&handled_signals);
  sigaddset(&handled_signals, SIGTERM);
  sigaddset(&handled_signals, SIGINT);
  sigaddset(&handled_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &handled_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  boost::asio::thread_pool blocking_pool(2);
  LineWriter stdout_writer(1);
  ModuleContext context{&blocking_pool, &logger, std::filesystem::current_path().string()};
  context.stdout_writer = &stdout_writer;
  LoadResult loaded = LoadConfig(options.sources, ProcessEnvironment(), context);
  for (const auto& warning : loaded.warnings) {
    std::cerr << "warning: " << ConfigErrors::Format(warning) << "\n";
  }
  if (!loaded.config) {
    for (const auto& error : loaded.errors) std::cerr << ConfigErrors::Format(error) << "\n";
    std::cerr << fmt::format("webhook-gateway: configuration has {} error{}\n", loaded.errors.size(),
                             loaded.errors.size() == 1 ? "" : "s");
    return 1;
  }
  if (options.check_config) {
    std::cout << fmt::format("configuration is valid: {} webhook(s), {} connection(s)\n",
                             loaded.config->webhooks.size(), loaded.config->connections.size());
    return 0;
  }

  // The spool is opened (and recovered) before the listener, so nothing is accepted until
  // every webhook left unfinished by the previous process is queued again.
  SpoolOptions spool_options;
  spool_options.directory = options.spool_dir;
  spool_options.max_bytes = options.spool_max_bytes;
  spool_options.segment_bytes = std::clamp<uint64_t>(options.spool_max_bytes / 16, 1 << 20, 64 << 20);
  auto opened = Spool::Open(spool_options, logger);
  if (auto* error = std::get_if<std::string>(&opened)) {
    logger.Error("cannot open the spool", {{"error", *error}});
    return 1;
  }
  std::unique_ptr<Spool> spool = std::move(std::get<std::unique_ptr<Spool>>(opened));
  const RecoveryReport& recovery = spool->recovery();
  logger.Info("spool recovered", {{"dir", options.spool_dir},
                                  {"segments", std::to_string(recovery.segments)},
                                  {"records", std::to_string(recovery.records)},
                                  {"unfinished", std::to_string(recovery.unfinished)},
                                  {"skipped_bytes", std::to_string(recovery.skipped_bytes)},
                                  {"ms", std::to_string(recovery.duration.count())}});
  DeadLetterStore dead_letters(std::filesystem::path(options.spool_dir) / "dead-letters");
  if (auto error = dead_letters.Prepare()) {
    logger.Error("cannot open the dead-letter store", {{"error", *error}});
    return 1;
  }

  // The dedup keys of the last window live beside the spool, so they move and go with it.
  DedupStoreOptions dedup_options;
  dedup_options.directory = std::filesystem::path(options.spool_dir) / "dedup";
  auto dedup_opened = DedupStore::Open(dedup_options, logger);
  if (auto* error = std::get_if<std::string>(&dedup_opened)) {
    logger.Error("cannot open the dedup store", {{"error", *error}});
    return 1;
  }
  auto dedup_store = std::move(std::get<std::unique_ptr<DedupStore>>(dedup_opened));
  logger.Info("dedup keys recovered", {{"keys", std::to_string(dedup_store->recovery().keys)},
                                       {"files", std::to_string(dedup_store->recovery().files)},
                                       {"torn_lines",
                                        std::to_string(dedup_store->recovery().torn_lines)}});

  ConfigHolder config(std::move(loaded.config));  // the only owner: a reload frees the old one
  ConfigReloader reloader(options.sources, ProcessEnvironment(), context, config, logger);
  Metrics metrics;             // GET /metrics
  WebhookStats webhook_stats;  // GET /stats
  WorkQueue work_queue(options.max_in_flight, options.max_queued);
  SpoolDispatcher dispatcher(*spool, dead_letters, config, options.limits, blocking_pool, logger,
                             options.max_in_flight, &metrics);
  Pipeline pipeline(config, work_queue, spool.get(), &dispatcher, logger, options.limits,
                    dedup_store.get(), &metrics);
  AdminApi admin(options.admin_token, &dead_letters, spool.get(), &dispatcher, config, &reloader,
                 blocking_pool, logger);
  Router router(pipeline, work_queue, config, &admin, spool.get(), &dispatcher,
                {&metrics, &webhook_stats}, &dead_letters, &std::get<StatusAccess>(status_access),
                &reloader);
  int threads = options.threads > 0 ? options.threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Server server({options.listen_address, options.listen_port, threads}, router, logger);
  if (auto error = server.Bind()) {
    logger.Error("cannot start", {{"error", *error}});
    return 1;
  }
  server.Start();
  dispatcher.Resume(spool->TakeUnfinished(), server.Executors());
  logger.Info(fmt::format("listening on {}:{}", options.listen_address, server.port()),
              {{"threads", std::to_string(threads)},
               {"webhooks", std::to_string(config.Get()->webhooks.size())}});

  if (options.watch_config) {
    if (auto error = reloader.StartWatching(options.reload_quiet_period)) {
      logger.Warn("configuration files are not watched; SIGHUP and the admin API still reload",
                  {{"error", *error}});
    }
  }

  int received = 0;
  while (sigwait(&handled_signals, &received) == 0 && received == SIGHUP) {
    reloader.Reload("SIGHUP");
  }
  reloader.StopWatching();
  logger.Info("shutting down", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server.BeginShutdown();
  auto deadline = std::chrono::steady_clock::now() + options.shutdown_timeout;
  while (std::chrono::steady_clock::now() < deadline &&
         (server.OpenSessions() > 0 || !work_queue.Idle() || dispatcher.Running() > 0)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (dispatcher.Running() > 0) {
    logger.Info("webhooks still being delivered stay in the spool for the next start",
                {{"running", std::to_string(dispatcher.Running())},
                 {"waiting", std::to_string(dispatcher.Waiting())}});
  }
  if (!work_queue.Idle()) {
    logger.Error("shutdown deadline reached with chains still running",
                 {{"in_flight", std::to_string(work_queue.InFlight())},
                  {"queued", std::to_string(work_queue.Queued())}});
  }
  server.Stop();
  blocking_pool.join();
  spool.reset();  // writes what is queued; completions go to the stopped, still existing loops
  dedup_store.reset();
  // Modules may hold sockets of the I/O threads' event loops: release them before those go.
  config.Set(nullptr);
  logger.Info("stopped");
  return 0;
}
