// check, batch_check, receipt_lookup when the build has no check engine
// (check/ is not built): each answers Unavailable.
#include "daemon/handlers/handlers.h"

namespace creditd::handlers {

absl::Status Check(const pb::CheckRequest&, const RequestContext&,
                   pb::CheckResponse*) {
  return absl::UnavailableError(
      "check: not available (this build has no check engine)");
}

absl::Status BatchCheck(const pb::BatchCheckRequest&, const RequestContext&,
                        pb::BatchCheckResponse*) {
  return absl::UnavailableError(
      "batch_check: not available (this build has no check engine)");
}

absl::StatusOr<pb::ReceiptLookupResponse> ReceiptLookup(
    const pb::ReceiptLookupRequest&, const RequestContext&) {
  return absl::UnavailableError(
      "receipt_lookup: not available (this build has no audit log)");
}

}  // namespace creditd::handlers
