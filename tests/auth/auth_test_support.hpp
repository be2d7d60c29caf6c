// Builds a method from a JSON webhook definition and runs it on a request, as the pipeline does.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/validator.hpp"
#include "config/json_reader.hpp"

namespace wg::test {

struct FakeRequest {
  std::vector<Header> headers;
  std::vector<std::pair<std::string, std::string>> query;
  std::string peer = "127.0.0.1";
  std::string method = "POST";
  std::string target = "/webhook/orders";  // path and query
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();

  FakeRequest& WithHeader(std::string name, std::string value) {
    headers.push_back({std::move(name), std::move(value)});
    return *this;
  }
  FakeRequest& WithQuery(std::string name, std::string value) {
    query.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  FakeRequest& FromPeer(std::string address) {
    peer = std::move(address);
    return *this;
  }
  // The target's query is not parsed into `query`: add it with WithQuery where it matters.
  FakeRequest& At(std::string request_method, std::string request_target) {
    method = std::move(request_method);
    target = std::move(request_target);
    return *this;
  }
  FakeRequest& AtTime(std::chrono::system_clock::time_point time) {
    now = time;
    return *this;
  }
};

struct Built {
  std::shared_ptr<const Validator> validator;
  ConfigErrors errors{"webhooks.json"};

  // Every config error, "path: message", one per line.
  std::string ErrorText() const {
    std::string text;
    for (const auto& error : errors.errors()) text += error.path + ": " + error.message + "\n";
    return text;
  }
};

inline Built Build(const ValidatorFactory& factory, std::string_view webhook_json) {
  Built built;
  boost::json::value webhook = boost::json::parse(webhook_json);
  built.validator = factory(webhook.as_object(), "/orders", built.errors);
  return built;
}

// The failure, or nullopt when the request passes: the head, then, for a method that signs
// the body and passed the head, the body, as the pipeline runs them.
inline std::optional<AuthFailure> Check(const Validator& validator, const FakeRequest& request,
                                        std::string_view body = {}) {
  std::string_view target = request.target;
  AuthRequest view{request.method,  target,        target.substr(0, target.find('?')),
                   request.headers, request.query, request.peer,
                   request.now};
  if (auto failure = validator.CheckHead(view)) return failure;
  if (!validator.NeedsBody()) return std::nullopt;
  return validator.CheckBody(view, body);
}

// The 401/403 message, or "pass".
inline std::string Outcome(const Validator& validator, const FakeRequest& request,
                           std::string_view body = {}) {
  auto failure = Check(validator, request, body);
  return failure ? failure->message : "pass";
}

}  // namespace wg::test
