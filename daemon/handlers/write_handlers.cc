// upsert_subjects, delete_subjects, put_records, repair_record.
//
// Each request becomes one WriteBatch given to RegistryHolder::Apply, which
// commits to Xapian and only then publishes the new snapshot: the reply is
// sent after Apply returns, so an acknowledged write is durable and visible to
// the next read on any connection. Every entry is converted and checked
// before anything is applied, so a bad entry fails the whole request and
// nothing is written.
#include "daemon/handlers/convert.h"
#include "daemon/handlers/handlers.h"
#include "index/duplicates.h"

#include "absl/strings/str_format.h"
#include "spdlog/spdlog.h"

namespace creditd::handlers {
namespace {

absl::StatusOr<pb::WriteResponse> Apply(const WriteBatch& batch,
                                        std::string_view op,
                                        const RequestContext& ctx) {
  if (batch.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: no entries", absl::string_view(op.data(), op.size())));
  }
  // Flags against the snapshot this write starts from (a concurrent writer
  // may commit in between: the flags are advice, the write lands either way).
  const std::vector<WriteFlag> flags =
      CheckWriteBatch(*ctx.state->snapshot(), batch);
  absl::StatusOr<ApplySummary> s = ctx.state->registry().Apply(batch);
  if (!s.ok()) {
    // The status may quote a field value: no identity number in the log.
    spdlog::error("event=write_failed op={} token={} error={}", op,
                  ctx.session->principal.name,
                  pii::MaskIdNumbers(s.status().ToString()));
    return s.status();
  }
  spdlog::info("event=write op={} token={} entries={} version={}", op,
               ctx.session->principal.name, batch.size(), s->version);
  // Names changed: the name index (match, name-only checks) is rebuilt in
  // the background (daemon/name_refresher.h). Records do not touch it.
  if (s->subjects_new + s->subjects_replaced + s->subjects_deleted > 0) {
    ctx.state->SubjectsChanged(s->version);
  }
  pb::WriteResponse r;
  r.set_data_version(s->version);
  r.set_subjects_new(s->subjects_new);
  r.set_subjects_replaced(s->subjects_replaced);
  r.set_subjects_repeated(s->subjects_repeated);
  r.set_subjects_deleted(s->subjects_deleted);
  r.set_subjects_missing(s->subjects_missing);
  r.set_records_new(s->records_new);
  r.set_records_replaced(s->records_replaced);
  r.set_records_repeated(s->records_repeated);
  r.set_records_deleted(s->records_deleted);
  r.set_records_missing(s->records_missing);
  for (const WriteFlag& f : flags) {
    pb::WriteFlag* p = r.add_flags();
    p->set_kind(std::string(WriteFlagKindName(f.kind)));
    const bool record = f.source == WriteFlag::Source::kPutRecord ||
                        f.source == WriteFlag::Source::kInsertRecord;
    p->set_source(record ? "put_record" : "upsert_subject");
    p->set_index(static_cast<uint32_t>(f.index));
    p->set_code(f.code);
    p->set_fault(f.fault);
    p->set_reason(f.reason);
    p->set_known_legacy_exception(f.known_legacy_exception);
    for (const DupSubjectRef& o : f.others) p->add_other_ids(o.id);
    p->set_same_name(f.same_name);
  }
  ctx.state->add_write_flags(flags.size());
  if (!flags.empty()) {
    spdlog::info("event=write_flags op={} flags={}", op, flags.size());
  }
  return r;
}

}  // namespace

absl::StatusOr<pb::WriteResponse> UpsertSubjects(
    const pb::UpsertSubjectsRequest& req, const RequestContext& ctx) {
  WriteBatch batch;
  for (int i = 0; i < req.subjects_size(); ++i) {
    auto s = FromProto(req.subjects(i), absl::StrFormat("subjects[%d]", i));
    if (!s.ok()) return s.status();
    batch.upsert_subjects.push_back(std::move(*s));
  }
  return Apply(batch, "upsert_subjects", ctx);
}

absl::StatusOr<pb::WriteResponse> DeleteSubjects(
    const pb::DeleteSubjectsRequest& req, const RequestContext& ctx) {
  WriteBatch batch;
  for (int i = 0; i < req.ids_size(); ++i) {
    if (req.ids(i).empty()) {
      return absl::InvalidArgumentError(absl::StrFormat("ids[%d]: empty", i));
    }
    batch.delete_subjects.push_back(req.ids(i));
  }
  return Apply(batch, "delete_subjects", ctx);
}

absl::StatusOr<pb::WriteResponse> PutRecords(const pb::PutRecordsRequest& req,
                                             const RequestContext& ctx) {
  WriteBatch batch;
  for (int i = 0; i < req.records_size(); ++i) {
    auto r = FromProto(req.records(i), absl::StrFormat("records[%d]", i));
    if (!r.ok()) return r.status();
    batch.put_records.push_back(std::move(*r));
  }
  return Apply(batch, "put_records", ctx);
}

absl::StatusOr<pb::WriteResponse> RepairRecord(
    const pb::RepairRecordRequest& req, const RequestContext& ctx) {
  if (req.record_id().empty()) {
    return absl::InvalidArgumentError("record_id: empty");
  }
  if (req.repaired_on().empty()) {
    return absl::InvalidArgumentError("repaired_on: empty (want YYYY-MM-DD)");
  }
  auto day = OptionalDate(req.repaired_on(), "repaired_on");
  if (!day.ok()) return day.status();
  std::optional<Record> rec =
      ctx.state->snapshot()->RecordById(req.record_id());
  if (!rec) {
    return absl::NotFoundError(absl::StrFormat(
        "record_id: no record with id '%s'", req.record_id().substr(0, 128)));
  }
  rec->repaired_on = *day;
  WriteBatch batch;
  batch.put_records.push_back(std::move(*rec));
  return Apply(batch, "repair_record", ctx);
}

}  // namespace creditd::handlers
