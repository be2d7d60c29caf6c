#include "modules/redis/pickle.hpp"

#include <bit>
#include <cstring>

namespace wg {
namespace {

// Opcodes of the pickle protocol (Lib/pickle.py).
constexpr char kProto = '\x80';
constexpr char kStop = '.';
constexpr char kNone = 'N';
constexpr char kTrue = '\x88';
constexpr char kFalse = '\x89';
constexpr char kBinInt = 'J';
constexpr char kLong1 = '\x8a';
constexpr char kBinFloat = 'G';
constexpr char kBinUnicode = 'X';
constexpr char kBinBytes = 'B';
constexpr char kEmptyList = ']';
constexpr char kAppends = 'e';
constexpr char kEmptyDict = '}';
constexpr char kSetItems = 'u';
constexpr char kMark = '(';
constexpr char kTuple = 't';

void AppendLittleEndian32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

}  // namespace

PickleWriter::PickleWriter() {
  out_.push_back(kProto);
  out_.push_back('\x03');
}

void PickleWriter::None() { out_.push_back(kNone); }
void PickleWriter::Mark() { out_.push_back(kMark); }
void PickleWriter::TupleFromMark() { out_.push_back(kTuple); }
void PickleWriter::EmptyDict() { out_.push_back(kEmptyDict); }

void PickleWriter::String(std::string_view text) {
  out_.push_back(kBinUnicode);
  AppendLittleEndian32(out_, static_cast<uint32_t>(text.size()));
  out_.append(text);
}

void PickleWriter::Bytes(std::string_view data) {
  out_.push_back(kBinBytes);
  AppendLittleEndian32(out_, static_cast<uint32_t>(data.size()));
  out_.append(data);
}

void PickleWriter::Integer(int64_t value) {
  if (value >= INT32_MIN && value <= INT32_MAX) {
    out_.push_back(kBinInt);
    AppendLittleEndian32(out_, static_cast<uint32_t>(static_cast<int32_t>(value)));
    return;
  }
  // LONG1: length byte, then little-endian two's complement (8 bytes always suffice).
  out_.push_back(kLong1);
  out_.push_back('\x08');
  auto bits = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

void PickleWriter::BigUnsigned(uint64_t value) {
  // Above INT64_MAX: 9 bytes so that the sign byte stays 0.
  out_.push_back(kLong1);
  out_.push_back('\x09');
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  out_.push_back('\x00');
}

void PickleWriter::Float(double value) {
  out_.push_back(kBinFloat);
  auto bits = std::bit_cast<uint64_t>(value);
  for (int i = 7; i >= 0; --i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

void PickleWriter::Value(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::null: None(); return;
    case boost::json::kind::bool_: out_.push_back(value.get_bool() ? kTrue : kFalse); return;
    case boost::json::kind::int64: Integer(value.get_int64()); return;
    case boost::json::kind::uint64:
      if (value.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
        Integer(static_cast<int64_t>(value.get_uint64()));
      } else {
        BigUnsigned(value.get_uint64());
      }
      return;
    case boost::json::kind::double_: Float(value.get_double()); return;
    case boost::json::kind::string: String(value.get_string()); return;
    case boost::json::kind::array: {
      out_.push_back(kEmptyList);
      const auto& array = value.get_array();
      if (array.empty()) return;
      out_.push_back(kMark);
      for (const auto& item : array) Value(item);
      out_.push_back(kAppends);
      return;
    }
    case boost::json::kind::object: {
      out_.push_back(kEmptyDict);
      const auto& object = value.get_object();
      if (object.empty()) return;
      out_.push_back(kMark);
      for (const auto& member : object) {
        String(member.key());
        Value(member.value());
      }
      out_.push_back(kSetItems);
      return;
    }
  }
}

std::string PickleWriter::Finish() {
  out_.push_back(kStop);
  return std::move(out_);
}

}  // namespace wg
