// One client connection: reads frames, dispatches them, queues the replies.
//
// Three coroutines per connection, all on the connection's strand (so the
// members below need no lock):
//   Reader:   reads whatever the socket holds (up to kReadBufferBytes) and
//             answers every complete frame in it before reading again:
//             header (20 bytes, decoded incrementally, so a wrong magic is
//             refused after its first byte) -> limit check -> body (in place
//             in the read buffer; a bigger body is allocated after the limit
//             check) -> dispatch -> queue the reply. Reads are answered in
//             arrival order, each carrying its request id (pipelining).
//   Writes (rows with kCmdWrite, once authenticated) are not dispatched on
//             the I/O thread: RunWrite hands them to the server's single
//             writer thread and awaits the result there, so a slow Xapian
//             commit stalls no connection. The reader goes on at once, so a
//             read pipelined behind a write may be answered before the
//             write's reply (replies are matched by request id; a write is
//             visible to reads dispatched after its reply was queued). Writes
//             of one connection stay in order (the writer is one FIFO
//             thread). At most kMaxPendingWrites writes per connection are in
//             flight; the reader stops reading until one completes, so a
//             client cannot queue unbounded work (and memory) on the writer.
//             Closing waits for writes in flight: their replies are sent
//             before the connection closes.
//   Writer:   sends everything queued in one write (the replies to the
//             frames of one read leave together). On plain TCP the reader
//             itself sends them first, with one non-blocking write just
//             before it waits for more bytes (SendQueued), when no write is
//             in flight; the writer only sends what the socket did not take
//             then, TLS records, and replies queued by anything else
//             (writes, errors, shutdown). Before either writes, it makes
//             sure the audit entries of the checks it answers have been
//             written (AuditLog::WriteThrough, group commit: one write(2)
//             for the entries of all connections appended since the last);
//             if that fails the replies are dropped and the connection is
//             closed, so no receipt is shown whose entry is not in the log.
//   Watchdog: a deadline pushed forward by every read and every completed
//             write; on expiry it queues an idle_timeout error frame and,
//             after a grace second, closes the socket (STYLE 13).
// With TLS (a server context given) the connection first completes a TLS
// handshake, bounded by idle_timeout_seconds; a client that does not speak
// TLS (plain frames on a TLS port) fails the handshake and is closed without
// a reply (counted in tls_handshake_failures). Reader and Writer then use
// the TLS stream; Asio allows one read and one write in flight on it, both on
// the strand.
// Framing errors queue an error frame and close after it is flushed;
// request errors are ordinary replies. Queued reply bytes over
// max_output_buffer_bytes close the connection (a client that never reads).
#ifndef CREDITD_DAEMON_SESSION_H_
#define CREDITD_DAEMON_SESSION_H_

#include "daemon/asio_internal.h"
#include "daemon/dispatcher.h"
#include "daemon/error_codes.h"
#include "daemon/protocol/frame.h"
#include "daemon/state.h"

// clang-format off
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
// clang-format on

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

class Session : public std::enable_shared_from_this<Session> {
 public:
  // Writes of one connection dispatched to the writer and not yet answered.
  static constexpr int kMaxPendingWrites = 16;
  // Bytes one read may take from the socket; bodies up to this size are
  // dispatched in place.
  static constexpr size_t kReadBufferBytes = 64 * 1024;

  // `writer`: the executor every write request runs on (one thread, FIFO).
  // `tls`: the server TLS context, or null for plain TCP; the session keeps
  // it (a SIGHUP reload replaces the server's, not this one).
  Session(tcp::socket socket, DaemonState* state, Dispatcher* dispatcher,
          asio::any_io_executor writer,
          std::shared_ptr<asio::ssl::context> tls = nullptr);
  ~Session();

  // Runs the connection to its end. co_spawn it on socket's executor.
  asio::awaitable<void> Run();
  // Graceful stop: replies already queued are sent, then a shutting_down
  // error frame, then the connection closes. Thread-safe (posts to the
  // strand).
  void Shutdown();
  tcp::socket::executor_type executor() { return socket_.get_executor(); }

 private:
  asio::awaitable<void> Reader();
  asio::awaitable<void> Writer();
  asio::awaitable<void> Watchdog();
  // Dispatches a write request on writer_ and queues its reply.
  asio::awaitable<void> RunWrite(protocol::FrameHeader header,
                                 std::string body);
  // Queues a frame; closes the connection when the queue grows past
  // max_output_buffer_bytes.
  void Enqueue(uint16_t opcode, uint64_t request_id, uint8_t flags,
               std::string_view body);
  // Completes a frame whose body was appended to queue_ behind kHeaderSize
  // bytes reserved at `start`: writes its header, counts it (closing over
  // the limit) and wakes the writer.
  void FinishFrame(size_t start, uint16_t opcode, uint64_t request_id,
                   uint8_t flags);
  // The reader, before it waits (for bytes or a write slot): sends queue_
  // at once with one non-blocking write when the writer is idle (plain TCP;
  // after AuditWriteThrough, as the writer would), leaving any rest to the
  // writer; otherwise wakes the writer. Saves the writer's wake-up and
  // asynchronous write per reply.
  // When the audit entries of the queued replies still have to be written,
  // it posts the send (SendNow) instead, so that the entries of the other
  // connections' requests answered meanwhile share its write(2) (group
  // commit), as they did when the writer was woken.
  void SendQueued();
  void SendNow();
  // Counts `bytes` into output_bytes_; false (and closed) over the limit.
  bool ReserveOutput(size_t bytes);
  // After a dispatch: when the audit log grew since `before` (its
  // appended_seq), the reply may carry a receipt; remember what to write
  // through before sending.
  void NoteAudit(uint64_t before);
  // Queues an error frame (request id `id`) and closes after it is sent.
  void FailAndClose(WireError code, std::string message, uint64_t id = 0,
                    uint16_t opcode = 0);
  void CloseAfterFlush();
  void HardClose();
  void Wake();
  void Touch();
  // The socket or the TLS stream, whichever this connection uses.
  asio::awaitable<size_t> ReadSome(asio::mutable_buffer buffer,
                                   boost::system::error_code& ec);
  asio::awaitable<void> WriteAll(std::string_view bytes,
                                 boost::system::error_code& ec);

  tcp::socket socket_;
  std::shared_ptr<asio::ssl::context> tls_context_;
  // Wraps socket_ (declared after it, so destroyed first).
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  DaemonState* state_;
  Dispatcher* dispatcher_;
  asio::any_io_executor writer_;
  std::shared_ptr<const DaemonConfig> config_;  // limits of this connection
  std::string peer_;
  SessionAuth auth_;

  asio::steady_timer wake_timer_;
  asio::steady_timer watchdog_timer_;
  asio::steady_timer write_slot_timer_;  // reader waits for a write slot
  std::chrono::steady_clock::time_point deadline_;

  std::string queue_;        // encoded frames, back to back
  size_t output_bytes_ = 0;  // queued + being written
  uint64_t audit_seq_ = 0;   // audit entries to write through before sending
  bool closing_ = false;     // no more reads; close once flushed
  bool closed_ = false;
  bool idle_reported_ = false;
  bool writer_done_ = false;
  bool writing_ = false;           // the writer has a write in flight
  bool send_posted_ = false;       // a SendNow is posted
  int pending_writes_ = 0;         // dispatched to writer_, reply not queued
  bool shutdown_pending_ = false;  // Shutdown() waits for pending_writes_
};

}  // namespace creditd

#endif  // CREDITD_DAEMON_SESSION_H_
