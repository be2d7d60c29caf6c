#include "modules/postgresql/postgresql_module.hpp"

#include <fmt/format.h>

#include "config/json_reader.hpp"
#include "connections/connection_registry.hpp"
#include "modules/sql_table/sql_table.hpp"

namespace wg {
namespace {

Outcome ToOutcome(const PostgresqlResult& result, std::string_view doing) {
  std::string message = result.sqlstate.empty()
                            ? fmt::format("{}: {}", doing, result.message)
                            : fmt::format("{}: {} (SQLSTATE {})", doing, result.message,
                                          result.sqlstate);
  if (result.status == PostgresqlResult::Status::kPermanent) return Outcome::Permanent(message);
  return Outcome::Retryable(message);
}

class PostgresqlModule final : public Module {
 public:
  PostgresqlModule(std::shared_ptr<PostgresqlClient> client, SqlTableOptions options)
      : client_(std::move(client)),
        options_(std::move(options)),
        create_statements_(BuildSqlCreateStatements(options_)) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    auto ensuring = client_->EnsureOnce(create_statements_);
    PostgresqlResult created = co_await std::move(ensuring);
    if (!created.ok()) {
      co_return ToOutcome(created, fmt::format("cannot create table \"{}\"", options_.table));
    }
    SqlStatement insert = BuildSqlInsert(options_, *delivery);
    auto executing = client_->Execute(std::move(insert.sql), std::move(insert.params));
    PostgresqlResult inserted = co_await std::move(executing);
    if (!inserted.ok()) {
      co_return ToOutcome(inserted, fmt::format("insert into \"{}\" failed", options_.table));
    }
    co_return Outcome::Delivered();
  }

 private:
  std::shared_ptr<PostgresqlClient> client_;
  SqlTableOptions options_;
  std::vector<std::string> create_statements_;
};

}  // namespace

std::unique_ptr<Module> CreatePostgresqlModule(const ModuleSettings& settings,
                                               const ModuleContext& context, ConfigErrors& errors) {
  const size_t before = errors.size();
  auto options =
      ParseSqlTableOptions(SqlDialect::kPostgresql, settings.config, settings.path, errors);
  auto client = ResolveClient(settings, context, "postgresql", "postgresql",
                              &IsPostgresqlConnectionType, &ConnectionRegistry::Postgresql, errors);
  if (errors.size() != before || !options || !client) return nullptr;
  return std::make_unique<PostgresqlModule>(std::move(client), std::move(*options));
}

}  // namespace wg
