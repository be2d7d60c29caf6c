#include "modules/aws_sqs/aws_sqs_module.hpp"

#include <fmt/format.h>

#include <boost/asio/use_awaitable.hpp>
#include <mutex>

#include "connections/connection_registry.hpp"
#include "connections/sqs/sqs_client.hpp"
#include "modules/aws_sqs/sqs_message.hpp"

namespace wg {
namespace {

struct QueueUrlResult {
  std::string url;  // empty: `outcome` says why
  Outcome outcome;
};

class AwsSqsModule final : public Module {
 public:
  AwsSqsModule(std::shared_ptr<SqsClient> client, SqsQueueOptions options)
      : client_(std::move(client)), options_(std::move(options)), queue_url_(options_.queue_url) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    SqsMessage message = BuildSqsMessage(*delivery);
    if (auto problem = CheckFilledIds(*delivery); !problem.empty()) {
      co_return Outcome::Permanent(std::move(problem));
    }

    std::string url = CachedQueueUrl();
    bool looked_up_now = false;
    if (url.empty()) {
      auto resolving = ResolveQueueUrl();
      QueueUrlResult resolved = co_await std::move(resolving);
      if (resolved.url.empty()) co_return resolved.outcome;
      url = resolved.url;
      looked_up_now = true;
    }
    auto sending = Send(url, message, delivery);
    std::pair<Outcome, std::string> sent = co_await std::move(sending);
    if (IsSqsNonExistentQueue(sent.second) && !options_.queue_name.empty() && !looked_up_now) {
      // The cached queue was deleted: look it up (or create it) again, once.
      ForgetQueueUrl(url);
      auto resolving = ResolveQueueUrl();
      QueueUrlResult resolved = co_await std::move(resolving);
      if (resolved.url.empty()) co_return resolved.outcome;
      auto resending = Send(resolved.url, message, delivery);
      std::pair<Outcome, std::string> again = co_await std::move(resending);
      co_return std::move(again.first);
    }
    co_return std::move(sent.first);
  }

 private:
  // Placeholders may fill in characters SQS refuses in these ids.
  std::string CheckFilledIds(const Delivery& delivery) const {
    for (const std::string* id : {&options_.message_group_id, &options_.message_deduplication_id}) {
      if (id->empty() || (id == &options_.message_deduplication_id && !options_.fifo)) continue;
      std::string filled = FillSqsTemplate(*id, delivery);
      if (auto problem = CheckSqsMessageId(filled); !problem.empty()) {
        return fmt::format("aws_sqs: message id \"{}\" {}", filled, problem);
      }
    }
    return {};
  }

  std::string Describe(std::string_view action) const {
    return fmt::format("aws_sqs {} {}", action,
                       options_.queue_name.empty() ? options_.queue_url : options_.queue_name);
  }

  std::string CachedQueueUrl() {
    std::lock_guard lock(mutex_);
    return queue_url_;
  }

  void ForgetQueueUrl(const std::string& url) {
    std::lock_guard lock(mutex_);
    if (queue_url_ == url) queue_url_.clear();
  }

  boost::asio::awaitable<AwsResponse> Post(std::string form) {
    AwsRequest request;
    request.method = "POST";
    request.url = client_->EndpointUrl();
    request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    request.body = std::move(form);
    auto performing = client_->AsyncPerform(std::move(request), boost::asio::use_awaitable);
    co_return co_await std::move(performing);
  }

  // (outcome, SQS error code)
  boost::asio::awaitable<std::pair<Outcome, std::string>> Send(
      std::string url, SqsMessage message, std::shared_ptr<const Delivery> delivery) {
    auto posting = Post(SqsSendMessageForm(options_, url, message, *delivery));
    AwsResponse response = co_await std::move(posting);
    std::string what = Describe("SendMessage");
    Outcome outcome = ClassifySqsAnswer(response.curl_code, response.curl_error, response.status,
                                        response.body, what);
    if (outcome.delivered()) outcome = CheckSqsSendAnswer(response.body, message.body, what);
    std::string code = response.curl_code == 0 ? ParseSqsError(response.body).first : "";
    co_return std::make_pair(std::move(outcome), std::move(code));
  }

  // GetQueueUrl, then CreateQueue when the queue does not exist and creating is allowed.
  boost::asio::awaitable<QueueUrlResult> ResolveQueueUrl() {
    auto looking_up = Post(SqsGetQueueUrlForm(options_.queue_name));
    AwsResponse response = co_await std::move(looking_up);
    std::string what = Describe("GetQueueUrl");
    if (response.curl_code == 0 && options_.create_queue &&
        IsSqsNonExistentQueue(ParseSqsError(response.body).first)) {
      auto creating = Post(SqsCreateQueueForm(options_.queue_name, options_.fifo));
      response = co_await std::move(creating);
      what = Describe("CreateQueue");
    }
    Outcome outcome = ClassifySqsAnswer(response.curl_code, response.curl_error, response.status,
                                        response.body, what);
    if (!outcome.delivered()) co_return QueueUrlResult{{}, std::move(outcome)};
    std::string url = ParseSqsQueueUrl(response.body);
    if (url.empty()) {
      co_return QueueUrlResult{
          {}, Outcome::Permanent(fmt::format("{}: the answer has no QueueUrl", what))};
    }
    {
      std::lock_guard lock(mutex_);
      queue_url_ = url;
    }
    co_return QueueUrlResult{std::move(url), Outcome::Delivered()};
  }

  std::shared_ptr<SqsClient> client_;
  SqsQueueOptions options_;
  std::mutex mutex_;
  std::string queue_url_;  // queue_url, or queue_name's URL once looked up
};

}  // namespace

std::unique_ptr<Module> CreateAwsSqsModule(const ModuleSettings& settings,
                                           const ModuleContext& context, ConfigErrors& errors) {
  const size_t before = errors.size();
  auto client = ResolveClient(
      settings, context, "aws_sqs", "aws_sqs",
      [](std::string_view type) { return type == "aws_sqs"; }, &ConnectionRegistry::Sqs, errors);
  bool custom_endpoint = client && !client->aws_settings().endpoint_url.empty();
  auto options = ParseSqsQueueOptions(settings.config, settings.path, custom_endpoint, errors);
  if (errors.size() != before || !options || !client) return nullptr;
  return std::make_unique<AwsSqsModule>(std::move(client), std::move(*options));
}

}  // namespace wg
