#include "webhook/pipeline.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/url/parse.hpp>

#include "chain/chain_runner.hpp"
#include "dedup/deduplicator.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "spool/spool.hpp"
#include "spool/spool_dispatcher.hpp"
#include "webhook/delivery_id.hpp"
#include "webhook/payload.hpp"
#include "webhook/webhook_id.hpp"

namespace wg {
namespace asio = boost::asio;
namespace {

// The bytes HasForbiddenCharacter stops at: CR, LF, NUL, and 0xE2 (the lead byte of U+2028
// and U+2029). One table lookup a byte: header bytes of every request pass here.
constexpr std::array<bool, 256> kStopBytes = [] {
  std::array<bool, 256> table{};
  table['\r'] = table['\n'] = table['\0'] = table[0xE2] = true;
  return table;
}();

bool HasForbiddenCharacter(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (!kStopBytes[static_cast<unsigned char>(text[i])]) continue;
    if (static_cast<unsigned char>(text[i]) != 0xE2) return true;
    // U+2028 and U+2029 (line and paragraph separators) in UTF-8.
    if (i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(text[i + 2]) == 0xA8 ||
         static_cast<unsigned char>(text[i + 2]) == 0xA9)) {
      return true;
    }
  }
  return false;
}

std::optional<HttpAnswer> CheckHeaders(const std::vector<Header>& headers,
                                       const RequestLimits& limits) {
  if (headers.size() > limits.max_headers) {
    return HttpAnswer::Error(400, fmt::format("Too many headers: {} (max: {})", headers.size(),
                                              limits.max_headers));
  }
  size_t total = 0;
  for (const auto& header : headers) {
    if (HasForbiddenCharacter(header.name)) {
      return HttpAnswer::Error(400, "Invalid header name: contains forbidden character");
    }
    if (HasForbiddenCharacter(header.value)) {
      return HttpAnswer::Error(400, "Invalid header value: contains forbidden character");
    }
    total += header.name.size() + header.value.size();
  }
  if (total > limits.max_header_bytes) {
    return HttpAnswer::Error(400, fmt::format("Headers too large: {} bytes (max: {})", total,
                                              limits.max_header_bytes));
  }
  return std::nullopt;
}

// The webhooks.json key of the webhook's i-th method (the reason label of auth failures).
std::string_view MethodKey(const WebhookDefinition& webhook, size_t i) {
  return i < webhook.validator_keys.size() ? webhook.validator_keys[i] : "unknown";
}

constexpr std::string_view kRateLimit = "rate_limit";

HttpAnswer Accepted(const std::string& delivery_id) {
  // Appended rather than formatted: every accepted webhook gets this answer. The id is ours (a
  // UUID), never text from the request, so it needs no escaping.
  constexpr std::string_view kHead = R"({"message":"200 OK","id":")";
  std::string body;
  body.reserve(kHead.size() + delivery_id.size() + 2);
  body += kHead;
  body += delivery_id;
  body += "\"}";
  return HttpAnswer::Json(200, std::move(body));
}

// A repeat inside the dedup window: the answer the first request got, marked as a duplicate.
HttpAnswer Duplicate(const std::string& original_id) {
  boost::json::object out{{"message", "200 OK"}, {"duplicate", true}};
  if (!original_id.empty()) out["id"] = original_id;
  return HttpAnswer::Json(200, boost::json::serialize(out));
}

HttpAnswer Busy(std::string detail) {
  HttpAnswer answer = HttpAnswer::Error(503, std::move(detail));
  answer.headers.emplace_back("Retry-After", "1");
  return answer;
}

}  // namespace

const std::string* FindHeader(const std::vector<Header>& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (header.name == name) return &header.value;
  }
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> query;
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return query;
  for (auto param : parsed->params()) query.emplace_back(param.key, param.value);
  return query;
}

HttpAnswer Pipeline::Refuse(const AuthFailure& failure, const WebhookDefinition& webhook,
                            std::string_view webhook_id, std::string_view method) const {
  logger_.Info("request refused", {{"webhook", std::string(webhook_id)},
                                   {"status", std::to_string(failure.status)},
                                   {"reason", failure.reason}});
  if (metrics_) metrics_->CountAuthFailure(webhook.id, method);
  HttpAnswer answer = HttpAnswer::Error(failure.status, failure.message);
  for (const auto& header : failure.headers) answer.headers.push_back(header);
  return answer;
}

std::variant<HttpAnswer, Admission> Pipeline::OnHead(const RequestHead& head) const {
  if (!head.ns.empty() && !IsValidNamespace(head.ns)) {
    return HttpAnswer::Error(400, "Invalid namespace format");
  }
  if (auto problem = ValidateWebhookId(head.webhook_id)) {
    return HttpAnswer::Error(400, *problem);
  }
  auto config = config_.Get();
  auto webhook = config->Find(head.webhook_id, head.ns);
  if (head.found) *head.found = webhook;
  if (!webhook) return HttpAnswer::Error(404, "Webhook ID not found");
  if (webhook->rate_limit) {
    if (webhook->rate_limit->shared()) {
      return Admission{std::move(webhook), std::string(head.webhook_id), nullptr, std::nullopt, true};
    }
    if (auto refused = webhook->rate_limit->TakeLocal(std::chrono::steady_clock::now())) {
      return Refuse(*refused, *webhook, head.webhook_id, kRateLimit);
    }
  }
  return CheckHead(std::move(webhook), head);
}

asio::awaitable<std::variant<HttpAnswer, Admission>> Pipeline::OnSharedRateLimit(
    Admission admission, RequestHead head) const {
  head.webhook_id = admission.webhook_id;  // the caller's view may point into a moved string
  auto taking = admission.webhook->rate_limit->TakeShared(std::chrono::system_clock::now());
  std::optional<AuthFailure> refused = co_await std::move(taking);
  if (refused) co_return Refuse(*refused, *admission.webhook, head.webhook_id, kRateLimit);
  co_return CheckHead(std::move(admission.webhook), head);
}

std::variant<HttpAnswer, Admission> Pipeline::CheckHead(
    std::shared_ptr<const WebhookDefinition> webhook, const RequestHead& head) const {
  std::shared_ptr<HeadContext> context;
  std::optional<size_t> async_check_from;
  if (!webhook->validators.empty()) {
    std::string_view target = head.target;
    std::vector<std::pair<std::string, std::string>> query;
    if (target.find('?') != std::string_view::npos) query = ParseQuery(target);
    AuthRequest request{head.method, target, target.substr(0, target.find('?')), head.headers,
                        query, head.peer_address, std::chrono::system_clock::now()};
    const auto& validators = webhook->validators;
    for (size_t i = 0; i < validators.size(); ++i) {
      if (validators[i]->NeedsAsyncCheck()) {
        async_check_from = i;  // it and the methods after it run in FinishHead, in order
        break;
      }
      if (auto failure = validators[i]->CheckHead(request)) {
        return Refuse(*failure, *webhook, head.webhook_id, MethodKey(*webhook, i));
      }
    }
    if (webhook->checks_body || async_check_from) {
      context = std::make_shared<HeadContext>(HeadContext{
          std::string(head.method), std::string(target), std::string(head.peer_address),
          std::move(query)});
    }
  }
  if (!async_check_from) {
    if (auto refused = CheckLimits(head.headers, head.content_length)) return std::move(*refused);
  }
  return Admission{std::move(webhook), std::string(head.webhook_id), std::move(context),
                   async_check_from};
}

std::optional<HttpAnswer> Pipeline::CheckLimits(const std::vector<Header>& headers,
                                                std::optional<uint64_t> content_length) const {
  if (auto error = CheckHeaders(headers, limits_)) return error;
  if (content_length && *content_length > limits_.max_body_bytes) {
    HttpAnswer answer = HttpAnswer::Error(
        413, fmt::format("Payload too large: {} bytes (max: {})", *content_length,
                         limits_.max_body_bytes));
    answer.close = true;  // the body stays unread
    return answer;
  }
  return std::nullopt;
}

asio::awaitable<std::optional<HttpAnswer>> Pipeline::FinishHead(
    Admission admission, std::vector<Header> headers,
    std::optional<uint64_t> content_length) const {
  if (admission.async_check_from && admission.head) {
    const HeadContext& head = *admission.head;
    std::string_view target = head.target;
    AuthRequest request{head.method, target, target.substr(0, target.find('?')), headers,
                        head.query, head.peer_address, std::chrono::system_clock::now()};
    const auto& validators = admission.webhook->validators;
    for (size_t i = *admission.async_check_from; i < validators.size(); ++i) {
      std::optional<AuthFailure> failure;
      if (validators[i]->NeedsAsyncCheck()) {
        auto checking = validators[i]->CheckAsync(request);
        failure = co_await std::move(checking);
      } else {
        failure = validators[i]->CheckHead(request);
      }
      if (failure) {
        co_return Refuse(*failure, *admission.webhook, admission.webhook_id,
                         MethodKey(*admission.webhook, i));
      }
    }
  }
  co_return CheckLimits(headers, content_length);
}

asio::awaitable<HttpAnswer> Pipeline::OnBody(Admission admission, std::vector<Header> headers,
                                             std::string body) const {
  if (admission.awaits_shared_rate_limit) {
    // Authentication has not run yet: a caller skipped OnSharedRateLimit.
    co_return HttpAnswer::Error(500, "Processing error occurred in webhook processing");
  }
  const WebhookDefinition& webhook = *admission.webhook;
  const auto received_at = std::chrono::system_clock::now();
  if (webhook.checks_body && admission.head) {
    const HeadContext& head = *admission.head;
    std::string_view target = head.target;
    AuthRequest request{head.method, target, target.substr(0, target.find('?')), headers,
                        head.query, head.peer_address, received_at};
    for (size_t i = 0; i < webhook.validators.size(); ++i) {
      const Validator& validator = *webhook.validators[i];
      if (!validator.NeedsBody()) continue;
      std::optional<AuthFailure> failure;
      if (validator.NeedsAsyncBodyCheck()) {
        auto checking = validator.CheckBodyAsync(request, body);
        failure = co_await std::move(checking);
      } else {
        failure = validator.CheckBody(request, body);
      }
      if (failure) co_return Refuse(*failure, webhook, admission.webhook_id, MethodKey(webhook, i));
    }
  }
  BuiltDelivery built = BuildDelivery(
      webhook.data_type,
      {NewDeliveryId(), admission.webhook_id, std::move(headers), std::move(body), received_at},
      limits_, webhook.credential_cleanup);
  if (!built.delivery) co_return HttpAnswer::Error(built.status, built.detail);
  if (webhook.checks_payload) {
    for (size_t i = 0; i < webhook.validators.size(); ++i) {
      if (!webhook.validators[i]->NeedsPayload()) continue;
      if (auto failure = webhook.validators[i]->CheckPayload(built.delivery->payload)) {
        co_return Refuse(*failure, webhook, admission.webhook_id, MethodKey(webhook, i));
      }
    }
  }
  std::shared_ptr<const Delivery> delivery = std::move(built.delivery);

  std::optional<DedupClaim> claim;
  if (webhook.dedup) {
    auto deduplicating = Deduplicate(*webhook.dedup, dedup_store_, *delivery, logger_);
    DedupVerdict verdict = co_await std::move(deduplicating);
    switch (verdict.status) {
      case DedupVerdict::Status::kDuplicate:
        logger_.Info("duplicate not delivered again", {{"webhook", delivery->webhook_id},
                                                       {"delivery", delivery->id},
                                                       {"original", verdict.original_id}});
        co_return Duplicate(verdict.original_id);
      case DedupVerdict::Status::kBusy:
        co_return Busy("A delivery with the same dedup key is being accepted, retry later");
      case DedupVerdict::Status::kUnavailable:
        co_return Busy("Duplicate check is unavailable, retry later");
      case DedupVerdict::Status::kFirst:
        if (verdict.claim) claim.emplace(std::move(*verdict.claim));
        break;
    }
  }
  auto accepting = Accept(admission.webhook, delivery);
  HttpAnswer answer = co_await std::move(accepting);
  if (claim && answer.status < 300) {
    // Durable before the 2xx leaves; a refused request's claim is released by its destructor.
    auto committing = claim->Commit();
    std::string error = co_await std::move(committing);
    if (!error.empty()) {
      logger_.Error("dedup key not stored durably", {{"webhook", delivery->webhook_id},
                                                     {"delivery", delivery->id},
                                                     {"error", error}});
    }
  }
  co_return answer;
}

ChainRunOptions Pipeline::RunOptions(const WebhookDefinition& webhook) const {
  ChainRunOptions options;
  options.metrics = metrics_;
  options.webhook = webhook.id;
  return options;
}

asio::awaitable<HttpAnswer> Pipeline::Accept(std::shared_ptr<const WebhookDefinition> webhook_ptr,
                                             std::shared_ptr<const Delivery> delivery) const {
  const WebhookDefinition& webhook = *webhook_ptr;
  const auto received_at = delivery->received_at;
  std::shared_ptr<const Chain> chain(webhook_ptr, &webhook.chain);
  asio::any_io_executor executor = co_await asio::this_coro::executor;

  switch (webhook.acknowledge) {
    case Acknowledge::kReceived: {
      Logger* logger = &logger_;
      ChainRunOptions options = RunOptions(webhook);
      auto run = [chain, delivery, logger, options, executor](WorkQueue::Finished finished) {
        ChainRunner::Start(chain, delivery, options, executor,
                           [delivery, logger, finished](ChainResult result) {
                             LogChainResult(*logger, delivery->webhook_id, delivery->id, result);
                             finished();
                           });
      };
      bool accepted = work_queue_.TrySubmit({executor, std::move(run)});
      if (!accepted) co_return Busy("Server busy: delivery queue is full, retry later");
      co_return Accepted(delivery->id);
    }
    case Acknowledge::kDelivered: {
      auto running = ChainRunner::Run(chain, delivery, RunOptions(webhook));
      ChainResult result = co_await std::move(running);
      LogChainResult(logger_, delivery->webhook_id, delivery->id, result);
      boost::json::object out = result.ToJson();
      out["id"] = delivery->id;
      if (result.success) {
        out["message"] = "200 OK";
        co_return HttpAnswer::Json(200, boost::json::serialize(out));
      }
      bool timed_out = false;
      for (const auto& item : result.items) timed_out |= item.status == ItemStatus::kTimedOut;
      out["detail"] = timed_out ? "Delivery timed out" : "Delivery failed";
      co_return HttpAnswer::Json(timed_out ? 504 : 502, boost::json::serialize(out));
    }
    case Acknowledge::kPersisted:
      break;
  }

  if (!spool_ || !dispatcher_) co_return HttpAnswer::Error(500, "Spool is not available");
  AcceptedRecordView record;  // borrows from the delivery, which this frame holds
  record.delivery_id = delivery->id;
  record.webhook_id = delivery->webhook_id;
  record.received_at_us = std::chrono::duration_cast<std::chrono::microseconds>(
                              received_at.time_since_epoch()).count();
  record.chain_fingerprint = ChainFingerprint(webhook.chain);
  record.pending_items = AllItemsMask(webhook.chain.items.size());
  record.headers = delivery->headers;
  record.body = delivery->body;
  auto appending = spool_->Append(record);
  AppendResult appended = co_await std::move(appending);
  switch (appended.status) {
    case AppendResult::Status::kOk:
      dispatcher_->Start(webhook_ptr, delivery, appended.sequence, appended.location,
                         AllItemsMask(webhook.chain.items.size()), executor);
      co_return Accepted(delivery->id);
    case AppendResult::Status::kFull:
      co_return Busy("Server busy: spool is full, retry later");
    case AppendResult::Status::kFailed:
      break;
  }
  logger_.Error("webhook not stored", {{"webhook", delivery->webhook_id},
                                       {"delivery", delivery->id},
                                       {"error", appended.error}});
  co_return HttpAnswer::Error(500, "Could not store the webhook; it was not accepted");
}

}  // namespace wg
