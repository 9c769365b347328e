#include "daemon/server.h"

#include "config/config_loader.h"
#include "daemon/asio_internal.h"
#include "daemon/dispatcher.h"
#include "daemon/metrics.h"
#include "daemon/name_refresher.h"
#include "daemon/protocol/frame_codec.h"
#include "daemon/session.h"
#include "daemon/tls.h"

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "spdlog/spdlog.h"

// clang-format off
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on

#include <csignal>
#include <list>
#include <thread>
#include <vector>

namespace creditd {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using asio::redirect_error;
using asio::use_awaitable;

struct Server::Impl {
  Impl(DaemonState* s, std::string path,
       std::shared_ptr<asio::ssl::context> tls_context)
      : state(s),
        config_path(std::move(path)),
        tls(std::move(tls_context)),
        dispatcher(s),
        names(s),
        acceptor(io),
        metrics_acceptor(io),
        signals(io, SIGTERM, SIGINT, SIGHUP),
        drain_timer(io) {}

  asio::awaitable<void> Listen();
  asio::awaitable<void> ServeMetrics();
  asio::awaitable<void> MetricsConnection(tcp::socket socket);
  asio::awaitable<void> Refuse(tcp::socket socket);
  asio::awaitable<void> Signals();
  void BeginStop();
  void Reload();
  void ReloadConfig();
  // SIGHUP: rebuilds the TLS context from the certificate and key files
  // named in the config in force; on error keeps the old one.
  void ReloadTls();
  std::shared_ptr<asio::ssl::context> tls_context() {
    absl::MutexLock lock(&tls_mu);
    return tls;
  }

  DaemonState* state;
  std::string config_path;
  // Null: plain TCP (fixed at start). Replaced by ReloadTls; a session keeps
  // the context it was accepted with.
  absl::Mutex tls_mu;
  std::shared_ptr<asio::ssl::context> tls ABSL_GUARDED_BY(tls_mu);
  Dispatcher dispatcher;
  NameRefresher names;
  asio::io_context io;
  tcp::acceptor acceptor;
  tcp::acceptor metrics_acceptor;
  asio::signal_set signals;
  asio::steady_timer drain_timer;
  // Every write request runs here, one at a time in arrival order, so a
  // Xapian commit (an fsync, milliseconds to seconds for a big batch) never
  // blocks an I/O thread (daemon/session.h).
  asio::thread_pool writer{1};
  bool stopping = false;
  bool metrics_enabled = false;

  absl::Mutex mu;
  std::list<std::weak_ptr<Session>> sessions ABSL_GUARDED_BY(mu);
};

Server::Server(DaemonState* state, std::string config_path,
               std::shared_ptr<asio::ssl::context> tls)
    : impl_(std::make_unique<Impl>(state, std::move(config_path),
                                   std::move(tls))) {}

Server::~Server() = default;

namespace {

absl::Status Bind(tcp::acceptor& a, const std::string& address, int64_t port) {
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(address, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrFormat("listen %s: not an IP address", address));
  }
  const tcp::endpoint ep(addr, static_cast<uint16_t>(port));
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrFormat("listen %s:%d: %s", address, port, ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Server::Start() {
  const auto cfg = impl_->state->config();
  if (absl::Status s =
          Bind(impl_->acceptor, cfg->listen_address, cfg->listen_port);
      !s.ok()) {
    return s;
  }
  if (cfg->metrics_enabled) {
    if (absl::Status s = Bind(impl_->metrics_acceptor, cfg->metrics_address,
                              cfg->metrics_port);
        !s.ok()) {
      return s;
    }
    impl_->metrics_enabled = true;
  }
  return absl::OkStatus();
}

uint16_t Server::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

uint16_t Server::metrics_port() const {
  if (!impl_->metrics_enabled) return 0;
  boost::system::error_code ec;
  return impl_->metrics_acceptor.local_endpoint(ec).port();
}

int Server::Run() {
  Impl& d = *impl_;
  asio::co_spawn(d.io, d.Listen(), asio::detached);
  if (d.metrics_enabled) asio::co_spawn(d.io, d.ServeMetrics(), asio::detached);
  asio::co_spawn(d.io, d.Signals(), asio::detached);
  int64_t threads = d.state->config()->io_threads;
  if (threads <= 0) {
    threads = std::max<int64_t>(1, std::thread::hardware_concurrency());
  }
  spdlog::info("event=serving io_threads={} tls={}", threads,
               d.tls_context() != nullptr);
  d.state->set_subjects_changed_listener(
      [&d](uint64_t version) { d.names.Notify(version); });
  d.names.Start();
  std::vector<std::thread> pool;
  for (int64_t i = 1; i < threads; ++i) {
    pool.emplace_back([&d]() { d.io.run(); });
  }
  d.io.run();
  for (std::thread& t : pool) t.join();
  // A write still running (the drain was forced) finishes its commit.
  d.writer.join();
  d.names.Stop();
  spdlog::info("event=stopped");
  return 0;
}

void Server::Stop() {
  asio::post(impl_->io, [this]() { impl_->BeginStop(); });
}

void Server::Impl::BeginStop() {
  if (stopping) return;
  stopping = true;
  spdlog::info("event=stopping connections={}", state->connections.load());
  boost::system::error_code ec;
  acceptor.close(ec);
  metrics_acceptor.close(ec);
  signals.cancel(ec);
  {
    absl::MutexLock lock(&mu);
    for (auto& w : sessions) {
      if (auto s = w.lock()) s->Shutdown();
    }
  }
  // Connections that do not drain in time (clients that never read) are
  // not allowed to hold the process: stop the loop after 5 s.
  drain_timer.expires_after(std::chrono::seconds(5));
  drain_timer.async_wait([this](const boost::system::error_code& e) {
    if (!e && state->connections.load() > 0) {
      spdlog::warn("event=stop_forced connections={}",
                   state->connections.load());
      io.stop();
    }
  });
  // Let the timer not keep the loop alive once every session has closed.
  asio::co_spawn(
      io,
      [this]() -> asio::awaitable<void> {
        asio::steady_timer t(io);
        boost::system::error_code e;
        while (state->connections.load() > 0) {
          t.expires_after(std::chrono::milliseconds(20));
          co_await t.async_wait(redirect_error(use_awaitable, e));
        }
        drain_timer.cancel();
      },
      asio::detached);
}

asio::awaitable<void> Server::Impl::Refuse(tcp::socket socket) {
  const std::string frame = protocol::EncodeFrame(
      0, 0, protocol::kFlagResponse | protocol::kFlagError,
      Dispatcher::ErrorBody(WireError::kTooManyConnections,
                            "connection: max_connections reached"));
  boost::system::error_code ec;
  co_await asio::async_write(socket, asio::buffer(frame),
                             redirect_error(use_awaitable, ec));
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

asio::awaitable<void> Server::Impl::Listen() {
  boost::system::error_code ec;
  while (!stopping) {
    tcp::socket socket = co_await acceptor.async_accept(
        asio::make_strand(io), redirect_error(use_awaitable, ec));
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) break;
      spdlog::warn("event=accept_error error=\"{}\"", ec.message());
      continue;
    }
    const auto cfg = state->config();
    if (state->connections.load() >= cfg->max_connections) {
      state->connections_refused.fetch_add(1);
      spdlog::warn("event=refused reason=max_connections limit={}",
                   cfg->max_connections);
      auto ex = socket.get_executor();
      asio::co_spawn(ex, Refuse(std::move(socket)), asio::detached);
      continue;
    }
    auto session =
        std::make_shared<Session>(std::move(socket), state, &dispatcher,
                                  writer.get_executor(), tls_context());
    {
      absl::MutexLock lock(&mu);
      // Drop entries of closed sessions as we go.
      sessions.remove_if(
          [](const std::weak_ptr<Session>& w) { return w.expired(); });
      sessions.push_back(session);
    }
    asio::co_spawn(
        session->executor(), [session]() { return session->Run(); },
        asio::detached);
  }
}

asio::awaitable<void> Server::Impl::Signals() {
  boost::system::error_code ec;
  while (!stopping) {
    const int sig =
        co_await signals.async_wait(redirect_error(use_awaitable, ec));
    if (ec) break;
    if (sig == SIGHUP) {
      Reload();
    } else {
      spdlog::info("event=signal signal={}", sig == SIGTERM ? "TERM" : "INT");
      BeginStop();
    }
  }
}

void Server::Impl::Reload() {
  if (config_path.empty()) {
    spdlog::warn("event=reload_skipped reason=\"no config file\"");
    return;
  }
  ReloadConfig();
  // Whatever happened to the config: a renewed pair must not wait for an
  // unrelated config fix.
  ReloadTls();
}

void Server::Impl::ReloadConfig() {
  absl::StatusOr<DaemonConfig> cfg = LoadDaemonConfig(config_path);
  if (!cfg.ok()) {
    spdlog::error("event=reload_failed error=\"{}\" (keeping the old config)",
                  std::string(cfg.status().message()));
    return;
  }
  // The data directory and the listen addresses apply only at start.
  cfg->data_dir = state->config()->data_dir;
  absl::StatusOr<MeasuresList> measures =
      cfg->measures_file.empty() ? MeasuresList::BuiltinDefault()
                                 : MeasuresList::Load(cfg->measures_file);
  if (!measures.ok()) {
    spdlog::error(
        "event=reload_failed error=\"{}\" (keeping the old measures list)",
        std::string(measures.status().message()));
    return;
  }
  if (absl::Status s = state->Install(
          std::move(*cfg),
          std::make_shared<const MeasuresList>(std::move(*measures)));
      !s.ok()) {
    spdlog::error("event=reload_failed error=\"{}\"", std::string(s.message()));
    return;
  }
  // Rebuild the name index too (in the background, not on this I/O
  // thread): an operator's way to force it, e.g. after a failed refresh.
  names.RequestRebuild();
  spdlog::info("event=reloaded config={} measures_version={}", config_path,
               state->measures()->version());
}

void Server::Impl::ReloadTls() {
  if (tls_context() == nullptr) return;  // plain TCP since start
  // The config in force: the new one when it was valid, else the old one
  // (whose files may hold a renewed pair).
  const auto cfg = state->config();
  if (!cfg->tls_enabled) {
    spdlog::warn(
        "event=tls_reload_skipped reason=\"tls.enabled is false in the "
        "config; TLS on or off applies only at start\"");
    return;
  }
  absl::StatusOr<std::shared_ptr<asio::ssl::context>> fresh =
      MakeServerTlsContext(*cfg);
  if (!fresh.ok()) {
    spdlog::error(
        "event=tls_reload_failed error=\"{}\" (keeping the old certificate)",
        std::string(fresh.status().message()));
    return;
  }
  {
    absl::MutexLock lock(&tls_mu);
    tls = std::move(*fresh);
  }
  spdlog::info("event=tls_reloaded cert_file={} key_file={}",
               cfg->tls_cert_file, cfg->tls_key_file);
}

asio::awaitable<void> Server::Impl::ServeMetrics() {
  boost::system::error_code ec;
  while (!stopping) {
    tcp::socket socket = co_await metrics_acceptor.async_accept(
        asio::make_strand(io), redirect_error(use_awaitable, ec));
    if (ec) break;
    auto ex = socket.get_executor();
    asio::co_spawn(ex, MetricsConnection(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Server::Impl::MetricsConnection(tcp::socket socket) {
  beast::flat_buffer buffer(8192);
  boost::system::error_code ec;
  asio::steady_timer deadline(socket.get_executor());
  // One request per connection: Prometheus and probes reconnect anyway.
  deadline.expires_after(std::chrono::seconds(10));
  deadline.async_wait([&socket](const boost::system::error_code& e) {
    if (!e) {
      boost::system::error_code ignored;
      socket.close(ignored);
    }
  });
  http::request_parser<http::empty_body> parser;
  parser.header_limit(8192);
  co_await http::async_read(socket, buffer, parser,
                            redirect_error(use_awaitable, ec));
  if (ec) {
    deadline.cancel();
    co_return;
  }
  const auto& req = parser.get();
  http::response<http::string_body> res;
  res.version(req.version());
  res.keep_alive(false);
  const std::string target(req.target());
  if (req.method() != http::verb::get) {
    res.result(http::status::method_not_allowed);
    res.body() = "GET only\n";
  } else if (target == "/metrics") {
    res.result(http::status::ok);
    res.set(http::field::content_type, "text/plain; version=0.0.4");
    res.body() = RenderMetrics(*state);
  } else if (target == "/healthz") {
    res.result(http::status::ok);
    res.body() = "ok\n";
  } else if (target == "/readyz") {
    const bool ready = !stopping && state->snapshot() != nullptr;
    res.result(ready ? http::status::ok : http::status::service_unavailable);
    res.body() = ready ? "ready\n" : "not ready\n";
  } else {
    res.result(http::status::not_found);
    res.body() = "not found (try /metrics, /healthz, /readyz)\n";
  }
  res.prepare_payload();
  co_await http::async_write(socket, res, redirect_error(use_awaitable, ec));
  socket.shutdown(tcp::socket::shutdown_both, ec);
  deadline.cancel();
}

}  // namespace creditd
