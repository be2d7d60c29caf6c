#include "http/admin_api.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <charconv>
#include <ctime>

#include "config/config_reloader.hpp"
#include "modules/run_blocking.hpp"
#include "observability/logger.hpp"
#include "spool/dead_letters.hpp"
#include "spool/spool.hpp"
#include "spool/spool_dispatcher.hpp"
#include "webhook/pipeline.hpp"

namespace wg {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace {

constexpr size_t kMaxListLimit = 10000;

// Unix seconds, or RFC 3339 in UTC ("2026-11-29T10:00:00Z"), as microseconds.
std::optional<int64_t> ParseTime(std::string_view text) {
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size()) return seconds * 1000000;
  std::tm tm{};
  char zone = 0;
  std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &zone) != 7 ||
      zone != 'Z') {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000000;
}

std::variant<HttpAnswer, DeadLetterFilter> FilterFrom(const std::map<std::string, std::string>& query) {
  DeadLetterFilter filter;
  for (const auto& [key, value] : query) {
    if (key == "webhook") {
      filter.webhook_id = value;
    } else if (key == "module") {
      filter.module = value;
    } else if (key == "since" || key == "until") {
      auto time = ParseTime(value);
      if (!time) {
        return HttpAnswer::Error(400, fmt::format("{}: expected Unix seconds or "
                                                  "YYYY-MM-DDTHH:MM:SSZ", key));
      }
      (key == "since" ? filter.since_us : filter.until_us) = *time;
    } else if (key == "limit") {
      size_t limit = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec != std::errc() || end != value.data() + value.size() || limit == 0 ||
          limit > kMaxListLimit) {
        return HttpAnswer::Error(400, fmt::format("limit: expected 1..{}", kMaxListLimit));
      }
      filter.limit = limit;
    } else {
      return HttpAnswer::Error(400, fmt::format("unknown query parameter \"{}\"", key));
    }
  }
  return filter;
}

json::object Summary(const DeadLetter& letter) {
  json::object out = letter.ToJson();
  out.erase("headers");
  out.erase("body");
  out.erase("body_base64");
  if (auto* items = out.if_contains("items"); items && items->is_array()) {
    for (auto& item : items->as_array()) item.as_object().erase("errors");
  }
  return out;
}

}  // namespace

AdminApi::AdminApi(std::optional<std::string> token, DeadLetterStore* dead_letters, Spool* spool,
                   SpoolDispatcher* dispatcher, const ConfigHolder& config,
                   ConfigReloader* reloader, asio::thread_pool& blocking_pool, Logger& logger)
    : dead_letters_(dead_letters),
      reloader_(reloader),
      spool_(spool),
      dispatcher_(dispatcher),
      config_(config),
      blocking_pool_(blocking_pool),
      logger_(logger) {
  if (token) token_ = AuthorizationRule::FromConfig("Bearer " + *token);
}

std::variant<HttpAnswer, AdminRequest> AdminApi::OnHead(http::verb method, std::string_view target,
                                                        const std::vector<Header>& headers) const {
  if (!token_) return HttpAnswer::Error(404, "Not Found");
  std::optional<std::string_view> authorization;
  for (const auto& header : headers) {
    if (header.name == "authorization") authorization = header.value;
  }
  AuthResult auth = token_->Check(authorization);
  if (!auth.ok) {
    logger_.Info("admin authentication failed", {{"reason", auth.reason}});
    HttpAnswer answer = HttpAnswer::Error(401, auth.message);
    answer.headers.emplace_back("WWW-Authenticate", "Bearer");
    return answer;
  }
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return HttpAnswer::Error(400, "Invalid request target");
  AdminRequest request{method, {}, {}};
  for (auto segment : parsed->segments()) request.segments.push_back(segment);
  if (request.segments.empty() || request.segments.front() != "admin") {
    return HttpAnswer::Error(404, "Not Found");
  }
  request.segments.erase(request.segments.begin());
  for (auto param : parsed->params()) request.query[param.key] = param.value;

  const auto& s = request.segments;
  if (s.size() == 1 && (s[0] == "reload-config" || s[0] == "config-status")) {
    http::verb expected = s[0] == "reload-config" ? http::verb::post : http::verb::get;
    if (method != expected) return HttpAnswer::Error(405, "Method Not Allowed");
    if (!reloader_) return HttpAnswer::Error(503, "Configuration reload is not available");
    return request;
  }
  bool known = !s.empty() && s[0] == "dead-letters" &&
               ((s.size() == 1 && method == http::verb::get) ||
                (s.size() == 2 && s[1] == "replay" && method == http::verb::post) ||
                (s.size() == 2 && (method == http::verb::get || method == http::verb::delete_)) ||
                (s.size() == 3 && s[2] == "replay" && method == http::verb::post));
  if (!known) {
    bool path_known = !s.empty() && s[0] == "dead-letters" && s.size() <= 3;
    return HttpAnswer::Error(path_known ? 405 : 404, path_known ? "Method Not Allowed" : "Not Found");
  }
  if (!dead_letters_) return HttpAnswer::Error(503, "The spool is not enabled");
  return request;
}

asio::awaitable<HttpAnswer> AdminApi::Handle(AdminRequest request) const {
  const auto& s = request.segments;
  if (s[0] == "config-status") co_return HttpAnswer::Json(200, json::serialize(reloader_->Status()));
  if (s[0] == "reload-config") {
    ConfigReloader* reloader = reloader_;
    auto reloading = RunBlocking(blocking_pool_, [reloader] { return reloader->Reload("admin API"); });
    ReloadOutcome outcome = co_await std::move(reloading);
    co_return HttpAnswer::Json(outcome.applied ? 200 : 400, json::serialize(outcome.ToJson()));
  }
  if (s.size() == 1 || (s.size() == 2 && s[1] == "replay" && request.method == http::verb::post)) {
    auto handling = s.size() == 1 ? List(std::move(request)) : ReplayMany(std::move(request));
    co_return co_await std::move(handling);
  }
  std::string id = s[1];
  if (!DeadLetterStore::IsValidId(id)) co_return HttpAnswer::Error(404, "Dead letter not found");
  auto handling = s.size() == 3                            ? ReplayOne(std::move(id))
                  : request.method == http::verb::delete_ ? Delete(std::move(id))
                                                           : Show(std::move(id));
  co_return co_await std::move(handling);
}

asio::awaitable<std::variant<HttpAnswer, std::vector<DeadLetter>>> AdminApi::Matching(
    AdminRequest request) const {
  auto filter = FilterFrom(request.query);
  if (auto* error = std::get_if<HttpAnswer>(&filter)) co_return std::move(*error);
  DeadLetterStore* store = dead_letters_;
  auto listing = RunBlocking(blocking_pool_, [store, filter = std::get<DeadLetterFilter>(filter)] {
    return store->List(filter);
  });
  std::vector<DeadLetter> letters = co_await std::move(listing);
  co_return letters;
}

asio::awaitable<HttpAnswer> AdminApi::List(AdminRequest request) const {
  auto matching = Matching(std::move(request));
  auto found = co_await std::move(matching);
  if (auto* error = std::get_if<HttpAnswer>(&found)) co_return std::move(*error);
  const auto& letters = std::get<std::vector<DeadLetter>>(found);
  json::array list;
  for (const auto& letter : letters) list.push_back(Summary(letter));
  json::object out{{"count", list.size()}, {"dead_letters", std::move(list)}};
  co_return HttpAnswer::Json(200, json::serialize(out));
}

asio::awaitable<HttpAnswer> AdminApi::Show(std::string id) const {
  DeadLetterStore* store = dead_letters_;
  auto reading = RunBlocking(blocking_pool_, [store, id] { return store->Get(id); });
  std::optional<DeadLetter> letter = co_await std::move(reading);
  if (!letter) co_return HttpAnswer::Error(404, "Dead letter not found");
  co_return HttpAnswer::Json(200, json::serialize(letter->ToJson()));
}

asio::awaitable<HttpAnswer> AdminApi::Delete(std::string id) const {
  DeadLetterStore* store = dead_letters_;
  auto removing = RunBlocking(blocking_pool_, [store, id] { return store->Remove(id); });
  bool removed = co_await std::move(removing);
  if (!removed) co_return HttpAnswer::Error(404, "Dead letter not found");
  logger_.Info("dead letter deleted", {{"delivery", id}});
  co_return HttpAnswer::Json(200, json::serialize(json::object{{"deleted", id}}));
}

asio::awaitable<HttpAnswer> AdminApi::ReplayOne(std::string id) const {
  DeadLetterStore* store = dead_letters_;
  auto reading = RunBlocking(blocking_pool_, [store, id] { return store->Get(id); });
  std::optional<DeadLetter> letter = co_await std::move(reading);
  if (!letter) co_return HttpAnswer::Error(404, "Dead letter not found");
  auto replaying = Replay(std::move(*letter));
  std::optional<std::string> problem = co_await std::move(replaying);
  if (problem) co_return HttpAnswer::Error(*problem == "spool full" ? 503 : 409, *problem);
  co_return HttpAnswer::Json(200, json::serialize(json::object{{"replayed", id}}));
}

asio::awaitable<HttpAnswer> AdminApi::ReplayMany(AdminRequest request) const {
  auto matching = Matching(std::move(request));
  auto found = co_await std::move(matching);
  if (auto* error = std::get_if<HttpAnswer>(&found)) co_return std::move(*error);
  auto& letters = std::get<std::vector<DeadLetter>>(found);
  json::array replayed;
  json::array failed;
  for (auto& letter : letters) {
    std::string id = letter.delivery_id;
    auto replaying = Replay(std::move(letter));
    std::optional<std::string> problem = co_await std::move(replaying);
    if (problem) {
      failed.push_back(json::object{{"id", id}, {"error", *problem}});
    } else {
      replayed.push_back(json::value(id));
    }
  }
  json::object out{{"replayed", std::move(replayed)}, {"failed", std::move(failed)}};
  co_return HttpAnswer::Json(200, json::serialize(out));
}

asio::awaitable<std::optional<std::string>> AdminApi::Replay(DeadLetter letter) const {
  if (!spool_ || !dispatcher_) co_return "the spool is not enabled";
  auto config = config_.Get();
  auto webhook = config ? config->Find(letter.webhook_id) : nullptr;
  if (!webhook) {
    co_return fmt::format("webhook \"{}\" is no longer configured", letter.webhook_id);
  }
  AcceptedRecordView record;  // borrows from `letter`, which this frame holds
  record.delivery_id = letter.delivery_id;
  record.webhook_id = letter.webhook_id;
  record.received_at_us = letter.received_at_us;
  record.chain_fingerprint = letter.chain_fingerprint;
  record.pending_items = letter.ItemMask();
  record.headers = letter.headers;
  record.body = letter.body;
  auto appending = spool_->Append(record);
  AppendResult appended = co_await std::move(appending);
  if (appended.status == AppendResult::Status::kFull) co_return "spool full";
  if (appended.status != AppendResult::Status::kOk) co_return appended.error;

  // Removed before the delivery starts, so a replay that fails again writes a fresh one.
  DeadLetterStore* store = dead_letters_;
  std::string id = letter.delivery_id;
  auto removing = RunBlocking(blocking_pool_, [store, id] { return store->Remove(id); });
  co_await std::move(removing);
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  dispatcher_->Enqueue({appended.sequence, appended.location, letter.ItemMask(), letter.webhook_id,
                        letter.chain_fingerprint},
                       executor);
  logger_.Info("dead letter replayed", {{"webhook", letter.webhook_id}, {"delivery", id}});
  co_return std::nullopt;
}

}  // namespace wg
