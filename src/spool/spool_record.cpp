#include "spool/spool_record.hpp"

#include <zlib.h>

#include <cstring>

namespace wg {
namespace {

// Little-endian, `bytes` bytes of `value`, appended at once (every accepted webhook is encoded).
void PutUint(std::string& out, uint64_t value, int bytes) {
  char encoded[8];
  for (int i = 0; i < bytes; ++i) encoded[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  out.append(encoded, static_cast<size_t>(bytes));
}

void PutU8(std::string& out, uint8_t value) { out.push_back(static_cast<char>(value)); }
void PutU16(std::string& out, uint16_t value) { PutUint(out, value, 2); }
void PutU32(std::string& out, uint32_t value) { PutUint(out, value, 4); }
void PutU64(std::string& out, uint64_t value) { PutUint(out, value, 8); }

void PutString(std::string& out, std::string_view text) {
  PutU32(out, static_cast<uint32_t>(text.size()));
  out.append(text);
}

uint32_t ReadU32(const char* data) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= static_cast<uint32_t>(static_cast<uint8_t>(data[i])) << (8 * i);
  return value;
}

uint32_t Crc(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; bodies are far below 4 GiB (the body limit is enforced first).
  crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
  return static_cast<uint32_t>(crc);
}

// Reserves the frame header, lets `write_body` append the body, then fills the header in.
template <typename WriteBody>
void Frame(std::string& out, SpoolRecordType type, WriteBody write_body) {
  size_t start = out.size();
  out.append(kFrameHeaderBytes, '\0');
  PutU8(out, static_cast<uint8_t>(type));
  write_body(out);
  std::string_view body(out.data() + start + kFrameHeaderBytes, out.size() - start - kFrameHeaderBytes);
  const uint32_t fields[] = {kSpoolMagic, static_cast<uint32_t>(body.size()), Crc(body)};
  static_assert(sizeof(fields) == kFrameHeaderBytes);
  char* header = out.data() + start;
  for (uint32_t field : fields) {
    for (int i = 0; i < 4; ++i) *header++ = static_cast<char>((field >> (8 * i)) & 0xff);
  }
}

// Reads fields in order; any read past the end makes ok() false.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  bool AtEnd() const { return pos_ == data_.size(); }

  uint64_t Uint(int bytes) {
    if (!Need(static_cast<size_t>(bytes))) return 0;
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) {
      value |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    }
    pos_ += static_cast<size_t>(bytes);
    return value;
  }
  std::string String() {
    auto length = static_cast<size_t>(Uint(4));
    if (!Need(length)) return {};
    std::string text(data_.substr(pos_, length));
    pos_ += length;
    return text;
  }

 private:
  bool Need(size_t bytes) {
    if (!ok_ || data_.size() - pos_ < bytes) ok_ = false;
    return ok_;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

void EncodeAccepted(const AcceptedRecordView& record, std::string& out) {
  size_t size = kFrameHeaderBytes + 1 + 8 + 4 + record.delivery_id.size() + 4 +
                record.webhook_id.size() + 8 + 8 + 4 + 4 + 4 + record.body.size();
  for (const auto& header : record.headers) size += 8 + header.name.size() + header.value.size();
  out.reserve(out.size() + size);
  Frame(out, SpoolRecordType::kAccepted, [&](std::string& body) {
    PutU64(body, record.sequence);
    PutString(body, record.delivery_id);
    PutString(body, record.webhook_id);
    PutU64(body, static_cast<uint64_t>(record.received_at_us));
    PutU64(body, record.chain_fingerprint);
    PutU32(body, record.pending_items);
    PutU32(body, static_cast<uint32_t>(record.headers.size()));
    for (const auto& header : record.headers) {
      PutString(body, header.name);
      PutString(body, header.value);
    }
    PutString(body, record.body);
  });
}

void EncodeItemFinished(const ItemFinishedRecord& record, std::string& out) {
  Frame(out, SpoolRecordType::kItemFinished, [&](std::string& body) {
    PutU64(body, record.sequence);
    PutU16(body, record.item);
    PutU8(body, static_cast<uint8_t>(record.finish));
  });
}

DecodedFrame DecodeFrame(std::string_view data) {
  DecodedFrame frame;
  if (data.size() < kFrameHeaderBytes) {
    frame.status = DecodedFrame::Status::kIncomplete;
    return frame;
  }
  if (ReadU32(data.data()) != kSpoolMagic) return frame;  // kCorrupt
  uint32_t length = ReadU32(data.data() + 4);
  uint32_t crc = ReadU32(data.data() + 8);
  if (length == 0) return frame;
  if (data.size() - kFrameHeaderBytes < length) {
    frame.status = DecodedFrame::Status::kIncomplete;
    return frame;
  }
  std::string_view body = data.substr(kFrameHeaderBytes, length);
  if (Crc(body) != crc) return frame;
  auto type = static_cast<uint8_t>(body[0]);
  if (type != static_cast<uint8_t>(SpoolRecordType::kAccepted) &&
      type != static_cast<uint8_t>(SpoolRecordType::kItemFinished)) {
    return frame;
  }
  frame.status = DecodedFrame::Status::kOk;
  frame.frame_bytes = kFrameHeaderBytes + length;
  frame.type = static_cast<SpoolRecordType>(type);
  frame.body = body.substr(1);
  return frame;
}

std::optional<AcceptedRecord> DecodeAccepted(std::string_view body) {
  Reader reader(body);
  AcceptedRecord record;
  record.sequence = reader.Uint(8);
  record.delivery_id = reader.String();
  record.webhook_id = reader.String();
  record.received_at_us = static_cast<int64_t>(reader.Uint(8));
  record.chain_fingerprint = reader.Uint(8);
  record.pending_items = static_cast<uint32_t>(reader.Uint(4));
  auto count = static_cast<size_t>(reader.Uint(4));
  if (!reader.ok() || count > body.size() / 8) return std::nullopt;
  record.headers.reserve(count);
  for (size_t i = 0; i < count && reader.ok(); ++i) {
    Header header;
    header.name = reader.String();
    header.value = reader.String();
    record.headers.push_back(std::move(header));
  }
  record.body = reader.String();
  if (!reader.ok() || !reader.AtEnd()) return std::nullopt;
  return record;
}

std::optional<ItemFinishedRecord> DecodeItemFinished(std::string_view body) {
  Reader reader(body);
  ItemFinishedRecord record;
  record.sequence = reader.Uint(8);
  record.item = static_cast<uint16_t>(reader.Uint(2));
  auto finish = static_cast<uint8_t>(reader.Uint(1));
  if (!reader.ok() || !reader.AtEnd()) return std::nullopt;
  if (finish != static_cast<uint8_t>(ItemFinish::kDelivered) &&
      finish != static_cast<uint8_t>(ItemFinish::kDeadLettered)) {
    return std::nullopt;
  }
  record.finish = static_cast<ItemFinish>(finish);
  return record;
}

uint64_t ChainFingerprint(const Chain& chain) {
  uint64_t hash = 1469598103934665603ULL;  // FNV-1a
  for (const auto& item : chain.items) {
    for (char c : item.module_name) {
      hash ^= static_cast<uint8_t>(c);
      hash *= 1099511628211ULL;
    }
    hash ^= 0xff;  // separator, so ["ab"] and ["a","b"] differ
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace wg
