// The creditd wire frame: constants shared by the encoder and the decoder.
//
// Every message, in both directions, is one frame: a fixed 20-byte header
// followed by a protobuf body (daemon/protocol/creditd.proto). All integers
// are little-endian. docs/protocol.md gives the grammar and hex examples.
//
//   offset size field
//   0      4    magic        "CRDT" (0x43 0x52 0x44 0x54)
//   4      1    version      kProtocolVersion
//   5      1    flags        kFlagResponse | kFlagError; other bits must be 0
//   6      2    opcode       Opcode (uint16); a response repeats the request's
//   8      8    request_id   chosen by the client, echoed in the response
//   16     4    body_length  bytes of body following the header
//   20     n    body         protobuf message of the opcode (ErrorReply when
//                            kFlagError is set)
//
// Frame-size limits count the whole frame (header + body).
//
// Version history (bump kProtocolVersion on any incompatible change):
//   1 (creditd 0.1): first version.
#ifndef CREDITD_DAEMON_PROTOCOL_FRAME_H_
#define CREDITD_DAEMON_PROTOCOL_FRAME_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace creditd::protocol {

inline constexpr std::array<uint8_t, 4> kMagic = {0x43, 0x52, 0x44, 0x54};
inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr size_t kHeaderSize = 20;

// Set on every frame the daemon sends.
inline constexpr uint8_t kFlagResponse = 0x01;
// The body is an ErrorReply (request error, or a framing error before close).
inline constexpr uint8_t kFlagError = 0x02;
inline constexpr uint8_t kKnownFlags = kFlagResponse | kFlagError;

// When adding an opcode: add a row to daemon/command_table.cc, a message to
// daemon/protocol/creditd.proto, a section to docs/protocol.md, a case to
// OpcodeName() in frame_codec.cc, and a case to
// tests/daemon/frame_codec_test.cc.
enum class Opcode : uint16_t {
  kHello = 1,             // HelloRequest -> HelloResponse (pre-auth)
  kAuth = 2,              // AuthRequest -> AuthResponse (pre-auth)
  kPing = 3,              // PingRequest -> PingResponse (pre-auth)
  kValidate = 10,         // ValidateRequest -> ValidateResponse
  kCheck = 11,            // CheckRequest -> CheckResponse
  kBatchCheck = 12,       // BatchCheckRequest -> BatchCheckResponse
  kExtract = 13,          // ExtractRequest -> ExtractResponse
  kReceiptLookup = 14,    // ReceiptLookupRequest -> ReceiptLookupResponse
  kMatch = 20,            // MatchRequest -> MatchResponse
  kCompareNames = 21,     // CompareNamesRequest -> CompareNamesResponse
  kSubjectLookup = 22,    // SubjectLookupRequest -> SubjectLookupResponse
  kDuplicateReport = 30,  // DuplicateReportRequest -> DuplicateReportResponse
  kUpsertSubjects = 40,   // UpsertSubjectsRequest -> WriteResponse
  kDeleteSubjects = 41,   // DeleteSubjectsRequest -> WriteResponse
  kPutRecords = 42,       // PutRecordsRequest -> WriteResponse
  kRepairRecord = 43,     // RepairRecordRequest -> WriteResponse
  kStats = 50,            // StatsRequest -> StatsResponse
};

// "check", "batch_check", ...; "unknown" for values outside the enum.
std::string_view OpcodeName(uint16_t opcode);

struct FrameHeader {
  uint8_t version = kProtocolVersion;
  uint8_t flags = 0;
  uint16_t opcode = 0;
  uint64_t request_id = 0;
  uint32_t body_length = 0;
};

}  // namespace creditd::protocol

#endif  // CREDITD_DAEMON_PROTOCOL_FRAME_H_
