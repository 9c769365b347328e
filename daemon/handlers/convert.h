// Conversions between the domain model (index/subject.h) and the protocol
// messages. Internal to daemon/.
#ifndef CREDITD_DAEMON_HANDLERS_CONVERT_H_
#define CREDITD_DAEMON_HANDLERS_CONVERT_H_

#include "daemon/protocol/creditd.pb.h"
#include "index/subject.h"

#include "absl/status/statusor.h"

#include <string_view>

namespace creditd::handlers {

void ToProto(const Subject& s, proto::Subject* out);
void ToProto(const Record& r, proto::Record* out);
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
