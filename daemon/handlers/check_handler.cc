// check, batch_check, receipt_lookup over check/check_engine.h.
#include "daemon/error_codes.h"
#include "daemon/handlers/convert.h"
#include "daemon/handlers/handlers.h"

#include "absl/strings/str_format.h"
#include "check/audit_log.h"
#include "check/check_engine.h"

namespace creditd::handlers {
namespace {

std::string S(std::string_view v) { return std::string(v); }

absl::StatusOr<CheckRequest> FromProto(const pb::CheckRequest& p,
                                       const RequestContext& ctx) {
  CheckRequest r;
  r.code = p.code();
  r.name = p.name();
  r.scenario = p.scenario();
  if (!p.date().empty()) {
    auto d = OptionalDate(p.date(), "date");
    if (!d.ok()) return d.status();
    r.date = *d;
  }
  // Records repaired, expired or not yet in force are for the admin role only
  // (docs/checks.md); found in the security review (docs/security.md).
  if (p.admin_view() && !(ctx.session->principal.roles & kRoleAdmin)) {
    return absl::PermissionDeniedError(
        "admin_view: the admin role is required to see records that do not "
        "count");
  }
  r.admin_view = p.admin_view();
  r.caller = ctx.session->principal.name;
  return r;
}

// Fills `out` (cleared by the caller, possibly a reused message: every
// field is written through its existing string).
void ToProto(const CheckResult& c, pii::View view, pb::CheckResponse* out) {
  Assign(out->mutable_verdict(), ActionName(c.verdict));
  out->set_fired(c.fired.ToString());
  if (const MeasureRule* rule = c.fired.rule) {
    out->set_fired_basis(rule->basis);
    out->set_fired_wording(rule->wording);
  }
  Assign(out->mutable_identity(), IdentityCaseName(c.identity));
  for (const IdentityIssue& i : c.issues) {
    pb::IdentityIssue* p = out->add_issues();
    Assign(p->mutable_kind(), IdentityIssueName(i.kind));
    p->set_message(i.message);
  }
  out->set_code(c.code);
  out->set_code_fault(c.code_fault);
  out->set_code_fault_detail(c.code_fault_detail);
  for (const SubjectView& s : c.subjects) {
    handlers::ToProto(s, view, out->add_subjects());
  }
  pb::NameCheck* n = out->mutable_name_check();
  n->set_given(c.name_check.given);
  n->set_matches(c.name_check.matches);
  AssignShown(n->mutable_best_name(), c.name_check.best_name, view);
  n->set_via_former_name(c.name_check.via_former_name);
  n->set_score(c.name_check.score);
  n->set_explanation(c.name_check.explanation);
  for (const CheckedRecord& r : c.records) {
    pb::CheckedRecord* p = out->add_records();
    handlers::ToProto(r.record, view, p->mutable_record());
    Assign(p->mutable_disposition(), DispositionName(r.disposition));
    if (r.not_in_force != NotInForce::kNone) {
      Assign(p->mutable_not_in_force(), NotInForceName(r.not_in_force));
    }
    if (r.rule != nullptr) {
      Assign(p->mutable_action(), ActionName(r.rule->action));
      p->set_basis(r.rule->basis);
      p->set_wording(r.rule->wording);
    }
  }
  Assign(out->mutable_scenario(), c.scenario);
  AssignDate(out->mutable_date(), c.date);
  out->set_data_version(c.data_version);
  if (c.measures) out->set_measures_version(c.measures->version());
  out->set_receipt(c.receipt);
}

absl::StatusOr<std::shared_ptr<const CheckEngine>> Engine(
    const RequestContext& ctx) {
  auto engine = ctx.state->check_engine();
  if (engine == nullptr) {
    return absl::UnavailableError("check: the check engine is not running");
  }
  return engine;
}

}  // namespace

absl::Status Check(const pb::CheckRequest& req, const RequestContext& ctx,
                   pb::CheckResponse* out) {
  auto engine = Engine(ctx);
  if (!engine.ok()) return engine.status();
  auto request = FromProto(req, ctx);
  if (!request.ok()) return request.status();
  const auto snap = ctx.state->snapshot();
  absl::StatusOr<CheckResult> result = (*engine)->Check(*snap, *request);
  if (!result.ok()) return result.status();
  ToProto(*result, ViewFor(ctx), out);
  return absl::OkStatus();
}

absl::Status BatchCheck(const pb::BatchCheckRequest& req,
                        const RequestContext& ctx,
                        pb::BatchCheckResponse* out) {
  auto engine = Engine(ctx);
  if (!engine.ok()) return engine.status();
  // Entries whose request is malformed get their error; the rest go to the
  // engine in one batch (one audit append).
  std::vector<CheckRequest> requests;
  std::vector<int> position;  // requests[i] answers entry position[i]
  pb::BatchCheckResponse& r = *out;
  for (int i = 0; i < req.checks_size(); ++i) {
    pb::BatchCheckEntry* e = r.add_entries();
    auto one = FromProto(req.checks(i), ctx);
    if (!one.ok()) {
      const WireError code = WireErrorFromStatus(one.status());
      e->mutable_error()->set_code(static_cast<uint32_t>(code));
      e->mutable_error()->set_name(S(WireErrorName(code)));
      e->mutable_error()->set_message(
          SafeMessage(std::string(one.status().message())));
      continue;
    }
    requests.push_back(std::move(*one));
    position.push_back(i);
  }
  const auto snap = ctx.state->snapshot();
  auto results =
      (*engine)->CheckBatch(*snap, requests, ctx.session->principal.name);
  if (!results.ok()) return results.status();
  for (size_t i = 0; i < results->size(); ++i) {
    pb::BatchCheckEntry* e = r.mutable_entries(position[i]);
    const auto& one = (*results)[i];
    if (one.ok()) {
      ToProto(*one, ViewFor(ctx), e->mutable_result());
    } else {
      const WireError code = WireErrorFromStatus(one.status());
      e->mutable_error()->set_code(static_cast<uint32_t>(code));
      e->mutable_error()->set_name(S(WireErrorName(code)));
      e->mutable_error()->set_message(
          SafeMessage(std::string(one.status().message())));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<pb::ReceiptLookupResponse> ReceiptLookup(
    const pb::ReceiptLookupRequest& req, const RequestContext& ctx) {
  AuditLog* log = ctx.state->audit_log();
  if (log == nullptr) {
    return absl::UnavailableError("receipt_lookup: no audit log");
  }
  auto found = log->LookupReceipt(req.receipt());
  if (!found.ok()) return found.status();
  pb::ReceiptLookupResponse r;
  r.set_line(found->line);
  r.set_file(found->file);
  r.set_line_number(found->line_number);
  return r;
}

}  // namespace creditd::handlers
