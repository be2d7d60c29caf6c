#include "connections/s3/s3_client.hpp"

#include <fmt/format.h>

namespace wg {

std::optional<S3Settings> ParseS3Settings(const boost::json::object& settings,
                                          const std::string& path, ConfigErrors& errors) {
  ObjectReader reader(settings, path, errors);
  S3Settings out;
  bool valid = ReadAwsSettings(reader, "region", out);
  out.path_style = reader.Bool("path_style", !out.endpoint_url.empty());
  reader.Allow({"type"});
  size_t before = errors.size();
  reader.RejectUnknownKeys("s3 connection");
  if (!valid || errors.size() != before) return std::nullopt;
  return out;
}

std::string S3ObjectUrl(const S3Settings& settings, std::string_view bucket, std::string_view key) {
  std::string base = settings.endpoint_url;
  if (base.empty()) base = fmt::format("https://s3.{}.amazonaws.com", settings.region);
  std::string encoded_key = S3UriEncode(key, true);
  if (settings.path_style) return fmt::format("{}/{}/{}", base, bucket, encoded_key);
  auto scheme_end = base.find("://");
  return fmt::format("{}{}.{}/{}", base.substr(0, scheme_end + 3), bucket,
                     base.substr(scheme_end + 3), encoded_key);
}

}  // namespace wg
