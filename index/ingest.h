// Ingest of subjects and credit records from JSONL and CSV files
// (docs/data-formats.md).
//
// Parsing is pure and per line (ParseJsonLine, CsvSchema::ParseRow): a bad line
// yields a LineError naming the field and the reason, and never affects other
// lines. Codes that fail validation are accepted and flagged (the
// duplicate/erroneous-code report needs them); lines without a code or a name
// are rejected.
//
// Loading streams: lines are read with a bound (index/line_reader.h), parsed,
// and handed to a sink in batches; memory holds one batch plus per-run id
// hashes, whatever the file size.
#ifndef CREDITD_INDEX_INGEST_H_
#define CREDITD_INDEX_INGEST_H_

#include "index/registry.h"
#include "index/subject.h"
#include "index/xapian_store.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace creditd {

enum class InputEncoding { kUtf8, kGbk };
enum class InputFormat {
  kAuto,
  kJsonl,
  kCsv
};  // kAuto: ".csv" is CSV, anything else JSONL
enum class LineKind {
  kAuto,
  kSubject,
  kRecord
};  // kAuto: JSONL by key "list", CSV by header

struct IngestOptions {
  InputEncoding encoding = InputEncoding::kUtf8;
  InputFormat format = InputFormat::kAuto;
  LineKind kind = LineKind::kAuto;
  // Lists a record may name; empty means the built-in lists (index/subject.h).
  std::vector<std::string> lists;
  size_t max_field_bytes = 1024;  // any single field
  size_t max_line_bytes =
      64 * 1024;              // a longer line is rejected, not read whole
  size_t batch_size = 10000;  // lines per commit
};

struct LineError {
  std::string field;  // "code", "valid_until", "line" for whole-line problems
  std::string reason;
};

using ParsedLine = std::variant<Subject, Record, LineError>;

// Parses one JSON object. `source` fills Subject/Record::source when the line
// has none.
ParsedLine ParseJsonLine(std::string_view line, LineKind kind,
                         const IngestOptions& options, std::string_view source);

// The columns of a CSV file, from its header row.
class CsvSchema {
 public:
  // Errors name the unknown or duplicated columns, or missing required ones.
  static absl::StatusOr<CsvSchema> FromHeader(std::string_view header,
                                              LineKind kind);
  LineKind kind() const { return kind_; }
  ParsedLine ParseRow(std::string_view row, const IngestOptions& options,
                      std::string_view source) const;

 private:
  LineKind kind_ = LineKind::kSubject;
  std::vector<std::string> columns_;
};

// Converts one GBK (GB 18030) line to UTF-8; InvalidArgument naming the byte
// offset.
absl::StatusOr<std::string> GbkToUtf8(std::string_view line);

// FNV-1a, 64 bits: stable across runs and machines (unlike absl::Hash), for
// derived ids and content fingerprints.
uint64_t Fnv1a64(std::string_view data);

// The identity of a subject without an id: "d:<code>:<16 hex digits>" from the
// code and the name folded by NFKC with spaces removed (FNV-1a 64, stable
// across runs and machines).
std::string DerivedSubjectId(std::string_view code, std::string_view name);

struct Rejection {
  std::string file;
  uint64_t line = 0;
  std::string field;
  std::string reason;
};

struct IngestSummary {
  uint64_t lines = 0;  // non-empty lines read
  uint64_t subjects_new = 0;
  uint64_t subjects_replaced = 0;
  uint64_t subjects_repeated = 0;  // identical to what is stored (重复报送)
  uint64_t records_new = 0;
  uint64_t records_replaced = 0;
  uint64_t records_repeated = 0;
  uint64_t rejected = 0;
  std::map<std::string, uint64_t> rejected_by_field;  // field -> count
  std::map<std::string, uint64_t> flagged_codes;  // validation fault -> count
  uint64_t orphan_records =
      0;                 // records whose code no subject carries (so far)
  uint64_t version = 0;  // data version after the last commit
  double seconds = 0;

  std::string ToString() const;  // the final summary, several lines
};

// Where batches go. Returns what the batch did (new / replaced / repeated).
using BatchSink =
    std::function<absl::StatusOr<ApplySummary>(const WriteBatch&)>;

// Streams files into a sink. Not thread-safe.
class Ingestor {
 public:
  using RejectFn = std::function<void(const Rejection&)>;
  using ProgressFn = std::function<void(const IngestSummary&)>;

  Ingestor(IngestOptions options, BatchSink sink);
  void set_reject_fn(RejectFn fn) { on_reject_ = std::move(fn); }
  // Called about every batch; the caller decides how to show it.
  void set_progress_fn(ProgressFn fn) { on_progress_ = std::move(fn); }
  // Whether a subject already stored carries the code with this Fnv1a64 hash,
  // to count orphan records (optional).
  void set_known_code_fn(std::function<bool(uint64_t code_hash)> fn) {
    known_code_ = std::move(fn);
  }

  // Loads one file ("-" is standard input). Bad lines are rejected and
  // reported; the returned error is for the file as a whole (cannot open, bad
  // CSV header, sink failure): batches committed before it stay committed.
  absl::Status LoadFile(const std::string& path);
  // Commits what is pending and waits for it. LoadFile calls it at the end of
  // each file.
  absl::Status Flush();
  ~Ingestor();

  const IngestSummary& summary() const { return summary_; }

 private:
  void Reject(const std::string& file, uint64_t line, std::string field,
              std::string reason);
  absl::Status Accept(ParsedLine parsed, const std::string& file,
                      uint64_t line);
  // Hands the pending batch to the sink on a second thread, so that parsing
  // the next batch overlaps the commit of this one (at most one in flight).
  absl::Status Dispatch();
  absl::Status WaitInFlight();
  void Count(const ApplySummary& applied);

  IngestOptions options_;
  BatchSink sink_;
  RejectFn on_reject_;
  ProgressFn on_progress_;
  std::function<bool(uint64_t)> known_code_;
  IngestSummary summary_;
  WriteBatch pending_;
  std::future<absl::StatusOr<ApplySummary>> in_flight_;
  std::unique_ptr<WriteBatch> in_flight_batch_;
  // Per run: id -> (content hash, line), to tell a repeated line from a
  // conflicting one.
  struct Seen {
    uint64_t content;
    uint64_t line;
    uint32_t file;
  };
  absl::flat_hash_map<uint64_t, Seen> seen_subjects_;  // keyed by Fnv1a64(id)
  absl::flat_hash_map<uint64_t, Seen> seen_records_;
  std::vector<std::string> files_;
  absl::flat_hash_set<uint64_t>
      subject_codes_;  // Fnv1a64 of codes of subjects in this run
  absl::flat_hash_map<uint64_t, uint64_t>
      record_codes_;  // record id hash -> code hash
};

// A sink for offline bulk loads: writes to the store and detects repeats by
// content hash of what is stored (scanned once at start), without building
// snapshots.
class BulkLoadSink {
 public:
  static absl::StatusOr<std::unique_ptr<BulkLoadSink>> Open(
      const std::string& dir);
  absl::StatusOr<ApplySummary> Apply(const WriteBatch& batch);
  bool HasSubjectCode(uint64_t code_hash) const {
    return subject_codes_.contains(code_hash);
  }
  XapianStore& store() { return *store_; }

 private:
  std::unique_ptr<XapianStore> store_;
  // Fnv1a64(id) -> Fnv1a64(encoded document). 16 bytes a subject: a 10M-subject
  // load keeps a few hundred MiB. A 64-bit id collision would only misclassify
  // new vs replaced.
  absl::flat_hash_map<uint64_t, uint64_t> subjects_;
  absl::flat_hash_map<uint64_t, uint64_t> records_;
  absl::flat_hash_set<uint64_t> subject_codes_;  // Fnv1a64(code)
};

}  // namespace creditd

#endif  // CREDITD_INDEX_INGEST_H_
