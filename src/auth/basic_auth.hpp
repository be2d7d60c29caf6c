// The webhook's `basic_auth` key: {"username": ..., "password": ...}; the request must carry
// `Authorization: Basic <base64(username:password)>`. Messages as the Python project (reference
// §2.8.2); a missing or empty username/password is a config error at start, not a 401 later.
#pragma once

#include <boost/json.hpp>

#include <memory>
#include <string>

#include "auth/validator.hpp"

namespace wg {

std::shared_ptr<const Validator> BuildBasicAuth(const boost::json::object& webhook,
                                                const std::string& webhook_path,
                                                ConfigErrors& errors);

}  // namespace wg
