// Request handlers: (const Request&, const RequestContext&) ->
// absl::StatusOr<Response>. They know protobuf messages and the domain
// (index/, matcher/, config/, check/), never sockets or frames, so tests call
// them directly. Errors are absl::Status values with messages that name the
// field and are safe to echo (the dispatcher escapes them again).
#ifndef CREDITD_DAEMON_HANDLERS_HANDLERS_H_
#define CREDITD_DAEMON_HANDLERS_HANDLERS_H_

#include "daemon/protocol/creditd.pb.h"
#include "daemon/state.h"

#include "absl/status/statusor.h"

namespace creditd::handlers {

namespace pb = ::creditd::proto;

absl::StatusOr<pb::HelloResponse> Hello(const pb::HelloRequest&,
                                        const RequestContext&);
// On success marks ctx.session authenticated with the token's roles.
// Unauthenticated for an unknown token (logged and counted).
absl::StatusOr<pb::AuthResponse> Auth(const pb::AuthRequest&,
                                      const RequestContext&);
absl::StatusOr<pb::PingResponse> Ping(const pb::PingRequest&,
                                      const RequestContext&);
absl::StatusOr<pb::StatsResponse> Stats(const pb::StatsRequest&,
                                        const RequestContext&);

absl::StatusOr<pb::ValidateResponse> Validate(const pb::ValidateRequest&,
                                              const RequestContext&);
absl::StatusOr<pb::ExtractResponse> Extract(const pb::ExtractRequest&,
                                            const RequestContext&);

// Unavailable when the build has no check engine (check/ not built yet).
// These two fill `out`, which the caller passes cleared (the dispatcher
// reuses one message per thread: the hot path allocates little); on error
// `out` holds a partial response to be discarded.
absl::Status Check(const pb::CheckRequest&, const RequestContext&,
                   pb::CheckResponse* out);
absl::Status BatchCheck(const pb::BatchCheckRequest&, const RequestContext&,
                        pb::BatchCheckResponse* out);
absl::StatusOr<pb::ReceiptLookupResponse> ReceiptLookup(
    const pb::ReceiptLookupRequest&, const RequestContext&);

absl::StatusOr<pb::MatchResponse> Match(const pb::MatchRequest&,
                                        const RequestContext&);
absl::StatusOr<pb::CompareNamesResponse> CompareNamesOp(
    const pb::CompareNamesRequest&, const RequestContext&);
absl::StatusOr<pb::SubjectLookupResponse> SubjectLookup(
    const pb::SubjectLookupRequest&, const RequestContext&);
// The duplicate report (index/duplicates.h) of the current snapshot, one
// page of findings. InvalidArgument when limit exceeds max_batch.
absl::StatusOr<pb::DuplicateReportResponse> DuplicateReport(
    const pb::DuplicateReportRequest&, const RequestContext&);

// Writes: applied with RegistryHolder::Apply (durable, then published) before
// they return; on error nothing was applied.
absl::StatusOr<pb::WriteResponse> UpsertSubjects(
    const pb::UpsertSubjectsRequest&, const RequestContext&);
absl::StatusOr<pb::WriteResponse> DeleteSubjects(
    const pb::DeleteSubjectsRequest&, const RequestContext&);
absl::StatusOr<pb::WriteResponse> PutRecords(const pb::PutRecordsRequest&,
                                             const RequestContext&);
absl::StatusOr<pb::WriteResponse> RepairRecord(const pb::RepairRecordRequest&,
                                               const RequestContext&);

}  // namespace creditd::handlers

#endif  // CREDITD_DAEMON_HANDLERS_HANDLERS_H_
