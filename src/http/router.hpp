// Maps a request head to an answer (GET /, GET /health, errors) or to the webhook pipeline.
#pragma once

#include <boost/beast/http/verb.hpp>

#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "webhook/pipeline.hpp"

namespace wg {

class Router {
 public:
  Router(const Pipeline& pipeline, const WorkQueue& work_queue, const ConfigHolder& config)
      : pipeline_(pipeline), work_queue_(work_queue), config_(config) {}

  std::variant<HttpAnswer, Admission> OnHead(boost::beast::http::verb method,
                                             std::string_view target,
                                             const std::vector<Header>& headers,
                                             std::optional<uint64_t> content_length) const;

  const Pipeline& pipeline() const { return pipeline_; }

 private:
  HttpAnswer Health() const;

  const Pipeline& pipeline_;
  const WorkQueue& work_queue_;
  const ConfigHolder& config_;
};

// Percent-decodes one path segment; nullopt when the encoding is invalid.
std::optional<std::string> DecodePathSegment(std::string_view segment);

}  // namespace wg
