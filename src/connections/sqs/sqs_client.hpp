// The shared client of an "aws_sqs" connection: the SigV4 client of connections/aws/ signing for
// "sqs". SQS is spoken over its query API (form-encoded POSTs, XML answers), which every SQS
// endpoint and the stand-ins understand.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "config/json_reader.hpp"
#include "connections/aws/aws_client.hpp"

namespace wg {

class SqsClient : public AwsClient {
 public:
  SqsClient(std::string name, AwsSettings settings)
      : AwsClient(std::move(name), "sqs", std::move(settings)) {}

  // Where the query API requests go: endpoint_url, else https://sqs.<region>.amazonaws.com/.
  std::string EndpointUrl() const;
};

// Reads `aws_access_key_id`, `aws_secret_access_key` (else AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY from the environment), `region_name` (us-east-1; the docs' `region` is
// accepted as an alias), `endpoint_url` (a stand-in or a VPC endpoint), `timeout` (seconds).
std::optional<AwsSettings> ParseSqsSettings(const boost::json::object& settings,
                                            const std::string& path, ConfigErrors& errors);

}  // namespace wg
