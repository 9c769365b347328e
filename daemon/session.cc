#include "daemon/session.h"

#include "daemon/command_table.h"
#include "daemon/protocol/frame_codec.h"

#include "absl/strings/str_format.h"
#include "spdlog/spdlog.h"

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
                 asio::any_io_executor writer, asio::ssl::context* tls)
    : socket_(std::move(socket)),
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
  if (tls != nullptr) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *tls);
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

asio::awaitable<void> Session::WriteAll(
    const std::vector<asio::const_buffer>& buffers,
    boost::system::error_code& ec) {
  if (!tls_) {
    co_await asio::async_write(socket_, buffers,
                               redirect_error(use_awaitable, ec));
    co_return;
  }
  // The TLS stream encrypts one buffer per record: join the frames so that
  // pipelined replies still leave in as few records as possible.
  std::string joined;
  joined.reserve(asio::buffer_size(buffers));
  for (const asio::const_buffer& b : buffers) {
    joined.append(static_cast<const char*>(b.data()), b.size());
  }
  co_await asio::async_write(*tls_, asio::buffer(joined),
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

void Session::Enqueue(std::string frame) {
  if (closed_) return;
  output_bytes_ += frame.size();
  if (output_bytes_ > static_cast<size_t>(config_->max_output_buffer_bytes)) {
    spdlog::warn(
        "event=disconnect reason=output_buffer peer={} queued={} limit={}",
        peer_, output_bytes_, config_->max_output_buffer_bytes);
    HardClose();
    return;
  }
  queue_.push_back(std::move(frame));
  Wake();
}

void Session::FailAndClose(WireError code, std::string message, uint64_t id,
                           uint16_t opcode) {
  Enqueue(protocol::EncodeFrame(
      opcode, id, protocol::kFlagResponse | protocol::kFlagError,
      Dispatcher::ErrorBody(code, SafeMessage(message))));
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
  std::array<std::byte, kHeaderSize> header_bytes;
  boost::system::error_code ec;
  while (!closing_) {
    // Backpressure: no more reading while this connection has
    // kMaxPendingWrites writes in flight (RunWrite wakes us).
    while (pending_writes_ >= kMaxPendingWrites && !closing_) {
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
    size_t have = 0;
    DecodeResult decoded;
    while (true) {
      const size_t n = co_await ReadSome(
          asio::buffer(header_bytes.data() + have, kHeaderSize - have), ec);
      if (ec || closing_) co_return;  // EOF, reset, or closed by us
      have += n;
      Touch();
      decoded = protocol::DecodeFrameHeader(
          std::span<const std::byte>(header_bytes.data(), have), limit,
          limit_name);
      if (decoded.state != DecodeResult::State::kNeedMore) break;
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
    // The body is allocated only now, after the limit check.
    std::string body(h.body_length, '\0');
    size_t got = 0;
    while (got < body.size()) {
      const size_t n = co_await ReadSome(
          asio::buffer(body.data() + got, body.size() - got), ec);
      if (ec || closing_) co_return;
      got += n;
      Touch();
    }
    const CommandRow* row = FindCommand(h.opcode, nullptr);
    if (row != nullptr && (row->flags & kCmdWrite) != 0 &&
        auth_.authenticated) {
      // Off the I/O thread (see the header); the reader goes on.
      ++pending_writes_;
      auto self = shared_from_this();
      asio::co_spawn(
          socket_.get_executor(),
          [self, h, b = std::move(body)]() mutable {
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
    DispatchResult r = dispatcher_->Dispatch(h, body, ctx);
    // A wrong token closes the connection: one guess per connection.
    if (r.error == WireError::kUnauthenticated) r.close_after = true;
    Enqueue(protocol::EncodeFrame(h.opcode, h.request_id, r.flags, r.body));
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
  asio::post(writer_, [completion, dispatcher = dispatcher_, state = state_,
                       auth = auth_, peer = peer_, h,
                       body = std::move(body)]() mutable {
    RequestContext ctx;
    ctx.state = state;
    ctx.session = &auth;
    ctx.request_id = h.request_id;
    ctx.peer = std::move(peer);
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
  --pending_writes_;
  write_slot_timer_.cancel();
  if (closed_) co_return;  // the write is applied; nobody to tell
  Touch();
  Enqueue(protocol::EncodeFrame(h.opcode, h.request_id, r.flags, r.body));
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
  std::vector<std::string> sending;
  std::vector<asio::const_buffer> buffers;
  while (!closed_) {
    if (queue_.empty()) {
      // Writes in flight still owe a reply: RunWrite wakes us.
      if (closing_ && pending_writes_ == 0) break;
      wake_timer_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_timer_.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    sending.swap(queue_);
    buffers.clear();
    size_t bytes = 0;
    for (const std::string& f : sending) {
      buffers.emplace_back(f.data(), f.size());
      bytes += f.size();
    }
    co_await WriteAll(buffers, ec);
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
