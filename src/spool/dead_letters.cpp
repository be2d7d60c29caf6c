#include "spool/dead_letters.hpp"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/base64.hpp"
#include "util/utf8.hpp"
#include "util/write_all.hpp"
#include "webhook/payload.hpp"

namespace wg {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

const json::string* StringAt(const json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  return value ? value->if_string() : nullptr;
}

int64_t IntAt(const json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  if (value && value->is_int64()) return value->as_int64();
  if (value && value->is_uint64()) return static_cast<int64_t>(value->as_uint64());
  return 0;
}

}  // namespace

int64_t ToMicros(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

std::string FormatMicros(int64_t micros) {
  std::chrono::sys_time<std::chrono::milliseconds> time{std::chrono::milliseconds(micros / 1000)};
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", time);
}

json::object DeadLetter::ToJson() const {
  json::object out;
  out["id"] = delivery_id;
  out["webhook_id"] = webhook_id;
  out["received_at"] = FormatMicros(received_at_us);
  out["received_at_us"] = received_at_us;
  out["dead_lettered_at"] = FormatMicros(dead_lettered_at_us);
  out["dead_lettered_at_us"] = dead_lettered_at_us;
  out["chain_fingerprint"] = fmt::format("{:016x}", chain_fingerprint);
  json::array header_list;
  for (const auto& header : headers) header_list.push_back(json::array{header.name, header.value});
  out["headers"] = std::move(header_list);
  if (IsValidUtf8(body)) {
    out["body"] = body;
  } else {
    out["body_base64"] = EncodeBase64(body);
  }
  json::array item_list;
  for (const auto& item : items) {
    json::object entry;
    entry["index"] = item.index;
    entry["module"] = item.module;
    entry["status"] = item.status;
    entry["attempts"] = item.attempts;
    entry["error"] = item.error;
    json::array history;
    for (const auto& failure : item.failures) {
      history.push_back(json::object{{"attempt", failure.attempt},
                                     {"at", FormatMicros(ToMicros(failure.at))},
                                     {"at_us", ToMicros(failure.at)},
                                     {"error", failure.message}});
    }
    entry["errors"] = std::move(history);
    item_list.push_back(std::move(entry));
  }
  out["items"] = std::move(item_list);
  return out;
}

std::optional<DeadLetter> DeadLetter::FromJson(const json::value& value) {
  const json::object* object = value.if_object();
  if (!object) return std::nullopt;
  DeadLetter letter;
  auto* id = StringAt(*object, "id");
  auto* webhook = StringAt(*object, "webhook_id");
  if (!id || !webhook) return std::nullopt;
  letter.delivery_id = std::string(*id);
  letter.webhook_id = std::string(*webhook);
  letter.received_at_us = IntAt(*object, "received_at_us");
  letter.dead_lettered_at_us = IntAt(*object, "dead_lettered_at_us");
  if (auto* fingerprint = StringAt(*object, "chain_fingerprint")) {
    letter.chain_fingerprint = std::strtoull(fingerprint->c_str(), nullptr, 16);
  }
  if (auto* list = object->if_contains("headers"); list && list->is_array()) {
    for (const auto& pair : list->as_array()) {
      const json::array* entry = pair.if_array();
      if (!entry || entry->size() != 2 || !(*entry)[0].is_string() || !(*entry)[1].is_string()) {
        return std::nullopt;
      }
      letter.headers.push_back({std::string((*entry)[0].as_string()),
                                std::string((*entry)[1].as_string())});
    }
  }
  if (auto* body = StringAt(*object, "body")) {
    letter.body = std::string(*body);
  } else if (auto* encoded = StringAt(*object, "body_base64")) {
    auto decoded = encoded->empty() ? std::optional<std::string>("") : DecodeBase64(*encoded);
    if (!decoded) return std::nullopt;
    letter.body = std::move(*decoded);
  }
  if (auto* list = object->if_contains("items"); list && list->is_array()) {
    for (const auto& entry_value : list->as_array()) {
      const json::object* entry = entry_value.if_object();
      if (!entry) return std::nullopt;
      DeadItem item;
      item.index = static_cast<uint16_t>(IntAt(*entry, "index"));
      if (auto* module = StringAt(*entry, "module")) item.module = std::string(*module);
      if (auto* status = StringAt(*entry, "status")) item.status = std::string(*status);
      if (auto* error = StringAt(*entry, "error")) item.error = std::string(*error);
      item.attempts = static_cast<int>(IntAt(*entry, "attempts"));
      if (auto* history = entry->if_contains("errors"); history && history->is_array()) {
        for (const auto& failure_value : history->as_array()) {
          const json::object* failure = failure_value.if_object();
          if (!failure) continue;
          AttemptFailure parsed;
          parsed.attempt = static_cast<int>(IntAt(*failure, "attempt"));
          parsed.at = std::chrono::system_clock::time_point(
              std::chrono::microseconds(IntAt(*failure, "at_us")));
          if (auto* message = StringAt(*failure, "error")) parsed.message = std::string(*message);
          item.failures.push_back(std::move(parsed));
        }
      }
      letter.items.push_back(std::move(item));
    }
  }
  return letter;
}

uint32_t DeadLetter::ItemMask() const {
  uint32_t mask = 0;
  for (const auto& item : items) {
    if (item.index < 32) mask |= uint32_t{1} << item.index;
  }
  return mask;
}

DeadLetterStore::DeadLetterStore(fs::path directory) : directory_(std::move(directory)) {}

std::optional<std::string> DeadLetterStore::Prepare() {
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) return fmt::format("dead-letter directory {}: {}", directory_.string(), ec.message());
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(directory_, ec)) {
    count += entry.path().filename().string().ends_with(".json") ? 1 : 0;
  }
  if (ec) return fmt::format("dead-letter directory {}: {}", directory_.string(), ec.message());
  count_.store(count, std::memory_order_relaxed);
  return std::nullopt;
}

bool DeadLetterStore::IsValidId(std::string_view delivery_id) {
  if (delivery_id.size() != 36) return false;
  for (size_t i = 0; i < delivery_id.size(); ++i) {
    char c = delivery_id[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

fs::path DeadLetterStore::PathOf(const std::string& delivery_id) const {
  return directory_ / (delivery_id + ".json");
}

std::optional<std::string> DeadLetterStore::Put(const DeadLetter& letter) {
  if (!IsValidId(letter.delivery_id)) return "invalid delivery id";
  std::string text = json::serialize(letter.ToJson());
  text.push_back('\n');
  fs::path path = PathOf(letter.delivery_id);
  fs::path temp = path;
  temp += ".tmp";
  std::lock_guard lock(mutex_);
  const bool replaces = ::access(path.c_str(), F_OK) == 0;  // a replay that failed again
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fmt::format("cannot create {}: {}", temp.string(), std::strerror(errno));
  int error = WriteAll(fd, text.data(), text.size());
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  ::close(fd);
  if (error != 0 || ::rename(temp.c_str(), path.c_str()) != 0) {
    if (error == 0) error = errno;
    ::unlink(temp.c_str());
    return fmt::format("cannot write {}: {}", path.string(), std::strerror(error));
  }
  int dir = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  if (!replaces) count_.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

std::optional<DeadLetter> DeadLetterStore::Get(const std::string& delivery_id) const {
  if (!IsValidId(delivery_id)) return std::nullopt;
  std::ifstream file(PathOf(delivery_id), std::ios::binary);
  if (!file) return std::nullopt;
  std::stringstream text;
  text << file.rdbuf();
  boost::system::error_code ec;
  json::value value = json::parse(text.str(), ec);
  if (ec) return std::nullopt;
  return DeadLetter::FromJson(value);
}

bool DeadLetterStore::Remove(const std::string& delivery_id) {
  if (!IsValidId(delivery_id)) return false;
  std::lock_guard lock(mutex_);
  if (::unlink(PathOf(delivery_id).c_str()) != 0) return false;
  count_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

std::vector<DeadLetter> DeadLetterStore::List(const DeadLetterFilter& filter) const {
  std::vector<DeadLetter> letters;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory_, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(".json")) continue;
    auto letter = Get(name.substr(0, name.size() - 5));
    if (!letter) continue;
    if (filter.webhook_id && letter->webhook_id != *filter.webhook_id) continue;
    if (filter.since_us && letter->dead_lettered_at_us < *filter.since_us) continue;
    if (filter.until_us && letter->dead_lettered_at_us >= *filter.until_us) continue;
    if (filter.module &&
        std::none_of(letter->items.begin(), letter->items.end(),
                     [&](const DeadItem& item) { return item.module == *filter.module; })) {
      continue;
    }
    letters.push_back(std::move(*letter));
  }
  std::sort(letters.begin(), letters.end(), [](const DeadLetter& a, const DeadLetter& b) {
    return a.dead_lettered_at_us != b.dead_lettered_at_us
               ? a.dead_lettered_at_us < b.dead_lettered_at_us
               : a.delivery_id < b.delivery_id;
  });
  if (letters.size() > filter.limit) letters.resize(filter.limit);
  return letters;
}

}  // namespace wg
