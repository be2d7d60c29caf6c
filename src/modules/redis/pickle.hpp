// Python pickle (protocol 3) for JSON values: how a stock Python `rq worker` wants its jobs.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace wg {

class PickleWriter {
 public:
  PickleWriter();  // writes the protocol header
  void Value(const boost::json::value& value);
  void String(std::string_view text);  // str
  void Bytes(std::string_view data);   // bytes
  void None();
  void Mark();        // starts a tuple's items
  void TupleFromMark();
  void EmptyDict();
  std::string Finish();  // appends STOP and returns the pickle

 private:
  void Integer(int64_t value);
  void BigUnsigned(uint64_t value);
  void Float(double value);
  std::string out_;
};

}  // namespace wg
