#include "webhook/payload.hpp"

#include <fmt/format.h>

#include <optional>

#include "util/url_encoding.hpp"
#include "util/utf8.hpp"

namespace wg {
namespace json = boost::json;
namespace {

PayloadResult Fail(unsigned status, std::string detail) {
  PayloadResult result;
  result.ok = false;
  result.status = status;
  result.detail = std::move(detail);
  return result;
}

// Depth as the Python project counts it: the root is at depth 0 and every value inside a
// container one deeper; a value deeper than the limit is an error.
std::optional<PayloadResult> CheckValue(const json::value& value, size_t depth,
                                        const RequestLimits& limits) {
  switch (value.kind()) {
    case json::kind::string: {
      const auto& text = value.get_string();
      if (text.size() > limits.max_string_length) {
        size_t chars = CountCodePoints(text);
        if (chars > limits.max_string_length) {
          return Fail(400, fmt::format("String too long: {} chars (max: {})", chars,
                                       limits.max_string_length));
        }
      }
      return std::nullopt;
    }
    case json::kind::object:
      for (const auto& member : value.get_object()) {
        if (depth + 1 > limits.max_json_depth) {
          return Fail(400, fmt::format("JSON too deeply nested: {} levels (max: {})", depth + 1,
                                       limits.max_json_depth));
        }
        if (auto error = CheckValue(member.value(), depth + 1, limits)) return error;
      }
      return std::nullopt;
    case json::kind::array:
      for (const auto& item : value.get_array()) {
        if (depth + 1 > limits.max_json_depth) {
          return Fail(400, fmt::format("JSON too deeply nested: {} levels (max: {})", depth + 1,
                                       limits.max_json_depth));
        }
        if (auto error = CheckValue(item, depth + 1, limits)) return error;
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

PayloadResult ParseForm(std::string_view body, const RequestLimits& limits) {
  auto pairs = DecodeForm(body);
  if (!pairs) return Fail(400, "Malformed form payload");
  json::object fields;
  for (auto& [key, value] : *pairs) {
    if (!IsValidUtf8(key) || !IsValidUtf8(value)) {
      return Fail(400, "Form payload is not valid UTF-8");
    }
    if (CountCodePoints(value) > limits.max_string_length) {
      return Fail(400, fmt::format("String too long: {} chars (max: {})", CountCodePoints(value),
                                   limits.max_string_length));
    }
    fields[key] = value;  // a repeated key keeps its last value, as the Python project
  }
  PayloadResult result;
  result.payload = std::move(fields);
  return result;
}

// The body a cleaned json or form payload parses back from (only these two are cleaned).
std::string EncodeAgain(DataType type, const json::value& payload) {
  if (type != DataType::kForm) return json::serialize(payload);
  std::string body;
  for (const auto& field : payload.get_object()) {
    if (!body.empty()) body += '&';
    body += PercentEncode(field.key());
    body += '=';
    if (const auto* text = field.value().if_string()) body += PercentEncode(*text);
  }
  return body;
}

}  // namespace

namespace {

// json::parse with one parser a thread: its temporary stacks are kept from one request to the
// next rather than allocated and freed for each.
json::value ParseJson(std::string_view text, const json::parse_options& options,
                      boost::system::error_code& ec) {
  struct Cached {
    std::optional<json::parser> parser;
    size_t max_depth = 0;
  };
  thread_local Cached cached;
  if (!cached.parser || cached.max_depth != options.max_depth) {
    cached.parser.emplace(json::storage_ptr(), options);
    cached.max_depth = options.max_depth;
  }
  json::parser& parser = *cached.parser;
  parser.reset();
  parser.write(text.data(), text.size(), ec);
  if (ec) return nullptr;
  return parser.release();
}

}  // namespace

PayloadResult ParsePayload(DataType type, std::string_view body, const RequestLimits& limits) {
  switch (type) {
    case DataType::kBlob:
      return PayloadResult{};
    case DataType::kText: {
      if (!IsValidUtf8(body)) return Fail(400, "Text payload is not valid UTF-8");
      PayloadResult result;
      result.payload = json::string(body);
      return result;
    }
    case DataType::kForm:
      return ParseForm(body, limits);
    case DataType::kJson: {
      json::parse_options options;
      options.max_depth = limits.max_json_depth + 1;  // the walk below reports the exact depth
      boost::system::error_code ec;
      json::value value = ParseJson(body, options, ec);
      if (ec == json::error::too_deep) {
        return Fail(400, fmt::format("JSON too deeply nested: {} levels (max: {})",
                                     limits.max_json_depth + 1, limits.max_json_depth));
      }
      if (ec) return Fail(400, "Malformed JSON payload");
      if (auto error = CheckValue(value, 0, limits)) return std::move(*error);
      PayloadResult result;
      result.payload = std::move(value);
      return result;
    }
  }
  return Fail(415, "Unsupported data type");
}

BuiltDelivery BuildDelivery(DataType type, DeliveryParts parts, const RequestLimits& limits,
                            const CredentialCleanup& cleanup) {
  PayloadResult parsed = ParsePayload(type, parts.body, limits);
  if (!parsed.ok) return {nullptr, parsed.status, std::move(parsed.detail)};
  cleanup.Clean(parts.headers);
  if (cleanup.Clean(parsed.payload)) parts.body = EncodeAgain(type, parsed.payload);
  auto delivery = std::make_shared<Delivery>();
  delivery->id = std::move(parts.delivery_id);
  delivery->webhook_id = std::move(parts.webhook_id);
  delivery->data_type = type;
  delivery->payload = std::move(parsed.payload);
  for (const auto& header : parts.headers) {
    if (header.name == "content-type") delivery->content_type = header.value;
  }
  delivery->headers = std::move(parts.headers);
  delivery->body = std::move(parts.body);
  delivery->received_at = parts.received_at;
  return {std::move(delivery), 200, {}};
}

}  // namespace wg
