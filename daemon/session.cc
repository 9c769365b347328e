#include "daemon/session.h"

#include "daemon/command_table.h"
#include "daemon/protocol/frame_codec.h"

#include "absl/strings/str_format.h"
#include "spdlog/spdlog.h"

#include <algorithm>
#include <cstring>
#include <span>

namespace creditd {

using asio::redirect_error;
using asio::use_awaitable;
using protocol::DecodeResult;
using protocol::FrameHeader;
using protocol::kHeaderSize;

namespace {

// A write's result on its way back from the writer thread to the session's
// strand. The session waits on `timer` (expiry never; completion cancels it),
// the plain Boost 1.74 way to await an event from another thread.
struct WriteCompletion {
  explicit WriteCompletion(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  DispatchResult result;
  bool done = false;  // set on the strand
};

}  // namespace

Session::Session(tcp::socket socket, DaemonState* state, Dispatcher* dispatcher,
                 asio::any_io_executor writer,
                 std::shared_ptr<asio::ssl::context> tls)
    : socket_(std::move(socket)),
      tls_context_(std::move(tls)),
      state_(state),
      dispatcher_(dispatcher),
      writer_(std::move(writer)),
      config_(state->config()),
      wake_timer_(socket_.get_executor()),
      watchdog_timer_(socket_.get_executor()),
      write_slot_timer_(socket_.get_executor()) {
  boost::system::error_code ec;
  const auto ep = socket_.remote_endpoint(ec);
  peer_ =
      ec ? "?" : absl::StrFormat("%s:%d", ep.address().to_string(), ep.port());
  socket_.set_option(tcp::no_delay(true), ec);
  if (tls_context_ != nullptr) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_,
                                                             *tls_context_);
  } else {
    // SendQueued() writes with write_some, which must not block the I/O
    // thread. (Asynchronous operations behave the same either way.)
    socket_.non_blocking(true, ec);
  }
  state_->connections.fetch_add(1);
  state_->connections_total.fetch_add(1);
}

Session::~Session() { state_->connections.fetch_sub(1); }

void Session::Touch() {
  deadline_ = std::chrono::steady_clock::now() +
              std::chrono::seconds(config_->idle_timeout_seconds);
}

void Session::Wake() { wake_timer_.cancel(); }

asio::awaitable<size_t> Session::ReadSome(asio::mutable_buffer buffer,
                                          boost::system::error_code& ec) {
  if (tls_) {
    co_return co_await tls_->async_read_some(buffer,
                                             redirect_error(use_awaitable, ec));
  }
  co_return co_await socket_.async_read_some(buffer,
                                             redirect_error(use_awaitable, ec));
}

asio::awaitable<void> Session::WriteAll(std::string_view bytes,
                                        boost::system::error_code& ec) {
  // One buffer: the frames queued since the last write, back to back, so the
  // TLS stream seals them in as few records as possible.
  if (tls_) {
    co_await asio::async_write(*tls_, asio::buffer(bytes),
                               redirect_error(use_awaitable, ec));
    co_return;
  }
  co_await asio::async_write(socket_, asio::buffer(bytes),
                             redirect_error(use_awaitable, ec));
}

asio::awaitable<void> Session::Run() {
  auto self = shared_from_this();
  Touch();
  if (tls_) {
    // The handshake is bounded like any other read: a client that connects
    // and says nothing is closed after idle_timeout_seconds.
    watchdog_timer_.expires_at(deadline_);
    watchdog_timer_.async_wait([self](const boost::system::error_code& e) {
      if (!e) {
        boost::system::error_code ignored;
        self->socket_.close(ignored);
      }
    });
    boost::system::error_code ec;
    co_await tls_->async_handshake(asio::ssl::stream_base::server,
                                   redirect_error(use_awaitable, ec));
    watchdog_timer_.cancel();
    if (ec) {
      state_->tls_handshake_failures.fetch_add(1);
      spdlog::warn("event=tls_handshake_failed peer={} error=\"{}\"", peer_,
                   SafeMessage(ec.message()));
      HardClose();
      co_return;
    }
    Touch();
  }
  asio::co_spawn(
      socket_.get_executor(), [self]() { return self->Writer(); },
      asio::detached);
  asio::co_spawn(
      socket_.get_executor(), [self]() { return self->Watchdog(); },
      asio::detached);
  co_await Reader();
  CloseAfterFlush();
}

void Session::Shutdown() {
  auto self = shared_from_this();
  asio::post(socket_.get_executor(), [self]() {
    if (self->closing_ || self->closed_) return;
    boost::system::error_code ec;
    if (self->pending_writes_ > 0) {
      // Let the writes in flight finish and answer first (RunWrite sends
      // the shutting_down frame after the last one).
      self->shutdown_pending_ = true;
      self->closing_ = true;
      self->socket_.shutdown(tcp::socket::shutdown_receive, ec);
      return;
    }
    self->FailAndClose(WireError::kShuttingDown, "server: shutting down");
    // The reader may sit in a read: stop it (the writer flushes first).
    self->socket_.shutdown(tcp::socket::shutdown_receive, ec);
  });
}

bool Session::ReserveOutput(size_t bytes) {
  if (closed_) return false;
  output_bytes_ += bytes;
  if (output_bytes_ > static_cast<size_t>(config_->max_output_buffer_bytes)) {
    spdlog::warn(
        "event=disconnect reason=output_buffer peer={} queued={} limit={}",
        peer_, output_bytes_, config_->max_output_buffer_bytes);
    HardClose();
    return false;
  }
  return true;
}

void Session::Enqueue(uint16_t opcode, uint64_t request_id, uint8_t flags,
                      std::string_view body) {
  if (!ReserveOutput(kHeaderSize + body.size())) return;
  FrameHeader h;
  h.opcode = opcode;
  h.request_id = request_id;
  h.flags = flags;
  protocol::EncodeFrame(h, body, &queue_);
  Wake();
}

void Session::FinishFrame(size_t start, uint16_t opcode, uint64_t request_id,
                          uint8_t flags) {
  const size_t body_length = queue_.size() - start - kHeaderSize;
  if (closed_) {
    queue_.resize(start);
    return;
  }
  if (!ReserveOutput(kHeaderSize + body_length)) return;  // closed, cleared
  FrameHeader h;
  h.opcode = opcode;
  h.request_id = request_id;
  h.flags = flags;
  h.body_length = static_cast<uint32_t>(body_length);
  const auto header = protocol::EncodeHeader(h);
  std::memcpy(queue_.data() + start, header.data(), header.size());
  // No Wake(): the reader sends (SendQueued) before it waits for anything.
}

void Session::SendQueued() {
  if (queue_.empty() || closed_) return;
  if (tls_ || writing_ || closing_) {
    Wake();  // the writer's turn: TLS, a write in flight, or closing
    return;
  }
  if (audit_seq_ > 0 && !state_->audit_written(audit_seq_)) {
    // Group commit: the entries must be written first. Send a little later,
    // once the requests other connections have ready were answered too, so
    // that one write(2) carries all their entries.
    if (!send_posted_) {
      send_posted_ = true;
      asio::post(socket_.get_executor(), [self = shared_from_this()]() {
        self->send_posted_ = false;
        self->SendNow();
      });
    }
    return;
  }
  SendNow();
}

void Session::SendNow() {
  if (queue_.empty() || closed_) return;
  if (tls_ || writing_ || closing_) {
    Wake();
    return;
  }
  // As Writer(): no receipt leaves before its audit entry was written.
  if (audit_seq_ > 0) {
    if (absl::Status s = state_->AuditWriteThrough(audit_seq_); !s.ok()) {
      spdlog::error("event=audit_write_failed peer={} error=\"{}\"", peer_,
                    std::string(s.message()));
      HardClose();
      return;
    }
    audit_seq_ = 0;
  }
  // The socket is non-blocking: this sends what the kernel takes now.
  boost::system::error_code ec;
  size_t n = socket_.write_some(asio::buffer(queue_), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    n = 0;
    ec.clear();
  }
  if (ec) {
    HardClose();
    return;
  }
  output_bytes_ -= std::min(output_bytes_, n);
  queue_.erase(0, n);
  Touch();
  if (!queue_.empty()) Wake();  // the rest when the socket drains
}

void Session::NoteAudit(uint64_t before) {
  const uint64_t after = state_->audit_appended_seq();
  if (after != before) audit_seq_ = std::max(audit_seq_, after);
}

void Session::FailAndClose(WireError code, std::string message, uint64_t id,
                           uint16_t opcode) {
  Enqueue(opcode, id, protocol::kFlagResponse | protocol::kFlagError,
          Dispatcher::ErrorBody(code, SafeMessage(message)));
  CloseAfterFlush();
}

void Session::CloseAfterFlush() {
  closing_ = true;
  Wake();
}

void Session::HardClose() {
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  queue_.clear();
  wake_timer_.cancel();
  watchdog_timer_.cancel();
  write_slot_timer_.cancel();
}

asio::awaitable<void> Session::Reader() {
  // Bytes read and not yet consumed are in_[begin, end). One read takes as
  // many bytes as the socket holds (up to the buffer), and every complete
  // frame in them is answered before the next read, so the replies to
  // pipelined requests leave in one write (the writer runs once the reader
  // waits for its next read).
  std::vector<std::byte> in(kReadBufferBytes);
  size_t begin = 0;
  size_t end = 0;
  boost::system::error_code ec;
  // Reads more bytes after in_[begin, end), moving them to the front first.
  // False on EOF, error or close.
  auto fill = [&]() -> asio::awaitable<bool> {
    // Replies to the frames answered so far leave before the reader waits.
    SendQueued();
    if (closed_) co_return false;
    if (begin > 0) {
      std::memmove(in.data(), in.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    const size_t n =
        co_await ReadSome(asio::buffer(in.data() + end, in.size() - end), ec);
    if (ec || closing_) co_return false;  // EOF, reset, or closed by us
    end += n;
    Touch();
    co_return true;
  };
  while (!closing_) {
    // Backpressure: no more reading while this connection has
    // kMaxPendingWrites writes in flight (RunWrite wakes us).
    while (pending_writes_ >= kMaxPendingWrites && !closing_) {
      SendQueued();
      write_slot_timer_.expires_at(asio::steady_timer::time_point::max());
      co_await write_slot_timer_.async_wait(redirect_error(use_awaitable, ec));
    }
    if (closing_) co_return;
    // Header, checked as it arrives.
    const bool authed = auth_.authenticated;
    const uint64_t limit = static_cast<uint64_t>(
        authed ? config_->max_frame_bytes : config_->max_preauth_frame_bytes);
    const char* limit_name =
        authed ? "max_frame_bytes" : "max_preauth_frame_bytes";
    DecodeResult decoded;
    while (true) {
      if (end > begin) {
        decoded = protocol::DecodeFrameHeader(
            std::span<const std::byte>(in.data() + begin,
                                       std::min(end - begin, kHeaderSize)),
            limit, limit_name);
        if (decoded.state != DecodeResult::State::kNeedMore) break;
      }
      if (!co_await fill()) co_return;
    }
    if (decoded.state == DecodeResult::State::kBad) {
      state_->framing_errors.fetch_add(1);
      const WireError code = decoded.reason.find("exceeds") != std::string::npos
                                 ? WireError::kFrameTooLarge
                                 : WireError::kProtocolError;
      spdlog::warn("event=framing_error peer={} reason=\"{}\"", peer_,
                   decoded.reason);
      FailAndClose(code, decoded.reason, decoded.header.request_id,
                   decoded.header.opcode);
      co_return;
    }
    const FrameHeader& h = decoded.header;
    begin += kHeaderSize;
    // The body: in place when it fits in the read buffer; otherwise
    // allocated only now, after the limit check, and read into directly.
    std::string big_body;
    std::string_view body;
    if (h.body_length <= in.size()) {
      while (end - begin < h.body_length) {
        if (!co_await fill()) co_return;
      }
      body = std::string_view(reinterpret_cast<const char*>(in.data() + begin),
                              h.body_length);
      begin += h.body_length;
    } else {
      big_body.resize(h.body_length);
      size_t got = end - begin;
      std::memcpy(big_body.data(), in.data() + begin, got);
      begin = end = 0;
      SendQueued();
      while (got < big_body.size()) {
        const size_t n = co_await ReadSome(
            asio::buffer(big_body.data() + got, big_body.size() - got), ec);
        if (ec || closing_) co_return;
        got += n;
        Touch();
      }
      body = big_body;
    }
    const CommandRow* row = FindCommand(h.opcode, nullptr);
    if (row != nullptr && (row->flags & kCmdWrite) != 0 &&
        auth_.authenticated) {
      // Off the I/O thread (see the header); the reader goes on.
      ++pending_writes_;
      auto self = shared_from_this();
      asio::co_spawn(
          socket_.get_executor(),
          [self, h, b = std::string(body)]() mutable {
            return self->RunWrite(h, std::move(b));
          },
          asio::detached);
      continue;
    }
    RequestContext ctx;
    ctx.state = state_;
    ctx.session = &auth_;
    ctx.request_id = h.request_id;
    ctx.peer = peer_;
    const uint64_t audit_before = state_->audit_appended_seq();
    // The reply is encoded straight into the output queue, behind room for
    // its header (written once the body's length is known).
    const size_t frame_start = queue_.size();
    queue_.append(kHeaderSize, '\0');
    DispatchResult r = dispatcher_->DispatchInto(h, body, ctx, &queue_);
    NoteAudit(audit_before);
    // A wrong token closes the connection: one guess per connection.
    if (r.error == WireError::kUnauthenticated) r.close_after = true;
    FinishFrame(frame_start, h.opcode, h.request_id, r.flags);
    if (r.close_after) {
      CloseAfterFlush();
      co_return;
    }
  }
}

asio::awaitable<void> Session::RunWrite(FrameHeader h, std::string body) {
  auto self = shared_from_this();
  // The writer thread gets copies: the reader may re-authenticate this
  // session meanwhile, and the request is judged by the credentials it
  // arrived under.
  auto completion = std::make_shared<WriteCompletion>(socket_.get_executor());
  const uint64_t audit_before = state_->audit_appended_seq();
  asio::post(writer_, [completion, dispatcher = dispatcher_, state = state_,
                       auth = auth_, peer = peer_, h,
                       body = std::move(body)]() mutable {
    RequestContext ctx;
    ctx.state = state;
    ctx.session = &auth;
    ctx.request_id = h.request_id;
    ctx.peer = peer;
    DispatchResult r = dispatcher->Dispatch(h, body, ctx);
    // Back to the session's strand: only there may `completion` change.
    auto ex = completion->timer.get_executor();
    asio::post(
        ex, [completion = std::move(completion), r = std::move(r)]() mutable {
          completion->result = std::move(r);
          completion->done = true;
          completion->timer.cancel();
        });
  });
  boost::system::error_code ec;
  while (!completion->done) {
    completion->timer.expires_at(asio::steady_timer::time_point::max());
    co_await completion->timer.async_wait(redirect_error(use_awaitable, ec));
  }
  DispatchResult& r = completion->result;
  NoteAudit(audit_before);
  --pending_writes_;
  write_slot_timer_.cancel();
  if (closed_) co_return;  // the write is applied; nobody to tell
  Touch();
  Enqueue(h.opcode, h.request_id, r.flags, r.body);
  if (pending_writes_ == 0 && shutdown_pending_) {
    shutdown_pending_ = false;
    FailAndClose(WireError::kShuttingDown, "server: shutting down");
  } else if (r.close_after) {
    CloseAfterFlush();
  }
}

asio::awaitable<void> Session::Writer() {
  auto self = shared_from_this();
  boost::system::error_code ec;
  std::string sending;
  while (!closed_) {
    if (queue_.empty()) {
      // Writes in flight still owe a reply: RunWrite wakes us.
      if (closing_ && pending_writes_ == 0) break;
      wake_timer_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_timer_.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    // No receipt leaves before its audit entry was handed to the kernel
    // (check/audit_log.h, group commit). One call writes the entries of
    // every connection appended since the last one.
    if (audit_seq_ > 0) {
      if (absl::Status s = state_->AuditWriteThrough(audit_seq_); !s.ok()) {
        // The replies are dropped, not sent: their receipts were not
        // written. The entries stay queued and are retried by the next call.
        spdlog::error("event=audit_write_failed peer={} error=\"{}\"", peer_,
                      std::string(s.message()));
        HardClose();
        break;
      }
      audit_seq_ = 0;
    }
    sending.swap(queue_);
    writing_ = true;
    co_await WriteAll(sending, ec);
    writing_ = false;
    const size_t bytes = sending.size();
    sending.clear();
    if (ec) {
      HardClose();
      break;
    }
    output_bytes_ -= std::min(output_bytes_, bytes);
    if (!closing_) Touch();
  }
  if (!closed_) {
    // Flushed everything and asked to close: a clean close.
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    HardClose();
  }
  writer_done_ = true;
}

asio::awaitable<void> Session::Watchdog() {
  auto self = shared_from_this();
  boost::system::error_code ec;
  while (!closed_) {
    watchdog_timer_.expires_at(deadline_);
    co_await watchdog_timer_.async_wait(redirect_error(use_awaitable, ec));
    if (closed_) break;
    if (std::chrono::steady_clock::now() < deadline_) continue;
    // A connection waiting for its own write's commit is not idle.
    if (pending_writes_ > 0) {
      Touch();
      continue;
    }
    if (!idle_reported_ && !closing_) {
      idle_reported_ = true;
      spdlog::info("event=disconnect reason=idle_timeout peer={}", peer_);
      FailAndClose(WireError::kIdleTimeout,
                   absl::StrFormat("connection: idle for %d s "
                                   "(idle_timeout_seconds)",
                                   config_->idle_timeout_seconds));
      // Stop the reader; give the writer a grace second to flush.
      socket_.shutdown(tcp::socket::shutdown_receive, ec);
      deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      continue;
    }
    // Closing but not flushed within the grace period (a client that does
    // not read), or idle again: close hard.
    if (closing_) {
      HardClose();
      break;
    }
    Touch();
  }
}

}  // namespace creditd
