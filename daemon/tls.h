// TLS on the client port: the server context built from [tls] in the config.
//
//   auto ctx = MakeServerTlsContext(config);   // at start, before loading
//   if (!ctx.ok()) -> print ctx.status().message(), exit 1
//
// TLS 1.2 is the minimum; the certificate chain and key are PEM files. Client
// certificates are not requested. The files are read at start and again on
// SIGHUP (daemon/server.h: a renewed pair is used for new connections; a
// pair that does not load keeps the old context).
#ifndef CREDITD_DAEMON_TLS_H_
#define CREDITD_DAEMON_TLS_H_

#include "config/daemon_config.h"
#include "daemon/asio_internal.h"

#include "absl/status/statusor.h"

// clang-format off
#include <boost/asio/ssl/context.hpp>
// clang-format on

#include <memory>

namespace creditd {

// Null when config.tls_enabled is false. Otherwise the context, or
// InvalidArgument naming the config line, the key, the file and OpenSSL's
// reason, e.g.
//   "creditd.toml:41: tls.cert_file: cannot load '/etc/creditd/cert.pem':
//    error:0480006C:PEM routines::no start line"
//   "creditd.toml:42: tls.key_file: '/etc/creditd/key.pem' does not match
//    the certificate in tls.cert_file (...)"
absl::StatusOr<std::shared_ptr<asio::ssl::context>> MakeServerTlsContext(
    const DaemonConfig& config);

}  // namespace creditd

#endif  // CREDITD_DAEMON_TLS_H_
