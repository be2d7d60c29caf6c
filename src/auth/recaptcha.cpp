#include "auth/recaptcha.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/beast/http.hpp>
#include <optional>
#include <set>
#include <string_view>

#include "auth/method_config.hpp"
#include "config/json_reader.hpp"
#include "config/names.hpp"
#include "connections/http/http_client.hpp"
#include "util/url_encoding.hpp"

namespace wg {
namespace http = boost::beast::http;
namespace {

constexpr std::string_view kGoogleVerifyUrl = "https://www.google.com/recaptcha/api/siteverify";
constexpr std::chrono::milliseconds kVerifyTimeout{5000};
constexpr size_t kMaxAnswerBytes = 64 * 1024;
constexpr size_t kMaxTokenBytes = 8192;
constexpr char kUnavailable[] = "reCAPTCHA verification unavailable";
// Where a token in the body may be, in the order looked at.
constexpr std::array<std::string_view, 3> kBodyFields = {"recaptcha_token", "recaptcha",
                                                         "g-recaptcha-response"};

struct RecaptchaSettings {
  std::string secret_key;
  bool v3 = true;
  bool token_in_body = false;
  std::string token_field;   // as configured
  std::string token_header;  // lower-case
  std::string missing_message;
  double min_score = 0.5;
  std::optional<std::string> expected_action;
  OutboundEndpoint endpoint;
};

// The token of a JSON object body or a form-encoded body, or empty.
std::string TokenInBody(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  if (!ec) {
    const boost::json::object* object = value.if_object();
    if (object == nullptr) return {};
    for (auto field : kBodyFields) {
      const boost::json::value* token = object->if_contains(field);
      if (token != nullptr && token->is_string()) return std::string(token->get_string());
    }
    return {};
  }
  auto form = DecodeForm(body);
  if (!form) return {};
  for (auto field : kBodyFields) {
    for (const auto& [name, token] : *form) {
      if (name == field) return token;
    }
  }
  return {};
}

// Google accepts a remoteip as a hint; a loopback or private peer is a proxy, not the sender.
bool IsPublicAddress(std::string_view peer) {
  return !peer.empty() && !BlockedHostReason(peer).has_value();
}

std::string VerifyRequestBody(const RecaptchaSettings& settings, std::string_view token,
                              std::string_view peer) {
  std::string body =
      "secret=" + PercentEncode(settings.secret_key) + "&response=" + PercentEncode(token);
  if (settings.v3 && IsPublicAddress(peer)) body += "&remoteip=" + PercentEncode(peer);
  return body;
}

std::string ErrorCodes(const boost::json::object& answer) {
  std::string codes;
  if (const boost::json::value* list = answer.if_contains("error-codes");
      list && list->is_array()) {
    for (const auto& code : list->get_array()) {
      if (!code.is_string()) continue;
      if (!codes.empty()) codes += ", ";
      codes += code.get_string();
    }
  }
  return codes.empty() ? "unknown error" : codes;
}

// Google's verdict on a token, from its siteverify answer.
std::optional<AuthFailure> Judge(const RecaptchaSettings& settings, const HttpExchange& exchange) {
  if (exchange.status == 0)
    return VerifierUnavailable(kUnavailable, "recaptcha_unreachable: " + exchange.error);
  if (exchange.status != 200) {
    return VerifierUnavailable(kUnavailable,
                               fmt::format("recaptcha_unavailable: HTTP {}", exchange.status));
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(exchange.body, ec);
  const boost::json::object* answer = ec ? nullptr : value.if_object();
  if (answer == nullptr)
    return VerifierUnavailable(kUnavailable, "recaptcha_unavailable: answer is not a JSON object");
  const boost::json::value* success = answer->if_contains("success");
  if (success == nullptr || !success->is_bool() || !success->get_bool()) {
    return Unauthenticated("reCAPTCHA verification failed: " + ErrorCodes(*answer),
                           "recaptcha_failed");
  }
  if (!settings.v3) return std::nullopt;
  double score = 0;
  if (const boost::json::value* given = answer->if_contains("score"); given && given->is_number()) {
    score = given->to_number<double>();
  }
  if (score < settings.min_score) {
    return Unauthenticated(
        fmt::format("reCAPTCHA score {:.2f} below threshold {}", score, settings.min_score),
        "recaptcha_score");
  }
  if (settings.expected_action) {
    const boost::json::value* action = answer->if_contains("action");
    if (action == nullptr || !action->is_string() ||
        action->get_string() != *settings.expected_action) {
      return Unauthenticated("reCAPTCHA action does not match", "recaptcha_action");
    }
  }
  return std::nullopt;
}

class RecaptchaValidator final : public Validator {
 public:
  explicit RecaptchaValidator(RecaptchaSettings settings) : settings_(std::move(settings)) {}

  std::optional<boost::json::object> SecurityScheme() const override {
    if (settings_.token_in_body) return std::nullopt;  // a field of the payload, not a credential
    return ApiKeySecurityScheme("header", settings_.token_field,
                                settings_.v3 ? "A reCAPTCHA v3 token." : "A reCAPTCHA v2 token.");
  }

  bool NeedsAsyncCheck() const override { return !settings_.token_in_body; }
  bool NeedsBody() const override { return settings_.token_in_body; }
  bool NeedsAsyncBodyCheck() const override { return settings_.token_in_body; }

  boost::asio::awaitable<std::optional<AuthFailure>> CheckAsync(
      AuthRequest request) const override {
    const std::string* token = request.FindHeader(settings_.token_header);
    auto verifying = Verify(token ? *token : std::string(), request.peer_address);
    co_return co_await std::move(verifying);
  }

  boost::asio::awaitable<std::optional<AuthFailure>> CheckBodyAsync(
      AuthRequest request, std::string_view body) const override {
    auto verifying = Verify(TokenInBody(body), request.peer_address);
    co_return co_await std::move(verifying);
  }

 private:
  boost::asio::awaitable<std::optional<AuthFailure>> Verify(std::string token,
                                                            std::string_view peer) const {
    if (token.empty()) co_return Unauthenticated(settings_.missing_message, "recaptcha_missing");
    if (token.size() > kMaxTokenBytes) {
      co_return Unauthenticated("reCAPTCHA verification failed: token too long",
                                "recaptcha_failed");
    }
    http::request<http::string_body> request(http::verb::post,
                                             settings_.endpoint.target.path_and_query, 11);
    request.set(http::field::accept, "application/json");
    request.set(http::field::content_type, "application/x-www-form-urlencoded");
    request.body() = VerifyRequestBody(settings_, token, peer);
    auto executor = co_await boost::asio::this_coro::executor;
    auto exchanging = ExchangeOnce(executor, settings_.endpoint, kVerifyTimeout, std::move(request),
                                   kMaxAnswerBytes);
    HttpExchange exchange = co_await std::move(exchanging);
    co_return Judge(settings_, exchange);
  }

  RecaptchaSettings settings_;
};

}  // namespace

std::shared_ptr<const Validator> BuildRecaptcha(const boost::json::object& webhook,
                                                const std::string& webhook_path,
                                                ConfigErrors& errors) {
  const std::string path = JoinPath(webhook_path, "recaptcha");
  const boost::json::object* config =
      MethodObject(webhook, "recaptcha", path, "secret_key", errors);
  if (config == nullptr) return nullptr;
  ObjectReader reader(*config, path, errors);
  const size_t before = errors.size();
  RecaptchaSettings settings;
  auto secret = RequiredCredential(reader, "secret_key", "reCAPTCHA secret key");
  std::string version = reader.StringOr("version", "v3");
  std::string source = reader.StringOr("token_source", "header");
  std::string field = reader.StringOr("token_field", "X-Recaptcha-Token");
  settings.min_score = reader.Number("min_score", 0.5, 0.0, 1.0);
  settings.expected_action = reader.String("expected_action");
  std::string url = reader.StringOr("verify_url", kGoogleVerifyUrl);
  std::string ca_file = reader.StringOr("ssl_ca_cert", "");
  std::set<std::string> allowed_hosts;
  if (auto hosts = reader.StringList("allowed_hosts")) {
    for (const auto& host : *hosts) allowed_hosts.insert(ToLower(host));
  }
  reader.RejectUnknownKeys("recaptcha");
  if (version != "v3" && version != "v2") {
    errors.Add(reader.PathOf("version"),
               fmt::format("must be \"v3\" or \"v2\", got \"{}\"", version));
  }
  if (source != "header" && source != "body") {
    errors.Add(reader.PathOf("token_source"),
               fmt::format("must be \"header\" or \"body\", got \"{}\"", source));
  }
  if (field.empty()) errors.Add(reader.PathOf("token_field"), "must not be empty");
  auto endpoint =
      ParseOutboundEndpoint(url, reader.PathOf("verify_url"), allowed_hosts, ca_file,
                            reader.PathOf("ssl_ca_cert"), "send the secret_key only", errors);
  if (errors.size() != before || !secret || !endpoint) return nullptr;
  settings.secret_key = std::move(*secret);
  settings.v3 = version == "v3";
  settings.token_in_body = source == "body";
  settings.token_field = field;
  settings.token_header = ToLower(field);
  settings.missing_message =
      settings.token_in_body
          ? "Missing reCAPTCHA token (expected in body: recaptcha_token, recaptcha or "
            "g-recaptcha-response)"
          : fmt::format("Missing reCAPTCHA token (expected in header: {})", field);
  settings.endpoint = std::move(*endpoint);
  return std::make_shared<RecaptchaValidator>(std::move(settings));
}

}  // namespace wg
