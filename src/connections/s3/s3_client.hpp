// The shared client of an "s3" connection: the SigV4 client of connections/aws/ signing for "s3",
// plus what only S3 needs (path-style addressing, object URLs).
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "config/json_reader.hpp"
#include "connections/aws/aws_client.hpp"

namespace wg {

struct S3Settings : AwsSettings {
  bool path_style = false;  // https://endpoint/bucket/key instead of https://bucket.endpoint/key
};

using S3Request = AwsRequest;
using S3Response = AwsResponse;

class S3Client : public AwsClient {
 public:
  S3Client(std::string name, S3Settings settings)
      : AwsClient(std::move(name), "s3", settings), s3_settings_(std::move(settings)) {}
  const S3Settings& settings() const { return s3_settings_; }

 private:
  S3Settings s3_settings_;
};

// Reads `aws_access_key_id`, `aws_secret_access_key` (else AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY from the environment), `region`, `endpoint_url`, `path_style`, `timeout`.
std::optional<S3Settings> ParseS3Settings(const boost::json::object& settings,
                                          const std::string& path, ConfigErrors& errors);

inline std::string S3UriEncode(std::string_view text, bool keep_slash) {
  return AwsUriEncode(text, keep_slash);
}

// The object's URL: path style (endpoint/bucket/key) or virtual-hosted (bucket.endpoint/key).
std::string S3ObjectUrl(const S3Settings& settings, std::string_view bucket, std::string_view key);

// CURLOPT_AWS_SIGV4's provider string: "aws:amz:<region>:s3".
inline std::string S3SigV4Provider(std::string_view region) {
  return AwsSigV4Provider(region, "s3");
}

}  // namespace wg
