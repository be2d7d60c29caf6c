// `aws_sqs`: sends each webhook as one SQS message (SendMessage over the query API, SigV4 for
// "sqs") through the shared client of an `aws_sqs` connection: AWS itself, or a stand-in / VPC
// endpoint given as the connection's `endpoint_url`. Body and attributes: sqs_message.hpp.
// With `queue_name` the queue URL is looked up once (GetQueueUrl) and cached; a queue that does
// not exist is created (CreateQueue) unless `create_queue` is false, and a cached URL whose queue
// has gone is looked up again.
#pragma once

#include <memory>

#include "modules/module.hpp"

namespace wg {

std::unique_ptr<Module> CreateAwsSqsModule(const ModuleSettings& settings,
                                           const ModuleContext& context, ConfigErrors& errors);

}  // namespace wg
