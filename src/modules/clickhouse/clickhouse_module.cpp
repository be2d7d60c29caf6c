#include "modules/clickhouse/clickhouse_module.hpp"

#include <fmt/format.h>

#include "connections/clickhouse/clickhouse_client.hpp"
#include "connections/connection_registry.hpp"
#include "modules/clickhouse/clickhouse_table.hpp"

namespace wg {
namespace {

constexpr int kUnknownTable = 60;

class ClickhouseModule final : public Module {
 public:
  ClickhouseModule(std::shared_ptr<ClickhouseClient> client, ClickhouseTableOptions options)
      : client_(std::move(client)),
        options_(std::move(options)),
        create_(BuildClickhouseCreateTable(options_)),
        insert_(BuildClickhouseInsert(options_)) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    if (!client_->TableReady(options_.table)) {
      auto creating =
          client_->Execute(create_, "", fmt::format("CREATE TABLE `{}`", options_.table));
      ClickhouseResult created = co_await std::move(creating);
      if (!created.outcome.delivered()) co_return std::move(created.outcome);
      client_->SetTableReady(options_.table, true);
    }
    std::string row = BuildClickhouseRow(options_, *delivery, std::chrono::system_clock::now());
    auto inserting =
        client_->Execute(insert_, std::move(row), fmt::format("INSERT INTO `{}`", options_.table));
    ClickhouseResult inserted = co_await std::move(inserting);
    if (inserted.error_code == kUnknownTable) {
      // The table was there (created above) and has been dropped since: the next attempt
      // creates it again, so this one is worth retrying.
      client_->SetTableReady(options_.table, false);
      co_return Outcome::Retryable(inserted.outcome.message +
                                   " (it is created again on the next attempt)");
    }
    co_return std::move(inserted.outcome);
  }

 private:
  std::shared_ptr<ClickhouseClient> client_;
  ClickhouseTableOptions options_;
  std::string create_;
  std::string insert_;
};

}  // namespace

std::unique_ptr<Module> CreateClickhouseModule(const ModuleSettings& settings,
                                               const ModuleContext& context, ConfigErrors& errors) {
  const size_t before = errors.size();
  auto options = ParseClickhouseTableOptions(settings.config, settings.path, errors);
  auto client = ResolveClient(
      settings, context, "clickhouse", "clickhouse",
      [](std::string_view type) { return type == "clickhouse"; }, &ConnectionRegistry::Clickhouse,
      errors);
  if (errors.size() != before || !options || !client) return nullptr;
  return std::make_unique<ClickhouseModule>(std::move(client), std::move(*options));
}

}  // namespace wg
