// Conversions between the domain model (index/subject.h) and the protocol
// messages. Internal to daemon/.
#ifndef CREDITD_DAEMON_HANDLERS_CONVERT_H_
#define CREDITD_DAEMON_HANDLERS_CONVERT_H_

#include "daemon/protocol/creditd.pb.h"
#include "daemon/state.h"
#include "index/subject.h"

#include "absl/status/statusor.h"
#include "pii/mask.h"

#include <string_view>

namespace creditd::handlers {

// Natural persons' identifiers in responses (docs/security.md, Personal
// data): a token with the `admin` role sees them in clear, every other
// token masked. This is the one place that decides; every response that
// carries a Subject or a Record goes through the ToProto below with it.
pii::View ViewFor(const RequestContext& ctx);

// With pii::View::kMasked, `legal_rep` is masked to its first character
// ("张*") and resident identity numbers in free text (subject names and
// former names; record name, authority, basis, doc_no, detail) to their first
// 6 and last 4 characters. Ids, codes and dates are never masked.
void ToProto(const Subject& s, pii::View view, proto::Subject* out);
void ToProto(const Record& r, pii::View view, proto::Record* out);
// The same from registry views (the check path).
void ToProto(const SubjectView& s, pii::View view, proto::Subject* out);
void ToProto(const RecordView& r, pii::View view, proto::Record* out);
// Free text as shown to `view`: identity numbers masked for kMasked.
std::string ShowText(std::string_view text, pii::View view);

// Setters that write into a field's existing string (a reused response
// keeps the capacity of its strings; protobuf 3.21's setters take no
// std::string_view):
void Assign(std::string* field, std::string_view value);
// ShowText(text, view), without a temporary when nothing is masked.
void AssignShown(std::string* field, std::string_view text, pii::View view);
// FormatDate(date) ("YYYY-MM-DD", empty without a value).
void AssignDate(std::string* field, Date date);
// InvalidArgument naming the field ("subjects[3].registered_on: ...").
absl::StatusOr<Subject> FromProto(const proto::Subject& s,
                                  std::string_view where);
absl::StatusOr<Record> FromProto(const proto::Record& r,
                                 std::string_view where);
// "" -> no value; else ParseDate with `field` in front of the error.
absl::StatusOr<Date> OptionalDate(std::string_view text,
                                  std::string_view field);

}  // namespace creditd::handlers

#endif  // CREDITD_DAEMON_HANDLERS_CONVERT_H_
