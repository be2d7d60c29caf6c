#include "modules/aws_sqs/sqs_message.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>

#include "auth/crypto.hpp"
#include "connections/aws/aws_client.hpp"
#include "util/base64.hpp"
#include "util/utf8.hpp"

namespace wg {
namespace {

constexpr std::string_view kDeliveryIdAttribute = "webhook-delivery-id";
constexpr std::string_view kBodyEncodingAttribute = "webhook-body-encoding";

bool IsQueueNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// The reference's queue name rule (^[a-zA-Z0-9_-]+$, no "--" or "__", at most 80 characters),
// plus the ".fifo" suffix SQS requires of FIFO queues.
std::string CheckQueueName(std::string_view name) {
  std::string_view base = EndsWith(name, ".fifo") ? name.substr(0, name.size() - 5) : name;
  if (base.empty() || name.size() > 80 || !std::all_of(base.begin(), base.end(), IsQueueNameChar)) {
    return "must be 1 to 80 of a-z A-Z 0-9 _ - (FIFO queues: ending in .fifo)";
  }
  if (base.find("--") != std::string_view::npos || base.find("__") != std::string_view::npos) {
    return "must not contain \"--\" or \"__\"";
  }
  return {};
}

std::string CheckQueueUrl(std::string_view url, bool custom_endpoint) {
  if (url.size() > 1024) return "must be at most 1024 characters";
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") ||
      parsed->host().empty() || parsed->has_query() || parsed->has_fragment() ||
      parsed->has_userinfo()) {
    return "must be an http(s) queue URL without query, e.g. "
           "https://sqs.us-east-1.amazonaws.com/123456789012/orders";
  }
  // Only the endpoint is ever contacted (the URL is a parameter of the request), so with a custom
  // endpoint (a stand-in, a VPC endpoint) its queue URLs are taken as they are.
  if (!custom_endpoint &&
      (url.rfind("https://sqs.", 0) != 0 || url.find("amazonaws.com") == std::string_view::npos)) {
    return "must start with https://sqs. and contain amazonaws.com (or set the connection's "
           "endpoint_url)";
  }
  return {};
}

bool IsAttributeNameChar(char c) { return IsQueueNameChar(c) || c == '.'; }

bool HasPrefixIgnoringCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

bool IsSqsAttributeName(std::string_view name) {
  return !name.empty() && name.size() <= 256 &&
         std::all_of(name.begin(), name.end(), IsAttributeNameChar) && name.front() != '.' &&
         name.back() != '.' && name.find("..") == std::string_view::npos &&
         !HasPrefixIgnoringCase(name, "aws.") && !HasPrefixIgnoringCase(name, "amazon.");
}

std::string FormEncode(std::string_view text) { return AwsUriEncode(text, false); }

void AddParameter(std::string& form, std::string_view name, std::string_view value) {
  if (!form.empty()) form += '&';
  form += name;
  form += '=';
  form += FormEncode(value);
}

std::string XmlUnescape(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, char>, 5> kEntities = {
      {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}}};
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (text.substr(i, entity.size()) == entity) {
          out += c;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

std::optional<SqsQueueOptions> ParseSqsQueueOptions(const boost::json::object& config,
                                                    const std::string& path, bool custom_endpoint,
                                                    ConfigErrors& errors) {
  ObjectReader reader(config, path, errors);
  size_t before = errors.size();
  SqsQueueOptions options;
  options.queue_url = reader.StringOr("queue_url", "");
  options.queue_name = reader.StringOr("queue_name", "");
  bool create_given = reader.Has("create_queue");
  options.create_queue = reader.Bool("create_queue", true);
  options.message_group_id = reader.StringOr("message_group_id", "");
  bool dedup_given = reader.Has("message_deduplication_id");
  options.message_deduplication_id = reader.StringOr("message_deduplication_id", "");
  if (reader.Has("delay_seconds")) {
    options.delay_seconds = static_cast<int>(reader.Integer("delay_seconds", 0, 0, 900));
  }
  reader.RejectUnknownKeys("aws_sqs module-config");

  if (options.queue_url.empty() == options.queue_name.empty()) {
    errors.Add(path, "aws_sqs needs exactly one of \"queue_url\" and \"queue_name\"");
  } else if (!options.queue_name.empty()) {
    if (auto problem = CheckQueueName(options.queue_name); !problem.empty()) {
      errors.Add(reader.PathOf("queue_name"), problem);
    }
    options.fifo = EndsWith(options.queue_name, ".fifo");
  } else {
    if (auto problem = CheckQueueUrl(options.queue_url, custom_endpoint); !problem.empty()) {
      errors.Add(reader.PathOf("queue_url"), problem);
    }
    if (create_given) {
      errors.Add(reader.PathOf("create_queue"), "applies to queue_name only");
    }
    options.fifo = EndsWith(options.queue_url, ".fifo");
  }

  if (options.fifo) {
    if (options.message_group_id.empty()) {
      errors.Add(reader.PathOf("message_group_id"),
                 "is required for a FIFO queue (e.g. \"{webhook_id}\")");
    }
    if (!dedup_given) options.message_deduplication_id = "{delivery_id}";
    if (options.delay_seconds) {
      errors.Add(reader.PathOf("delay_seconds"),
                 "FIFO queues take no per-message delay (set the queue's DelaySeconds)");
    }
  } else if (dedup_given) {
    errors.Add(reader.PathOf("message_deduplication_id"),
               "applies to FIFO queues only (a queue name ending in .fifo)");
  }
  for (std::string_view key : {"message_group_id", "message_deduplication_id"}) {
    const std::string& value =
        key == "message_group_id" ? options.message_group_id : options.message_deduplication_id;
    if (reader.Has(key) && !value.empty()) {
      if (auto problem = CheckSqsMessageId(value); !problem.empty()) {
        errors.Add(reader.PathOf(key), problem);
      }
    } else if (reader.Has(key)) {
      errors.Add(reader.PathOf(key), "must not be empty");
    }
  }
  if (errors.size() != before) return std::nullopt;
  return options;
}

bool IsSqsText(std::string_view text) {
  // The characters SQS accepts in a message: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to
  // #xFFFD | #x10000 to #x10FFFF.
  return ForEachCodePoint(text, [](uint32_t code) {
    return code == 0x9 || code == 0xA || code == 0xD || (code >= 0x20 && code <= 0xD7FF) ||
           (code >= 0xE000 && code <= 0xFFFD) || code >= 0x10000;
  });
}

SqsMessage BuildSqsMessage(const Delivery& delivery) {
  SqsMessage message;
  message.body = delivery.data_type == DataType::kBlob ? delivery.body
                                                       : boost::json::serialize(delivery.payload);
  message.attributes.push_back({std::string(kDeliveryIdAttribute), delivery.id});
  if (!IsSqsText(message.body)) {
    message.body = EncodeBase64(message.body);
    message.attributes.push_back({std::string(kBodyEncodingAttribute), "base64"});
  }

  std::vector<const Header*> headers;
  headers.reserve(delivery.headers.size());
  for (const auto& header : delivery.headers) headers.push_back(&header);
  std::stable_sort(headers.begin(), headers.end(),
                   [](const Header* a, const Header* b) { return a->name < b->name; });
  for (const Header* header : headers) {
    if (message.attributes.size() >= kSqsMaxAttributes) break;
    if (header->value.empty() || header->value.size() > kSqsMaxAttributeValue ||
        !IsSqsText(header->value) || !IsSqsAttributeName(header->name)) {
      continue;
    }
    bool taken = std::any_of(message.attributes.begin(), message.attributes.end(),
                             [&](const SqsAttribute& a) { return a.name == header->name; });
    if (!taken) message.attributes.push_back({header->name, header->value});
  }
  return message;
}

std::string FillSqsTemplate(std::string_view pattern, const Delivery& delivery) {
  std::string out(pattern);
  ReplaceAll(out, "{webhook_id}", delivery.webhook_id);
  ReplaceAll(out, "{delivery_id}", delivery.id);
  return out;
}

std::string CheckSqsMessageId(std::string_view id) {
  bool valid = !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return c > 0x20 && c < 0x7f;  // letters, digits and ASCII punctuation
  });
  return valid ? std::string() : "must be 1 to 128 of a-z A-Z 0-9 and ASCII punctuation";
}

std::string SqsSendMessageForm(const SqsQueueOptions& options, std::string_view queue_url,
                               const SqsMessage& message, const Delivery& delivery) {
  std::string form;
  AddParameter(form, "Action", "SendMessage");
  AddParameter(form, "Version", "2012-11-05");
  AddParameter(form, "QueueUrl", queue_url);
  AddParameter(form, "MessageBody", message.body);
  if (options.delay_seconds) {
    AddParameter(form, "DelaySeconds", std::to_string(*options.delay_seconds));
  }
  if (!options.message_group_id.empty()) {
    AddParameter(form, "MessageGroupId", FillSqsTemplate(options.message_group_id, delivery));
  }
  if (options.fifo && !options.message_deduplication_id.empty()) {
    AddParameter(form, "MessageDeduplicationId",
                 FillSqsTemplate(options.message_deduplication_id, delivery));
  }
  for (size_t i = 0; i < message.attributes.size(); ++i) {
    std::string prefix = fmt::format("MessageAttribute.{}.", i + 1);
    AddParameter(form, prefix + "Name", message.attributes[i].name);
    AddParameter(form, prefix + "Value.DataType", "String");
    AddParameter(form, prefix + "Value.StringValue", message.attributes[i].value);
  }
  return form;
}

std::string SqsGetQueueUrlForm(std::string_view queue_name) {
  std::string form;
  AddParameter(form, "Action", "GetQueueUrl");
  AddParameter(form, "Version", "2012-11-05");
  AddParameter(form, "QueueName", queue_name);
  return form;
}

std::string SqsCreateQueueForm(std::string_view queue_name, bool fifo) {
  std::string form;
  AddParameter(form, "Action", "CreateQueue");
  AddParameter(form, "Version", "2012-11-05");
  AddParameter(form, "QueueName", queue_name);
  if (fifo) {
    AddParameter(form, "Attribute.1.Name", "FifoQueue");
    AddParameter(form, "Attribute.1.Value", "true");
  }
  return form;
}

std::pair<std::string, std::string> ParseSqsError(std::string_view xml) {
  return {XmlUnescape(XmlElement(xml, "Code")), XmlUnescape(XmlElement(xml, "Message"))};
}

std::string ParseSqsQueueUrl(std::string_view xml) {
  return XmlUnescape(XmlElement(xml, "QueueUrl"));
}

bool IsSqsNonExistentQueue(std::string_view code) {
  return code == "AWS.SimpleQueueService.NonExistentQueue" || code == "QueueDoesNotExist";
}

Outcome ClassifySqsAnswer(int curl_code, std::string_view curl_error, long status,
                          std::string_view body, std::string_view what) {
  if (curl_code != 0) {
    // Refused connections, timeouts, resets, DNS: the endpoint may be back on the next attempt.
    return Outcome::Retryable(fmt::format("{}: {}", what, curl_error));
  }
  if (status >= 200 && status < 300) return Outcome::Delivered();
  auto [code, message] = ParseSqsError(body);
  std::string detail = code.empty() ? fmt::format("HTTP {}", status)
                                    : fmt::format("HTTP {} {}: {}", status, code, message);
  static constexpr std::array<std::string_view, 11> kRetryableCodes = {"Throttling",
                                                                       "ThrottlingException",
                                                                       "RequestThrottled",
                                                                       "RequestThrottledException",
                                                                       "TooManyRequestsException",
                                                                       "ServiceUnavailable",
                                                                       "InternalError",
                                                                       "InternalFailure",
                                                                       "RequestTimeout",
                                                                       "KmsThrottled",
                                                                       "KMS.ThrottlingException"};
  bool retryable_code =
      std::find(kRetryableCodes.begin(), kRetryableCodes.end(), code) != kRetryableCodes.end();
  if (status >= 500 || status == 429 || status == 408 || retryable_code) {
    return Outcome::Retryable(fmt::format("{}: {}", what, detail));
  }
  return Outcome::Permanent(fmt::format("{}: {}", what, detail));
}

Outcome CheckSqsSendAnswer(std::string_view xml, std::string_view body, std::string_view what) {
  if (XmlElement(xml, "MessageId").empty()) {
    return Outcome::Permanent(
        fmt::format("{}: the answer has no MessageId (is endpoint_url an SQS endpoint?)", what));
  }
  std::string_view md5 = XmlElement(xml, "MD5OfMessageBody");
  if (!md5.empty() && md5 != Md5Hex(body)) {
    return Outcome::Retryable(
        fmt::format("{}: MD5OfMessageBody {} does not match the body sent", what, md5));
  }
  return Outcome::Delivered();
}

std::string Md5Hex(std::string_view data) { return HexEncode(ComputeDigest("MD5", {data})); }

}  // namespace wg
