// Encoding and incremental decoding of frame headers (daemon/protocol/frame.h).
//
// DecodeFrameHeader is pure: it reads only the bytes given, touches no socket
// or config, and allocates nothing, so the session can call it on a partial
// read and a fuzzer can call it on anything. The caller allocates the body
// only after the header has passed the limit check here.
//
// Thread-safe: no shared state.
#ifndef CREDITD_DAEMON_PROTOCOL_FRAME_CODEC_H_
#define CREDITD_DAEMON_PROTOCOL_FRAME_CODEC_H_

#include "daemon/protocol/frame.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace creditd::protocol {

struct DecodeResult {
  enum class State : uint8_t {
    kComplete,  // header decoded; `header` is valid
    kNeedMore,  // fewer than kHeaderSize bytes (and no fault so far)
    kBad,       // framing error; `reason` says why; close the connection
  };
  State state = State::kNeedMore;
  // kComplete: the header. kBad for a length over the limit: the decoded
  // fields too, so the error frame can carry the request id.
  FrameHeader header;
  // For kBad: "frame: bad magic 0x47455420 (want 0x43524454)", "frame:
  // unknown version 7 (supported: 1)", "frame: unknown flags 0x80", "frame:
  // body length 9000000 exceeds max_frame_bytes 4194304".
  std::string reason;
};

// Decodes a header from the first bytes of `bytes`. Faults are reported as
// soon as the bytes that show them have arrived (a bad magic after one byte),
// so a peer speaking another protocol is cut off early. `max_frame_bytes` is
// the whole-frame limit in force (smaller before authentication) and
// `limit_name` names it in the reason ("max_frame_bytes",
// "max_preauth_frame_bytes"). Frames the daemon receives must not carry
// kFlagResponse; pass `expect_response` = true on the client side.
DecodeResult DecodeFrameHeader(std::span<const std::byte> bytes,
                               uint64_t max_frame_bytes,
                               std::string_view limit_name = "max_frame_bytes",
                               bool expect_response = false);

// Appends header + body to `out`. REQUIRES: body.size() < 2^32.
void EncodeFrame(const FrameHeader& header, std::string_view body,
                 std::string* out);
// Convenience: a new string holding the frame (body_length set from `body`).
std::string EncodeFrame(uint16_t opcode, uint64_t request_id, uint8_t flags,
                        std::string_view body);

// The 20 header bytes (body_length taken from header).
std::array<uint8_t, kHeaderSize> EncodeHeader(const FrameHeader& header);

}  // namespace creditd::protocol

#endif  // CREDITD_DAEMON_PROTOCOL_FRAME_CODEC_H_
