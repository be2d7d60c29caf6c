// Configuration kept in etcd (CONFIG_BACKEND=etcd), so that several gateway processes serve the
// same webhooks. The key layout is the Python project's:
//
//   <prefix><namespace>/webhooks/<webhook_id>   one webhook definition (a JSON object)
//   <prefix>global/connections/<name>           one connection (a JSON object)
//
// prefix default "/cwm/". Webhooks of ETCD_NAMESPACE (default "default") answer at
// /webhook/<id> and /webhook/<namespace>/<id>; those of another namespace only at
// /webhook/<namespace>/<id> (they are kept under the id "<namespace>/<id>").
//
// etcd is read through its v3 JSON gateway (POST /v3/kv/range and the streaming /v3/watch) with
// our HTTP client. Every snapshot goes through the same validation as webhooks.json and
// connections.json (config_loader.hpp): unlike the Python project, a change in etcd that has an
// error is rejected whole and the running configuration stays. The gateway never writes to etcd.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/json_reader.hpp"

namespace wg {

struct EtcdSettings {
  std::string host = "localhost";
  std::string port = "2379";
  std::string prefix = "/cwm/";
  std::string ns = "default";  // the namespace of /webhook/<id>
  std::string username;        // with etcd's authentication on: ETCD_USERNAME / ETCD_PASSWORD
  std::string password;

  std::string Endpoint() const;  // "http://host:port", for messages
};

struct EtcdSnapshot {
  bool read = false;  // false: etcd could not be read (the reason is in the errors)
  int64_t revision = 0;
  boost::json::object webhooks;     // id, or "<namespace>/<id>" outside the default namespace
  boost::json::object connections;  // name -> connection
};

// Reads every key under the prefix (blocking, on a private event loop). Unreachable etcd, and
// values that are not JSON, are reported in `errors` (the file is "etcd <key>").
EtcdSnapshot ReadEtcdSnapshot(const EtcdSettings& settings, std::chrono::milliseconds timeout,
                              ConfigErrors& errors);

}  // namespace wg
