#include "index/internal/encoding.h"

#include "absl/strings/str_format.h"

namespace creditd::internal {
namespace {

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutString(std::string_view s, std::string* out) {
  PutVarint(s.size(), out);
  out->append(s);
}

void PutDate(Date d, std::string* out) {
  const int64_t v = d.days;
  PutVarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63),
            out);
}

// Reads from a bounded buffer; every read checks the limit (leveldb's
// GetVarint32Ptr style).
class Reader {
 public:
  explicit Reader(std::string_view data)
      : p_(data.data()), end_(data.data() + data.size()) {}
  bool ok() const { return ok_; }
  bool done() const { return p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift <= 63 && p_ < end_; shift += 7) {
      const uint8_t b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) {
        // Only the minimal form is valid (no trailing zero groups, nothing
        // past bit 63), so that each value has one encoding: stored
        // documents are compared byte by byte (found by encoding_fuzz).
        if ((b == 0 && shift > 0) || (shift == 63 && b > 1)) break;
        return v;
      }
    }
    ok_ = false;
    return 0;
  }
  uint8_t Byte() {
    if (p_ >= end_) {
      ok_ = false;
      return 0;
    }
    return static_cast<uint8_t>(*p_++);
  }
  std::string_view String() {
    const uint64_t n = Varint();
    if (!ok_ || n > static_cast<uint64_t>(end_ - p_)) {
      ok_ = false;
      return {};
    }
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }
  Date ReadDate() {
    const uint64_t z = Varint();
    const int64_t v =
        static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
    if (v < INT32_MIN || v > INT32_MAX) ok_ = false;
    return Date{static_cast<int32_t>(v)};
  }

 private:
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

absl::Status CheckHeader(Reader& r, char want) {
  const uint8_t version = r.Byte();
  const uint8_t tag = r.Byte();
  if (!r.ok()) return absl::DataLossError("encoding: truncated header");
  if (version != kEncodingVersion) {
    return absl::DataLossError(
        absl::StrFormat("encoding: unknown version %d", version));
  }
  if (tag != static_cast<uint8_t>(want)) {
    return absl::DataLossError(
        absl::StrFormat("encoding: expected tag '%c', got 0x%02x", want, tag));
  }
  return absl::OkStatus();
}

}  // namespace

void EncodeSubject(const Subject& s, std::string* out) {
  out->push_back(static_cast<char>(kEncodingVersion));
  out->push_back('S');
  PutString(s.source, out);
  PutString(s.id, out);
  PutString(s.code, out);
  PutString(s.name, out);
  PutVarint(s.former_names.size(), out);
  for (const std::string& f : s.former_names) PutString(f, out);
  PutString(s.legal_rep, out);
  PutString(s.region, out);
  out->push_back(static_cast<char>(s.status));
  PutDate(s.registered_on, out);
  PutString(s.org_code, out);
  PutString(s.reg_no, out);
}

void EncodeRecord(const Record& r, std::string* out) {
  out->push_back(static_cast<char>(kEncodingVersion));
  out->push_back('R');
  PutString(r.source, out);
  PutString(r.id, out);
  PutString(r.code, out);
  PutString(r.list, out);
  PutString(r.name, out);
  PutString(r.authority, out);
  PutString(r.basis, out);
  PutString(r.doc_no, out);
  PutString(r.detail, out);
  PutDate(r.decided_on, out);
  PutDate(r.valid_from, out);
  PutDate(r.valid_until, out);
  PutDate(r.repaired_on, out);
  out->push_back(static_cast<char>(r.disputed ? 1 : 0));
}

absl::StatusOr<Subject> DecodeSubject(std::string_view data) {
  Reader r(data);
  if (absl::Status st = CheckHeader(r, 'S'); !st.ok()) return st;
  Subject s;
  s.source = r.String();
  s.id = r.String();
  s.code = r.String();
  s.name = r.String();
  const uint64_t n = r.Varint();
  if (n > data.size())
    return absl::DataLossError("encoding: bad former-name count");
  s.former_names.reserve(n);
  for (uint64_t i = 0; i < n && r.ok(); ++i)
    s.former_names.emplace_back(r.String());
  s.legal_rep = r.String();
  s.region = r.String();
  const uint8_t status = r.Byte();
  if (status > static_cast<uint8_t>(SubjectStatus::kOther)) {
    return absl::DataLossError("encoding: bad subject status");
  }
  s.status = static_cast<SubjectStatus>(status);
  s.registered_on = r.ReadDate();
  s.org_code = r.String();
  s.reg_no = r.String();
  if (!r.ok() || !r.done())
    return absl::DataLossError("encoding: malformed subject");
  return s;
}

absl::StatusOr<Record> DecodeRecord(std::string_view data) {
  Reader r(data);
  if (absl::Status st = CheckHeader(r, 'R'); !st.ok()) return st;
  Record rec;
  rec.source = r.String();
  rec.id = r.String();
  rec.code = r.String();
  rec.list = r.String();
  rec.name = r.String();
  rec.authority = r.String();
  rec.basis = r.String();
  rec.doc_no = r.String();
  rec.detail = r.String();
  rec.decided_on = r.ReadDate();
  rec.valid_from = r.ReadDate();
  rec.valid_until = r.ReadDate();
  rec.repaired_on = r.ReadDate();
  rec.disputed = (r.Byte() & 1) != 0;
  if (!r.ok() || !r.done())
    return absl::DataLossError("encoding: malformed record");
  return rec;
}

absl::StatusOr<SubjectView> DecodeSubjectView(std::string_view data) {
  Reader r(data);
  if (absl::Status st = CheckHeader(r, 'S'); !st.ok()) return st;
  SubjectView s;
  s.source = r.String();
  s.id = r.String();
  s.code = r.String();
  s.name = r.String();
  s.former_count = r.Varint();
  if (s.former_count > data.size())
    return absl::DataLossError("encoding: bad former-name count");
  const size_t former_begin = data.size() - r.remaining();
  for (uint64_t i = 0; i < s.former_count && r.ok(); ++i) r.String();
  s.former_names =
      data.substr(former_begin, data.size() - r.remaining() - former_begin);
  s.legal_rep = r.String();
  s.region = r.String();
  const uint8_t status = r.Byte();
  if (status > static_cast<uint8_t>(SubjectStatus::kOther)) {
    return absl::DataLossError("encoding: bad subject status");
  }
  s.status = static_cast<SubjectStatus>(status);
  s.registered_on = r.ReadDate();
  s.org_code = r.String();
  s.reg_no = r.String();
  if (!r.ok() || !r.done())
    return absl::DataLossError("encoding: malformed subject");
  return s;
}

void ForEachFormerName(const SubjectView& view,
                       const std::function<void(std::string_view)>& fn) {
  // The block was checked by DecodeSubjectView; the reader still bounds every
  // read, so a view built by hand cannot read past its end.
  Reader r(view.former_names);
  for (uint64_t i = 0; i < view.former_count; ++i) {
    const std::string_view f = r.String();
    if (!r.ok()) return;
    fn(f);
  }
}

absl::StatusOr<RecordView> DecodeRecordView(std::string_view data) {
  Reader r(data);
  if (absl::Status st = CheckHeader(r, 'R'); !st.ok()) return st;
  RecordView rec;
  rec.source = r.String();
  rec.id = r.String();
  rec.code = r.String();
  rec.list = r.String();
  rec.name = r.String();
  rec.authority = r.String();
  rec.basis = r.String();
  rec.doc_no = r.String();
  rec.detail = r.String();
  rec.decided_on = r.ReadDate();
  rec.valid_from = r.ReadDate();
  rec.valid_until = r.ReadDate();
  rec.repaired_on = r.ReadDate();
  rec.disputed = (r.Byte() & 1) != 0;
  if (!r.ok() || !r.done())
    return absl::DataLossError("encoding: malformed record");
  return rec;
}

absl::StatusOr<IdAndCode> PeekIdAndCode(std::string_view data) {
  Reader r(data);
  const uint8_t version = r.Byte();
  const uint8_t tag = r.Byte();
  if (!r.ok() || version != kEncodingVersion || (tag != 'S' && tag != 'R')) {
    return absl::DataLossError("encoding: bad header");
  }
  IdAndCode out;
  out.tag = static_cast<char>(tag);
  r.String();  // source
  out.id = r.String();
  out.code = r.String();
  if (!r.ok()) return absl::DataLossError("encoding: truncated id/code");
  return out;
}

std::string_view ContentOf(std::string_view data) {
  Reader r(data);
  r.Byte();
  r.Byte();
  r.String();  // source
  if (!r.ok()) return data;
  return data.substr(data.size() - r.remaining());
}

}  // namespace creditd::internal
