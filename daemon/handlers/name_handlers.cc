// match, compare_names, subject_lookup, duplicate_report.
#include "daemon/handlers/convert.h"
#include "daemon/handlers/handlers.h"
#include "index/duplicates.h"
#include "index/uscc.h"
#include "matcher/name_duplicates.h"

#include "absl/base/const_init.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"

namespace creditd::handlers {

absl::StatusOr<pb::MatchResponse> Match(const pb::MatchRequest& req,
                                        const RequestContext& ctx) {
  const auto names = ctx.state->names();
  if (names == nullptr || names->index == nullptr) {
    return absl::UnavailableError("match: the name index is not built yet");
  }
  const auto cfg = ctx.state->config();
  MatchOptions options;
  const uint32_t top_k = req.top_k() == 0 ? 10 : req.top_k();
  const uint64_t max_k = std::min<uint64_t>(
      static_cast<uint64_t>(cfg->max_match_results), MatchOptions::kMaxTopK);
  if (top_k > max_k) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "top_k: %d exceeds limits.max_match_results %d", top_k, max_k));
  }
  options.top_k = top_k;
  options.region_prefix = req.region_prefix();
  options.min_score = req.min_score();
  auto candidates = names->index->Match(req.name(), options);
  if (!candidates.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("name: %s", candidates.status().message()));
  }
  const auto snap = ctx.state->snapshot();
  pb::MatchResponse r;
  r.set_index_version(names->registry_version);
  r.set_data_version(snap->version());
  for (const Candidate& c : *candidates) {
    if (c.id >= names->subject_ids.size()) continue;
    // Look the subject up in the current snapshot: the index may be older
    // than the registry (docs/operations.md, name index staleness), and a
    // subject deleted since is skipped.
    std::optional<Subject> s = snap->SubjectById(names->subject_ids[c.id]);
    if (!s) continue;
    pb::MatchCandidate* m = r.add_candidates();
    ToProto(*s, ViewFor(ctx), m->mutable_subject());
    m->set_score(c.score);
    m->set_same_subject_likely(c.same_subject_likely);
    m->set_matched_name(c.matched_name);
    m->set_via_former_name(c.via_former_name);
    m->set_explanation(c.explanation.ToString());
  }
  return r;
}

absl::StatusOr<pb::CompareNamesResponse> CompareNamesOp(
    const pb::CompareNamesRequest& req, const RequestContext&) {
  auto c = CompareNames(req.given(), req.registered(), req.registered_region());
  if (!c.ok()) return c.status();
  pb::CompareNamesResponse r;
  r.set_score(c->score);
  r.set_same_subject_likely(c->same_subject_likely);
  r.set_explanation(c->explanation.ToString());
  return r;
}

absl::StatusOr<pb::SubjectLookupResponse> SubjectLookup(
    const pb::SubjectLookupRequest& req, const RequestContext& ctx) {
  const auto snap = ctx.state->snapshot();
  pb::SubjectLookupResponse r;
  r.set_data_version(snap->version());
  std::string code;
  switch (req.key_case()) {
    case pb::SubjectLookupRequest::kCode: {
      const UsccResult v = ValidateUscc(req.code());
      if (v.canonical().empty()) {
        return absl::InvalidArgumentError("code: empty");
      }
      code = std::string(v.canonical());
      for (const Subject& s : snap->SubjectsByCode(code)) {
        ToProto(s, ViewFor(ctx), r.add_subjects());
      }
      break;
    }
    case pb::SubjectLookupRequest::kId: {
      std::optional<Subject> s = snap->SubjectById(req.id());
      if (!s) {
        return absl::NotFoundError(absl::StrFormat(
            "id: no subject with id '%s'", req.id().substr(0, 128)));
      }
      code = s->code;
      ToProto(*s, ViewFor(ctx), r.add_subjects());
      break;
    }
    case pb::SubjectLookupRequest::KEY_NOT_SET:
      return absl::InvalidArgumentError("key: give code or id");
  }
  if (req.with_records() && !code.empty()) {
    for (const Record& rec : snap->RecordsByCode(code)) {
      ToProto(rec, ViewFor(ctx), r.add_records());
    }
  }
  return r;
}

namespace {

struct CachedReport {
  uint64_t version = 0;
  std::shared_ptr<const DupReport> report;
};

// The scan is O(registry): run it once per data version and share the result
// between requests (and pages of one report).
std::shared_ptr<const DupReport> ReportFor(const Registry& registry,
                                           double bar) {
  static absl::Mutex mu(absl::kConstInit);
  static CachedReport* cache = new CachedReport();
  absl::MutexLock lock(&mu);
  if (cache->report == nullptr || cache->version != registry.version() ||
      cache->report->bar != bar) {
    ScanOptions options;
    options.bar = bar;
    cache->report = std::make_shared<const DupReport>(
        ScanDuplicatesWithNames(registry, std::move(options)));
    cache->version = registry.version();
  }
  return cache->report;
}

}  // namespace

absl::StatusOr<pb::DuplicateReportResponse> DuplicateReport(
    const pb::DuplicateReportRequest& req, const RequestContext& ctx) {
  const auto cfg = ctx.state->config();
  const uint32_t limit =
      req.limit() != 0
          ? req.limit()
          : static_cast<uint32_t>(std::min<int64_t>(100, cfg->max_batch));
  if (limit > static_cast<uint64_t>(cfg->max_batch)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "limit: %d exceeds limits.max_batch %d", limit, cfg->max_batch));
  }
  // The same rule as creditctl dups --region (index/duplicates.h), checked
  // before the scan so that a bad prefix costs nothing.
  const std::string& prefix = req.region_prefix();
  if (absl::Status st = ValidateRegionPrefix(prefix); !st.ok()) return st;
  const auto snap = ctx.state->snapshot();
  const auto report = ReportFor(*snap, cfg->dup_rate_bar);
  pb::DuplicateReportResponse r;
  r.set_data_version(snap->version());
  r.set_bar(report->bar);
  r.set_codes(report->total.codes);
  r.set_flagged(report->total.flagged);
  r.set_rate(report->total.rate());
  for (int k = 0; k < static_cast<int>(DupKind::kCount); ++k) {
    pb::DupKindCount* c = r.add_by_kind();
    c->set_kind(std::string(DupKindName(static_cast<DupKind>(k))));
    c->set_count(report->total.by_kind[k]);
  }
  for (const RegionRate& rr : report->regions) {
    if (!rr.over_bar || !RegionRateInPrefix(rr, prefix)) continue;
    pb::DupRate* p = r.add_regions_over_bar();
    p->set_level(std::string(RegionLevelName(rr.level)));
    p->set_code(rr.code);
    p->set_name(rr.name);
    p->set_codes(rr.counts.codes);
    p->set_flagged(rr.counts.flagged);
    p->set_rate(rr.counts.rate());
  }
  // Pages are over the findings the filter keeps; offsets count those only.
  // Filtering is a pass over the cached findings per request (no copy).
  std::vector<uint32_t> kept;
  if (!prefix.empty()) {
    for (size_t i = 0; i < report->findings.size(); ++i) {
      if (FindingInRegion(report->findings[i], prefix)) {
        kept.push_back(static_cast<uint32_t>(i));
      }
    }
  }
  const size_t total = prefix.empty() ? report->findings.size() : kept.size();
  r.set_total_findings(total);
  const size_t begin = std::min<size_t>(req.offset(), total);
  const size_t end = std::min<size_t>(begin + limit, total);
  for (size_t i = begin; i < end; ++i) {
    const DupFinding& f = report->findings[prefix.empty() ? i : kept[i]];
    pb::DupFinding* p = r.add_findings();
    p->set_kind(std::string(DupKindName(f.kind)));
    for (const auto& c : f.codes) p->add_codes(c);
    p->set_fault(f.fault);
    p->set_reason(f.reason);
    p->set_counted(f.counted);
    p->set_region(f.region);
    for (const auto& s : f.subjects) p->add_subject_ids(s.id);
    for (const auto& rec : f.records) p->add_record_ids(rec.id);
  }
  r.set_next_offset(end < total ? static_cast<uint32_t>(end) : 0);
  r.set_summary(absl::StrFormat(
      "%d codes, %d flagged (rate %.6f, bar %.6f), %d findings%s, %d regions "
      "over the bar",
      report->total.codes, report->total.flagged, report->total.rate(),
      report->bar, total,
      prefix.empty() ? "" : absl::StrFormat(" in region %s*", prefix),
      r.regions_over_bar_size()));
  return r;
}

}  // namespace creditd::handlers
