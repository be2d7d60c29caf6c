#include "observability/logger.hpp"

#include "util/write_all.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>

namespace wg {
namespace {

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

std::string Timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t seconds = system_clock::to_time_t(now);
  auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

// Text values with spaces, quotes or control characters are quoted and escaped so that a
// value can never forge another field or another line.
void AppendTextValue(std::string& out, std::string_view value) {
  bool plain = !value.empty();
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out.append(value);
    return;
  }
  out.push_back('"');
  AppendJsonEscaped(out, value);
  out.push_back('"');
}

}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel& level) {
  if (text == "debug") level = LogLevel::kDebug;
  else if (text == "info") level = LogLevel::kInfo;
  else if (text == "warn" || text == "warning") level = LogLevel::kWarn;
  else if (text == "error") level = LogLevel::kError;
  else return false;
  return true;
}

void AppendJsonEscaped(std::string& out, std::string_view text) {
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out.push_back(ch);
        }
    }
  }
}

void Logger::WriteLine(int fd, std::string line) {
  line.push_back('\n');
  WriteAll(fd, line.data(), line.size());  // nowhere left to report a failing log stream
}

void Logger::Log(LogLevel level, std::string_view message, const std::vector<LogField>& fields) {
  if (!Enabled(level)) return;
  std::string line;
  line.reserve(128);
  if (format_ == LogFormat::kJson) {
    line += "{\"ts\":\"" + Timestamp() + "\",\"level\":\"";
    line += LevelName(level);
    line += "\",\"msg\":\"";
    AppendJsonEscaped(line, message);
    line += '"';
    for (const auto& field : fields) {
      line += ",\"";
      AppendJsonEscaped(line, field.key);
      line += "\":\"";
      AppendJsonEscaped(line, field.value);
      line += '"';
    }
    line += '}';
  } else {
    line += Timestamp();
    line += ' ';
    line += LevelName(level);
    line += ' ';
    std::string escaped;
    AppendJsonEscaped(escaped, message);
    line += escaped;
    for (const auto& field : fields) {
      line += ' ';
      line += field.key;
      line += '=';
      AppendTextValue(line, field.value);
    }
  }
  WriteLine(fd_, std::move(line));
}

}  // namespace wg
