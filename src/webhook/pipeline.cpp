#include "webhook/pipeline.hpp"

#include <fmt/format.h>

#include "chain/chain_runner.hpp"
#include "observability/logger.hpp"
#include "webhook/delivery_id.hpp"
#include "webhook/payload.hpp"
#include "webhook/webhook_id.hpp"

namespace wg {
namespace asio = boost::asio;
namespace {

bool HasForbiddenCharacter(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' || c == '\n' || c == '\0') return true;
    // U+2028 and U+2029 (line and paragraph separators) in UTF-8.
    if (static_cast<unsigned char>(c) == 0xE2 && i + 2 < text.size() &&
        static_cast<unsigned char>(text[i + 1]) == 0x80 &&
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

asio::awaitable<void> RunChainAndLog(std::shared_ptr<const Chain> chain,
                                     std::shared_ptr<const Delivery> delivery, Logger* logger) {
  // GCC 12 destroys by-value temporaries of a coroutine call inside a co_await expression
  // twice; creating the awaitable in its own statement avoids that (here and elsewhere).
  auto running = ChainRunner::Run(chain, delivery);
  ChainResult result = co_await std::move(running);
  LogLevel level = result.success ? LogLevel::kDebug : LogLevel::kWarn;
  if (!logger->Enabled(level)) co_return;
  logger->Log(level, result.success ? "chain delivered" : "chain failed",
              {{"webhook", delivery->webhook_id},
               {"delivery", delivery->id},
               {"result", boost::json::serialize(result.ToJson())}});
}

}  // namespace

const std::string* FindHeader(const std::vector<Header>& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (header.name == name) return &header.value;
  }
  return nullptr;
}

std::variant<HttpAnswer, Admission> Pipeline::OnHead(const RequestHead& head) const {
  if (!head.ns.empty() && !IsValidNamespace(head.ns)) {
    return HttpAnswer::Error(400, "Invalid namespace format");
  }
  if (auto problem = ValidateWebhookId(head.webhook_id)) {
    return HttpAnswer::Error(400, *problem);
  }
  auto config = config_.Get();
  auto webhook = config->Find(head.webhook_id);
  if (!webhook) return HttpAnswer::Error(404, "Webhook ID not found");

  if (webhook->authorization) {
    const std::string* header = FindHeader(head.headers, "authorization");
    AuthResult auth = webhook->authorization->Check(
        header ? std::optional<std::string_view>(*header) : std::nullopt);
    if (!auth.ok) {
      logger_.Info("authentication failed",
                   {{"webhook", std::string(head.webhook_id)}, {"reason", auth.reason}});
      return HttpAnswer::Error(401, auth.message);
    }
  }
  if (auto error = CheckHeaders(head.headers, limits_)) return std::move(*error);
  if (head.content_length && *head.content_length > limits_.max_body_bytes) {
    HttpAnswer answer = HttpAnswer::Error(
        413, fmt::format("Payload too large: {} bytes (max: {})", *head.content_length,
                         limits_.max_body_bytes));
    answer.close = true;  // the body stays unread
    return answer;
  }
  return Admission{std::move(webhook), std::string(head.webhook_id)};
}

HttpAnswer Pipeline::OnBody(const Admission& admission, std::vector<Header> headers,
                            std::string body, asio::any_io_executor executor) const {
  const WebhookDefinition& webhook = *admission.webhook;
  PayloadResult parsed = ParsePayload(webhook.data_type, body, limits_);
  if (!parsed.ok) return HttpAnswer::Error(parsed.status, parsed.detail);

  auto delivery = std::make_shared<Delivery>();
  delivery->id = NewDeliveryId();
  delivery->webhook_id = admission.webhook_id;
  delivery->data_type = webhook.data_type;
  delivery->payload = std::move(parsed.payload);
  if (const std::string* type = FindHeader(headers, "content-type")) delivery->content_type = *type;
  delivery->headers = std::move(headers);
  delivery->body = std::move(body);
  delivery->received_at = std::chrono::system_clock::now();

  std::shared_ptr<const Chain> chain(admission.webhook, &admission.webhook->chain);
  std::shared_ptr<const Delivery> shared_delivery = delivery;
  Logger* logger = &logger_;
  bool accepted = work_queue_.TrySubmit(
      {executor, [chain, shared_delivery, logger] {
         return RunChainAndLog(chain, shared_delivery, logger);
       }});
  if (!accepted) {
    HttpAnswer answer = HttpAnswer::Error(503, "Server busy: delivery queue is full, retry later");
    answer.headers.emplace_back("Retry-After", "1");
    return answer;
  }
  return HttpAnswer::Json(200, fmt::format(R"({{"message":"200 OK","id":"{}"}})", delivery->id));
}

}  // namespace wg
