#include "modules/s3/s3_object.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

#include "config/names.hpp"
#include "connections/aws/aws_client.hpp"

namespace wg {
namespace {

constexpr std::array<std::string_view, 4> kPlaceholders = {"{uuid}", "{timestamp}",
                                                           "{delivery_id}", "{webhook_id}"};
constexpr size_t kMaxMetadataValue = 1024;
constexpr size_t kMaxMetadataTotal = 2048;  // S3's limit for user-defined metadata

std::tm UtcTm(std::chrono::system_clock::time_point when) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm;
}

// Why a prefix is refused, or empty.
std::string CheckPrefix(std::string_view prefix) {
  if (prefix.empty()) return "must not be empty";
  if (prefix.size() > 255) return "must be at most 255 characters";
  if (!IsNameOf(prefix, "_-/", 255)) return "may contain only A-Z a-z 0-9 _ - /";
  if (prefix.find("..") != std::string_view::npos) return "must not contain \"..\"";
  if (prefix.find("//") != std::string_view::npos) return "must not contain \"//\"";
  if (prefix.front() == '/' || prefix.back() == '/') return "must not start or end with \"/\"";
  return {};
}

std::string CheckFilenamePattern(std::string_view pattern) {
  if (pattern.empty()) return "must not be empty";
  if (pattern.size() > 255) return "must be at most 255 characters";
  std::string rest;
  for (size_t i = 0; i < pattern.size();) {
    if (pattern[i] == '{') {
      auto close = pattern.find('}', i);
      std::string_view placeholder =
          pattern.substr(i, close == std::string_view::npos ? std::string_view::npos : close - i + 1);
      if (std::find(kPlaceholders.begin(), kPlaceholders.end(), placeholder) ==
          kPlaceholders.end()) {
        return fmt::format("unknown placeholder \"{}\"; known: {{uuid}}, {{timestamp}}, "
                           "{{delivery_id}}, {{webhook_id}}", placeholder);
      }
      i += placeholder.size();
      continue;
    }
    rest += pattern[i++];
  }
  if (!rest.empty() && !IsNameOf(rest, "_-.", 255)) {
    return "may contain only A-Z a-z 0-9 _ - . and the placeholders {uuid}, {timestamp}, "
           "{delivery_id}, {webhook_id}";
  }
  if (pattern.find("..") != std::string_view::npos) return "must not contain \"..\"";
  return {};
}

// S3 bucket naming rules (the common subset): 3-63 of a-z 0-9 . -, alphanumeric at both ends.
bool IsBucketName(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return alnum(bucket.front()) && alnum(bucket.back()) && bucket.find("..") == std::string::npos;
}

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

std::optional<S3ObjectOptions> ParseS3ObjectOptions(const boost::json::object& config,
                                                    const std::string& path, ConfigErrors& errors) {
  ObjectReader reader(config, path, errors);
  size_t before = errors.size();
  S3ObjectOptions options;
  auto bucket = reader.String("bucket", true);
  options.prefix = reader.StringOr("prefix", options.prefix);
  options.filename_pattern = reader.StringOr("filename_pattern", options.filename_pattern);
  options.content_type = reader.StringOr("content_type", options.content_type);
  options.include_headers = reader.Bool("include_headers", false);
  reader.RejectUnknownKeys("s3 module-config");

  if (bucket) {
    options.bucket = *bucket;
    if (!IsBucketName(options.bucket)) {
      errors.Add(reader.PathOf("bucket"),
                 "must be 3 to 63 of a-z 0-9 . -, starting and ending with a letter or digit");
    }
  }
  if (auto problem = CheckPrefix(options.prefix); !problem.empty()) {
    errors.Add(reader.PathOf("prefix"), problem);
  }
  if (auto problem = CheckFilenamePattern(options.filename_pattern); !problem.empty()) {
    errors.Add(reader.PathOf("filename_pattern"), problem);
  }
  bool printable = !options.content_type.empty() && options.content_type.size() <= 255 &&
                   std::all_of(options.content_type.begin(), options.content_type.end(),
                               [](char c) { return c >= 0x20 && c < 0x7f; });
  if (!printable) {
    errors.Add(reader.PathOf("content_type"), "must be 1 to 255 printable ASCII characters");
  }
  if (errors.size() != before) return std::nullopt;
  return options;
}

std::string S3KeyTimestamp(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  std::tm tm = UtcTm(when);
  auto micros = duration_cast<microseconds>(when.time_since_epoch()).count() % 1000000;
  if (micros < 0) micros += 1000000;
  return fmt::format("{:04}-{:02}-{:02}T{:02}-{:02}-{:02}.{:06}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
}

std::string BuildS3ObjectKey(const S3ObjectOptions& options, const Delivery& delivery,
                             std::string_view uuid, std::chrono::system_clock::time_point when) {
  std::string filename = options.filename_pattern;
  ReplaceAll(filename, "{uuid}", uuid);
  ReplaceAll(filename, "{timestamp}", S3KeyTimestamp(when));
  ReplaceAll(filename, "{delivery_id}", delivery.id);
  ReplaceAll(filename, "{webhook_id}", delivery.webhook_id);
  std::tm tm = UtcTm(when);
  return fmt::format("{}/{:04}/{:02}/{:02}/{:02}/{}", options.prefix, tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, filename);
}

std::vector<std::pair<std::string, std::string>> S3MetadataHeaders(
    const std::vector<Header>& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t total = 0;
  for (const auto& header : headers) {
    std::string name;
    bool valid_name = !header.name.empty();
    for (char c : header.name) {
      char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == '-') lower = '_';
      if (!std::isalnum(static_cast<unsigned char>(lower)) && lower != '_' && lower != '.') {
        valid_name = false;
      }
      name += lower;
    }
    if (!valid_name) continue;
    // Collapse whitespace runs and trim, as SigV4 canonicalises header values: then the value
    // signed is byte for byte the value sent.
    std::string value;
    bool printable = true;
    for (char c : header.value) {
      if (c == '\t') c = ' ';
      if (c < 0x20 || c > 0x7e) {
        printable = false;
        break;
      }
      if (c == ' ' && (value.empty() || value.back() == ' ')) continue;
      value += c;
    }
    while (!value.empty() && value.back() == ' ') value.pop_back();
    if (!printable || value.empty() || value.size() > kMaxMetadataValue) continue;
    bool duplicate = std::any_of(out.begin(), out.end(),
                                 [&](const auto& entry) { return entry.first == "x-amz-meta-" + name; });
    if (duplicate) continue;  // the first occurrence wins
    if (total + name.size() + value.size() > kMaxMetadataTotal) continue;
    total += name.size() + value.size();
    out.emplace_back("x-amz-meta-" + name, std::move(value));
  }
  return out;
}

std::string S3ObjectBody(const Delivery& delivery) {
  if (delivery.data_type == DataType::kBlob) return delivery.body;
  return boost::json::serialize(delivery.payload);
}

std::pair<std::string, std::string> ParseS3Error(std::string_view xml) {
  return {std::string(XmlElement(xml, "Code")), std::string(XmlElement(xml, "Message"))};
}

Outcome ClassifyS3Answer(int curl_code, std::string_view curl_error, long status,
                         std::string_view body, std::string_view what) {
  if (curl_code != 0) {
    // Refused connections, timeouts, resets, DNS: the server may be back on the next attempt.
    return Outcome::Retryable(fmt::format("{}: {}", what, curl_error));
  }
  if (status >= 200 && status < 300) return Outcome::Delivered();
  auto [code, message] = ParseS3Error(body);
  std::string detail = code.empty() ? fmt::format("HTTP {}", status)
                                    : fmt::format("HTTP {} {}: {}", status, code, message);
  if (status >= 500 || status == 429 || status == 408 || code == "SlowDown" ||
      code == "RequestTimeout") {
    return Outcome::Retryable(fmt::format("{}: {}", what, detail));
  }
  return Outcome::Permanent(fmt::format("{}: {}", what, detail));
}

}  // namespace wg
