// The admin API, behind a bearer token (--admin-token / ADMIN_TOKEN; without one it answers 404):
//   POST   /admin/reload-config     reload webhooks.json + connections.json (config_reloader.hpp):
//                                   200 with what changed, or 400 with every error
//   GET    /admin/config-status     when the config was loaded, the last reload's outcome
//   GET    /admin/dead-letters[?webhook=&module=&since=&until=&limit=]  list, oldest first
//   GET    /admin/dead-letters/{id}                                    one, with body and errors
//   POST   /admin/dead-letters/{id}/replay                             deliver its failed items again
//   POST   /admin/dead-letters/replay[?webhook=&module=&since=&until=&limit=]  replay many
//   DELETE /admin/dead-letters/{id}
// `since` and `until` are Unix seconds or RFC 3339 UTC times. A replay appends the webhook to the
// spool again (same delivery id, only the items that failed) and deletes the dead letter; if it
// fails again it becomes a new dead letter.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/verb.hpp>

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "auth/authorization.hpp"
#include "http/response.hpp"
#include "modules/module.hpp"
#include "spool/dead_letters.hpp"

namespace wg {

class ConfigHolder;
class ConfigReloader;
class Logger;
class Spool;
class SpoolDispatcher;


struct AdminRequest {
  boost::beast::http::verb method;
  std::vector<std::string> segments;  // after /admin/
  std::map<std::string, std::string> query;
};

class AdminApi {
 public:
  AdminApi(std::optional<std::string> token, DeadLetterStore* dead_letters, Spool* spool,
           SpoolDispatcher* dispatcher, const ConfigHolder& config, ConfigReloader* reloader,
           boost::asio::thread_pool& blocking_pool, Logger& logger);

  static bool IsAdminPath(std::string_view path) { return path.starts_with("/admin/"); }

  // Token and route check from the head; the body (if any) is read only after this.
  std::variant<HttpAnswer, AdminRequest> OnHead(boost::beast::http::verb method,
                                                std::string_view target,
                                                const std::vector<Header>& headers) const;

  boost::asio::awaitable<HttpAnswer> Handle(AdminRequest request) const;

 private:
  // The dead letters the query's filter selects, or the 400 for a bad filter.
  boost::asio::awaitable<std::variant<HttpAnswer, std::vector<DeadLetter>>> Matching(
      AdminRequest request) const;
  boost::asio::awaitable<HttpAnswer> List(AdminRequest request) const;
  boost::asio::awaitable<HttpAnswer> Show(std::string id) const;
  boost::asio::awaitable<HttpAnswer> Delete(std::string id) const;
  boost::asio::awaitable<HttpAnswer> ReplayOne(std::string id) const;
  boost::asio::awaitable<HttpAnswer> ReplayMany(AdminRequest request) const;
  // nullopt when replayed, else why not.
  boost::asio::awaitable<std::optional<std::string>> Replay(DeadLetter letter) const;

  std::optional<AuthorizationRule> token_;
  DeadLetterStore* dead_letters_;
  ConfigReloader* reloader_;  // null: no reload (tests)
  Spool* spool_;
  SpoolDispatcher* dispatcher_;
  const ConfigHolder& config_;
  boost::asio::thread_pool& blocking_pool_;
  Logger& logger_;
};

}  // namespace wg
