#include "check/check_engine.h"

#include "config/limits.h"
#include "index/uscc.h"

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/utility/utility.h"

#include <algorithm>
#include <ctime>
#include <span>
#include <utility>

namespace creditd {
namespace {

// Scores at or above this are an exact match of the normalised names: a
// name-only check that finds one such subject among several likely ones
// resolves to it.
constexpr double kExactScore = 0.999;

std::string Quoted(std::string_view s, size_t max = 64) {
  // Client text in messages is cut (at a UTF-8 boundary) and control bytes
  // are replaced, so that a message is safe to echo and to log.
  size_t n = std::min(s.size(), max);
  while (n < s.size() && n > 0 &&
         (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) {
    --n;
  }
  std::string out = "'";
  for (char c : s.substr(0, n)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? '?' : c;
  }
  if (n < s.size()) out += "...";
  out += "'";
  return out;
}

NotInForce WhyNotInForce(const RecordView& r, Date date) {
  if (r.valid_from.has_value() && date < r.valid_from) {
    return NotInForce::kNotYetValid;
  }
  if (r.repaired_on.has_value() && !(date < r.repaired_on)) {
    return NotInForce::kRepaired;
  }
  return NotInForce::kExpired;
}

absl::StatusOr<Comparison> DefaultCompare(std::string_view given,
                                          std::string_view registered,
                                          std::string_view region) {
  return CompareNames(given, registered, region);
}

}  // namespace

std::string_view IdentityCaseName(IdentityCase c) {
  switch (c) {
    case IdentityCase::kFound:
      return "found";
    case IdentityCase::kInvalidCode:
      return "invalid_code";
    case IdentityCase::kUnknownCode:
      return "unknown_code";
    case IdentityCase::kDuplicateCode:
      return "duplicate_code";
    case IdentityCase::kNameFound:
      return "name_found";
    case IdentityCase::kNameAmbiguous:
      return "name_ambiguous";
    case IdentityCase::kNameNotFound:
      return "name_not_found";
  }
  return "unknown";
}

std::string_view IdentityIssueName(IdentityIssueKind k) {
  switch (k) {
    case IdentityIssueKind::kInvalidCode:
      return "invalid_code";
    case IdentityIssueKind::kUnknownCode:
      return "unknown_code";
    case IdentityIssueKind::kDuplicateCode:
      return "duplicate_code";
    case IdentityIssueKind::kSubjectRevoked:
      return "subject_revoked";
    case IdentityIssueKind::kSubjectDeregistered:
      return "subject_deregistered";
    case IdentityIssueKind::kNameMismatch:
      return "name_mismatch";
    case IdentityIssueKind::kNameAmbiguous:
      return "name_ambiguous";
    case IdentityIssueKind::kNameNotFound:
      return "name_not_found";
  }
  return "unknown";
}

std::string_view NotInForceName(NotInForce n) {
  switch (n) {
    case NotInForce::kNone:
      return "";
    case NotInForce::kNotYetValid:
      return "not_yet_valid";
    case NotInForce::kExpired:
      return "expired";
    case NotInForce::kRepaired:
      return "repaired";
  }
  return "unknown";
}

std::string FiredRule::ToString() const {
  switch (source) {
    case Source::kNone:
      return "none";
    case Source::kMeasure:
      if (rule == nullptr) return "measure";
      return absl::StrFormat("measure %s/%s -> %s (line %d)", rule->list,
                             rule->scenario, ActionName(rule->action),
                             rule->line);
    case Source::kIdentity:
      return absl::StrFormat("identity %s",
                             issue ? IdentityIssueName(*issue) : "?");
  }
  return "none";
}

absl::StatusOr<std::shared_ptr<const NameResolver>> NameResolver::Build(
    const Registry& registry, NameIndexOptions options) {
  std::vector<NameEntry> entries;
  entries.reserve(registry.subject_count());
  auto ids = std::make_shared<std::vector<std::string>>();
  ids->reserve(registry.subject_count());
  registry.ForEachSubject([&](const Subject& s) {
    entries.push_back(NameEntryFor(s, static_cast<uint32_t>(ids->size())));
    ids->push_back(s.id);
  });
  absl::StatusOr<std::unique_ptr<const NameIndex>> index =
      NameIndex::Build(std::move(entries), options);
  if (!index.ok()) return index.status();
  return Wrap(std::shared_ptr<const NameIndex>(*std::move(index)),
              std::move(ids), registry.version());
}

std::shared_ptr<const NameResolver> NameResolver::Wrap(
    std::shared_ptr<const NameIndex> index,
    std::shared_ptr<const std::vector<std::string>> subject_ids,
    uint64_t registry_version) {
  std::shared_ptr<NameResolver> resolver(new NameResolver());
  resolver->index_ = std::move(index);
  resolver->ids_ = std::move(subject_ids);
  resolver->version_ = registry_version;
  return std::shared_ptr<const NameResolver>(std::move(resolver));
}

absl::StatusOr<std::vector<Candidate>> NameResolver::Resolve(
    std::string_view name, size_t limit) const {
  MatchOptions options;
  // At least two, so that "one likely subject" can be told from "several".
  options.top_k = std::clamp<size_t>(limit, 2, MatchOptions::kMaxTopK);
  options.min_score = kSameSubjectThreshold;
  absl::StatusOr<std::vector<Candidate>> found = index_->Match(name, options);
  if (!found.ok()) return found.status();
  std::erase_if(*found,
                [](const Candidate& c) { return !c.same_subject_likely; });
  return found;
}

CheckEngine::CheckEngine(std::shared_ptr<const MeasuresList> measures,
                         CheckEngineOptions options)
    : measures_(std::move(measures)), options_(std::move(options)) {
  if (!options_.compare_names) options_.compare_names = DefaultCompare;
  tz_ = absl::UTCTimeZone();
  absl::LoadTimeZone(options_.time_zone, &tz_);
}

absl::Status CheckEngine::Validate(const CheckEngineOptions& options) {
  if (options.max_batch < 1 ||
      options.max_batch > static_cast<size_t>(limits::kMaxBatchCeiling)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_batch: %d is out of range (allowed range 1..%d)",
                        options.max_batch, limits::kMaxBatchCeiling));
  }
  if (options.max_candidates < 1 ||
      options.max_candidates > MatchOptions::kMaxTopK) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_candidates: %d is out of range (allowed range 1..%d)",
        options.max_candidates, MatchOptions::kMaxTopK));
  }
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(options.time_zone, &tz)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "time_zone: unknown time zone %s", Quoted(options.time_zone)));
  }
  return absl::OkStatus();
}

void CheckEngine::SetNameResolver(
    std::shared_ptr<const NameResolver> resolver) {
  resolver_.store(std::move(resolver));
}

Date CheckEngine::Today() const {
  // The cache is checked against the clock's seconds read directly (vDSO):
  // absl::Now() cost ~5% of a check with no record.
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  const int64_t now_s = ts.tv_sec;
  const uint64_t cached = today_cache_.load(std::memory_order_relaxed);
  if (cached != 0 && now_s >= 0 &&
      static_cast<uint64_t>(now_s) < (cached >> 24)) {
    return Date{static_cast<int32_t>(cached & 0xFFFFFF)};
  }
  const absl::Time now = absl::Now();
  const absl::CivilDay day = absl::ToCivilDay(now, tz_);
  const int64_t days = day - absl::CivilDay(1970, 1, 1);
  const int64_t next_midnight =
      absl::ToUnixSeconds(absl::FromCivil(day + 1, tz_));
  // Cache only what packs (days in 24 bits, seconds in 40: until 36812).
  if (days >= 0 && days < (int64_t{1} << 24) && next_midnight > now_s &&
      next_midnight < (int64_t{1} << 40)) {
    today_cache_.store((static_cast<uint64_t>(next_midnight) << 24) |
                           static_cast<uint64_t>(days),
                       std::memory_order_relaxed);
  }
  return Date{static_cast<int32_t>(days)};
}

namespace {

// Records a check decides on: inline for the usual few.
using RecordViews = absl::InlinedVector<RecordView, 8>;

// The subjects of `code` and the records that the decision needs, with one
// probe of the registry's code index: all records for an admin view, else
// only those in force on `date` (the rest could only come out as
// not_in_force, which a check caller is not shown). Views, not copies: they
// stay valid while the snapshot lives (index/registry.h), and most of a
// registry's records are repaired or expired, never shown.
void LookUpCode(const Registry& registry, std::string_view code, Date date,
                bool admin_view, absl::InlinedVector<SubjectView, 1>& subjects,
                RecordViews& records) {
  registry.VisitCode(
      code, [&](const SubjectView& v) { subjects.push_back(v); },
      [&](const RecordView& v) {
        if (admin_view || v.InForce(date)) records.push_back(v);
      });
}

}  // namespace

absl::StatusOr<CheckResult> CheckEngine::Evaluate(
    const Registry& registry, const CheckRequest& request) const {
  // Built in place and returned by NRVO: a CheckResult is large (inline
  // subject view, a dozen strings), and moving it cost ~10% of a check.
  absl::StatusOr<CheckResult> out(absl::in_place);
  if (absl::Status s = EvaluateInto(registry, request, *out); !s.ok()) {
    out = std::move(s);
  }
  return out;
}

absl::Status CheckEngine::EvaluateInto(const Registry& registry,
                                       const CheckRequest& request,
                                       CheckResult& result) const {
  if (request.code.empty() && request.name.empty()) {
    return absl::InvalidArgumentError("check: give a code, a name, or both");
  }
  if (request.code.size() > kMaxCheckCodeBytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("code: %d bytes exceeds %d (%s)", request.code.size(),
                        kMaxCheckCodeBytes, Quoted(request.code, 24)));
  }
  if (request.name.size() > kMaxCheckNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("name: %d bytes exceeds %d (%s)", request.name.size(),
                        kMaxCheckNameBytes, Quoted(request.name, 24)));
  }
  const std::string_view scenario = measures_->ScenarioName(request.scenario);
  if (scenario.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "scenario: unknown scenario %s (allowed: %s)", Quoted(request.scenario),
        absl::StrJoin(measures_->Scenarios(), ", ")));
  }
  if (request.date && !request.date->has_value()) {
    return absl::InvalidArgumentError("date: given without a value");
  }

  result.scenario = scenario;
  result.date = request.date ? *request.date : Today();
  result.admin_view = request.admin_view;
  result.data_version = registry.version();
  result.measures = measures_;

  RecordViews records;
  if (!request.code.empty()) {
    const UsccResult v = ValidateUscc(request.code);
    result.code = std::string(v.canonical());
    if (v.folds() != 0) result.code_folds = FoldNames(v.folds());
    if (v.warnings() != 0) result.code_warnings = WarningNames(v.warnings());
    result.code_legacy_exception = v.known_legacy_exception();
    const bool valid = v.ok() || v.known_legacy_exception();
    if (!v.ok()) {
      result.code_fault = std::string(UsccFaultName(v.fault()));
      result.code_fault_detail = v.Describe();
    }
    // Even an invalid code is looked up as given: real registries hold
    // subjects and records under bad codes, and their records must not be
    // hidden by the fault. A truncated fold is not the whole input.
    const bool lookup = !v.folded_truncated() && !result.code.empty();
    // One probe of the code index for subjects and records (no CountByCode
    // first), and no allocation when the code is unknown.
    if (lookup) {
      LookUpCode(registry, result.code, result.date, request.admin_view,
                 result.subjects, records);
    }
    if (!valid) {
      result.identity = IdentityCase::kInvalidCode;
      result.issues.push_back(
          {IdentityIssueKind::kInvalidCode,
           absl::StrFormat("code: %s", result.code_fault_detail)});
    } else if (result.subjects.empty()) {
      result.identity = IdentityCase::kUnknownCode;
      result.issues.push_back(
          {IdentityIssueKind::kUnknownCode,
           absl::StrFormat("code: no subject carries %s (data version %d)",
                           result.code, result.data_version)});
    } else if (result.subjects.size() == 1) {
      result.identity = IdentityCase::kFound;
    } else {
      result.identity = IdentityCase::kDuplicateCode;
    }
  } else {
    // Name only.
    std::shared_ptr<const NameResolver> resolver = resolver_.load();
    if (resolver == nullptr) {
      return absl::FailedPreconditionError(
          "name: name-only checks need the name index (no name resolver is "
          "configured); give a code");
    }
    absl::StatusOr<std::vector<Candidate>> found =
        resolver->Resolve(request.name, options_.max_candidates);
    if (!found.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("name: %s", found.status().message()));
    }
    for (Candidate& c : *found) {
      std::optional<SubjectView> s =
          registry.SubjectViewById(resolver->subject_id(c.id));
      if (!s) continue;  // the resolver predates a deletion
      result.candidates.push_back({*s, c.score, std::move(c.matched_name),
                                   c.via_former_name,
                                   c.explanation.ToString()});
    }
    const auto& cands = result.candidates;
    const bool one_exact = cands.size() >= 2 && cands[0].score >= kExactScore &&
                           cands[1].score < kExactScore;
    if (cands.empty()) {
      result.identity = IdentityCase::kNameNotFound;
      result.issues.push_back(
          {IdentityIssueKind::kNameNotFound,
           absl::StrFormat("name: no registered subject is likely to be %s",
                           Quoted(request.name))});
    } else if (cands.size() == 1 || one_exact) {
      result.identity = IdentityCase::kNameFound;
      const NameCandidate& c = cands[0];
      result.name_check =
          NameCheck{true,    true,          c.matched_name, c.via_former_name,
                    c.score, c.explanation, std::nullopt};
      result.code = c.subject.code;
      // Subjects and records are those of the resolved subject's code, so a
      // 重码 on it is reported just as for a check by code.
      LookUpCode(registry, result.code, result.date, request.admin_view,
                 result.subjects, records);
      if (result.subjects.empty()) result.subjects.push_back(c.subject);
      result.candidates.clear();
    } else {
      result.identity = IdentityCase::kNameAmbiguous;
      result.issues.push_back(
          {IdentityIssueKind::kNameAmbiguous,
           absl::StrFormat("name: %d registered subjects are likely to be %s; "
                           "check by code",
                           cands.size(), Quoted(request.name))});
    }
  }

  // Several subjects on one code: list them all, pick none.
  if (result.subjects.size() > 1) {
    std::vector<std::string> names;
    for (const SubjectView& s : result.subjects) {
      names.push_back(absl::StrFormat("%s (id %s)", s.name, s.id));
    }
    result.issues.push_back(
        {IdentityIssueKind::kDuplicateCode,
         absl::StrFormat("code: %s is carried by %d subjects (重码): %s; "
                         "none is picked",
                         result.code, result.subjects.size(),
                         absl::StrJoin(names, "; "))});
  } else if (result.subjects.size() == 1) {
    const SubjectView& s = result.subjects[0];
    if (s.status == SubjectStatus::kRevoked ||
        s.status == SubjectStatus::kDeregistered) {
      result.issues.push_back({s.status == SubjectStatus::kRevoked
                                   ? IdentityIssueKind::kSubjectRevoked
                                   : IdentityIssueKind::kSubjectDeregistered,
                               absl::StrFormat("subject: %s is %s", s.name,
                                               SubjectStatusName(s.status))});
    }
  }

  // The name given with a code, against every registered name on it.
  if (!request.code.empty() && !request.name.empty()) {
    NameCheck& nc = result.name_check;
    nc.given = true;
    std::string last_error;
    for (size_t i = 0; i < result.subjects.size(); ++i) {
      const SubjectView& s = result.subjects[i];
      auto compare = [&](std::string_view registered, bool former) {
        absl::StatusOr<Comparison> cmp =
            options_.compare_names(request.name, registered, s.region);
        if (!cmp.ok()) {
          last_error = std::string(cmp.status().message());
          return;
        }
        if (cmp->score > nc.score || nc.best_name.empty()) {
          nc.score = cmp->score;
          nc.best_name = std::string(registered);
          nc.via_former_name = former;
          nc.explanation = cmp->explanation.ToString();
        }
        if (cmp->same_subject_likely && !nc.matches) {
          nc.matches = true;
          nc.matched_subject = i;
        }
      };
      compare(s.name, false);
      s.ForEachFormerName([&](std::string_view f) { compare(f, true); });
    }
    if (!result.subjects.empty() && !nc.matches) {
      if (nc.explanation.empty()) nc.explanation = last_error;
      result.issues.push_back(
          {IdentityIssueKind::kNameMismatch,
           absl::StrFormat(
               "name: %s matches neither the registered name nor a former "
               "name of %s (registered: %s; best score %.2f)",
               Quoted(request.name), result.code, result.subjects[0].name,
               nc.score)});
    }
  }

  // Records.
  absl::StatusOr<Decision> decision = measures_->Decide(
      std::span<const RecordView>(records.data(), records.size()), scenario,
      result.date);
  if (!decision.ok()) return decision.status();
  result.records.reserve(records.size());
  std::optional<size_t> fired_shown;
  for (size_t i = 0; i < records.size(); ++i) {
    const RecordOutcome& o = decision->outcomes[i];
    const bool in_force = o.disposition != Disposition::kNotInForce;
    if (!in_force && !request.admin_view) continue;
    if (decision->fired && *decision->fired == i) {
      fired_shown = result.records.size();
    }
    // Built in place with its view (one copy; Decide gives every record its
    // row, if any).
    result.records.push_back(CheckedRecord{
        records[i], o.disposition,
        in_force ? NotInForce::kNone : WhyNotInForce(records[i], result.date),
        o.rule});
  }

  // Verdict: the stronger of the measures and the identity warnings; a tie
  // goes to the measure, whose row carries the legal basis.
  const Action identity_floor =
      result.issues.empty() ? Action::kClear : Action::kWarn;
  if (decision->verdict != Action::kClear &&
      decision->verdict >= identity_floor) {
    result.verdict = decision->verdict;
    result.fired.source = FiredRule::Source::kMeasure;
    result.fired.record = fired_shown;
    result.fired.rule = decision->fired_rule();
  } else if (identity_floor != Action::kClear) {
    result.verdict = identity_floor;
    result.fired.source = FiredRule::Source::kIdentity;
    result.fired.issue = result.issues.front().kind;
  }
  return absl::OkStatus();
}

AuditEntry MakeAuditEntry(const CheckRequest& request,
                          const CheckResult& result, std::string_view caller) {
  AuditEntry e;
  e.caller = request.caller.empty() ? std::string(caller) : request.caller;
  e.code = request.code;
  e.name = request.name;
  e.scenario = std::string(result.scenario);
  e.date = FormatDate(result.date);
  e.admin_view = request.admin_view;
  e.verdict = std::string(ActionName(result.verdict));
  e.identity = std::string(IdentityCaseName(result.identity));
  e.rule = result.fired.ToString();
  e.subject_ids.reserve(result.subjects.size());
  for (const SubjectView& s : result.subjects) {
    e.subject_ids.emplace_back(s.id);
  }
  e.records.reserve(result.records.size());
  for (const CheckedRecord& r : result.records) {
    e.records.push_back(
        {std::string(r.record.id), std::string(r.record.list),
         std::string(DispositionName(r.disposition)),
         r.rule ? std::string(ActionName(r.rule->action)) : std::string()});
  }
  e.data_version = result.data_version;
  e.measures_version = result.measures ? result.measures->version() : "";
  return e;
}

absl::StatusOr<CheckResult> CheckEngine::Check(
    const Registry& registry, const CheckRequest& request) const {
  // One return of one object, so that the result is built in the caller's
  // slot (NRVO): moving a CheckResult cost ~5% of a check.
  absl::StatusOr<CheckResult> result = Evaluate(registry, request);
  if (result.ok() && options_.audit_log != nullptr) {
    absl::StatusOr<AuditEntry> written =
        options_.audit_log->Append(MakeAuditEntry(request, *result, ""));
    if (written.ok()) {
      result->receipt = std::move(written->receipt);
    } else {
      result = written.status();
    }
  }
  return result;
}

absl::StatusOr<std::vector<absl::StatusOr<CheckResult>>>
CheckEngine::CheckBatch(const Registry& registry,
                        const std::vector<CheckRequest>& requests,
                        std::string_view caller) const {
  if (requests.size() > options_.max_batch) {
    return absl::InvalidArgumentError(
        absl::StrFormat("batch: %d entries exceeds max_batch %d",
                        requests.size(), options_.max_batch));
  }
  std::vector<absl::StatusOr<CheckResult>> results;
  results.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    // The next entry's code index probe loads while this one is checked.
    if (i + 1 < requests.size()) registry.PrefetchCode(requests[i + 1].code);
    absl::StatusOr<CheckResult>& one = results.emplace_back(absl::in_place);
    if (absl::Status st = EvaluateInto(registry, requests[i], *one); !st.ok()) {
      one = std::move(st);
    }
  }
  if (options_.audit_log == nullptr) return results;
  std::vector<AuditEntry> entries;
  std::vector<size_t> answered;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) continue;
    entries.push_back(MakeAuditEntry(requests[i], *results[i], caller));
    answered.push_back(i);
  }
  for (size_t k = 0; k < entries.size(); ++k) {
    entries[k].kind = "batch_check";
    entries[k].batch_index = static_cast<int>(k);
    entries[k].batch_size = static_cast<int>(entries.size());
  }
  absl::StatusOr<std::vector<AuditEntry>> written =
      options_.audit_log->AppendBatch(std::move(entries));
  if (!written.ok()) return written.status();
  for (size_t k = 0; k < answered.size(); ++k) {
    results[answered[k]]->receipt = std::move((*written)[k].receipt);
  }
  return results;
}

}  // namespace creditd
