// The audit log of checks: every check gets a receipt id and one JSON line in
// an append-only, hash-chained log (财库〔2016〕125号: the query channel, time
// and result are kept with the procurement file). docs/checks.md describes the
// file format; this header is the contract.
//
// Layout: a directory of files audit-00000001.jsonl, audit-00000002.jsonl, ...
// One entry per line. Each entry carries `seq` (1, 2, 3, ... across files and
// restarts) and `prev`, the SHA-256 (hex) of the previous entry's line bytes
// (without its '\n'); the first entry ever has 64 zeros. So an edited or
// deleted line, or a deleted file in the middle, breaks the chain and
// VerifyAuditDir() names where. Deleting entries at the very end cannot be seen
// from the log alone: compare Head() with an anchor kept elsewhere (a receipt
// the caller holds, or the head hash the daemon logs periodically).
//
// Receipt ids are time-ordered and unique: "YYYYMMDD-<seq, 16 hex>-<8 hex
// random>", e.g. "20240630-000000000000002a-9f3c1b7e". The date is the entry's
// day in Options::time_zone; the random part comes from OpenSSL's RAND_bytes,
// so receipts cannot be guessed from a neighbour's.
//
// Thread safety: Append, AppendBatch, WriteThrough, Sync, Head and
// LookupReceipt may be called from any thread; appends are serialised by a
// mutex (one line is written whole, in chain order).
//
// Group commit (AuditLogOptions::group_commit, the daemon's mode): Append and
// AppendBatch chain the entry and queue its line in memory without a system
// call; WriteThrough(seq) hands every queued line up to (at least) `seq` to
// the kernel with one write(2) (and, under kEveryEntry, one fdatasync). Lines
// queued by concurrent callers leave together, in chain order. The caller
// must not show a receipt to anyone before WriteThrough of its seq returned
// OK: that is the durability contract the default mode gives on return from
// Append. Queued lines are also written by Sync, LookupReceipt, the interval
// flusher, the destructor, and by Append itself once more than
// kMaxQueuedBytes are queued. VerifyAuditDir() is a free function that
// only reads; it may run while a log is being appended (it checks what it
// sees).
#ifndef CREDITD_CHECK_AUDIT_LOG_H_
#define CREDITD_CHECK_AUDIT_LOG_H_

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace creditd {

// One record shown in a check, as logged.
struct AuditRecord {
  std::string id;
  std::string list;
  std::string disposition;  // "counted", "no_rule", ... (DispositionName)
  std::string action;       // the row's action, or "" when no row
};

// One audit entry. The caller fills the "what" fields; Append fills seq,
// receipt, time (when left at absl::InfinitePast()) and prev.
//
// When adding a field: write it in AppendEntryJson and read it in EntryFromJson
// (audit_log.cc), document it in docs/checks.md (Audit log format), and extend
// tests/check/audit_log_test.cc (RoundTrip).
struct AuditEntry {
  uint64_t seq = 0;
  std::string receipt;
  absl::Time time = absl::InfinitePast();
  std::string prev;  // SHA-256 hex of the previous line

  std::string caller;          // token name or tool ("creditctl")
  std::string kind = "check";  // "check" or "batch_check"
  // For a batch: this entry's position (0-based) and the batch's number of
  // answered entries. A batch's entries are consecutive in the log.
  int batch_index = 0;
  int batch_size = 0;
  // Input as given (truncated to 256 bytes each, see audit_log.cc).
  std::string code;
  std::string name;
  std::string scenario;
  std::string date;  // YYYY-MM-DD the check was answered for
  bool admin_view = false;
  // Outcome.
  std::string verdict;   // "block", "warn", ... (ActionName)
  std::string identity;  // "found", "duplicate_code", ...
  std::string rule;      // what fixed the verdict (CheckResult::fired)
  std::vector<std::string> subject_ids;
  std::vector<AuditRecord> records;
  uint64_t data_version = 0;
  std::string measures_version;
};

enum class FsyncPolicy : uint8_t {
  kEveryEntry,  // fdatasync before Append returns: no acknowledged entry is
                // ever lost (costs a disk flush per call; AppendBatch shares
                // one flush across its entries)
  kInterval,    // a background thread flushes every interval_ms when
                // something was written: at most interval_ms of entries can be
                // lost on power failure (not on a process crash: the write()
                // has reached the kernel)
  kNone,        // never flush explicitly (tests and benches only)
};

struct AuditLogOptions {
  // Start a new file once the current one holds this many bytes (the chain
  // continues in the new file). DaemonConfig::audit_rotate_bytes.
  int64_t rotate_bytes = 256ll * 1024 * 1024;
  FsyncPolicy fsync = FsyncPolicy::kEveryEntry;
  int64_t fsync_interval_ms = 100;  // for kInterval, 1..60000
  // Queue lines in memory until WriteThrough (see the header comment).
  bool group_commit = false;
  // The receipt id's date is taken in this zone (UTC when unknown).
  std::string time_zone = "Asia/Shanghai";
};

// Where a receipt was found, and the entry.
struct ReceiptLookup {
  AuditEntry entry;
  std::string line;          // the JSON line as written
  std::string file;          // file name within the directory
  uint64_t line_number = 0;  // 1-based
};

// The end of the chain, to anchor elsewhere.
struct AuditHead {
  uint64_t seq = 0;    // 0 when the log is empty
  std::string sha256;  // of the last line; 64 zeros when empty
  std::string file;
};

class AuditLog {
 public:
  // Opens (creating if absent) the log in `dir`. Reads the tail of the newest
  // file to continue the sequence and the chain. A torn last line (a crash in
  // the middle of a write: no final '\n') was never acknowledged under
  // kEveryEntry; it is cut off and its length reported by torn_bytes().
  // Errors: InvalidArgument for options out of range; the OS error (as
  // FailedPrecondition / PermissionDenied) naming the path when the directory
  // cannot be created or read; DataLoss when the last complete line is not a
  // valid entry ("audit-00000003.jsonl: last entry: ...").
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      const std::string& dir, AuditLogOptions options = {});

  // Flushes and closes (stops the interval thread).
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one entry; fills seq, receipt, time and prev and returns the
  // entry as written. On an I/O error nothing is acknowledged, the log stays
  // usable for later calls, and the error names the file (Internal / the
  // errno's category).
  absl::StatusOr<AuditEntry> Append(AuditEntry entry);
  // Appends several entries under one lock and one flush (a batch check).
  // All or nothing as far as the caller is told: on error, none is returned
  // (some lines may have reached the file; they are valid chain entries).
  absl::StatusOr<std::vector<AuditEntry>> AppendBatch(
      std::vector<AuditEntry> entries);

  // Group commit: makes sure every entry with seq <= `seq` has been written
  // (write(2)) and, under kEveryEntry, flushed (fdatasync). Returns at once,
  // without a lock, when that is already so; otherwise writes everything
  // queued in one call. On an I/O error the queued lines stay queued (a
  // later call retries them; none is half-written) and the error names the
  // file. Without group commit every appended entry is already written.
  absl::Status WriteThrough(uint64_t seq);
  // The seq of the newest appended entry (queued or written); 0 when none.
  // Lock-free: a session reads it after a request to learn what to write
  // through before it replies.
  uint64_t appended_seq() const {
    return appended_seq_.load(std::memory_order_acquire);
  }
  // The seq through which every entry has been written (WriteThrough of a
  // seq <= this returns at once). Lock-free.
  uint64_t written_seq() const {
    return written_seq_.load(std::memory_order_acquire);
  }
  // Bytes above which Append writes the queue itself (group commit).
  static constexpr size_t kMaxQueuedBytes = 1 << 20;

  // Writes queued entries and flushes written entries to disk now.
  absl::Status Sync();

  // The newest appended entry (with group commit: including queued ones).
  AuditHead Head() const;
  size_t torn_bytes() const { return torn_bytes_; }
  const std::string& dir() const { return dir_; }

  // Finds the entry with receipt `id`. The sequence number inside the id
  // selects the one file that can hold it (reading only the first line of
  // newer files); that file is then scanned line by line: O(file size), a
  // few hundred ms for a 256 MiB file. With group commit, an entry still
  // queued is not found (its receipt has not been shown to anyone yet).
  // NotFound when no entry has that id;
  // InvalidArgument when `id` is not a receipt id.
  absl::StatusOr<ReceiptLookup> LookupReceipt(std::string_view id) const;

 private:
  AuditLog(std::string dir, AuditLogOptions options);
  absl::Status OpenTail();
  absl::Status OpenFileLocked(uint32_t number)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AppendLocked(AuditEntry& entry, std::string& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Append and AppendBatch: chains entries[0, n) and writes (or queues) them.
  absl::Status AppendEntries(AuditEntry* entries, size_t n);
  absl::Status WriteLocked(const std::string& bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes queued_ (group commit), fdatasyncs under kEveryEntry, and moves
  // written_seq_ up to seq_.
  absl::Status WriteQueuedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SyncLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlusherLoop();

  const std::string dir_;
  const AuditLogOptions options_;
  absl::TimeZone time_zone_;  // options_.time_zone, loaded once
  size_t torn_bytes_ = 0;
  // Group commit: seq of the newest entry appended / written (and, under
  // kEveryEntry, flushed). Stored under mu_, read without it.
  std::atomic<uint64_t> appended_seq_{0};
  std::atomic<uint64_t> written_seq_{0};

  mutable absl::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  uint32_t file_number_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t file_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t seq_ ABSL_GUARDED_BY(mu_) = 0;       // last written
  std::string last_hash_ ABSL_GUARDED_BY(mu_);  // hex of the last line
  std::string queued_ ABSL_GUARDED_BY(mu_);     // lines not yet written
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;     // written, not yet flushed
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread flusher_;
};

// What Verify found.
struct AuditVerifyReport {
  size_t files = 0;
  uint64_t entries = 0;
  AuditHead head;
  // When retention removed the oldest files (the first file present is not
  // audit-00000001.jsonl), the chain is checked from the first entry present:
  // its name and seq. Empty / 0 when the log starts at file 1.
  std::string first_file;
  uint64_t first_seq = 0;
};

// How the chain is broken where it first breaks.
enum class AuditBreakKind : uint8_t {
  kEdited,     // an entry's bytes changed: the next entry's prev does not
               // match its SHA-256, or the line is not a valid entry
  kDeleted,    // entries are missing inside a file (seq jumps forward and the
               // missing seqs appear nowhere later)
  kReordered,  // seq goes backwards, or jumps to entries that appear later
  kTruncated,  // a file ends in a partial entry (no newline), or the log ends
               // before the seq of the given anchor
  kRotationBreak,  // the chain does not continue from one file to the next:
                   // a file is missing, or the tail of one / the head of the
                   // next was cut
};
std::string_view AuditBreakKindName(AuditBreakKind kind);

// The first break: where, which entry, why.
struct AuditBreak {
  AuditBreakKind kind = AuditBreakKind::kEdited;
  std::string file;     // file name within the directory
  uint64_t line = 0;    // 1-based line of the entry named
  std::string receipt;  // the receipt of that entry; "" when unreadable
  std::string reason;
  // "audit-00000002.jsonl:17: receipt 20240630-...: edited: <reason>"
  std::string ToString() const;
};

struct AuditVerifyResult {
  AuditVerifyReport report;  // counts and head up to the break
  std::optional<AuditBreak> broken;
};

struct AuditVerifyOptions {
  // A head recorded elsewhere earlier (AuditLog::Head()). The chain alone
  // cannot show entries cut from the very end; with an anchor, a log that
  // ends before anchor->seq is kTruncated, and an entry at anchor->seq whose
  // SHA-256 differs is kEdited.
  std::optional<AuditHead> anchor;
};

// Reads every file of the log in `dir` in order and checks that each line is
// a valid entry, that seq increases by one and that each prev is the SHA-256
// of the line before (across files). Returns the report, with `broken` set
// to the first break found (the entry named is the one that was tampered
// with when that can be told: for an edit, the edited entry, not its
// successor). Errors (not breaks): NotFound when `dir` is not a directory,
// PermissionDenied / Internal when a file cannot be listed, opened or read.
// Reads only; may run while a log is being appended (it checks what it sees;
// a line being written shows as kTruncated).
absl::StatusOr<AuditVerifyResult> VerifyAuditDir(
    const std::string& dir, const AuditVerifyOptions& options = {});

// VerifyAuditDir as one status: OK with the report, DataLoss with
// AuditBreak::ToString() when the chain is broken, the error otherwise.
absl::StatusOr<AuditVerifyReport> VerifyAuditLog(const std::string& dir);

// SHA-256 of `bytes` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view bytes);

}  // namespace creditd

#endif  // CREDITD_CHECK_AUDIT_LOG_H_
