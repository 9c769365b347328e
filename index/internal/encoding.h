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

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace creditd::internal {

inline constexpr uint8_t kEncodingVersion = 1;

void EncodeSubject(const Subject& subject, std::string* out);  // appends
void EncodeRecord(const Record& record, std::string* out);     // appends

absl::StatusOr<Subject> DecodeSubject(std::string_view data);
absl::StatusOr<Record> DecodeRecord(std::string_view data);

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

// Views over the encoding above (no copies; the views point into `data`).
// Same errors as DecodeSubject / DecodeRecord.
absl::StatusOr<SubjectView> DecodeSubjectView(std::string_view data);
absl::StatusOr<RecordView> DecodeRecordView(std::string_view data);
// Appends the encoding above of a view (byte-identical to EncodeSubject of
// view.ToSubject()).
void EncodeSubjectView(const SubjectView& view, std::string* out);
void EncodeRecordView(const RecordView& view, std::string* out);

// Strings that repeat across documents (a record's list, authority, legal
// basis and detail text, a source's file name), stored once per registry
// base. Interning is bounded: strings longer than kMaxBytes, and every string
// once kMaxEntries are held, are not interned (Intern returns nullopt and the
// caller stores them inline).
//
// Thread safety: Intern is for the single builder; after Freeze() the
// dictionary is immutable and Get may be called from any thread.
class StringDict {
 public:
  static constexpr size_t kMaxBytes = 512;
  static constexpr size_t kMaxEntries = size_t{1} << 20;

  StringDict() = default;
  StringDict(const StringDict&) = delete;
  StringDict& operator=(const StringDict&) = delete;

  std::optional<uint32_t> Intern(std::string_view s);
  // REQUIRES: index < size().
  std::string_view Get(uint32_t index) const { return views_[index]; }
  size_t size() const { return views_.size(); }
  // Drops the build-time hash index (Intern must not be called afterwards).
  void Freeze();
  size_t MemoryBytes() const;

 private:
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_used_ = 0;
  size_t chunk_capacity_ = 0;
  size_t bytes_ = 0;
  std::vector<std::string_view> views_;
  absl::flat_hash_map<std::string_view, uint32_t> index_;
};

// The registry base's compact form of the same documents (never on disk):
//   csubject := 's' id code name n_former:varint former* legal_rep
//               region_ref status:u8 registered_on org_code reg_no source_ref
//   crecord  := 'r' id code text_ref(list) name text_ref(authority)
//               text_ref(basis) doc_no text_ref(detail) tail_flags:u8
//               [decided_on] [valid_from] [valid_until] [repaired_on]
//               source_ref
//   tail_flags: bits 0-3 = which of the four dates follow (absent dates take
//               no bytes), bit 4 = disputed; bits 5-7 zero
//   text_ref   := 0 string | (dictionary index + 1):varint
//   region_ref := 0 (= code positions 3-8) | 1 string
//   source_ref := text_ref line:varint   (0 = the source has no ":line")
// id and code lead, so CompactIdAndCode needs no dictionary.
void EncodeCompactSubject(const SubjectView& view, StringDict& dict,
                          std::string* out);
void EncodeCompactRecord(const RecordView& view, StringDict& dict,
                         std::string* out);
absl::StatusOr<SubjectView> DecodeCompactSubject(std::string_view data,
                                                 const StringDict& dict);
absl::StatusOr<RecordView> DecodeCompactRecord(std::string_view data,
                                               const StringDict& dict);
// The same into `out`, for the registry's check path: false (and `out` partly
// written) when the document is malformed. Output parameters, against the
// house style, because a check decodes every record of a code and the
// StatusOr's copy of the view and its status cost ~10% of that (callgrind,
// bench/check_bench.cc).
bool DecodeCompactSubjectInto(std::string_view data, const StringDict& dict,
                              SubjectView& out);
bool DecodeCompactRecordInto(std::string_view data, const StringDict& dict,
                             RecordView& out);
absl::StatusOr<IdAndCode> CompactIdAndCode(std::string_view data);

}  // namespace creditd::internal

#endif  // CREDITD_INDEX_INTERNAL_ENCODING_H_
