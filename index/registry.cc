#include "index/registry.h"

#include "index/internal/encoding.h"
#include "index/uscc.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_format.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

namespace creditd {
namespace internal {
namespace {

// Append-only storage for encoded documents in fixed chunks, so that growth
// never copies what is stored (a single vector would double and copy gigabytes
// at 10M subjects).
//
// A document is found by a 64-bit reference (chunk index in the high 32 bits,
// offset in the low 32) or, for the first document of a run that BeginRun
// placed, by a 32-bit position, which the code index stores so that a check
// reaches a code's documents without reading the slot references first.
class Arena {
 public:
  static constexpr unsigned kDefaultChunkBits = 25;  // 32 MiB

  explicit Arena(unsigned chunk_bits = kDefaultChunkBits)
      : chunk_bits_(chunk_bits) {}

  size_t chunk_bytes() const { return size_t{1} << chunk_bits_; }

  // Places the next documents, `bytes` as Append will store them (length
  // prefix and data), at an offset that is a multiple of 2^align_shift and in
  // one chunk: starts a new chunk if the current one's rest is too small.
  // False if they cannot lie in one chunk (more than a chunk's worth); they
  // are then appended as usual, across chunks.
  bool BeginRun(size_t bytes, unsigned align_shift) {
    const size_t align = size_t{1} << align_shift;
    // Append checks each document against its size + 5, not its exact
    // prefix; the slack keeps the run's last document in this chunk.
    const size_t need = bytes + 5;
    if (!chunks_.empty()) {
      const size_t start = (used_ + align - 1) & ~(align - 1);
      if (start + need <= chunk_capacity_) {
        used_ = start;
        return true;
      }
    }
    if (need > chunk_bytes()) return false;
    NewChunk(chunk_bytes());
    return true;
  }

  // Returns a reference: chunk index in the high 32 bits, offset in the low 32.
  uint64_t Append(std::string_view data) {
    const size_t need = data.size() + 5;
    if (chunks_.empty() || used_ + need > chunk_capacity_) {
      NewChunk(std::max(chunk_bytes(), need));
    }
    char* p = chunks_.back().get() + used_;
    // Length as a varint, then the bytes.
    uint32_t n = static_cast<uint32_t>(data.size());
    size_t len = 0;
    while (n >= 0x80) {
      p[len++] = static_cast<char>(n | 0x80);
      n >>= 7;
    }
    p[len++] = static_cast<char>(n);
    std::memcpy(p + len, data.data(), data.size());
    const uint64_t ref =
        (static_cast<uint64_t>(chunks_.size() - 1) << 32) | used_;
    used_ += len + data.size();
    return ref;
  }

  // The bytes Append stored for its length prefix and data.
  static size_t StoredBytes(size_t data_bytes) {
    size_t len = 1;
    for (size_t n = data_bytes; n >= 0x80; n >>= 7) ++len;
    return len + data_bytes;
  }

  // The 32-bit position of `ref` in units of 2^shift bytes, (chunk <<
  // (chunk_bits - shift)) | (offset >> shift); none if the offset is not a
  // multiple of the unit, lies past a standard chunk (a document larger than
  // a chunk) or the chunk index does not fit.
  std::optional<uint32_t> Position(uint64_t ref, unsigned shift) const {
    const uint64_t chunk = ref >> 32, offset = ref & 0xFFFFFFFF;
    const unsigned offset_bits = chunk_bits_ - shift;
    if (offset >= chunk_bytes() || (offset & ((uint64_t{1} << shift) - 1)) ||
        chunk >= (uint64_t{1} << (32 - offset_bits))) {
      return std::nullopt;
    }
    return static_cast<uint32_t>((chunk << offset_bits) | (offset >> shift));
  }

  const char* AtPosition(uint32_t position, unsigned shift) const {
    const unsigned offset_bits = chunk_bits_ - shift;
    return chunks_[position >> offset_bits].get() +
           (static_cast<size_t>(position & ((uint32_t{1} << offset_bits) - 1))
            << shift);
  }

  // Where Get(ref) reads (for prefetching).
  const char* Address(uint64_t ref) const {
    return chunks_[ref >> 32].get() + (ref & 0xFFFFFFFF);
  }

  std::string_view Get(uint64_t ref) const { return Read(Address(ref)); }

  // The document stored at `p`; the next one of its run starts at the end of
  // the returned view.
  static std::string_view Read(const char* p) {
    uint32_t n = 0;
    int shift = 0;
    while (static_cast<uint8_t>(*p) & 0x80) {
      n |= static_cast<uint32_t>(static_cast<uint8_t>(*p++) & 0x7F) << shift;
      shift += 7;
    }
    n |= static_cast<uint32_t>(static_cast<uint8_t>(*p++)) << shift;
    return {p, n};
  }

  // Bytes in use: the last chunk counts only as far as it is filled, since a
  // finished base never appends again (and the OS maps untouched pages
  // lazily).
  size_t bytes_used() const {
    return chunks_.empty() ? 0 : bytes_reserved_ - chunk_capacity_ + used_;
  }

 private:
  void NewChunk(size_t capacity) {
    chunk_capacity_ = capacity;
    chunks_.push_back(std::make_unique<char[]>(chunk_capacity_));
    used_ = 0;
    bytes_reserved_ += chunk_capacity_;
  }

  unsigned chunk_bits_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_capacity_ = 0;
  size_t used_ = 0;
  size_t bytes_reserved_ = 0;
};

uint64_t IdHash(std::string_view id) {
  return absl::Hash<absl::string_view>{}(
      absl::string_view(id.data(), id.size()));
}

absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }

// Build-time staging of one document kind: the standard encoding, in arrival
// order; of two documents with the same id the later wins.
struct Staging {
  Arena arena;
  std::vector<uint64_t> refs;  // slot -> arena reference
  std::vector<bool> dead;      // slots replaced by a later one with the same id
  absl::flat_hash_map<uint64_t, uint32_t> ids;  // IdHash(id) -> slot
  absl::flat_hash_map<std::string, uint32_t>
      colliding_ids;  // ids whose hash was taken
  size_t live = 0;

  std::string_view Data(uint32_t slot) const { return arena.Get(refs[slot]); }

  std::string_view IdOf(uint32_t slot) const {
    auto peek = PeekIdAndCode(Data(slot));
    return peek.ok() ? peek->id : std::string_view();
  }

  std::optional<uint32_t> FindId(std::string_view id) const {
    auto it = ids.find(IdHash(id));
    if (it != ids.end() && IdOf(it->second) == id) return it->second;
    if (colliding_ids.empty()) return std::nullopt;
    auto c = colliding_ids.find(std::string(id));
    if (c != colliding_ids.end()) return c->second;
    return std::nullopt;
  }

  void Add(std::string_view data, std::string_view id) {
    const uint32_t slot = static_cast<uint32_t>(refs.size());
    refs.push_back(arena.Append(data));
    dead.push_back(false);
    ++live;
    if (auto existing = FindId(id)) {  // same id twice: the later one wins
      dead[*existing] = true;
      --live;
      auto it = ids.find(IdHash(id));
      if (it != ids.end() && it->second == *existing) {
        it->second = slot;
      } else {
        colliding_ids[std::string(id)] = slot;
      }
      return;
    }
    auto [it, inserted] = ids.try_emplace(IdHash(id), slot);
    if (!inserted) colliding_ids[std::string(id)] = slot;
  }
};

}  // namespace

struct Range {
  uint32_t first = 0;
  uint32_t count = 0;
};

// The documents of one code in a table: the slots [first, first + count)
// and, when the run lies in one arena chunk at an addressable place, the
// arena position of its first document (Arena::Position).
struct CodeRun {
  std::optional<PackedUscc> packed;  // else `code`
  std::string code;
  Range range;
  std::optional<uint32_t> position;
};

// What the code index gives for one code and table: `count` documents from
// arena position `first`, back to back; or, with `by_slot` (a run too long
// for the index's 16-bit count or not addressable by position), the slots
// [first, first + count).
struct Span {
  uint32_t first = 0;
  uint32_t count = 0;
  bool by_slot = false;
};

// One document kind of a base: documents in the compact encoding
// (index/internal/encoding.h) with the base's dictionary, in code order, so
// that the documents of one code are neighbours in the arena (a check reads
// one cache line run, not one per document) and a code maps to a slot range
// without a separate order array.
//
// The id index is a set of slots hashed by the id stored in the slot (4 bytes
// a slot instead of a 16-byte hash->slot pair): an id lookup reads the arena
// to compare, which only writes and id lookups pay. Immutable after Build;
// neither copyable nor movable (the set's functors point at the table).
struct Table {
  struct SlotHash {
    using is_transparent = void;
    const Table* table;
    size_t operator()(uint32_t slot) const { return IdHash(table->IdOf(slot)); }
    size_t operator()(std::string_view id) const { return IdHash(id); }
  };
  struct SlotEq {
    using is_transparent = void;
    const Table* table;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t slot, std::string_view id) const {
      return table->IdOf(slot) == id;
    }
    bool operator()(std::string_view id, uint32_t slot) const {
      return table->IdOf(slot) == id;
    }
  };

  explicit Table(const StringDict* d)
      : dict(d), ids(0, SlotHash{this}, SlotEq{this}) {}
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const StringDict* dict;
  Arena arena;
  unsigned position_shift = 0;  // units of positions: 2^position_shift bytes
  std::vector<uint64_t> refs;   // slot -> arena reference, slots in code order
  absl::flat_hash_set<uint32_t, SlotHash, SlotEq> ids;

  size_t live() const { return refs.size(); }
  std::string_view Data(uint32_t slot) const { return arena.Get(refs[slot]); }
  const char* FirstAddress(Span span) const {
    return span.by_slot ? arena.Address(refs[span.first])
                        : arena.AtPosition(span.first, position_shift);
  }

  // Prefetching the documents of a span in two steps, so that a caller can
  // overlap the cache misses of two tables (VisitCode: a code's subject and
  // its records) instead of taking them one after the other: first a slot
  // span's references (a position span needs none), then the first bytes of
  // its documents.
  void PrefetchRefs(Span span) const {
    if (span.by_slot && span.count > 0) __builtin_prefetch(&refs[span.first]);
  }
  void PrefetchData(Span span) const {
    if (span.count == 0) return;
    const char* p = FirstAddress(span);
    // A subject is ~100 bytes, a record ~125: starting anywhere in a line,
    // the first document spans up to three lines; the hardware prefetcher
    // follows a run of neighbours (two lines per document of a run, up to
    // 16, measured no better at 10M).
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);
    __builtin_prefetch(p + 128);
  }

  std::string_view IdOf(uint32_t slot) const {
    auto peek = CompactIdAndCode(Data(slot));
    return peek.ok() ? peek->id : std::string_view();
  }
  std::string_view CodeOf(uint32_t slot) const {
    auto peek = CompactIdAndCode(Data(slot));
    return peek.ok() ? peek->code : std::string_view();
  }

  std::optional<uint32_t> FindId(std::string_view id) const {
    auto it = ids.find(id);
    if (it == ids.end()) return std::nullopt;
    return *it;
  }

  // Fills the table from `staging`'s live documents in code order (packed
  // codes by their packed words, then the codes that do not pack, by
  // string), re-encoding each compactly; `transcode(standard, dict, out)`
  // appends the compact form and returns false for a malformed document
  // (dropped). Each code's documents are placed in one arena chunk, its first
  // at a multiple of 2^position_shift bytes, so that the code index can hold
  // its position. Returns the runs of one code, in that order.
  //
  // The layout's chunk_bits and position_shift are for tests (small chunks
  // and coarse positions with little data); by default, positions are bytes
  // unless the documents may exceed what 32 bits address (4 GiB; a bound
  // with margin from the staged bytes, since the compact form is smaller).
  template <typename Transcode>
  std::vector<CodeRun> Build(const Staging& staging, StringDict& dictionary,
                             const RegistryBuilder::Layout& layout,
                             Transcode transcode) {
    arena = Arena(layout.chunk_bits);
    if (layout.position_shift >= 0) {
      position_shift = static_cast<unsigned>(layout.position_shift);
    } else {
      const uint64_t bound =
          2 * uint64_t{staging.arena.bytes_used()} + arena.chunk_bytes();
      position_shift = 0;
      while ((bound >> position_shift) > 0xFFFFFFFFull &&
             position_shift + 1 < layout.chunk_bits) {
        ++position_shift;
      }
    }
    struct Entry {
      PackedUscc packed;
      uint32_t slot;
    };
    std::vector<Entry> entries;
    entries.reserve(staging.live);
    std::vector<std::pair<std::string_view, uint32_t>> others;
    for (uint32_t slot = 0; slot < staging.refs.size(); ++slot) {
      if (staging.dead[slot]) continue;
      auto peek = PeekIdAndCode(staging.Data(slot));
      const std::string_view code = peek.ok() ? peek->code : std::string_view();
      if (auto packed = PackUscc(code)) {
        entries.push_back({*packed, slot});
      } else {
        others.emplace_back(code, slot);
      }
    }
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) {
                if (a.packed.w != b.packed.w) return a.packed.w < b.packed.w;
                return a.slot < b.slot;
              });
    std::sort(others.begin(), others.end());
    refs.reserve(entries.size() + others.size());
    std::vector<CodeRun> runs;
    // One code's documents, transcoded back to back, and where each ends;
    // a run that outgrows a chunk (a placeholder code shared by a data set)
    // is spilled into the arena as it goes, and found by slot.
    std::string run;
    std::vector<size_t> ends;
    std::optional<uint32_t> spilled_from;
    auto append_buffered = [&] {
      for (size_t k = 0, begin = 0; k < ends.size(); begin = ends[k++]) {
        refs.push_back(
            arena.Append(std::string_view(run).substr(begin, ends[k] - begin)));
      }
      run.clear();
      ends.clear();
    };
    auto transcode_one = [&](uint32_t staging_slot) {
      const size_t before = run.size();
      if (!transcode(staging.Data(staging_slot), dictionary, &run)) {
        run.resize(before);
        return;
      }
      ends.push_back(run.size());
      if (run.size() > arena.chunk_bytes()) {
        if (!spilled_from) spilled_from = static_cast<uint32_t>(refs.size());
        append_buffered();
      }
    };
    auto store_run = [&](CodeRun header) {
      uint32_t first = static_cast<uint32_t>(refs.size());
      bool one_chunk = false;
      if (spilled_from) {
        first = *spilled_from;
        spilled_from.reset();
      } else if (!ends.empty()) {
        size_t bytes = 0;
        for (size_t k = 0, begin = 0; k < ends.size(); begin = ends[k++]) {
          bytes += Arena::StoredBytes(ends[k] - begin);
        }
        one_chunk = arena.BeginRun(bytes, position_shift);
      }
      append_buffered();
      const uint32_t count = static_cast<uint32_t>(refs.size()) - first;
      if (count == 0) return;
      header.range = {first, count};
      if (one_chunk && (refs.back() >> 32) == (refs[first] >> 32)) {
        header.position = arena.Position(refs[first], position_shift);
      }
      runs.push_back(std::move(header));
    };
    for (size_t i = 0; i < entries.size();) {
      size_t j = i;
      while (j < entries.size() && entries[j].packed == entries[i].packed) {
        transcode_one(entries[j++].slot);
      }
      store_run({entries[i].packed, {}, {}, std::nullopt});
      i = j;
    }
    for (size_t i = 0; i < others.size();) {
      size_t j = i;
      while (j < others.size() && others[j].first == others[i].first) {
        transcode_one(others[j++].second);
      }
      store_run({std::nullopt, std::string(others[i].first), {}, std::nullopt});
      i = j;
    }
    ids.reserve(refs.size());
    for (uint32_t slot = 0; slot < refs.size(); ++slot) ids.insert(slot);
    return runs;
  }

  size_t ArenaBytes() const { return arena.bytes_used(); }
  size_t MapBytes() const {
    return refs.capacity() * 8 + ids.capacity() * (sizeof(uint32_t) + 1);
  }
};

// Code -> where its subjects and its records are, in one entry, so that a
// check finds both with one probe and then reads the documents themselves:
// the entry holds each run's arena position (Span), not its slots, which
// would cost one more dependent DRAM read per check (the slot's reference).
// 24 bytes a slot (12-byte packed key, 12-byte value). Runs of 65,535
// documents and more (a placeholder code shared by a whole data set, say) and
// runs not addressable by position are kept as slot ranges in a side map.
class CodeIndex {
 public:
  struct Ranges {
    Span subjects;
    Span records;
  };

  // Starts the cache misses of a later Find(code).
  void Prefetch(std::string_view code) const {
    if (std::optional<PackedUscc> packed = PackUscc(code)) {
      packed_.prefetch(*packed);
    }
  }

  Ranges Find(std::string_view code) const {
    const Entry* e = nullptr;
    std::optional<PackedUscc> packed = PackUscc(code);
    if (packed) {
      // Start the slot's cache miss beside the control bytes' instead of
      // after them (find reads the control group, then the slot).
      packed_.prefetch(*packed);
      auto it = packed_.find(*packed);
      if (it != packed_.end()) e = &it->second;
    } else {
      auto it = other_.find(AbslView(code));
      if (it != other_.end()) e = &it->second;
    }
    if (e == nullptr) return {};
    Ranges r;
    if (e->subject_count != kBySlot) {
      r.subjects = {e->subject_first, e->subject_count, false};
    }
    if (e->record_count != kBySlot) {
      r.records = {e->record_first, e->record_count, false};
    }
    if (e->subject_count == kBySlot || e->record_count == kBySlot) {
      auto big = by_slot_.find(AbslView(code));
      if (big != by_slot_.end()) {
        if (e->subject_count == kBySlot) r.subjects = big->second.subjects;
        if (e->record_count == kBySlot) r.records = big->second.records;
      }
    }
    return r;
  }

  // Merges the two tables' runs (each in the order Table::Build makes).
  void Build(const std::vector<CodeRun>& subjects,
             const std::vector<CodeRun>& records) {
    // Reserve for the distinct packed codes exactly (a merge walk: both lists
    // put packed codes first, in the same order): reserving the sum would
    // double the table for the usual case of records on subjects' codes.
    auto packed_runs = [](const std::vector<CodeRun>& runs) {
      size_t n = 0;
      while (n < runs.size() && runs[n].packed) ++n;
      return n;
    };
    const size_t ns = packed_runs(subjects), nr = packed_runs(records);
    size_t distinct = 0, i = 0, j = 0;
    while (i < ns && j < nr) {
      const auto& a = subjects[i].packed->w;
      const auto& b = records[j].packed->w;
      if (a == b) {
        ++i, ++j;
      } else if (a < b) {
        ++i;
      } else {
        ++j;
      }
      ++distinct;
    }
    distinct += (ns - i) + (nr - j);
    packed_.reserve(distinct);
    auto add = [&](const CodeRun& run, bool is_subject) {
      Entry* e;
      if (run.packed) {
        e = &packed_[*run.packed];
      } else {
        e = &other_[AbslView(run.code)];
      }
      uint32_t first = 0;
      uint16_t count = kBySlot;
      if (run.position && run.range.count < kBySlot) {
        first = *run.position;
        count = static_cast<uint16_t>(run.range.count);
      } else {
        const std::string code =
            run.packed ? UnpackUscc(*run.packed) : run.code;
        SlotSpans& spans = by_slot_[AbslView(code)];
        (is_subject ? spans.subjects : spans.records) =
            Span{run.range.first, run.range.count, true};
      }
      if (is_subject) {
        e->subject_first = first;
        e->subject_count = count;
      } else {
        e->record_first = first;
        e->record_count = count;
      }
    };
    for (const CodeRun& run : subjects) add(run, true);
    for (const CodeRun& run : records) add(run, false);
  }

  size_t MemoryBytes() const {
    size_t other = 0;
    for (const auto& [code, e] : other_) other += code.capacity();
    return packed_.capacity() * (sizeof(PackedUscc) + sizeof(Entry) + 1) +
           other_.capacity() * (sizeof(std::string) + sizeof(Entry) + 1) +
           other;
  }

 private:
  static constexpr uint16_t kBySlot = 0xFFFF;  // the run is in by_slot_
  struct Entry {
    uint32_t subject_first = 0;  // arena positions (Span)
    uint32_t record_first = 0;
    uint16_t subject_count = 0;
    uint16_t record_count = 0;
  };
  struct SlotSpans {
    Span subjects;
    Span records;
  };
  absl::flat_hash_map<PackedUscc, Entry> packed_;
  absl::flat_hash_map<std::string, Entry> other_;  // codes that do not pack
  absl::flat_hash_map<std::string, SlotSpans> by_slot_;
};

struct RegistryBase {
  StringDict dict;  // shared by both tables; declared first (they point at it)
  CodeIndex codes;
  Table subjects{&dict};
  Table records{&dict};
};

// The writes since the base, in the standard encoding. Empty data means
// deleted.
struct RegistryDelta {
  absl::flat_hash_map<std::string, std::string> subjects;  // id -> encoded
  absl::flat_hash_map<std::string, std::string> records;
  absl::flat_hash_map<std::string, std::vector<std::string>>
      subject_ids_by_code;
  absl::flat_hash_map<std::string, std::vector<std::string>> record_ids_by_code;
  int64_t subject_adjust = 0;  // live subjects relative to the base
  int64_t record_adjust = 0;

  size_t size() const { return subjects.size() + records.size(); }
};

// How each document kind is read from a base (compact) and a delta
// (standard encoding), and written back to the standard encoding.
struct SubjectKindTraits {
  using View = SubjectView;
  static absl::StatusOr<View> FromBase(const Table& t, uint32_t slot) {
    return FromBaseData(t, t.Data(slot));
  }
  static absl::StatusOr<View> FromBaseData(const Table& t,
                                           std::string_view data) {
    return DecodeCompactSubject(data, *t.dict);
  }
  // FromBaseData without the StatusOr, for the check path.
  static bool DecodeBase(const Table& t, std::string_view data, View& out) {
    return DecodeCompactSubjectInto(data, *t.dict, out);
  }
  static absl::StatusOr<View> FromDelta(std::string_view data) {
    return DecodeSubjectView(data);
  }
  static void Encode(const View& v, std::string* out) {
    EncodeSubjectView(v, out);
  }
};
struct RecordKindTraits {
  using View = RecordView;
  static absl::StatusOr<View> FromBase(const Table& t, uint32_t slot) {
    return FromBaseData(t, t.Data(slot));
  }
  static absl::StatusOr<View> FromBaseData(const Table& t,
                                           std::string_view data) {
    return DecodeCompactRecord(data, *t.dict);
  }
  static bool DecodeBase(const Table& t, std::string_view data, View& out) {
    return DecodeCompactRecordInto(data, *t.dict, out);
  }
  static absl::StatusOr<View> FromDelta(std::string_view data) {
    return DecodeRecordView(data);
  }
  static void Encode(const View& v, std::string* out) {
    EncodeRecordView(v, out);
  }
};

}  // namespace internal

using internal::PeekIdAndCode;
using internal::RegistryBase;
using internal::RegistryDelta;

namespace {

using DeltaDocs = absl::flat_hash_map<std::string, std::string>;
using DeltaByCode = absl::flat_hash_map<std::string, std::vector<std::string>>;

// Walks one document kind of a snapshot for a code: the base's documents
// (minus those the delta overrides), then the delta's ids; fn gets each live
// document as a view.
template <typename Traits, typename Fn>
void ForCode(const internal::Table& table, internal::Span span,
             const DeltaDocs& delta_docs, const DeltaByCode& delta_by_code,
             std::string_view code, Fn fn) {
  // One view for the run: a decode sets every field.
  typename Traits::View view;
  auto visit = [&](std::string_view data) {
    if (!delta_docs.empty()) {
      auto peek = internal::CompactIdAndCode(data);
      if (peek.ok() && delta_docs.contains(internal::AbslView(peek->id))) {
        return;  // overridden
      }
    }
    if (Traits::DecodeBase(table, data, view)) fn(view);
  };
  if (span.by_slot) {
    for (uint32_t slot = span.first; slot < span.first + span.count; ++slot) {
      visit(table.Data(slot));
    }
  } else if (span.count > 0) {
    const char* p = table.arena.AtPosition(span.first, table.position_shift);
    for (uint32_t i = 0; i < span.count; ++i) {
      const std::string_view data = internal::Arena::Read(p);
      p = data.data() + data.size();
      visit(data);
    }
  }
  if (delta_by_code.empty()) return;
  auto it = delta_by_code.find(internal::AbslView(code));
  if (it == delta_by_code.end()) return;
  for (const std::string& id : it->second) {
    auto d = delta_docs.find(id);
    if (d == delta_docs.end() || d->second.empty()) continue;
    if (auto delta_view = Traits::FromDelta(d->second); delta_view.ok()) {
      fn(*delta_view);
    }
  }
}

// The standard encoding of the live document with `id`, if any.
template <typename Traits>
std::optional<std::string> DataById(const internal::Table& table,
                                    const DeltaDocs& delta_docs,
                                    std::string_view id) {
  if (!delta_docs.empty()) {
    auto d = delta_docs.find(internal::AbslView(id));
    if (d != delta_docs.end()) {
      if (d->second.empty()) return std::nullopt;
      return d->second;
    }
  }
  auto slot = table.FindId(id);
  if (!slot) return std::nullopt;
  auto view = Traits::FromBase(table, *slot);
  if (!view.ok()) return std::nullopt;
  std::string out;
  Traits::Encode(*view, &out);
  return out;
}

// Calls fn(view) for every live document: the base in slot (code) order,
// then the delta in id order, so that iteration is deterministic. With
// parts > 1, only base slots [n*part/parts, n*(part+1)/parts), and the delta
// in the last part only.
template <typename Traits, typename Fn>
void ForAll(const internal::Table& table, const DeltaDocs& delta_docs, Fn fn,
            size_t part = 0, size_t parts = 1) {
  if (parts == 0 || part >= parts) return;
  const size_t n = table.live();
  const uint32_t begin = static_cast<uint32_t>(n * part / parts);
  const uint32_t end = static_cast<uint32_t>(n * (part + 1) / parts);
  for (uint32_t slot = begin; slot < end; ++slot) {
    if (!delta_docs.empty() &&
        delta_docs.contains(internal::AbslView(table.IdOf(slot)))) {
      continue;
    }
    if (auto view = Traits::FromBase(table, slot); view.ok()) fn(*view);
  }
  if (part + 1 < parts) return;
  std::vector<const std::pair<const std::string, std::string>*> rest;
  for (const auto& kv : delta_docs) {
    if (!kv.second.empty()) rest.push_back(&kv);
  }
  std::sort(rest.begin(), rest.end(),
            [](auto* a, auto* b) { return a->first < b->first; });
  for (auto* kv : rest) {
    if (auto view = Traits::FromDelta(kv->second); view.ok()) fn(*view);
  }
}

}  // namespace

Registry::Registry(std::shared_ptr<const RegistryBase> base,
                   std::shared_ptr<const RegistryDelta> delta, uint64_t version)
    : base_(std::move(base)), delta_(std::move(delta)), version_(version) {}

size_t Registry::subject_count() const {
  return static_cast<size_t>(static_cast<int64_t>(base_->subjects.live()) +
                             delta_->subject_adjust);
}
size_t Registry::record_count() const {
  return static_cast<size_t>(static_cast<int64_t>(base_->records.live()) +
                             delta_->record_adjust);
}
size_t Registry::delta_size() const { return delta_->size(); }
std::array<size_t, 6> Registry::base_memory_breakdown() const {
  const auto& s = base_->subjects;
  const auto& r = base_->records;
  return {s.ArenaBytes(),
          s.MapBytes(),
          r.ArenaBytes(),
          r.MapBytes(),
          base_->codes.MemoryBytes(),
          base_->dict.MemoryBytes()};
}

size_t Registry::base_memory_bytes() const {
  size_t total = 0;
  for (size_t part : base_memory_breakdown()) total += part;
  return total;
}

size_t Registry::CountByCode(std::string_view code) const {
  const internal::Span span = base_->codes.Find(code).subjects;
  if (delta_->size() == 0) return span.count;
  size_t n = 0;
  ForCode<internal::SubjectKindTraits>(base_->subjects, span, delta_->subjects,
                                       delta_->subject_ids_by_code, code,
                                       [&](const SubjectView&) { ++n; });
  return n;
}

void Registry::VisitSubjectsByCode(
    std::string_view code,
    absl::FunctionRef<void(const SubjectView&)> fn) const {
  ForCode<internal::SubjectKindTraits>(
      base_->subjects, base_->codes.Find(code).subjects, delta_->subjects,
      delta_->subject_ids_by_code, code, fn);
}

void Registry::VisitRecordsByCode(
    std::string_view code,
    absl::FunctionRef<void(const RecordView&)> fn) const {
  ForCode<internal::RecordKindTraits>(
      base_->records, base_->codes.Find(code).records, delta_->records,
      delta_->record_ids_by_code, code, fn);
}

void Registry::VisitCode(
    std::string_view code,
    absl::FunctionRef<void(const SubjectView&)> subject_fn,
    absl::FunctionRef<void(const RecordView&)> record_fn) const {
  const internal::CodeIndex::Ranges ranges = base_->codes.Find(code);
  // The subject's and the records' memory is fetched in parallel (about
  // a third off a check by code at 10M, bench/check_bench.cc).
  base_->subjects.PrefetchRefs(ranges.subjects);
  base_->records.PrefetchRefs(ranges.records);
  base_->subjects.PrefetchData(ranges.subjects);
  base_->records.PrefetchData(ranges.records);
  ForCode<internal::SubjectKindTraits>(
      base_->subjects, ranges.subjects, delta_->subjects,
      delta_->subject_ids_by_code, code, subject_fn);
  ForCode<internal::RecordKindTraits>(
      base_->records, ranges.records, delta_->records,
      delta_->record_ids_by_code, code, record_fn);
}

uint64_t Registry::TEST_TouchCode(std::string_view code) const {
  const internal::CodeIndex::Ranges ranges = base_->codes.Find(code);
  base_->subjects.PrefetchRefs(ranges.subjects);
  base_->records.PrefetchRefs(ranges.records);
  base_->subjects.PrefetchData(ranges.subjects);
  base_->records.PrefetchData(ranges.records);
  uint64_t sum = 0;
  auto touch = [&](const internal::Table& table, internal::Span span) {
    auto add = [&](std::string_view data) {
      // One load per cache line (and the last byte): the floor is the
      // memory, not a checksum's instructions.
      for (size_t k = 0; k < data.size(); k += 64) {
        sum += static_cast<uint8_t>(data[k]);
      }
      if (!data.empty()) sum += static_cast<uint8_t>(data.back());
    };
    if (span.by_slot) {
      for (uint32_t slot = span.first; slot < span.first + span.count; ++slot) {
        add(table.Data(slot));
      }
    } else if (span.count > 0) {
      const char* p = table.arena.AtPosition(span.first, table.position_shift);
      for (uint32_t i = 0; i < span.count; ++i) {
        const std::string_view data = internal::Arena::Read(p);
        p = data.data() + data.size();
        add(data);
      }
    }
  };
  touch(base_->subjects, ranges.subjects);
  touch(base_->records, ranges.records);
  return sum;
}

void Registry::PrefetchCode(std::string_view code) const {
  base_->codes.Prefetch(code);
}

std::vector<Subject> Registry::SubjectsByCode(std::string_view code) const {
  std::vector<Subject> out;
  VisitSubjectsByCode(
      code, [&](const SubjectView& v) { out.push_back(v.ToSubject()); });
  return out;
}

std::vector<Record> Registry::RecordsByCode(std::string_view code) const {
  std::vector<Record> out;
  VisitRecordsByCode(code,
                     [&](const RecordView& v) { out.push_back(v.ToRecord()); });
  return out;
}

std::optional<std::string> Registry::SubjectDataById(
    std::string_view id) const {
  return DataById<internal::SubjectKindTraits>(base_->subjects,
                                               delta_->subjects, id);
}
std::optional<std::string> Registry::RecordDataById(std::string_view id) const {
  return DataById<internal::RecordKindTraits>(base_->records, delta_->records,
                                              id);
}

std::optional<Subject> Registry::SubjectById(std::string_view id) const {
  auto data = SubjectDataById(id);
  if (!data) return std::nullopt;
  auto s = internal::DecodeSubject(*data);
  if (!s.ok()) return std::nullopt;
  return *std::move(s);
}

std::optional<SubjectView> Registry::SubjectViewById(
    std::string_view id) const {
  if (!delta_->subjects.empty()) {
    auto d = delta_->subjects.find(internal::AbslView(id));
    if (d != delta_->subjects.end()) {
      if (d->second.empty()) return std::nullopt;  // deleted
      auto view = internal::SubjectKindTraits::FromDelta(d->second);
      if (!view.ok()) return std::nullopt;
      return *view;
    }
  }
  auto slot = base_->subjects.FindId(id);
  if (!slot) return std::nullopt;
  auto view = internal::SubjectKindTraits::FromBase(base_->subjects, *slot);
  if (!view.ok()) return std::nullopt;
  return *view;
}

std::optional<Record> Registry::RecordById(std::string_view id) const {
  auto data = RecordDataById(id);
  if (!data) return std::nullopt;
  auto r = internal::DecodeRecord(*data);
  if (!r.ok()) return std::nullopt;
  return *std::move(r);
}

void Registry::ForEachSubject(
    const std::function<void(const Subject&)>& fn) const {
  ForAll<internal::SubjectKindTraits>(
      base_->subjects, delta_->subjects,
      [&](const SubjectView& v) { fn(v.ToSubject()); });
}

void Registry::ForEachRecord(
    const std::function<void(const Record&)>& fn) const {
  ForAll<internal::RecordKindTraits>(
      base_->records, delta_->records,
      [&](const RecordView& v) { fn(v.ToRecord()); });
}

void Registry::ForEachSubjectView(
    size_t part, size_t parts,
    absl::FunctionRef<void(const SubjectView&)> fn) const {
  ForAll<internal::SubjectKindTraits>(base_->subjects, delta_->subjects, fn,
                                      part, parts);
}

void Registry::ForEachRecordView(
    size_t part, size_t parts,
    absl::FunctionRef<void(const RecordView&)> fn) const {
  ForAll<internal::RecordKindTraits>(base_->records, delta_->records, fn, part,
                                     parts);
}

// The builder stages documents in the standard encoding (the later of two
// with one id wins), and Finish lays each kind out compactly in code order.
struct RegistryBuilder::Staged {
  internal::Staging subjects;
  internal::Staging records;
};

RegistryBuilder::RegistryBuilder() : RegistryBuilder(Layout{}) {}
RegistryBuilder::RegistryBuilder(Layout layout)
    : staged_(std::make_unique<Staged>()), layout_(layout) {
  layout_.chunk_bits = std::clamp(layout_.chunk_bits, 12u, 30u);
  if (layout_.position_shift >= static_cast<int>(layout_.chunk_bits)) {
    layout_.position_shift = static_cast<int>(layout_.chunk_bits) - 1;
  }
}
RegistryBuilder::~RegistryBuilder() = default;

absl::Status RegistryBuilder::AddEncoded(std::string_view data) {
  auto peek = PeekIdAndCode(data);
  if (!peek.ok()) return peek.status();
  // Only id and code are read here (start-up speed); a document that does not
  // decode is dropped by Finish, as before it was skipped by every reader.
  (peek->tag == 'S' ? staged_->subjects : staged_->records).Add(data, peek->id);
  return absl::OkStatus();
}

absl::Status RegistryBuilder::AddSubject(const Subject& subject) {
  std::string data;
  internal::EncodeSubject(subject, &data);
  return AddEncoded(data);
}

absl::Status RegistryBuilder::AddRecord(const Record& record) {
  std::string data;
  internal::EncodeRecord(record, &data);
  return AddEncoded(data);
}

std::shared_ptr<const Registry> RegistryBuilder::Finish(uint64_t version) {
  auto base = std::make_shared<RegistryBase>();
  std::unique_ptr<Staged> staged = std::move(staged_);
  staged_ = std::make_unique<Staged>();
  const std::vector<internal::CodeRun> subject_runs = base->subjects.Build(
      staged->subjects, base->dict, layout_,
      [](std::string_view data, internal::StringDict& dict, std::string* out) {
        auto view = internal::DecodeSubjectView(data);
        if (!view.ok()) return false;
        internal::EncodeCompactSubject(*view, dict, out);
        return true;
      });
  staged->subjects = internal::Staging();  // free before the records grow
  const std::vector<internal::CodeRun> record_runs = base->records.Build(
      staged->records, base->dict, layout_,
      [](std::string_view data, internal::StringDict& dict, std::string* out) {
        auto view = internal::DecodeRecordView(data);
        if (!view.ok()) return false;
        internal::EncodeCompactRecord(*view, dict, out);
        return true;
      });
  staged.reset();
  base->codes.Build(subject_runs, record_runs);
  base->dict.Freeze();
  return std::make_shared<Registry>(std::move(base),
                                    std::make_shared<RegistryDelta>(), version);
}

absl::StatusOr<std::unique_ptr<RegistryHolder>> RegistryHolder::Open(
    const std::string& dir, Options options) {
  const auto start = std::chrono::steady_clock::now();
  auto store = XapianStore::Open(dir, XapianStore::Mode::kCreateOrOpen);
  if (!store.ok()) return store.status();
  RegistryBuilder builder;
  absl::Status st = (*store)->ForEachDocument(
      [&](std::string_view data) { return builder.AddEncoded(data); });
  if (!st.ok()) return st;
  std::unique_ptr<RegistryHolder> holder(new RegistryHolder());
  holder->options_ = options;
  holder->current_.store(builder.Finish((*store)->version()));
  {
    absl::MutexLock lock(&holder->mu_);
    holder->store_ = *std::move(store);
  }
  holder->load_millis_ = std::chrono::duration<double, std::milli>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  return holder;
}

absl::StatusOr<std::shared_ptr<const Registry>> LoadRegistryReadOnly(
    const std::string& dir) {
  auto store = XapianStore::Open(dir, XapianStore::Mode::kReadOnly);
  if (!store.ok()) return store.status();
  RegistryBuilder builder;
  absl::Status st = (*store)->ForEachDocument(
      [&](std::string_view data) { return builder.AddEncoded(data); });
  if (!st.ok()) return st;
  return builder.Finish((*store)->version());
}

void RegistryHolder::Publish(std::shared_ptr<const Registry> next) {
  current_.store(std::move(next));
}

namespace {

// Moves `id` from the code list it was under to `new_code`'s list in the
// delta's code index.
void Reindex(
    absl::flat_hash_map<std::string, std::vector<std::string>>& by_code,
    const std::string& id, std::optional<std::string_view> old_code,
    std::optional<std::string_view> new_code) {
  if (old_code && (!new_code || *old_code != *new_code)) {
    auto it = by_code.find(std::string(*old_code));
    if (it != by_code.end()) {
      auto& ids = it->second;
      ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
      if (ids.empty()) by_code.erase(it);
    }
  }
  if (new_code) {
    auto& ids = by_code[std::string(*new_code)];
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
}

std::optional<std::string_view> CodeOf(std::optional<std::string_view> data) {
  if (!data) return std::nullopt;
  auto peek = PeekIdAndCode(*data);
  if (!peek.ok()) return std::nullopt;
  return peek->code;
}

}  // namespace

namespace {

// The summary counters of one document kind.
struct KindCounts {
  size_t& created;
  size_t& replaced;
  size_t& repeated;
  size_t& deleted;
  size_t& missing;
};

// Id -> encoded document, or "" for a delete, in batch order.
using Changes = std::vector<std::pair<std::string, std::string>>;

// Splits one kind's upserts and deletes into what really changes (appended to
// `upserts_out` / `deletes_out`) and what is a repeat or a delete of nothing
// (only counted). `stored(id)` is the snapshot's encoded document.
template <typename Doc, typename Encode, typename Stored>
Changes DecideChanges(const std::vector<Doc>& upserts,
                      const std::vector<std::string>& deletes, Encode encode,
                      Stored stored, KindCounts counts,
                      std::vector<Doc>& upserts_out,
                      std::vector<std::string>& deletes_out) {
  Changes changes;
  absl::flat_hash_map<std::string, size_t> seen;  // id -> index in changes
  // The document as this batch has left it so far (a copy: a stored one is
  // re-encoded from the base's compact form).
  auto current = [&](const std::string& id) -> std::optional<std::string> {
    auto it = seen.find(id);
    if (it != seen.end()) return changes[it->second].second;
    return stored(id);
  };
  for (const Doc& doc : upserts) {
    std::string data;
    encode(doc, &data);
    const std::optional<std::string> existing = current(doc.id);
    if (existing &&
        internal::ContentOf(*existing) == internal::ContentOf(data)) {
      ++counts.repeated;
      continue;
    }
    ++(existing && !existing->empty() ? counts.replaced : counts.created);
    upserts_out.push_back(doc);
    seen[doc.id] = changes.size();
    changes.emplace_back(doc.id, std::move(data));
  }
  for (const std::string& id : deletes) {
    const std::optional<std::string> existing = current(id);
    if (!existing || existing->empty()) {
      ++counts.missing;
      continue;
    }
    ++counts.deleted;
    deletes_out.push_back(id);
    seen[id] = changes.size();
    changes.emplace_back(id, std::string());
  }
  return changes;
}

// Applies `changes` to a delta's documents, code index and live count. The
// delta already holds the snapshot's earlier writes; `base` answers for ids
// the delta does not hold.
void MergeIntoDelta(
    Changes& changes, const internal::Table& base,
    absl::flat_hash_map<std::string, std::string>& docs,
    absl::flat_hash_map<std::string, std::vector<std::string>>& by_code,
    int64_t& adjust) {
  for (auto& [id, data] : changes) {
    std::optional<std::string> old_code;
    if (auto prev = docs.find(id); prev != docs.end()) {
      if (!prev->second.empty()) {
        old_code =
            std::string(CodeOf(std::string_view(prev->second)).value_or(""));
      }
    } else if (auto slot = base.FindId(id)) {
      old_code = std::string(base.CodeOf(*slot));
    }
    const bool existed = old_code.has_value();
    const bool exists = !data.empty();
    Reindex(by_code, id,
            existed ? std::optional<std::string_view>(*old_code) : std::nullopt,
            exists ? CodeOf(std::string_view(data)) : std::nullopt);
    adjust += (exists ? 1 : 0) - (existed ? 1 : 0);
    docs[id] = std::move(data);
  }
}

}  // namespace

absl::StatusOr<ApplySummary> RegistryHolder::Apply(const WriteBatch& input) {
  // The holder knows what is stored, so it decides insert vs replace itself:
  // inserts given by the caller are treated as upserts.
  WriteBatch merged;
  const WriteBatch* batch_ptr = &input;
  if (!input.insert_subjects.empty() || !input.insert_records.empty()) {
    merged = input;
    merged.upsert_subjects.insert(merged.upsert_subjects.end(),
                                  input.insert_subjects.begin(),
                                  input.insert_subjects.end());
    merged.put_records.insert(merged.put_records.end(),
                              input.insert_records.begin(),
                              input.insert_records.end());
    merged.insert_subjects.clear();
    merged.insert_records.clear();
    batch_ptr = &merged;
  }
  const WriteBatch& batch = *batch_ptr;
  absl::MutexLock lock(&mu_);
  std::shared_ptr<const Registry> cur = current_.load();
  ApplySummary summary;
  summary.version = cur->version();

  // Decide what really changes; identical content is a repeat and costs no
  // write.
  WriteBatch effective;
  Changes subject_changes = DecideChanges(
      batch.upsert_subjects, batch.delete_subjects,
      [](const Subject& s, std::string* out) {
        internal::EncodeSubject(s, out);
      },
      [&](std::string_view id) { return cur->SubjectDataById(id); },
      KindCounts{summary.subjects_new, summary.subjects_replaced,
                 summary.subjects_repeated, summary.subjects_deleted,
                 summary.subjects_missing},
      effective.upsert_subjects, effective.delete_subjects);
  Changes record_changes = DecideChanges(
      batch.put_records, batch.delete_records,
      [](const Record& r, std::string* out) { internal::EncodeRecord(r, out); },
      [&](std::string_view id) { return cur->RecordDataById(id); },
      KindCounts{summary.records_new, summary.records_replaced,
                 summary.records_repeated, summary.records_deleted,
                 summary.records_missing},
      effective.put_records, effective.delete_records);
  if (effective.empty()) return summary;

  // Durable first: nothing is published unless the commit succeeded.
  absl::StatusOr<uint64_t> version = store_->Apply(effective);
  if (!version.ok()) return version.status();
  summary.version = *version;

  // New delta = old delta + changes, applied in batch order.
  auto delta = std::make_shared<RegistryDelta>(*cur->delta_);
  MergeIntoDelta(subject_changes, cur->base_->subjects, delta->subjects,
                 delta->subject_ids_by_code, delta->subject_adjust);
  MergeIntoDelta(record_changes, cur->base_->records, delta->records,
                 delta->record_ids_by_code, delta->record_adjust);

  std::shared_ptr<const Registry> next =
      std::make_shared<Registry>(cur->base_, std::move(delta), *version);
  if (next->delta_size() >= options_.fold_threshold) MaybeStartFold(next);
  Publish(std::move(next));
  return summary;
}

RegistryHolder::~RegistryHolder() { WaitForFold(); }

void RegistryHolder::WaitForFold() {
  absl::MutexLock lock(&fold_mu_);
  if (fold_thread_.joinable()) fold_thread_.join();
}

void RegistryHolder::MaybeStartFold(std::shared_ptr<const Registry> frozen) {
  if (fold_running_.load()) return;
  {
    // The previous fold thread has finished (fold_running_ is false): reap it.
    absl::MutexLock lock(&fold_mu_);
    if (fold_thread_.joinable()) fold_thread_.join();
    fold_running_ = true;
    fold_thread_ = std::thread([this, frozen = std::move(frozen)]() mutable {
      RunFold(std::move(frozen));
    });
  }
}

void RegistryHolder::RunFold(std::shared_ptr<const Registry> frozen) {
  // Build the new base from the frozen snapshot without any lock: it is
  // immutable, and writers keep adding to the current delta meanwhile.
  RegistryBuilder builder;
  std::string scratch;
  ForAll<internal::SubjectKindTraits>(
      frozen->base_->subjects, frozen->delta_->subjects,
      [&](const SubjectView& v) {
        scratch.clear();
        internal::EncodeSubjectView(v, &scratch);
        builder.AddEncoded(scratch).IgnoreError();
      });
  ForAll<internal::RecordKindTraits>(
      frozen->base_->records, frozen->delta_->records,
      [&](const RecordView& v) {
        scratch.clear();
        internal::EncodeRecordView(v, &scratch);
        builder.AddEncoded(scratch).IgnoreError();
      });
  std::shared_ptr<const Registry> folded = builder.Finish(frozen->version());
  const RegistryBase& base = *folded->base_;

  absl::MutexLock lock(&mu_);
  std::shared_ptr<const Registry> cur = current_.load();
  const RegistryDelta& frozen_delta = *frozen->delta_;
  const RegistryDelta& cur_delta = *cur->delta_;
  // The new delta: what was written after the freeze, i.e. every entry of the
  // current delta that the frozen delta does not hold with the same data.
  auto delta = std::make_shared<RegistryDelta>();
  auto carry =
      [](const absl::flat_hash_map<std::string, std::string>& now,
         const absl::flat_hash_map<std::string, std::string>& then,
         const internal::Table& table,
         absl::flat_hash_map<std::string, std::string>& out,
         absl::flat_hash_map<std::string, std::vector<std::string>>& by_code,
         int64_t& adjust) {
        for (const auto& [id, data] : now) {
          auto old = then.find(id);
          if (old != then.end() && old->second == data)
            continue;  // in the base
          out[id] = data;
          if (!data.empty()) {
            if (auto peek = PeekIdAndCode(data); peek.ok()) {
              by_code[std::string(peek->code)].push_back(id);
            }
          }
          adjust += (data.empty() ? 0 : 1) - (table.FindId(id) ? 1 : 0);
        }
      };
  carry(cur_delta.subjects, frozen_delta.subjects, base.subjects,
        delta->subjects, delta->subject_ids_by_code, delta->subject_adjust);
  carry(cur_delta.records, frozen_delta.records, base.records, delta->records,
        delta->record_ids_by_code, delta->record_adjust);
  Publish(std::make_shared<Registry>(folded->base_, std::move(delta),
                                     cur->version()));
  ++folds_;
  fold_running_ = false;
}

}  // namespace creditd
