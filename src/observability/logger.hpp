// Structured log lines: text ("2026-11-29T06:48:14.123Z info webhook=orders delivery=... msg")
// or JSON lines. One write(2) per line so lines from several threads never interleave.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wg {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kText, kJson };

bool ParseLogLevel(std::string_view text, LogLevel& level);

// A key/value pair attached to a log line; values are written escaped, never interpreted.
struct LogField {
  std::string_view key;
  std::string value;
};

class Logger {
 public:
  Logger(LogLevel level, LogFormat format, int fd = 2) : level_(level), format_(format), fd_(fd) {}

  bool Enabled(LogLevel level) const { return level >= level_.load(std::memory_order_relaxed); }
  void SetLevel(LogLevel level) { level_.store(level, std::memory_order_relaxed); }

  void Log(LogLevel level, std::string_view message, const std::vector<LogField>& fields = {});
  void Debug(std::string_view m, const std::vector<LogField>& f = {}) { Log(LogLevel::kDebug, m, f); }
  void Info(std::string_view m, const std::vector<LogField>& f = {}) { Log(LogLevel::kInfo, m, f); }
  void Warn(std::string_view m, const std::vector<LogField>& f = {}) { Log(LogLevel::kWarn, m, f); }
  void Error(std::string_view m, const std::vector<LogField>& f = {}) { Log(LogLevel::kError, m, f); }

  // Writes an already formatted line as is (the log module's output goes to stdout through this).
  static void WriteLine(int fd, std::string line);

 private:
  std::atomic<LogLevel> level_;
  LogFormat format_;
  int fd_;
};

// JSON string escaping shared by the logger and the log module.
void AppendJsonEscaped(std::string& out, std::string_view text);

}  // namespace wg
