#include "modules/save_to_disk/save_to_disk_module.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "config/json_reader.hpp"
#include "modules/run_blocking.hpp"
#include "util/write_all.hpp"

namespace wg {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

// System directories a webhook must never write into (as the Python project).
constexpr std::array<std::string_view, 16> kForbiddenRoots = {
    "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/sys", "/proc", "/dev", "/boot",
    "/var/log", "/var/db", "/var/run", "/var/cache", "/var/spool", "/var/mail"};

bool IsWithin(const fs::path& child, const fs::path& parent) {
  auto c = child.begin();
  for (auto p = parent.begin(); p != parent.end(); ++p, ++c) {
    if (p->empty()) continue;  // trailing separator
    if (c == child.end() || *c != *p) return false;
  }
  return true;
}

std::string Base64(std::string_view data) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8) |
                 static_cast<uint8_t>(data[i + 2]);
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += kTable[(n >> 6) & 63];
    out += kTable[n & 63];
  }
  if (i < data.size()) {
    uint32_t n = static_cast<uint8_t>(data[i]) << 16;
    if (i + 1 < data.size()) n |= static_cast<uint8_t>(data[i + 1]) << 8;
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += i + 1 < data.size() ? kTable[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// errno values an operator can fix without touching the webhook: worth retrying.
Outcome FromErrno(int error, std::string_view what, const fs::path& file) {
  std::string message = fmt::format("{} {}: {}", what, file.string(), std::strerror(error));
  switch (error) {
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EAGAIN:
    case EINTR:
    case EMFILE:
    case ENFILE:
    case ENOENT:
      return Outcome::Retryable(std::move(message));
    default:
      return Outcome::Permanent(std::move(message));
  }
}

class SaveToDiskModule final : public Module {
 public:
  SaveToDiskModule(fs::path directory, bool include_headers, bool sync,
                   boost::asio::thread_pool* pool)
      : directory_(std::move(directory)), include_headers_(include_headers), sync_(sync),
        pool_(pool) {}

  boost::asio::awaitable<Outcome> Deliver(std::shared_ptr<const Delivery> delivery) override {
    auto writing = RunBlocking(*pool_, [this, delivery] { return Write(*delivery); });
    co_return co_await std::move(writing);
  }

 private:
  std::pair<std::string, std::string_view> Render(const Delivery& delivery) const {
    if (include_headers_) {
      json::object headers;
      for (const auto& header : delivery.headers) {
        auto* existing = headers.if_contains(header.name);
        if (existing != nullptr && existing->is_string()) {
          existing->get_string() = json::string(std::string(existing->get_string()) + ", " +
                                                header.value);
        } else {
          headers[header.name] = header.value;
        }
      }
      json::object document;
      document["id"] = delivery.id;
      document["webhook_id"] = delivery.webhook_id;
      if (delivery.data_type == DataType::kBlob) {
        document["payload_base64"] = Base64(delivery.body);
      } else {
        document["payload"] = delivery.payload;
      }
      document["headers"] = std::move(headers);
      return {json::serialize(document), ".json"};
    }
    switch (delivery.data_type) {
      case DataType::kBlob: return {delivery.body, ".bin"};
      case DataType::kText: return {delivery.body, ".txt"};
      default: return {json::serialize(delivery.payload), ".json"};
    }
  }

  Outcome Write(const Delivery& delivery) const {
    auto [content, extension] = Render(delivery);
    fs::path target = directory_ / (delivery.id + std::string(extension));
    fs::path temporary = directory_ / ("." + delivery.id + ".tmp");
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == ENOENT) {
      std::error_code ec;
      fs::create_directories(directory_, ec);
      if (!ec) ::chmod(directory_.c_str(), 0700);
      fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    }
    if (fd < 0) return FromErrno(errno, "cannot create", temporary);
    if (int error = WriteAll(fd, content.data(), content.size()); error != 0) {
      ::close(fd);
      ::unlink(temporary.c_str());
      return FromErrno(error, "cannot write", temporary);
    }
    if (sync_ && ::fsync(fd) != 0) {
      int error = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      return FromErrno(error, "cannot fsync", temporary);
    }
    ::close(fd);
    if (::rename(temporary.c_str(), target.c_str()) != 0) {
      int error = errno;
      ::unlink(temporary.c_str());
      return FromErrno(error, "cannot rename to", target);
    }
    return Outcome::Delivered();
  }

  fs::path directory_;
  bool include_headers_;
  bool sync_;
  boost::asio::thread_pool* pool_;
};

}  // namespace

std::unique_ptr<Module> CreateSaveToDiskModule(const ModuleSettings& settings,
                                               const ModuleContext& context, ConfigErrors& errors) {
  ObjectReader reader(settings.config, settings.path, errors);
  std::string base = reader.StringOr("base_dir", context.working_directory);
  std::string sub = reader.StringOr("path", ".");
  bool include_headers = reader.Bool("include_headers", false);
  bool sync = reader.Bool("fsync", false);
  reader.RejectUnknownKeys("save_to_disk module-config");

  size_t before = errors.size();
  if (base.empty()) base = context.working_directory;
  if (base.find('\0') != std::string::npos) errors.Add(reader.PathOf("base_dir"), "contains NUL");
  if (sub.find('\0') != std::string::npos) errors.Add(reader.PathOf("path"), "contains NUL");
  for (const auto& part : fs::path(sub)) {
    if (part == "..") {
      errors.Add(reader.PathOf("path"), "must not contain \"..\"");
      break;
    }
  }
  if (errors.size() != before) return nullptr;

  std::error_code ec;
  fs::path base_dir = fs::weakly_canonical(fs::absolute(base), ec);
  if (ec) {
    errors.Add(reader.PathOf("base_dir"), fmt::format("cannot resolve \"{}\": {}", base, ec.message()));
    return nullptr;
  }
  for (auto root : kForbiddenRoots) {
    if (IsWithin(base_dir, fs::path(root))) {
      errors.Add(reader.PathOf("base_dir"),
                 fmt::format("\"{}\" is inside the system directory {}", base_dir.string(), root));
      return nullptr;
    }
  }
  if (base_dir == "/") {
    errors.Add(reader.PathOf("base_dir"), "must not be the root directory");
    return nullptr;
  }
  fs::path directory = fs::weakly_canonical(base_dir / sub, ec);
  if (ec || !IsWithin(directory, base_dir)) {
    errors.Add(reader.PathOf("path"),
               fmt::format("\"{}\" resolves outside base_dir \"{}\"", sub, base_dir.string()));
    return nullptr;
  }
  return std::make_unique<SaveToDiskModule>(directory, include_headers, sync,
                                            context.blocking_pool);
}

}  // namespace wg
