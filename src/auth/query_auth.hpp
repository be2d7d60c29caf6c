// The webhook's `query_auth` key: {"parameter_name": "api_key", "api_key": ..., "case_sensitive":
// false}; the request's URL must carry ?<parameter_name>=<key>. Messages as the Python project
// (reference §2.8.7); a bad parameter name or a missing key is a config error at start.
// The key is never logged: failures carry a fixed reason, never the received value.
#pragma once

#include <boost/json.hpp>

#include <memory>
#include <string>

#include "auth/validator.hpp"

namespace wg {

std::shared_ptr<const Validator> BuildQueryAuth(const boost::json::object& webhook,
                                                const std::string& webhook_path,
                                                ConfigErrors& errors);

}  // namespace wg
