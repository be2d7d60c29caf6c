#include "modules/s3/s3_module.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "connections/connection_registry.hpp"
#include "connections/s3/s3_client.hpp"
#include "modules/redis/rq_job.hpp"
#include "modules/s3/s3_object.hpp"

namespace wg {
namespace {

class S3Module final : public Module {
 public:
  S3Module(std::shared_ptr<S3Client> client, S3ObjectOptions options)
      : client_(std::move(client)), options_(std::move(options)) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    // The date folders follow the time the webhook arrived, so a retried upload lands beside it.
    std::string key = BuildS3ObjectKey(options_, *delivery, NewUuid4(), delivery->received_at);
    S3Request request;
    request.method = "PUT";
    request.url = S3ObjectUrl(client_->settings(), options_.bucket, key);
    request.body = S3ObjectBody(*delivery);
    request.headers.push_back("Content-Type: " + options_.content_type);
    if (options_.include_headers) {
      auto metadata = S3MetadataHeaders(delivery->headers);
      for (const auto& [name, value] : metadata) request.headers.push_back(name + ": " + value);
    }
    auto performing = client_->AsyncPerform(std::move(request), boost::asio::use_awaitable);
    S3Response response = co_await std::move(performing);
    co_return ClassifyS3Answer(response.curl_code, response.curl_error, response.status,
                               response.body,
                               fmt::format("s3 PUT s3://{}/{}", options_.bucket, key));
  }

 private:
  std::shared_ptr<S3Client> client_;
  S3ObjectOptions options_;
};

}  // namespace

std::unique_ptr<Module> CreateS3Module(const ModuleSettings& settings,
                                       const ModuleContext& context, ConfigErrors& errors) {
  const size_t before = errors.size();
  auto options = ParseS3ObjectOptions(settings.config, settings.path, errors);
  auto client = ResolveClient(
      settings, context, "s3", "s3", [](std::string_view type) { return type == "s3"; },
      &ConnectionRegistry::S3, errors);
  if (errors.size() != before || !options || !client) return nullptr;
  return std::make_unique<S3Module>(std::move(client), std::move(*options));
}

}  // namespace wg
