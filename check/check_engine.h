// The check engine (应查必查, issue 4 items 2-5): "may this subject pass this
// scenario on this date?", answered from a registry snapshot and the
// operator's measures list, with a receipt in the audit log.
//
// A check resolves the identity first, then decides on the records:
//   1. Identity (IdentityCase). By code: the code is validated (tolerant
//      folding of spaces, case and width; a known pilot-era legacy code counts
//      as valid) and looked up: found / invalid_code / unknown_code /
//      duplicate_code (重码). By name only: the name resolver (a NameIndex
//      over the same registry) gives name_found / name_ambiguous /
//      name_not_found.
//   2. Identity warnings (IdentityIssue), each a `warn` of its own:
//      invalid_code, unknown_code, duplicate_code, subject_revoked /
//      subject_deregistered, name_mismatch (the name given matches neither
//      the current nor a former name of the subject on the code: a bidder
//      using another company's code), name_ambiguous, name_not_found.
//   3. Records: every record naming the code (also when no subject, or
//      several, carry it) goes through MeasuresList::Decide for the scenario
//      and date. A (list, scenario) pair without a row never counts.
//   4. Verdict = the strongest of the measures' verdict and the identity
//      warnings (block > warn > incentive > info > clear, config/measures.h).
//      On a tie between a measure and an identity warning, the measure is
//      the rule that fired (it carries the legal basis); every identity
//      warning is still listed. So 重码 never gives a clean verdict: at least
//      warn, with every subject carrying the code listed and none picked.
//
// Records shown: a check caller sees the records in force on the date
// (counted, and in force but without consequence here: no_rule,
// disputed_excluded, outside_window, each marked). Records not in force
// (repaired on or before the date, expired, not yet valid) are shown only
// with CheckRequest::admin_view, marked with why.
//
// Thread safety: a CheckEngine is immutable after construction apart from
// the name resolver, which is swapped atomically (SetNameResolver); Check and
// CheckBatch may be called from any number of threads.
//
// Lifetime: the registry snapshot is the caller's (RegistryHolder::Current()).
// A CheckResult shows subjects and records as views into that snapshot
// (SubjectView, RecordView: a check copies no document), so keep the snapshot
// alive for as long as you use the result; the daemon encodes its reply while
// holding it. Everything else in a result is owned by it (the measures rows
// through CheckResult::measures).
#ifndef CREDITD_CHECK_CHECK_ENGINE_H_
#define CREDITD_CHECK_CHECK_ENGINE_H_

#include "config/measures.h"
#include "index/registry.h"
#include "index/snapshot_ptr.h"
#include "index/subject.h"
#include "matcher/name_matcher.h"

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "check/audit_log.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

// Longest name a request may carry (bytes); longer is InvalidArgument.
inline constexpr size_t kMaxCheckNameBytes = 512;
// Longest code input (bytes, before folding); longer is InvalidArgument.
inline constexpr size_t kMaxCheckCodeBytes = 128;

struct CheckRequest {
  std::string code;      // USCC as typed (folded tolerantly); may be empty
  std::string name;      // name as typed; may be empty; required without code
  std::string scenario;  // one of MeasuresList::Scenarios()
  std::optional<Date> date;  // default: today in Options::time_zone
  bool admin_view = false;   // also show records that do not count, marked
  std::string caller;        // who asks (token name): for the audit entry
};

// How the subject was (or was not) identified.
//
// When adding a case: add its name to IdentityCaseName() in check_engine.cc,
// a row to docs/checks.md (Identity), and a test to
// tests/check/check_engine_test.cc.
enum class IdentityCase : uint8_t {
  kFound,          // by code: exactly one subject
  kInvalidCode,    // the code fails validation (see code_fault)
  kUnknownCode,    // valid code, no subject carries it
  kDuplicateCode,  // 重码: several subjects carry the code (all listed)
  kNameFound,      // name only: one subject
  kNameAmbiguous,  // name only: several likely subjects (candidates)
  kNameNotFound,   // name only: no likely subject
};
std::string_view IdentityCaseName(IdentityCase c);  // "found", ...

// An identity warning. Each raises the verdict to at least `warn`.
//
// When adding an issue: add its name to IdentityIssueName() in
// check_engine.cc, a row to docs/checks.md, and a test.
enum class IdentityIssueKind : uint8_t {
  kInvalidCode,
  kUnknownCode,
  kDuplicateCode,
  kSubjectRevoked,
  kSubjectDeregistered,
  kNameMismatch,
  kNameAmbiguous,
  kNameNotFound,
};
std::string_view IdentityIssueName(IdentityIssueKind k);  // "name_mismatch"

struct IdentityIssue {
  IdentityIssueKind kind;
  std::string message;  // for people: "name '乙公司' does not match ..."
};

// The outcome of comparing the given name with the registry.
struct NameCheck {
  bool given = false;    // a name was given with the code
  bool matches = false;  // likely the same subject as one registered name
  // The registered name that compared best (a former name when
  // via_former_name), its score in [0, 1], and the explanation.
  std::string best_name;
  bool via_former_name = false;
  double score = 0;
  std::string explanation;
  // For 重码: index into CheckResult::subjects of the subject whose name
  // matched (none picked for the verdict, only shown).
  std::optional<size_t> matched_subject;
};

// A name-only candidate.
struct NameCandidate {
  SubjectView subject;  // into the snapshot checked
  double score = 0;
  std::string matched_name;
  bool via_former_name = false;
  std::string explanation;
};

// Why an admin-view record does not count (kNone for records in force).
enum class NotInForce : uint8_t { kNone, kNotYetValid, kExpired, kRepaired };
std::string_view NotInForceName(NotInForce n);  // "repaired", ...

struct CheckedRecord {
  RecordView record;  // into the snapshot checked
  Disposition disposition = Disposition::kNoRule;
  NotInForce not_in_force = NotInForce::kNone;
  // The measure for (list, scenario), when the list has a row (also when a
  // condition kept the record from counting). Points into
  // CheckResult::measures, which the result keeps alive.
  const MeasureRule* rule = nullptr;
};

// What fixed the verdict.
struct FiredRule {
  enum class Source : uint8_t { kNone, kMeasure, kIdentity };
  Source source = Source::kNone;
  // kMeasure: index into CheckResult::records and the row applied.
  std::optional<size_t> record;
  const MeasureRule* rule = nullptr;
  // kIdentity: the issue.
  std::optional<IdentityIssueKind> issue;

  // "measure serious_dishonesty/bidding (line 12)", "identity duplicate_code",
  // "none".
  std::string ToString() const;
};

struct CheckResult {
  Action verdict = Action::kClear;
  FiredRule fired;
  IdentityCase identity = IdentityCase::kFound;
  std::vector<IdentityIssue> issues;

  // The code as checked: the canonical (folded) form and what was folded
  // (FoldNames), the validation fault and its description when invalid,
  // and validation warnings (WarningNames: a retired region is not an error).
  std::string code;
  std::string code_folds;
  std::string code_fault;         // UsccFaultName; empty when valid
  std::string code_fault_detail;  // UsccResult::Describe()
  std::string code_warnings;
  bool code_legacy_exception = false;

  // Subjects: one (found / name_found), several (duplicate_code: every one,
  // in registry order), or none. Views into the snapshot checked.
  absl::InlinedVector<SubjectView, 1> subjects;
  NameCheck name_check;
  std::vector<NameCandidate> candidates;  // name-only: the likely ones

  // Records naming the code (see the top of the file for which are shown).
  std::vector<CheckedRecord> records;

  std::string_view scenario;  // the measures list's own copy (see measures)
  Date date;
  bool admin_view = false;
  uint64_t data_version = 0;                     // Registry::version()
  std::shared_ptr<const MeasuresList> measures;  // the list that decided

  std::string receipt;  // empty when the engine has no audit log
};

// Compares a given name with one registered name (the matcher's CompareNames
// by default). Errors mean "no match" for that registered name.
using NameCompareFn = std::function<absl::StatusOr<Comparison>(
    std::string_view given, std::string_view registered,
    std::string_view registered_region)>;

// Resolves a name to subjects for name-only checks: a NameIndex built over a
// registry snapshot, plus the map from the index's ids to subject ids.
// Immutable; share it as std::shared_ptr<const NameResolver>.
class NameResolver {
 public:
  // Builds over every subject of `registry` (O(subjects); seconds at 10M).
  // Errors from NameIndex::Build.
  static absl::StatusOr<std::shared_ptr<const NameResolver>> Build(
      const Registry& registry, NameIndexOptions options = {});

  // Likely subjects for `name` (score >= kSameSubjectThreshold), best first,
  // at most `limit`. InvalidArgument when the name fails normalisation.
  absl::StatusOr<std::vector<Candidate>> Resolve(std::string_view name,
                                                 size_t limit) const;
  // A resolver over an index built elsewhere (the daemon builds one name index
  // and shares it between match and checks). `subject_ids` maps
  // NameEntry::id to Subject::id.
  static std::shared_ptr<const NameResolver> Wrap(
      std::shared_ptr<const NameIndex> index,
      std::shared_ptr<const std::vector<std::string>> subject_ids,
      uint64_t registry_version);

  const std::string& subject_id(uint32_t id) const { return (*ids_)[id]; }
  uint64_t registry_version() const { return version_; }

 private:
  NameResolver() = default;
  std::shared_ptr<const NameIndex> index_;
  std::shared_ptr<const std::vector<std::string>> ids_;  // -> Subject::id
  uint64_t version_ = 0;
};

struct CheckEngineOptions {
  // "Today" for requests without a date. DaemonConfig::time_zone.
  std::string time_zone = "Asia/Shanghai";
  // Entries in one CheckBatch, 1..limits::kMaxBatchCeiling.
  // DaemonConfig::max_batch.
  size_t max_batch = 500;
  // Name-vs-registry comparison; empty = the matcher's CompareNames.
  NameCompareFn compare_names;
  // Candidates listed for an ambiguous name-only check.
  size_t max_candidates = 10;
  // Receipts and audit entries; not owned, must outlive the engine. Null: no
  // receipts (tests and benches only).
  AuditLog* audit_log = nullptr;
};

class CheckEngine {
 public:
  // REQUIRES: measures != nullptr. Check the options with Validate first;
  // the constructor does not fail.
  CheckEngine(std::shared_ptr<const MeasuresList> measures,
              CheckEngineOptions options = {});

  // InvalidArgument naming the option and its range.
  static absl::Status Validate(const CheckEngineOptions& options);

  // Name-only checks use this resolver; null (the default) makes them fail
  // with FailedPrecondition. Swap in a new one when the registry changes
  // much; a resolver from an older snapshot still works (its hits are looked
  // up again by id in the snapshot checked, and vanished ids are skipped).
  void SetNameResolver(std::shared_ptr<const NameResolver> resolver);

  // One check. Errors (nothing logged, no receipt):
  //   InvalidArgument: neither code nor name; unknown scenario ("scenario:
  //     unknown scenario 'x' (allowed: ...)"); code or name too long.
  //   FailedPrecondition: name-only without a name resolver.
  //   The audit log's error when the entry cannot be written: a check
  //     without its evidence is not answered (fail closed).
  // Identity problems are not errors: they are results (IdentityCase).
  absl::StatusOr<CheckResult> Check(const Registry& registry,
                                    const CheckRequest& request) const;

  // Up to options.max_batch requests, each answered independently (a bad
  // entry gets its own error, the others their results), in input order; one
  // audit append for the whole batch. InvalidArgument "batch: 501 entries
  // exceeds max_batch 500" for too many, and nothing is checked. When the
  // audit write fails the whole call fails (no receipts were given).
  absl::StatusOr<std::vector<absl::StatusOr<CheckResult>>> CheckBatch(
      const Registry& registry, const std::vector<CheckRequest>& requests,
      std::string_view caller = "") const;

  const MeasuresList& measures() const { return *measures_; }
  const CheckEngineOptions& options() const { return options_; }

 private:
  // The check without the audit entry.
  absl::StatusOr<CheckResult> Evaluate(const Registry& registry,
                                       const CheckRequest& request) const;
  // The same into a default-constructed `result` (so that the caller can
  // build it in place); on error `result` is partly filled and must be
  // dropped.
  absl::Status EvaluateInto(const Registry& registry,
                            const CheckRequest& request,
                            CheckResult& result) const;
  Date Today() const;

  std::shared_ptr<const MeasuresList> measures_;
  CheckEngineOptions options_;
  absl::TimeZone tz_;
  // Today() cache: (unix second of the next midnight in tz_) << 24 | day, so
  // that readers see both halves together; 0 = empty. A time zone lookup per
  // check cost ~5% of a check.
  mutable std::atomic<uint64_t> today_cache_{0};
  SnapshotPtr<const NameResolver> resolver_;
};

// The audit entry for an answered check. `caller` is used when
// request.caller is empty.
AuditEntry MakeAuditEntry(const CheckRequest& request,
                          const CheckResult& result, std::string_view caller);

}  // namespace creditd

#endif  // CREDITD_CHECK_CHECK_ENGINE_H_
