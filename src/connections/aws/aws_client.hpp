// One shared SigV4-signing HTTP client per AWS connection of connections.json ("s3", "aws_sqs"),
// built on libcurl; the service name ("s3", "sqs") goes into the signature's credential scope.
//
// Requests run on one curl multi handle driven by a single thread the client owns (curl_multi_poll,
// woken by curl_multi_wakeup when a request arrives): every transfer of the connection shares the
// multi handle's connection cache, so webhooks reuse keep-alive connections, many requests run at
// once, and no HTTP thread ever blocks. (Integrating curl's socket callbacks into the Asio I/O
// threads would save that one thread; it was not worth the extra machinery for one
// request per webhook.) Completions are posted back to the awaiting coroutine's executor.
//
// Signing is curl's CURLOPT_AWS_SIGV4. curl 7.88 quirks handled here (see
// reference/deps-and-services.md §2c): it does not add x-amz-content-sha256, so it is set here
// (S3 needs it; other services accept it); an empty "Expect:" header would be signed but never
// sent, so none is passed; it does not sort query strings, so a URL must carry an already sorted
// and encoded query (PutObject and the SQS query API, which posts its parameters, have none).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/json_reader.hpp"

namespace wg {

// What every AWS connection needs, whatever the service.
struct AwsSettings {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // AWS_SESSION_TOKEN, for temporary credentials from the environment
  std::string region = "us-east-1";
  std::string endpoint_url;  // empty: AWS itself; else a compatible server, "http://host:port"
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connect_timeout{5000};
};

// Reads the keys every AWS connection shares, `region_key` naming the region ("region" for s3,
// "region_name" for aws_sqs): `aws_access_key_id`, `aws_secret_access_key` (else
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN from the environment), the
// region, `endpoint_url` (http or https, no path; trailing '/' dropped), `timeout` (seconds).
// The caller adds its own keys and calls RejectUnknownKeys. Returns false after reporting errors.
bool ReadAwsSettings(ObjectReader& reader, std::string_view region_key, AwsSettings& out);

// AWS region names: 1 to 64 of a-z 0-9 -.
bool IsAwsRegion(std::string_view region);

// RFC 3986 encoding as SigV4 wants it: unreserved characters stay, '/' stays when keep_slash.
std::string AwsUriEncode(std::string_view text, bool keep_slash);

// CURLOPT_AWS_SIGV4's provider string: "aws:amz:<region>:<service>".
std::string AwsSigV4Provider(std::string_view region, std::string_view service);

// The text between <name> and </name> in an AWS XML answer (the first one), or empty.
std::string_view XmlElement(std::string_view xml, std::string_view name);

// Lower-case hex SHA-256, the x-amz-content-sha256 value.
std::string Sha256Hex(std::string_view data);

struct AwsRequest {
  std::string method = "PUT";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"; x-amz-content-sha256 is added from body
  std::string body;
};

struct AwsResponse {
  int curl_code = 0;       // CURLcode; 0 when the server answered
  std::string curl_error;  // curl's message when curl_code != 0
  long status = 0;         // HTTP status
  std::string body;        // at most 64 KiB of the answer (AWS answers here are small)
};

class AwsClient {
 public:
  // `service` is the signing name: "s3", "sqs".
  AwsClient(std::string name, std::string service, AwsSettings settings);
  ~AwsClient();
  AwsClient(const AwsClient&) = delete;
  AwsClient& operator=(const AwsClient&) = delete;

  // Runs the request; completes on the caller's executor. Never throws for transfer errors.
  template <typename Token>
  auto AsyncPerform(AwsRequest request, Token&& token) {
    return boost::asio::async_initiate<Token, void(AwsResponse)>(
        [this](auto handler, AwsRequest request) {
          Submit(std::move(request),
                 std::make_unique<Completion<decltype(handler)>>(std::move(handler)));
        },
        token, std::move(request));
  }

  // "not used yet", "ok" (the last request got an answer) or "down: <last transfer error>".
  std::string State() const;
  const std::string& name() const { return name_; }
  const AwsSettings& aws_settings() const { return settings_; }

 private:
  // The awaiting handler, type-erased by hand (Boost 1.81's any_completion_handler recurses
  // forever in its move assignment), with outstanding work on its executor.
  struct CompletionBase {
    virtual ~CompletionBase() = default;
    virtual void Post(AwsResponse response) = 0;
  };
  template <typename Handler>
  struct Completion final : CompletionBase {
    explicit Completion(Handler h)
        : handler(std::move(h)),
          work(boost::asio::prefer(boost::asio::get_associated_executor(handler),
                                   boost::asio::execution::outstanding_work.tracked)) {}
    void Post(AwsResponse response) override {
      boost::asio::post(work,
                        [handler = std::move(handler), response = std::move(response)]() mutable {
                          std::move(handler)(std::move(response));
                        });
    }
    Handler handler;
    boost::asio::any_io_executor work;
  };

  struct Transfer;
  void Submit(AwsRequest request, std::unique_ptr<CompletionBase> completion);
  void Run();
  void Start(std::unique_ptr<Transfer> transfer);
  void Finish(Transfer* transfer, int curl_code);

  std::string name_;
  std::string service_;
  AwsSettings settings_;
  void* multi_ = nullptr;  // CURLM*
  std::thread thread_;

  mutable std::mutex mutex_;
  bool stopping_ = false;
  std::deque<std::unique_ptr<Transfer>> incoming_;
  std::string state_ = "not used yet";

  // Only touched by the curl thread.
  std::vector<std::unique_ptr<Transfer>> active_;
  std::vector<void*> idle_handles_;  // CURL* kept for reuse
};

}  // namespace wg
