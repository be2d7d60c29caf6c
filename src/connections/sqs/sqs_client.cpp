#include "connections/sqs/sqs_client.hpp"

#include <fmt/format.h>

namespace wg {

std::string SqsClient::EndpointUrl() const {
  const AwsSettings& settings = aws_settings();
  if (!settings.endpoint_url.empty()) return settings.endpoint_url + "/";
  return fmt::format("https://sqs.{}.amazonaws.com/", settings.region);
}

std::optional<AwsSettings> ParseSqsSettings(const boost::json::object& settings,
                                            const std::string& path, ConfigErrors& errors) {
  ObjectReader reader(settings, path, errors);
  size_t before = errors.size();
  // The reference reads `region_name`; its docs say `region`. Both work, one at a time.
  bool alias = reader.Has("region") && !reader.Has("region_name");
  if (reader.Has("region") && reader.Has("region_name")) {
    errors.Add(reader.PathOf("region"), "give region_name or its alias region, not both");
    reader.Allow({"region"});
  }
  AwsSettings out;
  bool valid = ReadAwsSettings(reader, alias ? "region" : "region_name", out);
  reader.Allow({"type"});
  reader.RejectUnknownKeys("aws_sqs connection");
  if (!valid || errors.size() != before) return std::nullopt;
  return out;
}

}  // namespace wg
