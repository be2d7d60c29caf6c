#include "modules/mysql/mysql_module.hpp"

#include <fmt/format.h>

#include "connections/connection_registry.hpp"
#include "modules/sql_table/sql_table.hpp"

namespace wg {
namespace {

Outcome Explained(Outcome outcome, std::string_view doing) {
  outcome.message = fmt::format("{}: {}", doing, outcome.message);
  return outcome;
}

class MysqlModule final : public Module {
 public:
  MysqlModule(std::shared_ptr<MysqlClient> client, SqlTableOptions options)
      : client_(std::move(client)),
        options_(std::move(options)),
        create_statements_(BuildSqlCreateStatements(options_)) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    auto ensuring = client_->EnsureOnce(create_statements_);
    Outcome created = co_await std::move(ensuring);
    if (!created.delivered()) {
      co_return Explained(std::move(created),
                          fmt::format("cannot create table `{}`", options_.table));
    }
    SqlStatement insert = BuildSqlInsert(options_, *delivery);
    auto executing = client_->Execute(std::move(insert.sql), std::move(insert.params));
    Outcome inserted = co_await std::move(executing);
    if (!inserted.delivered()) {
      co_return Explained(std::move(inserted),
                          fmt::format("insert into `{}` failed", options_.table));
    }
    co_return inserted;
  }

 private:
  std::shared_ptr<MysqlClient> client_;
  SqlTableOptions options_;
  std::vector<std::string> create_statements_;
};

}  // namespace

std::unique_ptr<Module> CreateMysqlModule(const ModuleSettings& settings,
                                          const ModuleContext& context, ConfigErrors& errors) {
  const size_t before = errors.size();
  auto options = ParseSqlTableOptions(SqlDialect::kMysql, settings.config, settings.path, errors);
  auto client = ResolveClient(settings, context, "mysql", "mysql", &IsMysqlConnectionType,
                              &ConnectionRegistry::Mysql, errors);
  if (errors.size() != before || !options || !client) return nullptr;
  return std::make_unique<MysqlModule>(std::move(client), std::move(*options));
}

}  // namespace wg
