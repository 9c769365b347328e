// Authentication and per-token rate limits.
//
// Tokens come from the config ([[auth.tokens]]): only the SHA-256 of each
// secret is held. Authenticate() hashes the presented token and compares it
// with every configured hash in constant time (OpenSSL CRYPTO_memcmp, and no
// early exit over the table), so neither the timing nor the order of the
// table tells a guesser how close they were.
//
// Rate limits are token buckets keyed by token name and shared by all the
// connections of that token (capacity = one second's worth of requests).
//
// Thread safety: every method may be called from any thread. Reload swaps the
// table atomically; buckets of tokens that survive a reload keep their state.
#ifndef CREDITD_DAEMON_AUTH_H_
#define CREDITD_DAEMON_AUTH_H_

#include "config/daemon_config.h"
#include "index/snapshot_ptr.h"

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

struct Principal {
  std::string name;  // the token's configured name
  uint8_t roles = 0;
  int64_t rate_limit_per_second = 0;
};

class Authenticator {
 public:
  // Installs the tokens of a (validated) config. InvalidArgument when a hash
  // is not 64 hex digits (Validate() should have refused it already).
  absl::Status Reload(const std::vector<AuthToken>& tokens);

  // The principal of `token`; Unauthenticated "auth: unknown token" when no
  // configured hash matches (the token itself is never echoed).
  absl::StatusOr<Principal> Authenticate(std::string_view token) const;

  // Takes one request from the principal's bucket. ResourceExhausted
  // "rate limit: token 'x' exceeds 1000 requests/s" when empty.
  absl::Status Admit(const Principal& principal);

  // Hex SHA-256 of `bytes` (64 lowercase digits).
  static std::string Sha256Hex(std::string_view bytes);

 private:
  struct Entry {
    std::array<uint8_t, 32> sha256;
    Principal principal;
  };
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
  };
  SnapshotPtr<const std::vector<Entry>> table_{
      std::make_shared<const std::vector<Entry>>()};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace creditd

#endif  // CREDITD_DAEMON_AUTH_H_
