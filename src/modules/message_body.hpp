// What a message broker module (rabbitmq, activemq) sends as a message's body: the payload's
// JSON as application/json, or a blob's bytes with the content type they came with.
#pragma once

#include <boost/json/serialize.hpp>
#include <string>

#include "modules/module.hpp"

namespace wg {

struct MessageBody {
  std::string body;
  std::string content_type;
};

inline MessageBody BrokerMessageBody(const Delivery& delivery) {
  if (delivery.data_type == DataType::kBlob) {
    return {delivery.body, delivery.content_type.empty() ? std::string("application/octet-stream")
                                                         : delivery.content_type};
  }
  return {boost::json::serialize(delivery.payload), "application/json"};
}

}  // namespace wg
