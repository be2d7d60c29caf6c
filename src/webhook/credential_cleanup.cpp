#include "webhook/credential_cleanup.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "config/json_reader.hpp"
#include "util/ascii.hpp"

namespace wg {
namespace json = boost::json;
namespace {

// The Python project's list (reference §2.7).
constexpr std::array<std::string_view, 30> kDefaultNames = {
    "password",       "passwd",        "pwd",          "secret",          "token",
    "api_key",        "apikey",        "access_token", "refresh_token",   "authorization",
    "auth",           "credential",    "credentials",  "private_key",     "privatekey",
    "api_secret",     "client_secret", "bearer",       "x-api-key",       "x-auth-token",
    "x-access-token", "session_id",    "sessionid",    "session_token",   "csrf_token",
    "csrf",           "oauth_token",   "oauth_secret", "consumer_secret", "token_secret"};

// Its patterns .*password.*, .*secret.*, .*token.*, .*key.*, .*credential.*, .*auth.*; the
// x-.*-key / -token / -secret ones are contained in these.
constexpr std::array<std::string_view, 6> kNameParts = {"password", "secret",     "token",
                                                        "key",      "credential", "auth"};

// For each byte, 1 + the index of the part that starts with it (either case), or 0: a name is
// scanned once, and only the part its letter starts is compared there.
constexpr std::array<uint8_t, 256> kPartByFirstLetter = [] {
  std::array<uint8_t, 256> table{};
  for (size_t i = 0; i < kNameParts.size(); ++i) {
    const char first = kNameParts[i].front();
    table[static_cast<unsigned char>(first)] = static_cast<uint8_t>(i + 1);
    table[static_cast<unsigned char>(first - 'a' + 'A')] = static_cast<uint8_t>(i + 1);
  }
  return table;
}();

constexpr bool PartsStartWithDistinctLowerLetters() {
  for (size_t i = 0; i < kNameParts.size(); ++i) {
    if (kNameParts[i].front() < 'a' || kNameParts[i].front() > 'z') return false;
    for (size_t j = 0; j < i; ++j) {
      if (kNameParts[i].front() == kNameParts[j].front()) return false;
    }
  }
  return true;
}
static_assert(PartsStartWithDistinctLowerLetters(), "kPartByFirstLetter holds one part a letter");

constexpr bool ContainsPart(std::string_view name) {
  for (std::string_view part : kNameParts) {
    if (name.find(part) != std::string_view::npos) return true;
  }
  return false;
}

// The default names that contain no part: the only ones compared whole. ContainsNamePart finds
// the others, in any case, as comparing them whole would.
constexpr size_t kWholeNameCount = [] {
  size_t count = 0;
  for (std::string_view name : kDefaultNames) count += ContainsPart(name) ? 0 : 1;
  return count;
}();
constexpr std::array<std::string_view, kWholeNameCount> kWholeNames = [] {
  std::array<std::string_view, kWholeNameCount> names{};
  size_t next = 0;
  for (std::string_view name : kDefaultNames) {
    if (!ContainsPart(name)) names[next++] = name;
  }
  return names;
}();

bool ContainsNamePart(std::string_view name) {
  for (size_t i = 0; i < name.size(); ++i) {
    const uint8_t part = kPartByFirstLetter[static_cast<unsigned char>(name[i])];
    if (part != 0 &&
        EqualsIgnoreCase(name.substr(i, kNameParts[part - 1].size()), kNameParts[part - 1])) {
      return true;
    }
  }
  return false;
}

// Deeper payloads are refused by the JSON limits long before; this bounds the recursion anyway.
constexpr int kMaxDepth = 100;

}  // namespace

std::optional<CredentialCleanup> CredentialCleanup::FromConfig(const json::value& value,
                                                               const std::string& path,
                                                               ConfigErrors& errors) {
  if (!value.is_object()) {
    errors.Add(path, fmt::format("must be an object (enabled, mode, fields), got {}",
                                 JsonKindName(value)));
    return std::nullopt;
  }
  const size_t errors_before = errors.size();
  ObjectReader reader(value.get_object(), path, errors);
  CredentialCleanup cleanup;
  cleanup.enabled_ = reader.Bool("enabled", true);
  const std::string mode = reader.StringOr("mode", "mask");
  if (mode == "mask") {
    cleanup.mode_ = Mode::kMask;
  } else if (mode == "remove") {
    cleanup.mode_ = Mode::kRemove;
  } else {
    errors.Add(reader.PathOf("mode"), fmt::format("must be mask or remove, got \"{}\"", mode));
  }
  if (auto fields = reader.StringList("fields")) {
    for (const auto& field : *fields) cleanup.extra_names_.push_back(AsciiLower(field));
  }
  reader.RejectUnknownKeys("credential_cleanup");
  if (errors.size() != errors_before) return std::nullopt;
  return cleanup;
}

bool CredentialCleanup::IsCredentialName(std::string_view name) const {
  // Runs for every header and every payload key of every webhook: compared without a lowered
  // copy (the lists are lower case).
  if (ContainsNamePart(name)) return true;
  auto equal = [name](std::string_view candidate) { return EqualsIgnoreCase(name, candidate); };
  if (std::any_of(kWholeNames.begin(), kWholeNames.end(), equal)) return true;
  return std::any_of(extra_names_.begin(), extra_names_.end(), equal);
}

bool CredentialCleanup::Clean(json::value& payload) const {
  if (!enabled_) return false;
  return CleanValue(payload, 0);
}

bool CredentialCleanup::CleanValue(json::value& value, int depth) const {
  if (depth > kMaxDepth) return false;
  bool changed = false;
  if (auto* array = value.if_array()) {
    for (auto& item : *array) changed |= CleanValue(item, depth + 1);
    return changed;
  }
  auto* object = value.if_object();
  if (object == nullptr) return false;
  // Removal builds a new object: json::object::erase would reorder the members that stay.
  json::object kept(object->storage());
  for (auto& member : *object) {
    json::value& field = member.value();
    if (field.is_object() || field.is_array() || !IsCredentialName(member.key())) {
      changed |= CleanValue(field, depth + 1);
      if (mode_ == Mode::kRemove) kept.emplace(member.key(), std::move(field));
    } else {
      if (mode_ == Mode::kMask) field = kMask;
      changed = true;
    }
  }
  if (mode_ == Mode::kRemove) *object = std::move(kept);
  return changed;
}

bool CredentialCleanup::Clean(std::vector<Header>& headers) const {
  if (!enabled_) return false;
  const size_t before = headers.size();
  if (mode_ == Mode::kRemove) {
    std::erase_if(headers, [this](const Header& header) { return IsCredentialName(header.name); });
    return headers.size() != before;
  }
  bool changed = false;
  for (auto& header : headers) {
    if (IsCredentialName(header.name)) {
      header.value = std::string(kMask);
      changed = true;
    }
  }
  return changed;
}

}  // namespace wg
