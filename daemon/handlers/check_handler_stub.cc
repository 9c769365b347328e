// check, batch_check, receipt_lookup when the build has no check engine
// (check/ is not built): each answers Unavailable.
#include "daemon/handlers/handlers.h"

namespace creditd::handlers {

absl::StatusOr<pb::CheckResponse> Check(const pb::CheckRequest&,
                                        const RequestContext&) {
  return absl::UnavailableError(
      "check: not available (this build has no check engine)");
}

absl::StatusOr<pb::BatchCheckResponse> BatchCheck(const pb::BatchCheckRequest&,
                                                  const RequestContext&) {
  return absl::UnavailableError(
      "batch_check: not available (this build has no check engine)");
}

absl::StatusOr<pb::ReceiptLookupResponse> ReceiptLookup(
    const pb::ReceiptLookupRequest&, const RequestContext&) {
  return absl::UnavailableError(
      "receipt_lookup: not available (this build has no audit log)");
}

}  // namespace creditd::handlers
