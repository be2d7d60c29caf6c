// Maps a request head to an answer (GET /, GET /health, errors) or to the webhook pipeline.
#pragma once

#include <boost/beast/http/verb.hpp>

#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "http/admin_api.hpp"
#include "webhook/pipeline.hpp"

namespace wg {

class Router {
 public:
  Router(const Pipeline& pipeline, const WorkQueue& work_queue, const ConfigHolder& config,
         const AdminApi* admin = nullptr, const Spool* spool = nullptr,
         const SpoolDispatcher* dispatcher = nullptr)
      : pipeline_(pipeline),
        work_queue_(work_queue),
        config_(config),
        admin_(admin),
        spool_(spool),
        dispatcher_(dispatcher) {}

  // An answer, a webhook whose body may be read, or an authorised admin call.
  std::variant<HttpAnswer, Admission, AdminRequest> OnHead(boost::beast::http::verb method,
                                             std::string_view target,
                                             const std::vector<Header>& headers,
                                             std::optional<uint64_t> content_length,
                                             std::string_view peer_address = {}) const;

  const Pipeline& pipeline() const { return pipeline_; }
  const AdminApi* admin() const { return admin_; }

 private:
  HttpAnswer Health() const;

  const Pipeline& pipeline_;
  const WorkQueue& work_queue_;
  const ConfigHolder& config_;
  const AdminApi* admin_;
  const Spool* spool_;
  const SpoolDispatcher* dispatcher_;
};

// Percent-decodes one path segment; nullopt when the encoding is invalid.
std::optional<std::string> DecodePathSegment(std::string_view segment);

}  // namespace wg
