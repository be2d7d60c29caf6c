// Small helpers shared by the unit tests.
#pragma once

#include <boost/asio.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "config/env_substitution.hpp"
#include "modules/module.hpp"

namespace wg::testing {

inline EnvLookup FakeEnvironment(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto found = values.find(name);
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

// Runs a coroutine to completion on a private io_context and returns its result.
template <typename T>
T RunAwaitable(boost::asio::awaitable<T> awaitable) {
  boost::asio::io_context io;
  std::optional<T> result;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(awaitable), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result = std::move(value);
  });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline std::shared_ptr<Delivery> MakeDelivery(std::string body = R"({"id":1})") {
  auto delivery = std::make_shared<Delivery>();
  delivery->id = "01a2261f-0000-7000-8000-000000000001";
  delivery->webhook_id = "orders";
  delivery->payload = boost::json::parse(body);
  delivery->body = std::move(body);
  delivery->headers = {{"content-type", "application/json"}, {"authorization", "Bearer s3cret"}};
  delivery->received_at = std::chrono::system_clock::now();
  return delivery;
}

}  // namespace wg::testing
