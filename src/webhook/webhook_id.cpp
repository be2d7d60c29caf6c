#include "webhook/webhook_id.hpp"

#include <fmt/format.h>

#include <array>

#include "util/ascii.hpp"

namespace wg {
namespace {

constexpr size_t kMaxIdLength = 64;
constexpr std::array<std::string_view, 12> kReserved = {
    "stats", "health", "docs", "openapi.json", "redoc", "api",
    "admin", "root", "system", "internal", "favicon.ico", "robots.txt"};
constexpr std::array<std::string_view, 5> kReservedPrefixes = {"__", "_", "internal_", "system_",
                                                               "admin_"};
constexpr std::array<std::string_view, 3> kReservedSuffixes = {"_internal", "_system", "_admin"};

// ASCII only, as std::isalnum and std::isspace are in the C locale the gateway runs in; written
// out because this runs for every request.
bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<std::string> ValidateWebhookId(std::string_view raw) {
  std::string_view id = Trim(raw);
  if (id.empty()) return "Webhook ID cannot be empty";
  if (id.size() > kMaxIdLength) {
    return fmt::format("Webhook ID too long: {} characters (max: {})", id.size(), kMaxIdLength);
  }
  std::array<char, kMaxIdLength> lowered{};  // on the stack: no allocation for a valid id
  for (size_t i = 0; i < id.size(); ++i) lowered[i] = AsciiLower(id[i]);
  const std::string_view lower(lowered.data(), id.size());
  for (auto reserved : kReserved) {
    if (lower == reserved) {
      return fmt::format("Webhook ID '{}' is reserved and cannot be used", id);
    }
  }
  bool format_ok = IsAlnum(id.front());
  for (char c : id) format_ok = format_ok && (IsAlnum(c) || c == '_' || c == '-');
  if (!format_ok) {
    return std::string(
        "Invalid webhook ID format. Must start with alphanumeric and contain only alphanumeric, "
        "underscore, and hyphen characters");
  }
  for (auto prefix : kReservedPrefixes) {
    if (lower.starts_with(prefix)) {
      return fmt::format("Webhook ID cannot start with reserved prefix '{}'", prefix);
    }
  }
  for (auto suffix : kReservedSuffixes) {
    if (lower.ends_with(suffix)) {
      return fmt::format("Webhook ID cannot end with reserved suffix '{}'", suffix);
    }
  }
  if (id.find("--") != std::string_view::npos || id.find("__") != std::string_view::npos) {
    return std::string("Webhook ID cannot contain consecutive underscores or hyphens");
  }
  return std::nullopt;
}

bool IsValidNamespace(std::string_view ns) {
  if (ns.empty() || ns.size() > 64) return false;
  for (char c : ns) {
    if (!IsAlnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace wg
