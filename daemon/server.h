// The creditd server: the client port, the metrics port, the I/O thread pool
// and the signals.
//
//   Server server(&state, config_path);
//   if (auto s = server.Start(); !s.ok()) ...   // binds both ports
//   return server.Run();                         // until SIGTERM / SIGINT
//
// SIGTERM/SIGINT: stop accepting, let every connection send what it has
// queued plus a shutting_down error frame, close, and return 0 (connections
// that do not drain within 5 s are closed hard). SIGHUP: reload the config
// file and the measures list; on error keep the old ones and log why. With
// TLS, SIGHUP also reloads the certificate chain and key (tls.cert_file,
// tls.key_file of the config in force after the reload): new connections
// get the new pair, open ones keep theirs; a pair that does not load keeps
// the old one (event=tls_reload_failed, logged with the reason).
//
// Thread safety: Start and Run from one thread; Stop from any thread.
#ifndef CREDITD_DAEMON_SERVER_H_
#define CREDITD_DAEMON_SERVER_H_

#include "daemon/state.h"

#include "absl/status/status.h"

#include <cstdint>
#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace creditd {

class Server {
 public:
  // `config_path` is re-read on SIGHUP; empty = no reload. `data_dir`
  // overrides the file's server.data_dir on reload as at start. `tls`: the
  // client port speaks TLS with this context (daemon/tls.h); null = plain
  // TCP.
  Server(DaemonState* state, std::string config_path,
         std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~Server();

  // Binds the client port (and the metrics port when enabled). Unavailable
  // "listen 127.0.0.1:7379: Address already in use" on failure.
  absl::Status Start();
  // Runs the I/O threads until stopped. Returns the exit status (0).
  int Run();
  // Begins a graceful stop, as SIGTERM.
  void Stop();

  uint16_t port() const;
  uint16_t metrics_port() const;  // 0 when disabled

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace creditd

#endif  // CREDITD_DAEMON_SERVER_H_
