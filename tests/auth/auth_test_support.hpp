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

// The failure, or nullopt when the request passes.
inline std::optional<AuthFailure> Check(const Validator& validator, const FakeRequest& request) {
  AuthRequest view{"POST",          "/webhook/orders", "/webhook/orders",
                   request.headers, request.query,     request.peer,
                   std::chrono::system_clock::now()};
  return validator.CheckHead(view);
}

// The 401/403 message, or "pass".
inline std::string Outcome(const Validator& validator, const FakeRequest& request) {
  auto failure = Check(validator, request);
  return failure ? failure->message : "pass";
}

}  // namespace wg::test
