// The bytes of the spool: framed, checksummed records appended to segment files.
//
// Frame: magic "WGS1" | u32 length of the body | u32 CRC-32 of the body | body.
// Body: u8 type, then the fields of that type. Integers are little-endian; strings are a u32
// length and the bytes. The magic lets recovery find the next good record after a damaged one.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chain/chain.hpp"
#include "modules/module.hpp"

namespace wg {

inline constexpr uint32_t kSpoolMagic = 0x31534757;  // "WGS1" read as little-endian
inline constexpr size_t kFrameHeaderBytes = 12;

enum class SpoolRecordType : uint8_t {
  kAccepted = 1,      // a webhook answered 2xx: everything needed to deliver it
  kItemFinished = 2,  // one chain item of an accepted webhook needs no more work
};

enum class ItemFinish : uint8_t {
  kDelivered = 1,
  kDeadLettered = 2,  // kept in the dead-letter store with its error history
};

// The fields of an accepted record, borrowed from whoever holds them (the request's delivery):
// what EncodeAccepted writes, without copying the headers and body first.
struct AcceptedRecordView {
  uint64_t sequence = 0;
  std::string_view delivery_id;
  std::string_view webhook_id;
  int64_t received_at_us = 0;
  uint64_t chain_fingerprint = 0;
  uint32_t pending_items = 0;
  std::span<const Header> headers;
  std::string_view body;
};

// An accepted webhook as the spool stores it. The payload is parsed again from `body` when the
// webhook is delivered from the spool.
struct AcceptedRecord {
  uint64_t sequence = 0;
  std::string delivery_id;
  std::string webhook_id;
  int64_t received_at_us = 0;   // microseconds since the Unix epoch
  uint64_t chain_fingerprint = 0;  // of the chain's module names when accepted
  uint32_t pending_items = 0;   // bit i set: chain item i still has to run
  std::vector<Header> headers;
  std::string body;

  AcceptedRecordView View() const {
    return {sequence,          delivery_id,   webhook_id, received_at_us,
            chain_fingerprint, pending_items, headers,    body};
  }
};

struct ItemFinishedRecord {
  uint64_t sequence = 0;  // of the accepted record
  uint16_t item = 0;
  ItemFinish finish = ItemFinish::kDelivered;
};

// Appends one whole frame to `out`.
void EncodeAccepted(const AcceptedRecordView& record, std::string& out);
void EncodeItemFinished(const ItemFinishedRecord& record, std::string& out);

struct DecodedFrame {
  enum class Status { kOk, kIncomplete, kCorrupt };
  Status status = Status::kCorrupt;
  size_t frame_bytes = 0;  // when kOk
  SpoolRecordType type = SpoolRecordType::kAccepted;
  std::string_view body;  // after the type byte
};

// Looks at the frame starting at data[0].
DecodedFrame DecodeFrame(std::string_view data);

std::optional<AcceptedRecord> DecodeAccepted(std::string_view body);
std::optional<ItemFinishedRecord> DecodeItemFinished(std::string_view body);

// Identifies a chain's shape (its module names in order), so a record accepted under one
// configuration is not resumed item by item under a different one.
uint64_t ChainFingerprint(const Chain& chain);

}  // namespace wg
