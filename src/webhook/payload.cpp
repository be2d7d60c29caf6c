#include "webhook/payload.hpp"

#include <fmt/format.h>

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

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool FormDecode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return true;
}

PayloadResult ParseForm(std::string_view body, const RequestLimits& limits) {
  json::object fields;
  std::string key;
  std::string value;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view pair = body.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (!FormDecode(raw_key, key) || !FormDecode(raw_value, value)) {
      return Fail(400, "Malformed form payload");
    }
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

}  // namespace

bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

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
      json::value value = json::parse(body, ec, {}, options);
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

BuiltDelivery BuildDelivery(DataType type, DeliveryParts parts, const RequestLimits& limits) {
  PayloadResult parsed = ParsePayload(type, parts.body, limits);
  if (!parsed.ok) return {nullptr, parsed.status, std::move(parsed.detail)};
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
