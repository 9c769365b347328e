#include "index/internal/encoding.h"

#include "absl/base/attributes.h"
#include "absl/strings/str_format.h"

#include <cstring>
#include <tuple>
#include <utility>

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
  const char* position() const { return p_; }
  void Fail() { ok_ = false; }

  ABSL_ATTRIBUTE_ALWAYS_INLINE uint64_t Varint() {
    // Values of up to three bytes (lengths, dictionary numbers, dates as
    // days) without a loop, also at the end of the buffer (a document's
    // last field); a final zero byte is not minimal and goes to the loop,
    // which rejects it.
    const auto* q = reinterpret_cast<const uint8_t*>(p_);
    const ptrdiff_t left = end_ - p_;
    if (left >= 1 && !(q[0] & 0x80)) {
      p_ += 1;
      return q[0];
    }
    if (left >= 2 && !(q[1] & 0x80) && q[1] != 0) {
      p_ += 2;
      return (q[0] & 0x7Fu) | (uint64_t{q[1]} << 7);
    }
    if (left >= 3 && (q[1] & 0x80) && !(q[2] & 0x80) && q[2] != 0) {
      p_ += 3;
      return (q[0] & 0x7Fu) | (uint64_t{q[1] & 0x7Fu} << 7) |
             (uint64_t{q[2]} << 14);
    }
    return VarintSlow();
  }
  ABSL_ATTRIBUTE_NOINLINE uint64_t VarintSlow() {
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
  ABSL_ATTRIBUTE_ALWAYS_INLINE uint8_t Byte() {
    if (p_ >= end_) {
      ok_ = false;
      return 0;
    }
    return static_cast<uint8_t>(*p_++);
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE std::string_view String() {
    const uint64_t n = Varint();
    if (!ok_ || n > static_cast<uint64_t>(end_ - p_)) {
      ok_ = false;
      return {};
    }
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE Date ReadDate() {
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

// Former names: a count, then that many strings, kept as one raw block so
// that both encodings share it.
bool ReadFormerNames(Reader& r, SubjectView& s) {
  const uint64_t n = r.Varint();
  if (!r.ok() || n > r.remaining()) return false;
  const size_t before = r.remaining();
  const char* begin = r.position();
  for (uint64_t i = 0; i < n && r.ok(); ++i) r.String();
  if (!r.ok()) return false;
  s.former_count = static_cast<uint32_t>(n);
  s.former_raw = std::string_view(begin, before - r.remaining());
  return true;
}

bool ReadStatus(Reader& r, SubjectView& s) {
  const uint8_t status = r.Byte();
  if (!r.ok() || status > static_cast<uint8_t>(SubjectStatus::kOther)) {
    return false;
  }
  s.status = static_cast<SubjectStatus>(status);
  return true;
}

void ReadRecordTail(Reader& r, RecordView& rec) {
  rec.decided_on = r.ReadDate();
  rec.valid_from = r.ReadDate();
  rec.valid_until = r.ReadDate();
  rec.repaired_on = r.ReadDate();
  rec.disputed = (r.Byte() & 1) != 0;
}

// The compact form of the tail: a byte of flags saying which dates are
// present and whether the record is disputed, then the present dates. An
// absent date (Date::kNone) would take five bytes as a varint and a slow
// decode; most records lack two of the four.
enum CompactTailFlag : uint8_t {
  kHasDecidedOn = 1,
  kHasValidFrom = 2,
  kHasValidUntil = 4,
  kHasRepairedOn = 8,
  kIsDisputed = 16,
};

void PutCompactRecordTail(const RecordView& r, std::string* out) {
  const uint8_t flags = (r.decided_on.has_value() ? kHasDecidedOn : 0) |
                        (r.valid_from.has_value() ? kHasValidFrom : 0) |
                        (r.valid_until.has_value() ? kHasValidUntil : 0) |
                        (r.repaired_on.has_value() ? kHasRepairedOn : 0) |
                        (r.disputed ? kIsDisputed : 0);
  out->push_back(static_cast<char>(flags));
  if (flags & kHasDecidedOn) PutDate(r.decided_on, out);
  if (flags & kHasValidFrom) PutDate(r.valid_from, out);
  if (flags & kHasValidUntil) PutDate(r.valid_until, out);
  if (flags & kHasRepairedOn) PutDate(r.repaired_on, out);
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ReadCompactRecordTail(
    Reader& r, RecordView& rec) {
  const uint8_t flags = r.Byte();
  if (flags >= 32) r.Fail();
  // A present date must not be Date::kNone, which would read back as absent
  // (one encoding per value).
  auto date = [&](uint8_t flag) {
    if (!(flags & flag)) return Date{};
    const Date d = r.ReadDate();
    if (!d.has_value()) r.Fail();
    return d;
  };
  rec.decided_on = date(kHasDecidedOn);
  rec.valid_from = date(kHasValidFrom);
  rec.valid_until = date(kHasValidUntil);
  rec.repaired_on = date(kHasRepairedOn);
  rec.disputed = (flags & kIsDisputed) != 0;
}

void PutRecordTail(const RecordView& r, std::string* out) {
  PutDate(r.decided_on, out);
  PutDate(r.valid_from, out);
  PutDate(r.valid_until, out);
  PutDate(r.repaired_on, out);
  out->push_back(static_cast<char>(r.disputed ? 1 : 0));
}

// A view's source as one string (standard encoding).
void PutSource(std::string_view source, uint32_t line, std::string* out) {
  if (line == 0) {
    PutString(source, out);
    return;
  }
  const std::string joined = JoinSource(source, line);
  PutString(joined, out);
}

// Splits "file:17" into ("file", 17) when the text after the last ':' is a
// number that prints back the same (1..999999999, no leading zero), so that
// JoinSource restores the exact bytes; otherwise (source, 0).
std::pair<std::string_view, uint32_t> SplitSource(std::string_view source) {
  const size_t colon = source.rfind(':');
  if (colon == std::string_view::npos) return {source, 0};
  const std::string_view digits = source.substr(colon + 1);
  if (digits.empty() || digits.size() > 9 || digits[0] == '0') {
    return {source, 0};
  }
  uint32_t line = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return {source, 0};
    line = line * 10 + static_cast<uint32_t>(c - '0');
  }
  return {source.substr(0, colon), line};
}

void PutText(std::string_view s, StringDict& dict, std::string* out) {
  if (std::optional<uint32_t> index = dict.Intern(s)) {
    PutVarint(uint64_t{*index} + 1, out);
    return;
  }
  PutVarint(0, out);
  PutString(s, out);
}

// Inlined: a record reads five of these, and the call cost ~15% of its
// decoding (callgrind, bench/check_bench.cc).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline std::string_view ReadText(
    Reader& r, const StringDict& dict) {
  const uint64_t ref = r.Varint();
  if (!r.ok()) return {};
  if (ref == 0) return r.String();
  if (ref - 1 >= dict.size()) {
    r.Fail();
    return {};
  }
  return dict.Get(static_cast<uint32_t>(ref - 1));
}

void PutCompactSource(std::string_view source, uint32_t line, StringDict& dict,
                      std::string* out) {
  if (line == 0) std::tie(source, line) = SplitSource(source);
  PutText(source, dict, out);
  PutVarint(line, out);
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void ReadCompactSource(
    Reader& r, const StringDict& dict, std::string_view& source,
    uint32_t& line) {
  source = ReadText(r, dict);
  const uint64_t n = r.Varint();
  if (n > 999999999) r.Fail();
  line = static_cast<uint32_t>(n);
}

std::string_view RegionOfCode(std::string_view code) {
  return code.size() == 18 ? code.substr(2, 6) : std::string_view();
}

}  // namespace

std::optional<uint32_t> StringDict::Intern(std::string_view s) {
  if (s.size() > kMaxBytes) return std::nullopt;
  if (auto it = index_.find(s); it != index_.end()) return it->second;
  if (views_.size() >= kMaxEntries) return std::nullopt;
  if (chunks_.empty() || chunk_used_ + s.size() > chunk_capacity_) {
    chunk_capacity_ = size_t{64} << 10;
    chunks_.push_back(std::make_unique<char[]>(chunk_capacity_));
    chunk_used_ = 0;
  }
  char* p = chunks_.back().get() + chunk_used_;
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  chunk_used_ += s.size();
  bytes_ += s.size();
  const std::string_view stored(p, s.size());
  const uint32_t index = static_cast<uint32_t>(views_.size());
  views_.push_back(stored);
  index_.emplace(stored, index);
  return index;
}

void StringDict::Freeze() {
  absl::flat_hash_map<std::string_view, uint32_t>().swap(index_);
  views_.shrink_to_fit();
}

size_t StringDict::MemoryBytes() const {
  return chunks_.size() * chunk_capacity_ +
         views_.capacity() * sizeof(std::string_view) +
         index_.capacity() * (sizeof(std::string_view) + 5);
}

void EncodeCompactSubject(const SubjectView& s, StringDict& dict,
                          std::string* out) {
  out->push_back('s');
  PutString(s.id, out);
  PutString(s.code, out);
  PutString(s.name, out);
  PutVarint(s.former_count, out);
  out->append(s.former_raw);
  PutString(s.legal_rep, out);
  if (!s.region.empty() && s.region == RegionOfCode(s.code)) {
    PutVarint(0, out);
  } else {
    PutVarint(1, out);
    PutString(s.region, out);
  }
  out->push_back(static_cast<char>(s.status));
  PutDate(s.registered_on, out);
  PutString(s.org_code, out);
  PutString(s.reg_no, out);
  PutCompactSource(s.source, s.source_line, dict, out);
}

void EncodeCompactRecord(const RecordView& r, StringDict& dict,
                         std::string* out) {
  out->push_back('r');
  PutString(r.id, out);
  PutString(r.code, out);
  PutText(r.list, dict, out);
  PutString(r.name, out);
  PutText(r.authority, dict, out);
  PutText(r.basis, dict, out);
  PutString(r.doc_no, out);
  PutText(r.detail, dict, out);
  PutCompactRecordTail(r, out);
  PutCompactSource(r.source, r.source_line, dict, out);
}

bool DecodeCompactSubjectInto(std::string_view data, const StringDict& dict,
                              SubjectView& s) {
  Reader r(data);
  if (r.Byte() != 's' || !r.ok()) return false;
  s.id = r.String();
  s.code = r.String();
  s.name = r.String();
  if (!ReadFormerNames(r, s)) return false;
  s.legal_rep = r.String();
  const uint64_t region_ref = r.Varint();
  if (region_ref == 0) {
    s.region = RegionOfCode(s.code);
  } else if (region_ref == 1) {
    s.region = r.String();
  } else {
    return false;
  }
  if (!ReadStatus(r, s)) return false;
  s.registered_on = r.ReadDate();
  s.org_code = r.String();
  s.reg_no = r.String();
  ReadCompactSource(r, dict, s.source, s.source_line);
  return r.ok() && r.done();
}

absl::StatusOr<SubjectView> DecodeCompactSubject(std::string_view data,
                                                 const StringDict& dict) {
  SubjectView s;
  if (!DecodeCompactSubjectInto(data, dict, s)) {
    return absl::DataLossError("compact encoding: malformed subject");
  }
  return s;
}

bool DecodeCompactRecordInto(std::string_view data, const StringDict& dict,
                             RecordView& rec) {
  Reader r(data);
  if (r.Byte() != 'r' || !r.ok()) return false;
  rec.id = r.String();
  rec.code = r.String();
  rec.list = ReadText(r, dict);
  rec.name = r.String();
  rec.authority = ReadText(r, dict);
  rec.basis = ReadText(r, dict);
  rec.doc_no = r.String();
  rec.detail = ReadText(r, dict);
  ReadCompactRecordTail(r, rec);
  ReadCompactSource(r, dict, rec.source, rec.source_line);
  return r.ok() && r.done();
}

absl::StatusOr<RecordView> DecodeCompactRecord(std::string_view data,
                                               const StringDict& dict) {
  RecordView rec;
  if (!DecodeCompactRecordInto(data, dict, rec)) {
    return absl::DataLossError("compact encoding: malformed record");
  }
  return rec;
}

absl::StatusOr<IdAndCode> CompactIdAndCode(std::string_view data) {
  Reader r(data);
  const uint8_t tag = r.Byte();
  if (!r.ok() || (tag != 's' && tag != 'r')) {
    return absl::DataLossError("compact encoding: bad tag");
  }
  IdAndCode out;
  out.tag = tag == 's' ? 'S' : 'R';
  out.id = r.String();
  out.code = r.String();
  if (!r.ok()) return absl::DataLossError("compact encoding: truncated id");
  return out;
}

// The owned structs are encoded through their views, so that the layout is
// written down once (EncodeSubjectView / EncodeRecordView).
void EncodeSubject(const Subject& s, std::string* out) {
  std::string formers;  // the raw block a view carries
  for (const std::string& f : s.former_names) PutString(f, &formers);
  SubjectView v;
  v.id = s.id;
  v.code = s.code;
  v.name = s.name;
  v.former_count = static_cast<uint32_t>(s.former_names.size());
  v.former_raw = formers;
  v.legal_rep = s.legal_rep;
  v.region = s.region;
  v.status = s.status;
  v.registered_on = s.registered_on;
  v.org_code = s.org_code;
  v.reg_no = s.reg_no;
  v.source = s.source;
  EncodeSubjectView(v, out);
}

void EncodeRecord(const Record& r, std::string* out) {
  EncodeRecordView(AsView(r), out);
}

absl::StatusOr<SubjectView> DecodeSubjectView(std::string_view data) {
  Reader r(data);
  if (absl::Status st = CheckHeader(r, 'S'); !st.ok()) return st;
  SubjectView s;
  s.source = r.String();
  s.id = r.String();
  s.code = r.String();
  s.name = r.String();
  if (!ReadFormerNames(r, s)) {
    return absl::DataLossError("encoding: bad former names");
  }
  s.legal_rep = r.String();
  s.region = r.String();
  if (!ReadStatus(r, s)) {
    return absl::DataLossError("encoding: bad subject status");
  }
  s.registered_on = r.ReadDate();
  s.org_code = r.String();
  s.reg_no = r.String();
  if (!r.ok() || !r.done())
    return absl::DataLossError("encoding: malformed subject");
  return s;
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
  ReadRecordTail(r, rec);
  if (!r.ok() || !r.done())
    return absl::DataLossError("encoding: malformed record");
  return rec;
}

absl::StatusOr<Subject> DecodeSubject(std::string_view data) {
  absl::StatusOr<SubjectView> view = DecodeSubjectView(data);
  if (!view.ok()) return view.status();
  return view->ToSubject();
}

absl::StatusOr<Record> DecodeRecord(std::string_view data) {
  absl::StatusOr<RecordView> view = DecodeRecordView(data);
  if (!view.ok()) return view.status();
  return view->ToRecord();
}

void EncodeSubjectView(const SubjectView& s, std::string* out) {
  out->push_back(static_cast<char>(kEncodingVersion));
  out->push_back('S');
  PutSource(s.source, s.source_line, out);
  PutString(s.id, out);
  PutString(s.code, out);
  PutString(s.name, out);
  PutVarint(s.former_count, out);
  out->append(s.former_raw);
  PutString(s.legal_rep, out);
  PutString(s.region, out);
  out->push_back(static_cast<char>(s.status));
  PutDate(s.registered_on, out);
  PutString(s.org_code, out);
  PutString(s.reg_no, out);
}

void EncodeRecordView(const RecordView& r, std::string* out) {
  out->push_back(static_cast<char>(kEncodingVersion));
  out->push_back('R');
  PutSource(r.source, r.source_line, out);
  PutString(r.id, out);
  PutString(r.code, out);
  PutString(r.list, out);
  PutString(r.name, out);
  PutString(r.authority, out);
  PutString(r.basis, out);
  PutString(r.doc_no, out);
  PutString(r.detail, out);
  PutRecordTail(r, out);
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
