// The interface every destination implements, and what it receives.
// A module delivers once and reports how it went; retries, timeouts and ordering belong to the
// chain (src/chain/), so modules never sleep or retry themselves.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wg {

class Logger;
class ConfigErrors;
class ConnectionRegistry;
class LineWriter;

struct Header {
  std::string name;  // lower-cased
  std::string value;
};

enum class DataType { kJson, kBlob, kForm, kText };

// One accepted webhook. Immutable once accepted and shared by every chain item (no copies).
struct Delivery {
  std::string id;          // delivery id, also returned to the sender
  std::string webhook_id;  // as requested in the URL ("default" fallback keeps the requested id)
  DataType data_type = DataType::kJson;
  std::string body;            // the request body; json/form: re-encoded if credentials cleaned
  boost::json::value payload;  // json/form/text: the parsed payload; blob: null
  std::vector<Header> headers;
  std::string content_type;
  std::chrono::system_clock::time_point received_at;
};

enum class OutcomeKind {
  kDelivered,
  kRetryable,  // worth another attempt: refused connection, timeout, 5xx, broker nack
  kPermanent,  // another attempt would fail the same way: bad config, rejected data
};

struct Outcome {
  OutcomeKind kind = OutcomeKind::kDelivered;
  std::string message;

  static Outcome Delivered() { return {OutcomeKind::kDelivered, {}}; }
  static Outcome Retryable(std::string message) { return {OutcomeKind::kRetryable, std::move(message)}; }
  static Outcome Permanent(std::string message) { return {OutcomeKind::kPermanent, std::move(message)}; }
  bool delivered() const { return kind == OutcomeKind::kDelivered; }
};

class Module {
 public:
  virtual ~Module() = default;
  // Runs on an I/O thread: must not block. Blocking work goes to ModuleContext::blocking_pool.
  virtual boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) = 0;

  // For a module with nothing to wait for (discard, log into the stdout buffer): the outcome of
  // one delivery, given at once, so the chain runs it without a coroutine. Null when this
  // delivery has to be awaited through Deliver (the default).
  virtual std::optional<Outcome> DeliverNow(const Delivery&) { return std::nullopt; }
};

// A named entry of connections.json.
struct ConnectionConfig {
  std::string name;
  std::string type;
  boost::json::object settings;
};

// What modules may use, handed down from main at start.
struct ModuleContext {
  boost::asio::thread_pool* blocking_pool = nullptr;  // for file I/O and blocking client libraries
  Logger* logger = nullptr;
  std::string working_directory;  // default base_dir of save_to_disk
  ConnectionRegistry* connections = nullptr;  // shared clients of connections.json
  LineWriter* stdout_writer = nullptr;        // the log module's output; null: written directly
};

// A module's configuration as the config loader hands it over.
struct ModuleSettings {
  const boost::json::object& config;   // "module-config", with legacy item fields merged in
  std::string path;                    // JSON path of that object, for error messages
  const ConnectionConfig* connection;  // the named connection, or null
};

}  // namespace wg
