#include "connections/aws/aws_client.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/url/parse.hpp>
#include <cstdio>
#include <cstdlib>

#include "auth/crypto.hpp"

namespace wg {
namespace asio = boost::asio;

namespace {

constexpr size_t kMaxResponseBody = 64 * 1024;

std::once_flag curl_global_once;

std::string EnvOr(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  size_t bytes = size * count;
  if (body->size() < kMaxResponseBody) {
    body->append(data, std::min(bytes, kMaxResponseBody - body->size()));
  }
  return bytes;
}

}  // namespace

bool IsAwsRegion(std::string_view region) {
  if (region.empty() || region.size() > 64) return false;
  return std::all_of(region.begin(), region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool ReadAwsSettings(ObjectReader& reader, std::string_view region_key, AwsSettings& out) {
  ConfigErrors& errors = reader.errors();
  size_t before = errors.size();
  out.access_key_id = reader.StringOr("aws_access_key_id", "");
  out.secret_access_key = reader.StringOr("aws_secret_access_key", "");
  out.region = reader.StringOr(region_key, "us-east-1");
  out.endpoint_url = reader.StringOr("endpoint_url", "");
  double timeout = reader.Number("timeout", 30.0, 0.1, 600);
  out.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  out.connect_timeout = std::min(out.timeout, std::chrono::milliseconds(5000));

  // The default AWS credential chain, as far as it goes without an SDK: the environment.
  if (out.access_key_id.empty() && out.secret_access_key.empty()) {
    out.access_key_id = EnvOr("AWS_ACCESS_KEY_ID");
    out.secret_access_key = EnvOr("AWS_SECRET_ACCESS_KEY");
    out.session_token = EnvOr("AWS_SESSION_TOKEN");
  }
  if (out.access_key_id.empty()) {
    errors.Add(reader.PathOf("aws_access_key_id"),
               "is required (or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
  }
  if (out.secret_access_key.empty()) {
    errors.Add(reader.PathOf("aws_secret_access_key"),
               "is required (or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
  }
  if (!IsAwsRegion(out.region)) {
    errors.Add(reader.PathOf(region_key), "must be 1 to 64 of a-z 0-9 -, e.g. \"us-east-1\"");
  }
  if (!out.endpoint_url.empty()) {
    while (!out.endpoint_url.empty() && out.endpoint_url.back() == '/') out.endpoint_url.pop_back();
    auto url = boost::urls::parse_absolute_uri(out.endpoint_url);
    if (!url || (url->scheme() != "http" && url->scheme() != "https") || !url->has_authority() ||
        url->host().empty() || !url->encoded_path().empty() || url->has_query() ||
        url->has_fragment() || url->has_userinfo()) {
      errors.Add(reader.PathOf("endpoint_url"),
                 "must be http://host[:port] or https://host[:port], without path or query");
    }
  }
  return errors.size() == before;
}

std::string AwsUriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string AwsSigV4Provider(std::string_view region, std::string_view service) {
  return fmt::format("aws:amz:{}:{}", region, service);
}

std::string_view XmlElement(std::string_view xml, std::string_view name) {
  std::string open = fmt::format("<{}>", name);
  std::string close = fmt::format("</{}>", name);
  auto start = xml.find(open);
  if (start == std::string_view::npos) return {};
  start += open.size();
  auto end = xml.find(close, start);
  if (end == std::string_view::npos) return {};
  return xml.substr(start, end - start);
}

std::string Sha256Hex(std::string_view data) { return HexEncode(ComputeDigest("SHA256", {data})); }

struct AwsClient::Transfer {
  AwsRequest request;
  AwsResponse response;
  std::unique_ptr<AwsClient::CompletionBase> completion;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  char error[CURL_ERROR_SIZE] = {};
};

AwsClient::AwsClient(std::string name, std::string service, AwsSettings settings)
    : name_(std::move(name)), service_(std::move(service)), settings_(std::move(settings)) {
  std::call_once(curl_global_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  multi_ = curl_multi_init();
  // A few parallel connections per host, then transfers queue for a free one.
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, 16L);
  thread_ = std::thread([this] { Run(); });
}

AwsClient::~AwsClient() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
  thread_.join();
  for (void* easy : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(easy));
  curl_multi_cleanup(multi_);
}

std::string AwsClient::State() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void AwsClient::Submit(AwsRequest request, std::unique_ptr<CompletionBase> completion) {
  auto transfer = std::make_unique<Transfer>();
  transfer->request = std::move(request);
  transfer->completion = std::move(completion);
  {
    std::lock_guard lock(mutex_);
    incoming_.push_back(std::move(transfer));
  }
  curl_multi_wakeup(multi_);
}

void AwsClient::Run() {
  while (true) {
    std::deque<std::unique_ptr<Transfer>> starting;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      starting.swap(incoming_);
    }
    for (auto& transfer : starting) Start(std::move(transfer));

    int running = 0;
    curl_multi_perform(multi_, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      Transfer* transfer = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
      Finish(transfer, message->data.result);
    }
    curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
  }
  // Shutting down: whatever is still in flight fails (as retryable) so no coroutine waits forever.
  std::deque<std::unique_ptr<Transfer>> starting;
  {
    std::lock_guard lock(mutex_);
    starting.swap(incoming_);
  }
  for (auto& transfer : starting) {
    Transfer* raw = transfer.get();
    active_.push_back(std::move(transfer));
    Finish(raw, CURLE_ABORTED_BY_CALLBACK);
  }
  while (!active_.empty()) Finish(active_.back().get(), CURLE_ABORTED_BY_CALLBACK);
}

void AwsClient::Start(std::unique_ptr<Transfer> transfer) {
  CURL* easy = nullptr;
  if (!idle_handles_.empty()) {
    easy = static_cast<CURL*>(idle_handles_.back());
    idle_handles_.pop_back();
    curl_easy_reset(easy);  // keeps the handle's caches; connections live in the multi handle
  } else {
    easy = curl_easy_init();
  }
  Transfer& t = *transfer;
  t.easy = easy;
  const AwsRequest& request = t.request;

  // Signed headers: curl signs every header given here plus host and x-amz-date. Never pass an
  // empty "Expect:" (curl 7.88 would sign an expect header it does not send).
  t.headers =
      curl_slist_append(t.headers, ("x-amz-content-sha256: " + Sha256Hex(request.body)).c_str());
  if (!settings_.session_token.empty()) {
    t.headers =
        curl_slist_append(t.headers, ("x-amz-security-token: " + settings_.session_token).c_str());
  }
  for (const auto& header : request.headers) {
    t.headers = curl_slist_append(t.headers, header.c_str());
  }

  std::string sigv4 = AwsSigV4Provider(settings_.region, service_);
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t.headers);
  curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(easy, CURLOPT_USERNAME, settings_.access_key_id.c_str());
  curl_easy_setopt(easy, CURLOPT_PASSWORD, settings_.secret_access_key.c_str());
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(settings_.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t.response.body);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &t);
  if (request.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else {
    // The body stays in the Transfer until it finishes, so curl may read it without a copy.
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  // AWS_SIGV4 copies its string; everything else pointed to lives in the Transfer.
  active_.push_back(std::move(transfer));
  CURLMcode added = curl_multi_add_handle(multi_, easy);
  if (added != CURLM_OK) {
    std::snprintf(t.error, sizeof(t.error), "%s", curl_multi_strerror(added));
    t.easy = nullptr;
    idle_handles_.push_back(easy);
    Finish(&t, CURLE_FAILED_INIT);
  }
}

void AwsClient::Finish(Transfer* transfer, int curl_code) {
  auto found = std::find_if(active_.begin(), active_.end(),
                            [&](const auto& t) { return t.get() == transfer; });
  if (found == active_.end()) return;
  std::unique_ptr<Transfer> owned = std::move(*found);
  active_.erase(found);

  AwsResponse response = std::move(owned->response);
  response.curl_code = curl_code;
  if (owned->easy != nullptr) {
    curl_easy_getinfo(owned->easy, CURLINFO_RESPONSE_CODE, &response.status);
    curl_multi_remove_handle(multi_, owned->easy);
    idle_handles_.push_back(owned->easy);
  }
  if (owned->headers != nullptr) curl_slist_free_all(owned->headers);
  if (curl_code != CURLE_OK) {
    response.curl_error = owned->error[0] != '\0'
                              ? std::string(owned->error)
                              : std::string(curl_easy_strerror(static_cast<CURLcode>(curl_code)));
    if (curl_code == CURLE_ABORTED_BY_CALLBACK)
      response.curl_error = service_ + " client shutting down";
  }
  {
    std::lock_guard lock(mutex_);
    state_ = curl_code == CURLE_OK ? "ok" : "down: " + response.curl_error;
  }
  owned->completion->Post(std::move(response));
}

}  // namespace wg
