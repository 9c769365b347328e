#include "daemon/tls.h"

#include "absl/strings/str_format.h"
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace creditd {
namespace {

// OpenSSL's reason for the last failure (the error queue's newest entry),
// then the queue is cleared so that the next call starts clean.
std::string OpenSslReason() {
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

// "file:line: key" for messages; just "key" for a config built in code.
std::string Where(const std::string& origin, std::string_view key) {
  return origin.empty()
             ? std::string(key)
             : absl::StrFormat("%s: %s", origin,
                               absl::string_view(key.data(), key.size()));
}

// A readable regular file, or the errno reason: clearer than OpenSSL's
// "system library" error for the common mistakes.
absl::Status Readable(const std::string& where, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: cannot read '%s': %s", where, path, std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<asio::ssl::context>> MakeServerTlsContext(
    const DaemonConfig& config) {
  if (!config.tls_enabled) return nullptr;
  const std::string cert_where =
      Where(config.tls_cert_file_origin, "tls.cert_file");
  const std::string key_where =
      Where(config.tls_key_file_origin, "tls.key_file");
  if (absl::Status s = Readable(cert_where, config.tls_cert_file); !s.ok()) {
    return s;
  }
  if (absl::Status s = Readable(key_where, config.tls_key_file); !s.ok()) {
    return s;
  }
  auto ctx =
      std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* h = ctx->native_handle();
  ERR_clear_error();
  // TLS 1.2 at least; no renegotiation by clients; compression off (CRIME).
  if (SSL_CTX_set_min_proto_version(h, TLS1_2_VERSION) != 1) {
    return absl::InternalError("tls: cannot set TLS 1.2 as the minimum: " +
                               OpenSslReason());
  }
  SSL_CTX_set_options(h, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                             SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(h, config.tls_cert_file.c_str()) !=
      1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: cannot load '%s' as a PEM certificate chain: %s",
                        cert_where, config.tls_cert_file, OpenSslReason()));
  }
  if (SSL_CTX_use_PrivateKey_file(h, config.tls_key_file.c_str(),
                                  SSL_FILETYPE_PEM) != 1) {
    const std::string reason = OpenSslReason();
    // OpenSSL 3 checks the pair while loading the key.
    if (reason.find("key values mismatch") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: '%s' does not match the certificate in tls.cert_file (%s)",
          key_where, config.tls_key_file, reason));
    }
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: cannot load '%s' as a PEM private key: %s",
                        key_where, config.tls_key_file, reason));
  }
  if (SSL_CTX_check_private_key(h) != 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: '%s' does not match the certificate in tls.cert_file (%s)",
        key_where, config.tls_key_file, OpenSslReason()));
  }
  return ctx;
}

}  // namespace creditd
