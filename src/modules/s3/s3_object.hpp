// What the `s3` module uploads for one delivery: its module-config, the object key, body and
// metadata, and how an S3 answer becomes an Outcome. Pure functions, unit-tested.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/json_reader.hpp"
#include "modules/module.hpp"

namespace wg {

struct S3ObjectOptions {
  std::string bucket;
  std::string prefix = "webhooks";
  std::string filename_pattern = "webhook_{uuid}.json";
  std::string content_type = "application/json";
  bool include_headers = false;
};

// Reads and validates module-config; every problem is reported with its JSON path.
std::optional<S3ObjectOptions> ParseS3ObjectOptions(const boost::json::object& config,
                                                    const std::string& path, ConfigErrors& errors);

// "2026-01-02T03-04-05.123456" (UTC; ':' replaced by '-', as the Python project's {timestamp}).
std::string S3KeyTimestamp(std::chrono::system_clock::time_point when);

// <prefix>/<YYYY>/<MM>/<DD>/<HH>/<filename> (UTC), placeholders {uuid}, {timestamp},
// {delivery_id}, {webhook_id} filled in.
std::string BuildS3ObjectKey(const S3ObjectOptions& options, const Delivery& delivery,
                             std::string_view uuid, std::chrono::system_clock::time_point when);

// The request headers as user metadata: ("x-amz-meta-<name lower-cased, '-' -> '_'>", value).
// Values longer than 1024 characters or with anything but printable ASCII are dropped, whitespace
// runs are collapsed (so the signed value is the value sent), and the total stays within S3's
// 2 KB limit for user metadata.
std::vector<std::pair<std::string, std::string>> S3MetadataHeaders(
    const std::vector<Header>& headers);

// The object body: compact JSON of the payload for json/form/text, the raw bytes for blob.
std::string S3ObjectBody(const Delivery& delivery);

// <Code> and <Message> of an S3 XML error document (empty when absent).
std::pair<std::string, std::string> ParseS3Error(std::string_view xml);

// 2xx -> delivered; refused connection, timeouts, 5xx, 429, 503 SlowDown -> retryable;
// 400, 403, 404 (NoSuchBucket) and other 4xx -> permanent, with S3's code and message.
Outcome ClassifyS3Answer(int curl_code, std::string_view curl_error, long status,
                         std::string_view body, std::string_view what);

}  // namespace wg
