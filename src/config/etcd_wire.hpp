// etcd's v3 JSON gateway as the snapshot read (etcd_source) and the watch (etcd_watch) use it:
// keys and range ends travel base64-encoded, 64-bit numbers as strings.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/etcd_source.hpp"
#include "connections/http/http_client.hpp"

namespace wg {

// http://host:port/<path> of the configured etcd: the operator's own server, often on
// loopback, so the SSRF rules for users' URLs do not apply.
OutboundEndpoint EtcdEndpoint(const EtcdSettings& settings, std::string path);

// POST <path> with a JSON body; `token` (from EtcdAuthenticate) when etcd wants one.
HttpStream::Request EtcdPost(const EtcdSettings& settings, std::string_view path,
                             const boost::json::object& body, std::string_view token = {});

struct EtcdToken {
  std::string token;  // empty without a user
  std::string error;  // why there is none
};

// With a username: POST /v3/auth/authenticate, for a token that authorises the calls that
// follow. Without one: no call. The password is never logged.
boost::asio::awaitable<EtcdToken> EtcdAuthenticate(const EtcdSettings& settings,
                                                   std::chrono::milliseconds timeout);

// {"key": ..., "range_end": ...}: every key under the prefix.
boost::json::object EtcdPrefixRange(const EtcdSettings& settings);

// header.revision of an answer (0 when absent).
int64_t EtcdHeaderRevision(const boost::json::object& answer);

}  // namespace wg
