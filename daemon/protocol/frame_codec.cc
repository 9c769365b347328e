#include "daemon/protocol/frame_codec.h"

#include "absl/strings/str_format.h"

#include <cstring>

namespace creditd::protocol {

std::string_view OpcodeName(uint16_t opcode) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::kHello:
      return "hello";
    case Opcode::kAuth:
      return "auth";
    case Opcode::kPing:
      return "ping";
    case Opcode::kValidate:
      return "validate";
    case Opcode::kCheck:
      return "check";
    case Opcode::kBatchCheck:
      return "batch_check";
    case Opcode::kExtract:
      return "extract";
    case Opcode::kReceiptLookup:
      return "receipt_lookup";
    case Opcode::kMatch:
      return "match";
    case Opcode::kCompareNames:
      return "compare_names";
    case Opcode::kSubjectLookup:
      return "subject_lookup";
    case Opcode::kDuplicateReport:
      return "duplicate_report";
    case Opcode::kUpsertSubjects:
      return "upsert_subjects";
    case Opcode::kDeleteSubjects:
      return "delete_subjects";
    case Opcode::kPutRecords:
      return "put_records";
    case Opcode::kRepairRecord:
      return "repair_record";
    case Opcode::kStats:
      return "stats";
  }
  return "unknown";
}

namespace {

uint64_t LoadLe(const std::byte* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    v |= static_cast<uint64_t>(std::to_integer<uint8_t>(p[i])) << (8 * i);
  }
  return v;
}

void StoreLe(uint64_t v, size_t n, uint8_t* out) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}

DecodeResult Bad(std::string reason) {
  DecodeResult r;
  r.state = DecodeResult::State::kBad;
  r.reason = std::move(reason);
  return r;
}

}  // namespace

DecodeResult DecodeFrameHeader(std::span<const std::byte> bytes,
                               uint64_t max_frame_bytes,
                               std::string_view limit_name,
                               bool expect_response) {
  // Check each field as soon as its bytes are here: a client speaking HTTP or
  // TLS to this port is told after its first bytes, not after 20.
  const size_t have = bytes.size();
  const size_t magic_have = have < kMagic.size() ? have : kMagic.size();
  for (size_t i = 0; i < magic_have; ++i) {
    if (std::to_integer<uint8_t>(bytes[i]) != kMagic[i]) {
      uint8_t shown[4] = {0, 0, 0, 0};
      for (size_t j = 0; j < magic_have; ++j) {
        shown[j] = std::to_integer<uint8_t>(bytes[j]);
      }
      return Bad(absl::StrFormat(
          "frame: bad magic 0x%02x%02x%02x%02x (want 0x43524454)", shown[0],
          shown[1], shown[2], shown[3]));
    }
  }
  if (have > 4) {
    const uint8_t version = std::to_integer<uint8_t>(bytes[4]);
    if (version != kProtocolVersion) {
      return Bad(absl::StrFormat("frame: unknown version %d (supported: %d)",
                                 version, kProtocolVersion));
    }
  }
  if (have > 5) {
    const uint8_t flags = std::to_integer<uint8_t>(bytes[5]);
    if ((flags & ~kKnownFlags) != 0) {
      return Bad(absl::StrFormat("frame: unknown flags 0x%02x", flags));
    }
    const bool is_response = (flags & kFlagResponse) != 0;
    if (is_response != expect_response) {
      return Bad(expect_response
                     ? std::string("frame: response flag missing")
                     : std::string("frame: response flag set on a request"));
    }
  }
  if (have < kHeaderSize) return DecodeResult{};

  DecodeResult r;
  r.header.version = std::to_integer<uint8_t>(bytes[4]);
  r.header.flags = std::to_integer<uint8_t>(bytes[5]);
  r.header.opcode = static_cast<uint16_t>(LoadLe(bytes.data() + 6, 2));
  r.header.request_id = LoadLe(bytes.data() + 8, 8);
  r.header.body_length = static_cast<uint32_t>(LoadLe(bytes.data() + 16, 4));
  const uint64_t frame_bytes = kHeaderSize + uint64_t{r.header.body_length};
  if (frame_bytes > max_frame_bytes) {
    // The header itself is sound: keep it, so the error frame can carry the
    // request id.
    DecodeResult bad = Bad(
        absl::StrFormat("frame: length %d exceeds %s %d", frame_bytes,
                        absl::string_view(limit_name.data(), limit_name.size()),
                        max_frame_bytes));
    bad.header = r.header;
    return bad;
  }
  r.state = DecodeResult::State::kComplete;
  return r;
}

std::array<uint8_t, kHeaderSize> EncodeHeader(const FrameHeader& header) {
  std::array<uint8_t, kHeaderSize> h{};
  std::memcpy(h.data(), kMagic.data(), kMagic.size());
  h[4] = header.version;
  h[5] = header.flags;
  StoreLe(header.opcode, 2, h.data() + 6);
  StoreLe(header.request_id, 8, h.data() + 8);
  StoreLe(header.body_length, 4, h.data() + 16);
  return h;
}

void EncodeFrame(const FrameHeader& header, std::string_view body,
                 std::string* out) {
  FrameHeader h = header;
  h.body_length = static_cast<uint32_t>(body.size());
  const auto bytes = EncodeHeader(h);
  out->append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  out->append(body);
}

std::string EncodeFrame(uint16_t opcode, uint64_t request_id, uint8_t flags,
                        std::string_view body) {
  FrameHeader h;
  h.opcode = opcode;
  h.request_id = request_id;
  h.flags = flags;
  std::string out;
  out.reserve(kHeaderSize + body.size());
  EncodeFrame(h, body, &out);
  return out;
}

}  // namespace creditd::protocol
