// The compact, versioned binary encoding of a subject and of a record, used
// both as Xapian document data and as the in-memory arena format of the
// registry.
//
//   subject := version:u8(=1) 'S' id code name n_former:varint former*
//   legal_rep region
//              status:u8 registered_on:zigzag-varint org_code reg_no source
//   record  := version:u8(=1) 'R' id code list name authority basis doc_no
//   detail
//              decided_on valid_from valid_until repaired_on (zigzag-varint
//              each) flags:u8 source
//   string  := length:varint bytes
// id and code come first so that indexes can be built without a full decode
// (PeekIdAndCode). A decoder meeting an unknown version fails with DataLoss
// rather than guessing.
//
// When changing the layout: bump kEncodingVersion, keep decoding the old
// version, and add a case to tests/index/encoding_test.cc.
#ifndef CREDITD_INDEX_INTERNAL_ENCODING_H_
#define CREDITD_INDEX_INTERNAL_ENCODING_H_

#include "index/subject.h"

#include "absl/status/statusor.h"

#include <functional>
#include <string>
#include <string_view>

namespace creditd::internal {

inline constexpr uint8_t kEncodingVersion = 1;

void EncodeSubject(const Subject& subject, std::string* out);  // appends
void EncodeRecord(const Record& record, std::string* out);     // appends

absl::StatusOr<Subject> DecodeSubject(std::string_view data);
absl::StatusOr<Record> DecodeRecord(std::string_view data);

// A subject decoded without allocating: every string views into the encoded
// data, which must outlive the view. Former names stay encoded; walk them with
// ForEachFormerName. For scans over every subject (index/duplicates.cc).
struct SubjectView {
  std::string_view source, id, code, name;
  uint64_t former_count = 0;
  std::string_view former_names;  // former_count encoded strings
  std::string_view legal_rep, region;
  SubjectStatus status = SubjectStatus::kActive;
  Date registered_on;
  std::string_view org_code, reg_no;
};
// The same checks and errors as DecodeSubject.
absl::StatusOr<SubjectView> DecodeSubjectView(std::string_view data);
// Calls fn for each former name of a view from DecodeSubjectView, in order.
void ForEachFormerName(const SubjectView& view,
                       const std::function<void(std::string_view)>& fn);

// A record decoded without allocating; the same checks as DecodeRecord.
struct RecordView {
  std::string_view source, id, code, list, name, authority, basis, doc_no,
      detail;
  Date decided_on, valid_from, valid_until, repaired_on;
  bool disputed = false;
};
absl::StatusOr<RecordView> DecodeRecordView(std::string_view data);

// The first two strings of either encoding, without decoding the rest.
struct IdAndCode {
  char tag;  // 'S' or 'R'
  std::string_view id;
  std::string_view code;
};
absl::StatusOr<IdAndCode> PeekIdAndCode(std::string_view data);

// The encoded bytes after the source: equal for two reports of the same
// content. Returns the whole input when it is malformed.
std::string_view ContentOf(std::string_view data);

}  // namespace creditd::internal

#endif  // CREDITD_INDEX_INTERNAL_ENCODING_H_
