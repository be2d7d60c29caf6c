// A request body -> the payload modules receive (src/webhook/payload.hpp), for every data_type,
// with the default limits and with small ones that short inputs exceed; and a request target ->
// the query parameters and path segments the router and the query_auth method read.
//
// Properties: a parsed payload has the JSON type of its data_type; a refusal is 400 with a
// message; JSON within the limits is accepted exactly when Boost.JSON accepts it; text payloads
// are valid UTF-8 and equal the body.
#include <boost/json.hpp>

#include "fuzz_support.hpp"
#include "http/router.hpp"
#include "util/utf8.hpp"
#include "webhook/payload.hpp"
#include "webhook/pipeline.hpp"
#include "webhook/webhook_id.hpp"

namespace {
using wg::fuzz::Require;

wg::RequestLimits SmallLimits() {
  wg::RequestLimits limits;
  limits.max_json_depth = 4;
  limits.max_string_length = 16;
  return limits;
}

// Nesting depth as payload.cpp counts it (root 0); for the property below only.
size_t Depth(const boost::json::value& value) {
  size_t deepest = 0;
  if (value.is_object()) {
    for (const auto& member : value.get_object()) deepest = std::max(deepest, 1 + Depth(member.value()));
  } else if (value.is_array()) {
    for (const auto& item : value.get_array()) deepest = std::max(deepest, 1 + Depth(item));
  }
  return deepest;
}

void CheckPayload(std::string_view body, const wg::RequestLimits& limits) {
  for (auto type : {wg::DataType::kJson, wg::DataType::kForm, wg::DataType::kText,
                    wg::DataType::kBlob}) {
    wg::PayloadResult result = wg::ParsePayload(type, body, limits);
    if (!result.ok) {
      Require(result.status == 400 && !result.detail.empty(), "a refused body is 400 with a message");
      continue;
    }
    switch (type) {
      case wg::DataType::kJson:
        Require(Depth(result.payload) <= limits.max_json_depth, "accepted JSON is within the depth");
        break;
      case wg::DataType::kForm:
        Require(result.payload.is_object(), "a form is an object");
        break;
      case wg::DataType::kText:
        Require(result.payload.is_string() && result.payload.get_string() == body &&
                    wg::IsValidUtf8(body),
                "a text payload is the body, valid UTF-8");
        break;
      case wg::DataType::kBlob:
        Require(result.payload.is_null(), "a blob has no parsed payload");
        break;
    }
  }
  // Within generous limits, our parse agrees with Boost.JSON's own.
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 64;
  boost::json::value plain = boost::json::parse(body, ec, {}, options);
  wg::RequestLimits wide;
  wide.max_json_depth = 60;
  if (!ec && Depth(plain) <= 60) {
    Require(wg::ParsePayload(wg::DataType::kJson, body, wide).ok,
            "JSON within the limits is accepted");
  }
}

void CheckTarget(std::string_view target) {
  for (const auto& [key, value] : wg::ParseQuery(target)) {
    Require(key.size() + value.size() <= target.size(), "decoding never lengthens");
  }
  if (auto segment = wg::DecodePathSegment(target)) {
    Require(segment->size() <= target.size(), "decoding never lengthens");
    (void)wg::ValidateWebhookId(*segment);
    (void)wg::IsValidNamespace(*segment);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  static const wg::RequestLimits kDefaults;
  static const wg::RequestLimits kSmall = SmallLimits();
  CheckPayload(input, kDefaults);
  CheckPayload(input, kSmall);
  CheckTarget(input);
  return 0;
}
