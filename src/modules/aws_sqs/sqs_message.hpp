// What the `aws_sqs` module sends for one delivery: its module-config, the message body and
// attributes, the query-API forms (SendMessage, GetQueueUrl, CreateQueue) and how an SQS answer
// becomes an Outcome. Pure functions, unit-tested.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/json_reader.hpp"
#include "modules/module.hpp"

namespace wg {

// SQS takes at most 10 message attributes per message.
inline constexpr size_t kSqsMaxAttributes = 10;
// Header values longer than this are not forwarded as attributes (the reference's rule).
inline constexpr size_t kSqsMaxAttributeValue = 256;

struct SqsQueueOptions {
  std::string queue_url;     // exactly one of queue_url and queue_name
  std::string queue_name;    // looked up with GetQueueUrl once, then cached
  bool create_queue = true;  // queue_name only: CreateQueue when GetQueueUrl says it does not exist
  bool fifo = false;         // the queue's name ends in ".fifo"
  std::string message_group_id;          // FIFO (required there); {webhook_id}, {delivery_id}
  std::string message_deduplication_id;  // FIFO only; default "{delivery_id}"
  std::optional<int> delay_seconds;      // 0..900; standard queues only
};

// Reads and validates module-config; every problem is reported with its JSON path. Without a
// custom endpoint a queue_url must be an AWS one (https://sqs.…amazonaws.com…).
std::optional<SqsQueueOptions> ParseSqsQueueOptions(const boost::json::object& config,
                                                    const std::string& path, bool custom_endpoint,
                                                    ConfigErrors& errors);

// True when `text` is UTF-8 made only of the characters SQS accepts in bodies and attribute
// values: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF.
bool IsSqsText(std::string_view text);

struct SqsAttribute {
  std::string name;
  std::string value;  // sent as DataType String
};

struct SqsMessage {
  std::string body;
  std::vector<SqsAttribute> attributes;
};

// The body is the compact JSON of the payload (json/form/text) or a blob's bytes. A body SQS
// would refuse (not UTF-8, or characters outside IsSqsText) is sent base64-encoded with the
// attribute webhook-body-encoding: base64.
//
// Attributes, at most 10, in this order: webhook-delivery-id, webhook-body-encoding (only when
// base64), then request headers by name (a-z; a repeated header: its first value), skipping
// values that are empty, longer than 256 bytes or not SQS text, names SQS refuses (other than
// A-Z a-z 0-9 _ - ., leading/trailing '.', "..", an "aws."/"amazon." prefix) and our own names.
SqsMessage BuildSqsMessage(const Delivery& delivery);

// {webhook_id} and {delivery_id} filled in.
std::string FillSqsTemplate(std::string_view pattern, const Delivery& delivery);

// Why a MessageGroupId / MessageDeduplicationId is not acceptable (1-128 of a-z A-Z 0-9 and
// ASCII punctuation), or empty.
std::string CheckSqsMessageId(std::string_view id);

// application/x-www-form-urlencoded query-API requests (Version 2012-11-05).
std::string SqsSendMessageForm(const SqsQueueOptions& options, std::string_view queue_url,
                               const SqsMessage& message, const Delivery& delivery);
std::string SqsGetQueueUrlForm(std::string_view queue_name);
std::string SqsCreateQueueForm(std::string_view queue_name, bool fifo);

// <Code> and <Message> of an SQS error answer, XML entities decoded (empty when absent).
std::pair<std::string, std::string> ParseSqsError(std::string_view xml);
// <QueueUrl> of a GetQueueUrl / CreateQueue answer, XML entities decoded (empty when absent).
std::string ParseSqsQueueUrl(std::string_view xml);

bool IsSqsNonExistentQueue(std::string_view code);

// Transfer errors, 5xx, 408, 429 and throttling codes -> retryable; other answers but 2xx ->
// permanent, with SQS's code and message. 2xx -> delivered (callers check the answer's content).
Outcome ClassifySqsAnswer(int curl_code, std::string_view curl_error, long status,
                          std::string_view body, std::string_view what);

// A SendMessage answer with 2xx: delivered when it carries a MessageId and its MD5OfMessageBody
// matches the body sent; else retryable (MD5 mismatch: damaged on the way) or permanent (no
// SendMessageResult: not an SQS endpoint).
Outcome CheckSqsSendAnswer(std::string_view xml, std::string_view body, std::string_view what);

// Lower-case hex MD5, as SQS's MD5OfMessageBody.
std::string Md5Hex(std::string_view data);

}  // namespace wg
