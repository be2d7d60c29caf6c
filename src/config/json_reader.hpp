// Typed, validated reading of JSON config objects. Every problem becomes a ConfigError with the
// file and JSON pointer path, and reading goes on, so a user sees all errors at once.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace wg {

struct ConfigError {
  std::string file;  // "webhooks.json"
  std::string path;  // JSON pointer, "/orders/chain/1/module"
  std::string message;
};

class ConfigErrors {
 public:
  explicit ConfigErrors(std::string file = {}) : file_(std::move(file)) {}
  void SetFile(std::string file) { file_ = std::move(file); }
  void Add(std::string path, std::string message);
  void Warn(std::string path, std::string message);
  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  const std::vector<ConfigError>& errors() const { return errors_; }
  const std::vector<ConfigError>& warnings() const { return warnings_; }
  void Append(const ConfigErrors& other);
  // "webhooks.json: /orders/chain/1/module: unknown module ..." one per line.
  static std::string Format(const ConfigError& error);

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
  std::vector<ConfigError> warnings_;
};

// Appends one JSON-pointer token (RFC 6901 escaping of '~' and '/').
std::string JoinPath(std::string_view path, std::string_view token);
std::string JoinPath(std::string_view path, size_t index);

// Reads the members of one config object. Numbers and booleans also accept strings such as
// "5432" or "true", because {$VAR} substitution always yields strings.
class ObjectReader {
 public:
  ObjectReader(const boost::json::object& object, std::string path, ConfigErrors& errors)
      : object_(object), path_(std::move(path)), errors_(errors) {}

  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const { return JoinPath(path_, key); }
  bool Has(std::string_view key) const;
  const boost::json::value* Get(std::string_view key);  // marks the key as known

  std::optional<std::string> String(std::string_view key, bool required = false);
  std::string StringOr(std::string_view key, std::string_view fallback);
  bool Bool(std::string_view key, bool fallback);
  double Number(std::string_view key, double fallback, double min, double max);
  int64_t Integer(std::string_view key, int64_t fallback, int64_t min, int64_t max);
  std::optional<std::vector<std::string>> StringList(std::string_view key);
  const boost::json::object* Object(std::string_view key, bool required = false);

  // Marks keys that are accepted but read elsewhere.
  void Allow(std::initializer_list<std::string_view> keys);
  // Reports every member that no getter asked for.
  void RejectUnknownKeys(std::string_view what);

  ConfigErrors& errors() { return errors_; }

 private:
  const boost::json::object& object_;
  std::string path_;
  ConfigErrors& errors_;
  std::set<std::string, std::less<>> known_;
};

std::string_view JsonKindName(const boost::json::value& value);

}  // namespace wg
