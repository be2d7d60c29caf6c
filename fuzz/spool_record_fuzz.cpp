// The spool's frame decoder (src/spool/spool_record.hpp) on damaged and hostile segment bytes.
// Three ways in, so the checksum does not hide the record decoders from the fuzzer:
//   1. the input as segment bytes: frames decoded one after another, skipping a byte after a
//      corrupt one as recovery does;
//   2. the input as a record body, decoded as both record types directly;
//   3. the input as a record body framed with a correct checksum, then decoded as a segment.
//
// Properties: a decoded frame lies inside the input; a decoded record encodes back to exactly
// the bytes it came from (the format has one encoding per record).
#include <zlib.h>

#include <string>

#include "fuzz_support.hpp"
#include "spool/spool_record.hpp"

namespace {
using wg::fuzz::Require;

void CheckBody(wg::SpoolRecordType type, std::string_view frame_bytes, std::string_view body) {
  std::string again;
  if (type == wg::SpoolRecordType::kAccepted) {
    auto record = wg::DecodeAccepted(body);
    if (!record) return;
    wg::EncodeAccepted(record->View(), again);
  } else {
    auto record = wg::DecodeItemFinished(body);
    if (!record) return;
    wg::EncodeItemFinished(*record, again);
  }
  if (!frame_bytes.empty()) {
    Require(again == frame_bytes, "a decoded record encodes back to the same frame");
  } else {
    Require(again.size() == wg::kFrameHeaderBytes + 1 + body.size() &&
                again.substr(wg::kFrameHeaderBytes + 1) == body,
            "a decoded record body encodes back to the same bytes");
  }
}

void DecodeSegment(std::string_view segment) {
  size_t offset = 0;
  while (offset < segment.size()) {
    std::string_view rest = segment.substr(offset);
    wg::DecodedFrame frame = wg::DecodeFrame(rest);
    if (frame.status == wg::DecodedFrame::Status::kIncomplete) return;
    if (frame.status == wg::DecodedFrame::Status::kCorrupt) {
      ++offset;
      continue;
    }
    Require(frame.frame_bytes > wg::kFrameHeaderBytes && frame.frame_bytes <= rest.size(),
            "a frame lies inside the segment");
    Require(frame.body.data() == rest.data() + wg::kFrameHeaderBytes + 1 &&
                frame.body.size() == frame.frame_bytes - wg::kFrameHeaderBytes - 1,
            "the record body is the frame after its type byte");
    CheckBody(frame.type, rest.substr(0, frame.frame_bytes), frame.body);
    offset += frame.frame_bytes;
  }
}

void PutU32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// One frame around `body` (type byte included) with a correct checksum, computed here.
std::string FrameAround(std::string_view body) {
  std::string frame;
  PutU32(frame, wg::kSpoolMagic);
  PutU32(frame, static_cast<uint32_t>(body.size()));
  PutU32(frame, static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0),
                                            reinterpret_cast<const Bytef*>(body.data()),
                                            static_cast<uInt>(body.size()))));
  frame.append(body);
  return frame;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  DecodeSegment(input);
  CheckBody(wg::SpoolRecordType::kAccepted, {}, input);
  CheckBody(wg::SpoolRecordType::kItemFinished, {}, input);
  if (!input.empty()) DecodeSegment(FrameAround(input));
  return 0;
}
