// The webhook's `header_auth` key: {"header_name": "X-API-Key", "api_key": ..., "case_sensitive":
// false}; the request must carry that header with that key. Messages as the Python project
// (reference §2.8.6); a missing or empty api_key is a config error at start.
#pragma once

#include <boost/json.hpp>

#include <memory>
#include <string>

#include "auth/validator.hpp"

namespace wg {

std::shared_ptr<const Validator> BuildHeaderAuth(const boost::json::object& webhook,
                                                 const std::string& webhook_path,
                                                 ConfigErrors& errors);

}  // namespace wg
