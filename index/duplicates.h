// Duplicate and erroneous codes (重错码, DESIGN.md §1, issue 6): a full scan of
// a Registry snapshot and an incremental check of a WriteBatch before it lands.
//
// Kinds (DupKind) and where they are decided:
//   - duplicate_code   (重码)      one code carried by subjects that are not
//   the
//                                   same subject;
//   - multi_code       (一主体多码) one subject under two or more codes;
//   - erroneous_code   (错码)      a code that fails ValidateUscc;
//   - legacy_mismatch              the legacy organisation code / registration
//                                   number on file disagrees with the USCC;
//   - repeated_subject (重复报送)  the same subject stored twice under one code
//                                   with different ids;
//   - repeated_record  (重复报送)  the same record content under different ids.
// Whether two subjects are "the same subject" needs names. This layer knows no
// normaliser: it takes the decision from ScanOptions::same_subject, whose
// default compares names after a cheap byte-level fold (FoldedNameHash).
// matcher/name_duplicates.h plugs in the real normaliser and former names;
// use ScanDuplicatesWithNames() from there unless you are testing this layer.
//
// Counting rules (the rate, 重错码率) are in docs/duplicates.md; in short the
// denominator is the number of distinct codes carried by live subjects and the
// numerator the number of those codes with at least one finding of a kind for
// which CountsTowardRate() is true, both attributed to the region of the first
// subject seen with the code and to the code's position 1.
//
// Cost: one pass over the subjects and one over the records, then hash lookups
// for the (few) candidates. The passes read the encoded documents without
// decoding them into strings, on ScanOptions::threads worker threads, and
// merge in scan order, so the report is the same for any thread count.
// Memory beyond the registry is a fixed 8-byte slot table sized from
// subject_count() plus 12 bytes a subject (ScanStats), plus a few chunks of
// 32768 subjects in flight between the workers and the merge.
//
// Thread safety: the functions are pure over the immutable snapshot; they may
// run on any thread, concurrently with readers and the writer.
#ifndef CREDITD_INDEX_DUPLICATES_H_
#define CREDITD_INDEX_DUPLICATES_H_

#include "index/registry.h"
#include "index/subject.h"
#include "index/xapian_store.h"

#include "absl/status/status.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

// When adding a kind: add its name to DupKindName() and a row to
// kKindTable in duplicates.cc (rate rule), a section to docs/duplicates.md,
// a case to tests/index/duplicates_test.cc, and a column value to the report
// (matcher/dups_report.cc needs no change unless the kind has new fields).
enum class DupKind : uint8_t {
  kDuplicateCode,
  kMultiCode,
  kErroneousCode,
  kLegacyMismatch,
  kRepeatedSubject,
  kRepeatedRecord,
  kCount,
};

// "duplicate_code", "multi_code", "erroneous_code", "legacy_mismatch",
// "repeated_subject", "repeated_record".
std::string_view DupKindName(DupKind kind);
// The Chinese term used in the HTML summary (重码, 一主体多码, ...).
std::string_view DupKindLabel(DupKind kind);
// Inverse of DupKindName; nullopt for unknown names.
std::optional<DupKind> ParseDupKind(std::string_view name);
// Whether a code with a finding of this kind is in the rate's numerator.
bool CountsTowardRate(DupKind kind);

struct DupSubjectRef {
  std::string id;
  std::string code;
  std::string name;
  std::string region;  // the subject's 6-digit region as stored
  std::string source;  // "file.jsonl:17" or a department
};

struct DupRecordRef {
  std::string id;
  std::string code;
  std::string list;
  std::string doc_no;
  std::string source;
};

struct DupFinding {
  DupKind kind = DupKind::kErroneousCode;
  std::vector<std::string> codes;  // the offending code(s), canonical form
  // ValidateUscc's fault name for erroneous_code ("check_character"),
  // LegacyMismatch kind for legacy_mismatch ("org_code_body",
  // "registration_region"), else empty.
  std::string fault;
  std::string reason;  // a sentence: why, with the evidence
  // For erroneous_code: a genuine pilot-era code (uscc.h). Listed, not counted.
  bool known_legacy_exception = false;
  bool counted = false;  // contributes to the rate's numerator
  uint32_t region = 0;   // 6-digit division the finding is attributed to
  char authority = '?';  // code position 1, '?' when the code has none
  std::vector<DupSubjectRef> subjects;
  std::vector<DupRecordRef> records;
};

// Counts of one bucket (a division at one level, or an authority).
struct DupBucket {
  uint64_t codes = 0;    // denominator: distinct codes
  uint64_t flagged = 0;  // numerator: distinct codes with a counted finding
  uint64_t by_kind[static_cast<int>(DupKind::kCount)] = {};  // findings
  double rate() const {
    return codes == 0
               ? 0.0
               : static_cast<double>(flagged) / static_cast<double>(codes);
  }
};

enum class RegionLevel : uint8_t { kProvince, kCity, kCounty };
std::string_view RegionLevelName(RegionLevel level);  // "province", ...

struct RegionRate {
  RegionLevel level = RegionLevel::kCounty;
  uint32_t code = 0;  // 6 digits: 350000 province, 350100 city, 350102 county;
                      // 0 = code and subject name no division
  std::string name;   // "福建省", "福建省 福州市", ...; "未知" for 0
  DupBucket counts;
  bool over_bar = false;  // rate() > bar
};

struct AuthorityRate {
  char authority = '?';
  std::string name;  // AuthorityName(); "未知" for '?' and unassigned
  DupBucket counts;
  bool over_bar = false;
};

struct ScanStats {
  uint64_t subjects = 0;
  uint64_t records = 0;
  uint64_t candidates = 0;   // key collisions confirmed or rejected in phase 2
  uint64_t table_bytes = 0;  // memory the scan held beyond the registry
  double seconds = 0;
};

struct DupReport {
  double bar = 1e-4;
  DupBucket total;
  std::vector<DupFinding> findings;  // by kind, then code
  std::vector<RegionRate> regions;   // provinces, cities, counties, by code
  std::vector<AuthorityRate> authorities;
  ScanStats stats;
};

// Decides whether two subjects (different ids) are the same subject; returns
// the evidence ("same name after normalisation", "former name 'X' of A is the
// name of B") or nullopt.
using SameSubjectFn = std::function<std::optional<std::string>(
    const Subject& a, const Subject& b)>;

struct ScanOptions {
  double bar = 1e-4;           // rates above this are flagged (over_bar)
  SameSubjectFn same_subject;  // unset: DefaultSameSubject
  // Called about every progress_every subjects and once at the end of each
  // phase, with the phase ("subjects", "records", "confirm"), done and total.
  std::function<void(std::string_view phase, uint64_t done, uint64_t total)>
      progress;
  uint64_t progress_every = 1 << 18;
  // Threads that decode and check subjects and records in parallel while the
  // calling thread merges their results in scan order (the report does not
  // depend on this). 0 or 1: everything on the calling thread.
  unsigned threads = 2;
  // Subjects (records) per unit of work handed to a thread; the registry's
  // base slots are split into subject_count() / chunk_subjects parts (at
  // least 1, at most 4096). Tests set it small to cross many chunk edges.
  size_t chunk_subjects = 32768;
};

// FNV-1a 64 of `name` after a byte-level fold: ASCII letters lowered,
// full-width ASCII (U+FF01..U+FF5E) narrowed, white space (ASCII, U+3000,
// NBSP) and ASCII / common CJK punctuation removed, every bracket form made
// '(' / ')'. No allocation. Traditional and simplified forms stay distinct
// (that needs OpenCC: the matcher's normaliser).
uint64_t FoldedNameHash(std::string_view name);

// Same subject when the folded names are equal, or a former name of one folds
// to the name of the other.
std::optional<std::string> DefaultSameSubject(const Subject& a,
                                              const Subject& b);

// The full scan. Never fails: invalid data is what it reports.
DupReport ScanDuplicates(const Registry& registry, const ScanOptions& options);

// ---- The region filter (creditctl dups --region, the socket's
// DuplicateReportRequest.region_prefix): one rule for both -----------------

// OK for "" (no filter) or 1 to 6 ASCII digits of a division code; otherwise
// InvalidArgument "region_prefix: '<value, escaped>' is not 1-6 digits of a
// division code (e.g. 35, 3501, 350102)".
absl::Status ValidateRegionPrefix(std::string_view prefix);
// Whether a finding is shown under `prefix`: the division it is attributed to
// or the region of one of its subjects starts with it. "" matches everything.
bool FindingInRegion(const DupFinding& finding, std::string_view prefix);
// Whether a rate row is shown under `prefix`: a division inside the prefix or
// one of its ancestors (the province row above a county prefix). Rates are
// always computed over the whole registry. "" matches everything.
bool RegionRateInPrefix(const RegionRate& rate, std::string_view prefix);

// ---- Incremental check (for the daemon's writer) -----------------------

// One flag raised by one write of a batch.
struct WriteFlag {
  enum class Kind : uint8_t {
    kErroneousCode,   // the code fails validation: `fault`, `reason`
    kCodeShared,      // the code is already carried by `others` (another id),
                      // in the snapshot or earlier in the same batch
    kLegacyMismatch,  // org_code / reg_no disagrees with the code
  };
  Kind kind = Kind::kErroneousCode;
  // Which write: the batch vector and the index in it.
  enum class Source : uint8_t {
    kUpsertSubject,
    kInsertSubject,
    kPutRecord,
    kInsertRecord
  } source = Source::kUpsertSubject;
  size_t index = 0;
  std::string code;
  std::string fault;   // uscc fault name or legacy mismatch kind
  std::string reason;  // a sentence, safe to echo
  bool known_legacy_exception = false;
  // For kCodeShared: the other holders (id, name, region, source) and whether
  // one of them carries the same name after FoldedNameHash (likely a repeat
  // report, 重复报送, rather than a 重码; the full scan decides with names).
  std::vector<DupSubjectRef> others;
  bool same_name = false;
};

std::string_view WriteFlagKindName(WriteFlag::Kind kind);

// Returns the flags the batch would introduce against `snapshot` (call it
// before Apply with the snapshot Apply starts from, or after Apply with the
// snapshot before it). Subjects deleted by the same batch do not count as
// holders; two writes of one batch sharing a code flag each other. Records
// are flagged only for an erroneous code. Cost: ValidateUscc and one
// CountByCode per write; holders are decoded only when the code is already
// carried (updates of the same id and real duplicates). Thread-safe.
std::vector<WriteFlag> CheckWriteBatch(const Registry& snapshot,
                                       const WriteBatch& batch);

}  // namespace creditd

#endif  // CREDITD_INDEX_DUPLICATES_H_
