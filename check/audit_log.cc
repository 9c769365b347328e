#include "check/audit_log.h"

#include "index/uscc.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "openssl/evp.h"
#include "openssl/rand.h"
#include "pii/mask.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <utility>

namespace creditd {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kZeroHash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";
constexpr char kTimeFormat[] = "%Y-%m-%dT%H:%M:%E6SZ";
// Client-supplied strings are cut to this many bytes in the log: an entry is
// evidence of what was asked, not a place to store arbitrary payloads.
constexpr size_t kMaxInputBytes = 256;
// A line longer than this is not an entry we wrote (a check shows at most a
// few hundred records): refuse it instead of growing a buffer without end.
constexpr size_t kMaxLineBytes = 16 * 1024 * 1024;
constexpr size_t kReceiptLength = 8 + 1 + 16 + 1 + 8;

std::string FileName(uint32_t number) {
  return absl::StrFormat("audit-%08u.jsonl", number);
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir + "/" + name;
}

absl::Status ErrnoStatus(int err, const std::string& what) {
  std::string message = absl::StrFormat("%s: %s", what, std::strerror(err));
  switch (err) {
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case ENOENT:
      return absl::NotFoundError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
// A view into `s`: use it before `s` goes away.
std::string_view Truncated(std::string_view s, size_t max = kMaxInputBytes) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// Numbers of the audit-NNNNNNNN.jsonl files in `dir`, ascending.
absl::StatusOr<std::vector<uint32_t>> ListFiles(const std::string& dir) {
  std::error_code ec;
  std::vector<uint32_t> numbers;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    unsigned number = 0;
    char tail = 0;
    if (name.size() == 20 &&
        std::sscanf(name.c_str(), "audit-%8u.jsonl%c", &number, &tail) == 1 &&
        number > 0 && FileName(number) == name) {
      numbers.push_back(number);
    }
  }
  if (ec) {
    return ErrnoStatus(ec.value(), absl::StrFormat("%s: cannot list", dir));
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

// Appends `s` as a JSON string, byte for byte as nlohmann's
// dump(-1, ' ', false, replace) writes it: printable ASCII without '"' and
// '\\' (codes, dates, receipts: nearly every string) is copied as is; anything
// else goes through nlohmann (escapes, invalid UTF-8 replaced by U+FFFD).
void AppendJsonString(std::string& out, std::string_view s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out.append(s);
    out += '"';
    return;
  }
  out +=
      Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

// `v` as exactly `width` decimal digits (v >= 0, leading zeros).
void AppendDigits(std::string& out, int64_t v, int width) {
  char d[20];
  for (int i = width - 1; i >= 0; --i) {
    d[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(d, static_cast<size_t>(width));
}

// `t` in UTC as FormatTime(kTimeFormat, t, UTC) writes it
// ("2024-06-30T16:15:02.123456Z"), without parsing the format each time.
// The text up to the second is computed once per second (per thread): the
// entries of one second share it.
void AppendTime(std::string& out, absl::Time t) {
  struct Cache {
    int64_t second = -1;
    std::string text;  // "YYYY-MM-DDTHH:MM:SS"
  };
  thread_local Cache cache;
  if (t < absl::UnixEpoch()) {
    out += absl::FormatTime(kTimeFormat, t, absl::UTCTimeZone());
    return;
  }
  const int64_t second = absl::ToUnixSeconds(t);  // t >= epoch: the floor
  if (second != cache.second) {
    const absl::CivilSecond cs =
        absl::UTCTimeZone().At(absl::FromUnixSeconds(second)).cs;
    if (cs.year() > 9999) {
      out += absl::FormatTime(kTimeFormat, t, absl::UTCTimeZone());
      return;
    }
    std::string& text = cache.text;
    text.clear();
    AppendDigits(text, cs.year(), 4);
    text += '-';
    AppendDigits(text, cs.month(), 2);
    text += '-';
    AppendDigits(text, cs.day(), 2);
    text += 'T';
    AppendDigits(text, cs.hour(), 2);
    text += ':';
    AppendDigits(text, cs.minute(), 2);
    text += ':';
    AppendDigits(text, cs.second(), 2);
    cache.second = second;
  }
  out += cache.text;
  out += '.';
  AppendDigits(out,
               absl::ToInt64Microseconds(t - absl::FromUnixSeconds(second)), 6);
  out += 'Z';
}

// "YYYYMMDD" of `t` in `tz`, computed once per second and zone (per thread).
void AppendReceiptDay(std::string& id, absl::Time t, const absl::TimeZone& tz) {
  struct Cache {
    int64_t second = -1;
    absl::TimeZone tz;
    char day[8];
  };
  thread_local Cache cache;
  const bool cacheable = t >= absl::UnixEpoch();
  const int64_t second = cacheable ? absl::ToUnixSeconds(t) : -1;
  if (cacheable && second == cache.second && tz == cache.tz) {
    id.append(cache.day, sizeof(cache.day));
    return;
  }
  const absl::CivilSecond day = tz.At(t).cs;
  if (day.year() < 0 || day.year() > 9999) {
    id += absl::FormatTime("%Y%m%d", t, tz);
    return;
  }
  const size_t start = id.size();
  AppendDigits(id, day.year(), 4);
  AppendDigits(id, day.month(), 2);
  AppendDigits(id, day.day(), 2);
  if (cacheable) {
    std::memcpy(cache.day, id.data() + start, sizeof(cache.day));
    cache.second = second;
    cache.tz = tz;
  }
}

// "YYYYMMDD-<seq, 16 hex>-<8 hex>" (the receipt id, audit_log.h).
std::string ReceiptId(absl::Time t, const absl::TimeZone& tz, uint64_t seq,
                      const unsigned char* random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(kReceiptLength);
  AppendReceiptDay(id, t, tz);
  id += '-';
  for (int shift = 60; shift >= 0; shift -= 4) id += kHex[(seq >> shift) & 0xF];
  id += '-';
  for (int i = 0; i < 4; ++i) {
    id += kHex[random[i] >> 4];
    id += kHex[random[i] & 0xF];
  }
  return id;
}

void AppendKey(std::string& out, std::string_view key) {
  out += '"';
  out.append(key);
  out += "\":";
}

void AppendStringField(std::string& out, std::string_view key,
                       std::string_view value) {
  AppendKey(out, key);
  AppendJsonString(out, value);
  out += ',';
}

// One entry as one line of compact JSON, without the '\n'. The bytes are
// those nlohmann::ordered_json would write for the same object (the format
// of docs/checks.md; audit_log_test.cc checks parse-and-dump gives the same
// line back), built by hand: this runs once per check on the I/O thread, and
// building a JSON tree cost more than the check itself.
void AppendEntryJson(const AuditEntry& e, std::string& out) {
  out += "{\"seq\":";
  absl::StrAppend(&out, e.seq);
  out += ',';
  AppendStringField(out, "receipt", e.receipt);
  AppendKey(out, "time");
  out += '"';
  AppendTime(out, e.time);
  out += "\",";
  AppendStringField(out, "caller", Truncated(e.caller));
  AppendStringField(out, "kind", e.kind);
  if (e.batch_size > 0) {
    out += absl::StrFormat("\"batch_index\":%d,\"batch_size\":%d,",
                           e.batch_index, e.batch_size);
  }
  // Resident identity numbers in the input are masked before the entry is
  // written (docs/security.md, Personal data): the log is evidence of what
  // was asked, not a store of who was asked about. Masked before truncating,
  // so a cut never leaves a partial number in clear. A valid USCC is never
  // masked (no USCC is taken for an identity number: the pattern needs a
  // date of birth, but a numeric code could carry one by chance).
  std::string masked_code;
  std::string_view code = e.code;
  if (!ValidateUscc(e.code).ok()) {
    masked_code = pii::MaskIdNumbers(e.code);
    code = masked_code;
  }
  AppendKey(out, "input");
  out += '{';
  AppendStringField(out, "code", Truncated(code));
  if (e.name.empty()) {
    AppendStringField(out, "name", "");
  } else {
    AppendStringField(out, "name", Truncated(pii::MaskIdNumbers(e.name)));
  }
  AppendStringField(out, "scenario", Truncated(e.scenario));
  AppendStringField(out, "date", e.date);
  out += e.admin_view ? "\"admin_view\":true}," : "\"admin_view\":false},";
  AppendStringField(out, "verdict", e.verdict);
  AppendStringField(out, "identity", e.identity);
  AppendStringField(out, "rule", e.rule);
  AppendKey(out, "subjects");
  out += '[';
  for (size_t i = 0; i < e.subject_ids.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, e.subject_ids[i]);
  }
  out += "],";
  AppendKey(out, "records");
  out += '[';
  for (size_t i = 0; i < e.records.size(); ++i) {
    const AuditRecord& r = e.records[i];
    if (i > 0) out += ',';
    out += '{';
    AppendStringField(out, "id", r.id);
    AppendStringField(out, "list", r.list);
    AppendStringField(out, "disposition", r.disposition);
    AppendKey(out, "action");
    AppendJsonString(out, r.action);
    out += '}';
  }
  out += "],";
  out += "\"data_version\":";
  absl::StrAppend(&out, e.data_version);
  out += ',';
  AppendStringField(out, "measures_version", e.measures_version);
  AppendKey(out, "prev");
  AppendJsonString(out, e.prev);
  out += '}';
}

absl::StatusOr<AuditEntry> EntryFromJson(std::string_view line) {
  Json j = Json::parse(line.begin(), line.end(), nullptr,
                       /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError("not a JSON object");
  }
  AuditEntry e;
  try {
    if (!j.contains("seq") || !j["seq"].is_number_unsigned()) {
      return absl::DataLossError("seq missing or not a positive integer");
    }
    if (!j.contains("prev") || !j["prev"].is_string()) {
      return absl::DataLossError("prev missing");
    }
    e.seq = j["seq"].get<uint64_t>();
    e.prev = j["prev"].get<std::string>();
    e.receipt = j.value("receipt", "");
    std::string time = j.value("time", "");
    std::string err;
    if (!absl::ParseTime(kTimeFormat, time, &e.time, &err)) {
      return absl::DataLossError(absl::StrFormat("time '%s': %s", time, err));
    }
    e.caller = j.value("caller", "");
    e.kind = j.value("kind", "");
    e.batch_index = j.value("batch_index", 0);
    e.batch_size = j.value("batch_size", 0);
    if (j.contains("input")) {
      const Json& in = j["input"];
      e.code = in.value("code", "");
      e.name = in.value("name", "");
      e.scenario = in.value("scenario", "");
      e.date = in.value("date", "");
      e.admin_view = in.value("admin_view", false);
    }
    e.verdict = j.value("verdict", "");
    e.identity = j.value("identity", "");
    e.rule = j.value("rule", "");
    if (j.contains("subjects")) {
      e.subject_ids = j["subjects"].get<std::vector<std::string>>();
    }
    if (j.contains("records")) {
      for (const Json& r : j["records"]) {
        e.records.push_back({r.value("id", ""), r.value("list", ""),
                             r.value("disposition", ""),
                             r.value("action", "")});
      }
    }
    e.data_version = j.value("data_version", uint64_t{0});
    e.measures_version = j.value("measures_version", "");
  } catch (const Json::exception& ex) {
    return absl::DataLossError(ex.what());
  }
  return e;
}

// The last complete line of the file at `path` (nullopt when it has none).
// Bytes after the last '\n' are a torn write: counted in `torn` and, when
// `cut_torn`, cut off. Reads backwards in 64 KiB steps.
absl::StatusOr<std::optional<std::string>> LastLine(const std::string& path,
                                                    bool cut_torn,
                                                    size_t& torn) {
  int fd = ::open(path.c_str(), (cut_torn ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, path + ": cannot open");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, path + ": cannot stat");
  }
  const off_t size = st.st_size;
  std::string buf;  // the last size - pos bytes of the file
  off_t pos = size;
  std::optional<std::string> line;
  torn = 0;
  while (true) {
    const size_t nl_last = buf.rfind('\n');
    if (nl_last != std::string::npos) {
      const size_t start =
          nl_last == 0 ? std::string::npos : buf.rfind('\n', nl_last - 1);
      if (start != std::string::npos || pos == 0) {
        torn = buf.size() - nl_last - 1;
        const size_t from = start == std::string::npos ? 0 : start + 1;
        line = buf.substr(from, nl_last - from);
        break;
      }
    } else if (pos == 0) {
      torn = buf.size();
      break;
    }
    if (buf.size() > kMaxLineBytes) {
      ::close(fd);
      return absl::DataLossError(absl::StrFormat(
          "%s: last line longer than %d bytes", path, kMaxLineBytes));
    }
    const size_t n = static_cast<size_t>(std::min<off_t>(pos, 64 * 1024));
    pos -= static_cast<off_t>(n);
    std::string chunk(n, '\0');
    ssize_t got = ::pread(fd, chunk.data(), n, pos);
    if (got != static_cast<ssize_t>(n)) {
      int err = got < 0 ? errno : EIO;
      ::close(fd);
      return ErrnoStatus(err, path + ": cannot read");
    }
    buf.insert(0, chunk);
  }
  if (torn > 0 && cut_torn &&
      ::ftruncate(fd, size - static_cast<off_t>(torn)) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, path + ": cannot cut the torn last line");
  }
  ::close(fd);
  return line;
}

// The first line of a file, or nullopt when it has none.
std::optional<std::string> FirstLine(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line) || in.eof()) return std::nullopt;
  return line;
}

absl::Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, dir + ": cannot open directory");
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus(err, dir + ": cannot sync directory");
  return absl::OkStatus();
}

// RAND_bytes, drawn in 1 KiB blocks per thread: each RAND_bytes call costs
// a getpid(2) (OpenSSL's fork check) plus locking, and a check needs 4
// bytes. The bytes are the CSPRNG's all the same, used once each. A forked
// child must not reuse its parent's block: the atfork handler empties the
// forking thread's block in the child (the only thread it has).
struct RandomPool {
  unsigned char bytes[1024];
  size_t used = sizeof(bytes);
};
thread_local RandomPool random_pool;

bool RandomBytes(unsigned char* out, size_t n) {
  static const bool registered = [] {
    return ::pthread_atfork(nullptr, nullptr, [] {
             random_pool.used = sizeof(random_pool.bytes);
           }) == 0;
  }();
  RandomPool& pool = random_pool;
  if (!registered || n > sizeof(pool.bytes) / 4) {
    return RAND_bytes(out, static_cast<int>(n)) == 1;
  }
  if (sizeof(pool.bytes) - pool.used < n) {
    if (RAND_bytes(pool.bytes, sizeof(pool.bytes)) != 1) return false;
    pool.used = 0;
  }
  std::memcpy(out, pool.bytes + pool.used, n);
  // Bytes handed out are not kept around.
  std::memset(pool.bytes + pool.used, 0, n);
  pool.used += n;
  return true;
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  // OpenSSL 3 looks EVP_sha256() up in its provider tables on every
  // EVP_Digest call; fetch it once, and keep one context per thread (this
  // runs once per check).
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // These only fail on allocation failure inside OpenSSL; an all-zero
  // digest would then break the chain visibly rather than silently.
  if (kSha256 == nullptr || ctx == nullptr ||
      EVP_DigestInit_ex(ctx.get(), kSha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) {
    return std::string(64, '0');
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * len, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 0xF];
  }
  return out;
}

AuditLog::AuditLog(std::string dir, AuditLogOptions options)
    : dir_(std::move(dir)),
      options_(std::move(options)),
      time_zone_(absl::UTCTimeZone()) {
  // Unknown zone: UTC (as documented on AuditLogOptions::time_zone).
  absl::LoadTimeZone(options_.time_zone, &time_zone_);
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(
    const std::string& dir, AuditLogOptions options) {
  if (options.rotate_bytes < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("rotate_bytes: %d is out of range (must be positive)",
                        options.rotate_bytes));
  }
  if (options.fsync == FsyncPolicy::kInterval &&
      (options.fsync_interval_ms < 1 || options.fsync_interval_ms > 60000)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "fsync_interval_ms: %d is out of range (allowed range 1..60000)",
        options.fsync_interval_ms));
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return ErrnoStatus(ec.value(), dir + ": cannot create directory");
  }
  std::unique_ptr<AuditLog> log(new AuditLog(dir, std::move(options)));
  if (absl::Status s = log->OpenTail(); !s.ok()) return s;
  if (log->options_.fsync == FsyncPolicy::kInterval) {
    log->flusher_ = std::thread([raw = log.get()] { raw->FlusherLoop(); });
  }
  return log;
}

absl::Status AuditLog::OpenTail() {
  absl::StatusOr<std::vector<uint32_t>> files = ListFiles(dir_);
  if (!files.ok()) return files.status();
  absl::MutexLock lock(&mu_);
  last_hash_ = kZeroHash;
  seq_ = 0;
  if (files->empty()) return OpenFileLocked(1);
  // The newest file may be empty (a crash right after a rotation): the chain
  // then continues from the newest file that holds an entry.
  for (size_t i = files->size(); i-- > 0;) {
    const std::string name = FileName((*files)[i]);
    size_t torn = 0;
    absl::StatusOr<std::optional<std::string>> line =
        LastLine(Join(dir_, name), /*cut_torn=*/i + 1 == files->size(), torn);
    if (!line.ok()) return line.status();
    if (i + 1 == files->size()) torn_bytes_ = torn;
    if (!line->has_value()) continue;
    absl::StatusOr<AuditEntry> entry = EntryFromJson(**line);
    if (!entry.ok()) {
      return absl::DataLossError(absl::StrFormat("%s: last entry: %s", name,
                                                 entry.status().message()));
    }
    seq_ = entry->seq;
    last_hash_ = Sha256Hex(**line);
    break;
  }
  appended_seq_.store(seq_);
  written_seq_.store(seq_);
  return OpenFileLocked(files->back());
}

absl::Status AuditLog::OpenFileLocked(uint32_t number) {
  const std::string path = Join(dir_, FileName(number));
  int fd =
      ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoStatus(errno, path + ": cannot open for append");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, path + ": cannot stat");
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  file_number_ = number;
  file_bytes_ = st.st_size;
  if (st.st_size == 0 && options_.fsync != FsyncPolicy::kNone) {
    // A new file must survive a crash, or the chain would resume in a file
    // that is not there.
    return SyncDir(dir_);
  }
  return absl::OkStatus();
}

AuditLog::~AuditLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (flusher_.joinable()) flusher_.join();
  absl::MutexLock lock(&mu_);
  if (fd_ >= 0) {
    // Queued entries were never shown to anyone, but they are valid chain
    // entries: keep them.
    if (!queued_.empty()) (void)WriteQueuedLocked();
    if (dirty_ && options_.fsync != FsyncPolicy::kNone) ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
  }
}

void AuditLog::FlusherLoop() {
  const absl::Duration interval =
      absl::Milliseconds(options_.fsync_interval_ms);
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval);
    // A failed flush is retried at the next tick (the data is in the page
    // cache); Sync() reports errors to callers that need to know.
    if (!queued_.empty()) (void)WriteQueuedLocked();
    if (dirty_) (void)SyncLocked();
  }
}

absl::Status AuditLog::SyncLocked() {
  if (fd_ < 0 || !dirty_) return absl::OkStatus();
  if (::fdatasync(fd_) != 0) {
    return ErrnoStatus(errno,
                       Join(dir_, FileName(file_number_)) + ": cannot sync");
  }
  dirty_ = false;
  return absl::OkStatus();
}

absl::Status AuditLog::Sync() {
  absl::MutexLock lock(&mu_);
  if (fd_ < 0) return absl::OkStatus();
  if (absl::Status s = WriteQueuedLocked(); !s.ok()) return s;
  return SyncLocked();
}

absl::Status AuditLog::WriteLocked(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      // Take back a partial line so that the next entry starts on a line of
      // its own and the chain stays verifiable.
      if (done > 0) (void)::ftruncate(fd_, file_bytes_);
      return ErrnoStatus(
          err, Join(dir_, FileName(file_number_)) + ": cannot append");
    }
    done += static_cast<size_t>(n);
  }
  file_bytes_ += static_cast<int64_t>(bytes.size());
  dirty_ = true;
  return absl::OkStatus();
}

absl::StatusOr<AuditEntry> AuditLog::Append(AuditEntry entry) {
  // One entry: no vector around it (this runs once per check).
  if (absl::Status s = AppendEntries(&entry, 1); !s.ok()) return s;
  return entry;
}

absl::StatusOr<std::vector<AuditEntry>> AuditLog::AppendBatch(
    std::vector<AuditEntry> entries) {
  if (entries.empty()) return entries;
  if (absl::Status s = AppendEntries(entries.data(), entries.size()); !s.ok()) {
    return s;
  }
  return entries;
}

absl::Status AuditLog::AppendEntries(AuditEntry* entries, size_t n) {
  const absl::Time now = absl::Now();
  // Random parts for every receipt, drawn before taking the lock.
  unsigned char random_one[4];
  std::vector<unsigned char> random_many;
  unsigned char* random = random_one;
  if (n > 1) {
    random_many.resize(4 * n);
    random = random_many.data();
  }
  if (!RandomBytes(random, 4 * n)) {
    return absl::InternalError("audit: RAND_bytes failed");
  }
  absl::MutexLock lock(&mu_);
  if (fd_ < 0) return absl::FailedPreconditionError("audit: log is closed");
  if (file_bytes_ + static_cast<int64_t>(queued_.size()) >=
      options_.rotate_bytes) {
    // Queued lines belong to the current file: write them there first.
    if (absl::Status s = WriteQueuedLocked(); !s.ok()) return s;
    if (options_.fsync != FsyncPolicy::kNone) {
      if (absl::Status s = SyncLocked(); !s.ok()) return s;
    }
    if (absl::Status s = OpenFileLocked(file_number_ + 1); !s.ok()) return s;
  }
  uint64_t seq = seq_;
  std::string hash = last_hash_;
  // Group commit: the lines go straight into the queue (nothing below can
  // fail before they are chained). Otherwise into `out`, written now.
  std::string out;
  std::string& dest = options_.group_commit ? queued_ : out;
  for (size_t i = 0; i < n; ++i) {
    AuditEntry& e = entries[i];
    e.seq = ++seq;
    if (e.time == absl::InfinitePast()) e.time = now;
    const unsigned char* r = &random[4 * i];
    e.receipt = ReceiptId(e.time, time_zone_, e.seq, r);
    e.prev = hash;
    const size_t line_start = dest.size();
    AppendEntryJson(e, dest);
    hash = Sha256Hex(std::string_view(dest).substr(line_start));
    dest += '\n';
  }
  if (options_.group_commit) {
    seq_ = seq;
    last_hash_ = std::move(hash);
    appended_seq_.store(seq, std::memory_order_release);
    // Nobody asked for these yet; bound the memory anyway.
    if (queued_.size() > kMaxQueuedBytes) {
      if (absl::Status s = WriteQueuedLocked(); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (absl::Status s = WriteLocked(out); !s.ok()) return s;
  seq_ = seq;
  last_hash_ = std::move(hash);
  appended_seq_.store(seq, std::memory_order_release);
  if (options_.fsync == FsyncPolicy::kEveryEntry) {
    if (absl::Status s = SyncLocked(); !s.ok()) return s;
  }
  written_seq_.store(seq, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status AuditLog::WriteQueuedLocked() {
  if (!queued_.empty()) {
    if (absl::Status s = WriteLocked(queued_); !s.ok()) return s;
    queued_.clear();
  }
  if (options_.fsync == FsyncPolicy::kEveryEntry) {
    if (absl::Status s = SyncLocked(); !s.ok()) return s;
  }
  written_seq_.store(seq_, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status AuditLog::WriteThrough(uint64_t seq) {
  if (written_seq_.load(std::memory_order_acquire) >= seq) {
    return absl::OkStatus();
  }
  absl::MutexLock lock(&mu_);
  // Another caller may have written our lines while we waited for the lock.
  if (written_seq_.load(std::memory_order_relaxed) >= seq) {
    return absl::OkStatus();
  }
  if (fd_ < 0) return absl::FailedPreconditionError("audit: log is closed");
  return WriteQueuedLocked();
}

AuditHead AuditLog::Head() const {
  absl::MutexLock lock(&mu_);
  return AuditHead{seq_, last_hash_, FileName(file_number_)};
}

absl::StatusOr<ReceiptLookup> AuditLog::LookupReceipt(
    std::string_view id) const {
  uint64_t seq = 0;
  if (id.size() != kReceiptLength || id[8] != '-' || id[25] != '-' ||
      !IsHex(id.substr(9, 16)) || !IsHex(id.substr(26, 8)) ||
      !std::all_of(id.begin(), id.begin() + 8,
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::InvalidArgumentError(
        absl::StrFormat("receipt: '%s' is not a receipt id (want "
                        "YYYYMMDD-<16 hex>-<8 hex>)",
                        std::string(Truncated(id, 64))));
  }
  for (char c : id.substr(9, 16)) {
    seq = seq * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  absl::StatusOr<std::vector<uint32_t>> files = ListFiles(dir_);
  if (!files.ok()) return files.status();
  const std::string needle = absl::StrFormat("\"receipt\":\"%s\"", id);
  // Newest first: the first file whose first entry is not after `seq` is the
  // only one that can hold it (seq grows across files).
  for (size_t i = files->size(); i-- > 0;) {
    const std::string name = FileName((*files)[i]);
    const std::string path = Join(dir_, name);
    std::optional<std::string> first = FirstLine(path);
    if (!first) continue;
    absl::StatusOr<AuditEntry> head = EntryFromJson(*first);
    if (head.ok() && head->seq > seq) continue;
    std::ifstream in(path, std::ios::binary);
    std::string line;
    uint64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.find(needle) == std::string::npos) continue;
      absl::StatusOr<AuditEntry> entry = EntryFromJson(line);
      if (!entry.ok() || entry->receipt != id) continue;
      return ReceiptLookup{*std::move(entry), std::move(line), name, number};
    }
    break;
  }
  return absl::NotFoundError(
      absl::StrFormat("receipt: no entry with id '%s' in %s", id, dir_));
}

std::string_view AuditBreakKindName(AuditBreakKind kind) {
  switch (kind) {
    case AuditBreakKind::kEdited:
      return "edited";
    case AuditBreakKind::kDeleted:
      return "deleted";
    case AuditBreakKind::kReordered:
      return "reordered";
    case AuditBreakKind::kTruncated:
      return "truncated";
    case AuditBreakKind::kRotationBreak:
      return "chain break at rotation";
  }
  return "unknown";
}

std::string AuditBreak::ToString() const {
  std::string where =
      line > 0 ? absl::StrFormat("%s:%d", file, line) : std::string(file);
  return absl::StrFormat("%s: receipt %s: %s: %s", where,
                         receipt.empty() ? "(none)" : receipt,
                         AuditBreakKindName(kind), reason);
}

namespace {

// The seq of an entry line without a full parse: we write `{"seq":N,` first.
// Falls back to the full parse for anything else; nullopt when unreadable.
std::optional<uint64_t> QuickSeq(const std::string& line) {
  constexpr std::string_view kPrefix = "{\"seq\":";
  if (line.compare(0, kPrefix.size(), kPrefix) == 0) {
    uint64_t v = 0;
    size_t i = kPrefix.size();
    const size_t digits_start = i;
    while (i < line.size() && i - digits_start < 20 && line[i] >= '0' &&
           line[i] <= '9') {
      v = v * 10 + static_cast<uint64_t>(line[i] - '0');
      ++i;
    }
    if (i > digits_start && i < line.size() && line[i] == ',') return v;
  }
  absl::StatusOr<AuditEntry> e = EntryFromJson(line);
  if (!e.ok()) return std::nullopt;
  return e->seq;
}

// Whether an entry with `seq` appears in the log after line `after_line` of
// file index `from` (lines counted 1-based). Used only once a break is
// found, to tell a reordering (the entry is later) from a deletion.
bool SeqAppearsLater(const std::string& dir, const std::vector<uint32_t>& files,
                     size_t from, uint64_t after_line, uint64_t seq) {
  for (size_t i = from; i < files.size(); ++i) {
    std::ifstream in(Join(dir, FileName(files[i])), std::ios::binary);
    std::string line;
    uint64_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (i == from && n <= after_line) continue;
      if (QuickSeq(line) == seq) return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<AuditVerifyResult> VerifyAuditDir(
    const std::string& dir, const AuditVerifyOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::NotFoundError(
        absl::StrFormat("%s: not a directory%s", dir,
                        ec ? std::string(": ") + ec.message() : ""));
  }
  absl::StatusOr<std::vector<uint32_t>> files = ListFiles(dir);
  if (!files.ok()) return files.status();
  AuditVerifyResult result;
  AuditVerifyReport& report = result.report;
  report.head.sha256 = kZeroHash;
  std::string prev_hash = kZeroHash;
  uint64_t prev_seq = 0;
  // Where the previous entry was, to name it when the next one shows it
  // was edited.
  std::string prev_file;
  uint64_t prev_line = 0;
  std::string prev_receipt;
  auto broken = [&](AuditBreakKind kind, std::string file, uint64_t line,
                    std::string receipt, std::string reason) {
    result.broken = AuditBreak{kind, std::move(file), line, std::move(receipt),
                               std::move(reason)};
    return result;
  };
  // Retention may have removed the oldest files: a log whose first file is
  // not audit-00000001.jsonl starts where that file starts.
  bool trust_first_entry = !files->empty() && (*files)[0] != 1;
  if (trust_first_entry) report.first_file = FileName((*files)[0]);
  for (size_t i = 0; i < files->size(); ++i) {
    const uint32_t number = (*files)[i];
    const std::string name = FileName(number);
    const bool newest = i + 1 == files->size();
    std::ifstream in(Join(dir, name), std::ios::binary);
    if (!in) {
      return absl::PermissionDeniedError(absl::StrFormat(
          "%s/%s: cannot open: %s", dir, name, std::strerror(errno)));
    }
    ++report.files;
    const bool file_missing_before = i > 0 && number != (*files)[i - 1] + 1;
    std::string line;
    uint64_t line_number = 0;
    while (std::getline(in, line)) {
      ++line_number;
      const bool first_in_file = line_number == 1;
      if (line.size() > kMaxLineBytes) {
        return broken(AuditBreakKind::kEdited, name, line_number, "",
                      absl::StrFormat("line of %d bytes is longer than any "
                                      "entry (limit %d)",
                                      line.size(), kMaxLineBytes));
      }
      if (in.eof()) {
        // No final newline: the file was cut in the middle of an entry.
        return broken(
            AuditBreakKind::kTruncated, name, line_number, "",
            absl::StrFormat("%s ends in a partial entry (%d bytes, no "
                            "newline)%s",
                            newest ? "the newest file" : "file", line.size(),
                            newest ? "; the daemon cuts it off on open, it "
                                     "was never acknowledged"
                                   : ""));
      }
      absl::StatusOr<AuditEntry> e = EntryFromJson(line);
      if (!e.ok()) {
        return broken(
            AuditBreakKind::kEdited, name, line_number, "",
            absl::StrFormat("not a valid entry: %s", e.status().message()));
      }
      if (e->seq == 0) {
        return broken(AuditBreakKind::kEdited, name, line_number, e->receipt,
                      "seq 0 (sequence numbers start at 1)");
      }
      if (trust_first_entry) {
        trust_first_entry = false;
        prev_seq = e->seq - 1;
        prev_hash = e->prev;
        report.first_seq = e->seq;
      }
      if (file_missing_before && first_in_file) {
        return broken(
            AuditBreakKind::kRotationBreak, name, line_number, e->receipt,
            absl::StrFormat("file %s is missing (the chain goes from %s to %s)",
                            FileName((*files)[i - 1] + 1),
                            FileName((*files)[i - 1]), name));
      }
      if (e->seq <= prev_seq) {
        return broken(AuditBreakKind::kReordered, name, line_number, e->receipt,
                      absl::StrFormat("seq %d comes after seq %d (an entry "
                                      "was moved or copied)",
                                      e->seq, prev_seq));
      }
      if (e->seq != prev_seq + 1) {
        const uint64_t wanted = prev_seq + 1;
        if (SeqAppearsLater(dir, *files, i, line_number, wanted)) {
          return broken(AuditBreakKind::kReordered, name, line_number,
                        e->receipt,
                        absl::StrFormat("seq %d comes before seq %d, which "
                                        "appears later in the log",
                                        e->seq, wanted));
        }
        const std::string missing =
            e->seq == wanted + 1
                ? absl::StrFormat("seq %d is", wanted)
                : absl::StrFormat("seqs %d..%d are", wanted, e->seq - 1);
        if (first_in_file && i > 0) {
          return broken(
              AuditBreakKind::kRotationBreak, name, line_number, e->receipt,
              absl::StrFormat("%s missing between the end of %s (seq %d) and "
                              "the start of %s (seq %d): the tail of one or "
                              "the head of the other was cut",
                              missing, prev_file, prev_seq, name, e->seq));
        }
        return broken(AuditBreakKind::kDeleted, name, line_number, e->receipt,
                      absl::StrFormat("%s missing before this entry (seq %d "
                                      "follows %d)",
                                      missing, e->seq, prev_seq));
      }
      if (e->prev != prev_hash) {
        if (prev_line == 0) {
          // The first entry of the whole log: nothing before it to edit.
          return broken(AuditBreakKind::kEdited, name, line_number, e->receipt,
                        absl::StrFormat("the first entry's prev is %.16s..., "
                                        "not 64 zeros",
                                        e->prev));
        }
        return broken(
            AuditBreakKind::kEdited, prev_file, prev_line, prev_receipt,
            absl::StrFormat("its SHA-256 does not match the prev recorded by "
                            "the next entry (%s:%d, seq %d)%s",
                            name, line_number, e->seq,
                            first_in_file ? " in the next file" : ""));
      }
      prev_seq = e->seq;
      prev_hash = Sha256Hex(line);
      prev_file = name;
      prev_line = line_number;
      prev_receipt = e->receipt;
      if (options.anchor && e->seq == options.anchor->seq) {
        if (prev_hash != options.anchor->sha256) {
          return broken(
              AuditBreakKind::kEdited, name, line_number, e->receipt,
              absl::StrFormat("SHA-256 %.16s... differs from the "
                              "anchor's %.16s... for seq %d",
                              prev_hash, options.anchor->sha256, e->seq));
        }
      }
      ++report.entries;
      report.head = AuditHead{prev_seq, prev_hash, name};
    }
    if (in.bad()) {
      return absl::InternalError(
          absl::StrFormat("%s/%s: read error", dir, name));
    }
  }
  if (options.anchor && options.anchor->seq > report.head.seq) {
    return broken(
        AuditBreakKind::kTruncated, report.head.file, prev_line, prev_receipt,
        absl::StrFormat("the log ends at seq %d but the anchor names seq %d: "
                        "the last %d entries were cut from the end",
                        report.head.seq, options.anchor->seq,
                        options.anchor->seq - report.head.seq));
  }
  return result;
}

absl::StatusOr<AuditVerifyReport> VerifyAuditLog(const std::string& dir) {
  absl::StatusOr<AuditVerifyResult> r = VerifyAuditDir(dir);
  if (!r.ok()) return r.status();
  if (r->broken) return absl::DataLossError(r->broken->ToString());
  return r->report;
}

}  // namespace creditd
