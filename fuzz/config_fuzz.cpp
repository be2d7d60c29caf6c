// webhooks.json and connections.json text -> the config loader with all its validation: JSON
// syntax errors with line and column, {$VAR} substitution, every webhook key, every module's and
// connection's settings. The input is the webhooks.json text, optionally followed by a line
// "---" and the connections.json text. The substitution is fuzzed on the raw text too, where it
// is not bound to JSON strings.
//
// Properties: a snapshot exists exactly when there are no errors; every error has a JSON path;
// substituted values are never substituted again; text without "{$" is left as it is.
#include <boost/asio/thread_pool.hpp>

#include <map>

#include "config/config_loader.hpp"
#include "fuzz_support.hpp"

namespace {
using wg::fuzz::Require;

constexpr std::string_view kSeparator = "\n---\n";

// NESTED holds a reference that must come out literally (values are not substituted again).
const std::map<std::string, std::string, std::less<>> kEnvironment = {
    {"HOST", "127.0.0.1"}, {"PORT", "6379"}, {"EMPTY", ""},
    {"SECRET", "env-s3cret"}, {"NESTED", "{$SECRET}"}};

std::optional<std::string> Lookup(const std::string& name) {
  auto found = kEnvironment.find(name);
  if (found == kEnvironment.end()) return std::nullopt;
  return found->second;
}

void CheckSubstitution(std::string_view text) {
  std::string substituted(text);
  wg::ConfigErrors errors("webhooks.json");
  bool ok = wg::SubstituteString(substituted, Lookup, "/fuzz", errors);
  Require(ok == errors.empty(), "SubstituteString reports exactly when it fails");
  if (text.find("{$") == std::string_view::npos) {
    Require(substituted == text, "text without references is unchanged");
  }
  if (text == "{$NESTED}") Require(substituted == "{$SECRET}", "values are not substituted again");
}

void CheckLoad(std::string_view input) {
  static boost::asio::thread_pool pool{1};
  static const wg::ModuleContext context{&pool, nullptr, "/tmp"};
  std::optional<std::string> webhooks;
  std::optional<std::string> connections;
  if (auto split = input.find(kSeparator); split != std::string_view::npos) {
    webhooks = std::string(input.substr(0, split));
    connections = std::string(input.substr(split + kSeparator.size()));
  } else {
    webhooks = std::string(input);
  }
  wg::LoadResult result = wg::LoadConfigFromText(webhooks, connections, Lookup, context);
  Require((result.config != nullptr) == result.errors.empty(),
          "a config snapshot exists exactly when there are no errors");
  for (const auto& error : result.errors) {
    Require(!error.message.empty(), "every error has a message");
    Require(error.path.empty() || error.path.front() == '/', "error paths are JSON pointers");
    Require(!wg::ConfigErrors::Format(error).empty(), "errors format");
  }
  if (result.config) {
    for (const auto& [id, webhook] : result.config->webhooks) {
      Require(webhook != nullptr, "every loaded webhook is defined");
      Require(result.config->Find(id) == webhook, "every loaded webhook is found by its id");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckSubstitution(input);
  CheckLoad(input);
  return 0;
}
