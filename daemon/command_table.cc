#include "daemon/command_table.h"

#include "daemon/handlers/handlers.h"

namespace creditd {
namespace {

using protocol::Opcode;
namespace pb = ::creditd::proto;

template <class Req>
MessagePtr New() {
  return std::make_unique<Req>();
}

template <class Req, class Resp,
          absl::StatusOr<Resp> (*F)(const Req&, const RequestContext&)>
absl::Status Adapt(const google::protobuf::Message& m,
                   const RequestContext& ctx, std::string* out) {
  absl::StatusOr<Resp> r = F(static_cast<const Req&>(m), ctx);
  if (!r.ok()) return r.status();
  r->AppendToString(out);
  return absl::OkStatus();
}

// A response of more than this many bytes is not kept for reuse: one big
// reply should not pin its memory in every I/O thread.
constexpr size_t kMaxReusedResponseBytes = 64 * 1024;

// For handlers that fill a response: the message is per thread and reused
// (Clear keeps its strings' capacity and its repeated sub-messages).
template <class Req, class Resp,
          absl::Status (*F)(const Req&, const RequestContext&, Resp*)>
absl::Status AdaptInto(const google::protobuf::Message& m,
                       const RequestContext& ctx, std::string* out) {
  thread_local Resp response;
  response.Clear();
  absl::Status s = F(static_cast<const Req&>(m), ctx, &response);
  if (!s.ok()) return s;
  response.AppendToString(out);
  if (response.GetCachedSize() > static_cast<int>(kMaxReusedResponseBytes)) {
    response = Resp();
  }
  return absl::OkStatus();
}

template <class Req, int Field>
size_t BatchOf(const google::protobuf::Message& m) {
  const auto* d = m.GetDescriptor()->FindFieldByNumber(Field);
  return static_cast<size_t>(m.GetReflection()->FieldSize(m, d));
}

#define ROW(op, name, role, flags, Req, Resp, fn, batch) \
  CommandRow {                                           \
    Opcode::op, name, role, flags, &New<pb::Req>, batch, \
        &Adapt<pb::Req, pb::Resp, &handlers::fn>         \
  }
// A row whose handler fills a reused response (AdaptInto) and whose
// requests are parsed into a reused message.
#define ROW_INTO(op, name, role, flags, Req, Resp, fn, batch) \
  CommandRow {                                                \
    Opcode::op, name, role, flags, &New<pb::Req>, batch,      \
        &AdaptInto<pb::Req, pb::Resp, &handlers::fn>, true    \
  }

// One row per opcode. When adding a row see the checklist in
// daemon/protocol/frame.h.
const CommandRow kRows[] = {
    ROW(kHello, "hello", 0, kCmdPreAuth, HelloRequest, HelloResponse, Hello,
        nullptr),
    ROW(kAuth, "auth", 0, kCmdPreAuth, AuthRequest, AuthResponse, Auth,
        nullptr),
    ROW(kPing, "ping", 0, kCmdPreAuth, PingRequest, PingResponse, Ping,
        nullptr),
    ROW(kValidate, "validate", kRoleCheck, kCmdBatch, ValidateRequest,
        ValidateResponse, Validate, (&BatchOf<pb::ValidateRequest, 1>)),
    ROW_INTO(kCheck, "check", kRoleCheck, kCmdRead, CheckRequest, CheckResponse,
             Check, nullptr),
    ROW_INTO(kBatchCheck, "batch_check", kRoleCheck, kCmdRead | kCmdBatch,
             BatchCheckRequest, BatchCheckResponse, BatchCheck,
             (&BatchOf<pb::BatchCheckRequest, 1>)),
    ROW(kExtract, "extract", kRoleCheck, kCmdRead, ExtractRequest,
        ExtractResponse, Extract, nullptr),
    ROW(kReceiptLookup, "receipt_lookup", kRoleCheck, kCmdRead,
        ReceiptLookupRequest, ReceiptLookupResponse, ReceiptLookup, nullptr),
    ROW(kMatch, "match", kRoleMatch, kCmdRead, MatchRequest, MatchResponse,
        Match, nullptr),
    ROW(kCompareNames, "compare_names", kRoleMatch, 0, CompareNamesRequest,
        CompareNamesResponse, CompareNamesOp, nullptr),
    ROW(kSubjectLookup, "subject_lookup", kRoleMatch, kCmdRead,
        SubjectLookupRequest, SubjectLookupResponse, SubjectLookup, nullptr),
    ROW(kDuplicateReport, "duplicate_report", kRoleDups, kCmdRead,
        DuplicateReportRequest, DuplicateReportResponse, DuplicateReport,
        nullptr),
    ROW(kUpsertSubjects, "upsert_subjects", kRoleWrite, kCmdWrite | kCmdBatch,
        UpsertSubjectsRequest, WriteResponse, UpsertSubjects,
        (&BatchOf<pb::UpsertSubjectsRequest, 1>)),
    ROW(kDeleteSubjects, "delete_subjects", kRoleWrite, kCmdWrite | kCmdBatch,
        DeleteSubjectsRequest, WriteResponse, DeleteSubjects,
        (&BatchOf<pb::DeleteSubjectsRequest, 1>)),
    ROW(kPutRecords, "put_records", kRoleWrite, kCmdWrite | kCmdBatch,
        PutRecordsRequest, WriteResponse, PutRecords,
        (&BatchOf<pb::PutRecordsRequest, 1>)),
    ROW(kRepairRecord, "repair_record", kRoleWrite, kCmdWrite,
        RepairRecordRequest, WriteResponse, RepairRecord, nullptr),
    ROW(kStats, "stats", kRoleAdmin, kCmdRead, StatsRequest, StatsResponse,
        Stats, nullptr),
};

#undef ROW
#undef ROW_INTO

static_assert(std::size(kRows) <= kMaxCommands);

}  // namespace

std::span<const CommandRow> CommandTable() { return kRows; }

const CommandRow* FindCommand(uint16_t opcode, size_t* index) {
  for (size_t i = 0; i < std::size(kRows); ++i) {
    if (static_cast<uint16_t>(kRows[i].opcode) == opcode) {
      if (index != nullptr) *index = i;
      return &kRows[i];
    }
  }
  return nullptr;
}

}  // namespace creditd
