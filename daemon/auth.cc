#include "daemon/auth.h"

#include "absl/strings/str_format.h"
#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace creditd {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::array<uint8_t, 32> Sha256(std::string_view bytes) {
  std::array<uint8_t, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         out.data());
  return out;
}

}  // namespace

std::string Authenticator::Sha256Hex(std::string_view bytes) {
  const auto digest = Sha256(bytes);
  std::string hex;
  hex.reserve(64);
  for (uint8_t b : digest) hex += absl::StrFormat("%02x", b);
  return hex;
}

absl::Status Authenticator::Reload(const std::vector<AuthToken>& tokens) {
  auto table = std::make_shared<std::vector<Entry>>();
  for (const AuthToken& t : tokens) {
    if (t.sha256_hex.size() != 64) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "auth.tokens '%s': sha256 is not 64 hex digits", t.name));
    }
    Entry e;
    for (size_t i = 0; i < 32; ++i) {
      const int hi = HexValue(t.sha256_hex[2 * i]);
      const int lo = HexValue(t.sha256_hex[2 * i + 1]);
      if (hi < 0 || lo < 0) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "auth.tokens '%s': sha256 is not 64 hex digits", t.name));
      }
      e.sha256[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    e.principal = {t.name, t.roles, t.rate_limit_per_second};
    table->push_back(std::move(e));
  }
  table_.store(std::move(table));
  return absl::OkStatus();
}

absl::StatusOr<Principal> Authenticator::Authenticate(
    std::string_view token) const {
  const auto digest = Sha256(token);
  const auto table = table_.load();
  // Compare with every entry, without leaving early, so the time taken does
  // not depend on where (or whether) the token is in the table.
  const Entry* found = nullptr;
  for (const Entry& e : *table) {
    if (CRYPTO_memcmp(digest.data(), e.sha256.data(), digest.size()) == 0) {
      found = &e;
    }
  }
  if (found == nullptr) {
    return absl::UnauthenticatedError("auth: unknown token");
  }
  return found->principal;
}

absl::Status Authenticator::Admit(const Principal& principal) {
  const auto now = std::chrono::steady_clock::now();
  const double rate = static_cast<double>(principal.rate_limit_per_second);
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = buckets_.try_emplace(principal.name);
  Bucket& b = it->second;
  if (inserted) {
    b.tokens = rate;
    b.last = now;
  } else {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(rate, b.tokens + elapsed * rate);
    b.last = now;
  }
  if (b.tokens < 1.0) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("rate limit: token '%s' exceeds %d requests/s",
                        principal.name, principal.rate_limit_per_second));
  }
  b.tokens -= 1.0;
  return absl::OkStatus();
}

}  // namespace creditd
