#include "index/registry.h"

#include "index/internal/encoding.h"
#include "index/uscc.h"

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_format.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace creditd {
namespace internal {
namespace {

// Append-only storage for encoded documents in fixed chunks, so that growth
// never copies what is stored (a single vector would double and copy gigabytes
// at 10M subjects).
class Arena {
 public:
  static constexpr size_t kChunkBytes = size_t{32} << 20;

  // Returns a reference: chunk index in the high 32 bits, offset in the low 32.
  uint64_t Append(std::string_view data) {
    const size_t need = data.size() + 5;
    if (chunks_.empty() || used_ + need > chunk_capacity_) {
      chunk_capacity_ = std::max(kChunkBytes, need);
      chunks_.push_back(std::make_unique<char[]>(chunk_capacity_));
      used_ = 0;
      bytes_reserved_ += chunk_capacity_;
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

  std::string_view Get(uint64_t ref) const {
    const char* p = chunks_[ref >> 32].get() + (ref & 0xFFFFFFFF);
    uint32_t n = 0;
    int shift = 0;
    while (static_cast<uint8_t>(*p) & 0x80) {
      n |= static_cast<uint32_t>(static_cast<uint8_t>(*p++) & 0x7F) << shift;
      shift += 7;
    }
    n |= static_cast<uint32_t>(static_cast<uint8_t>(*p++)) << shift;
    return {p, n};
  }

  size_t bytes_reserved() const { return bytes_reserved_; }

 private:
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_capacity_ = 0;
  size_t used_ = 0;
  size_t bytes_reserved_ = 0;
};

struct Range {
  uint32_t first = 0;
  uint32_t count = 0;
};

uint64_t IdHash(std::string_view id) {
  return absl::Hash<absl::string_view>{}(
      absl::string_view(id.data(), id.size()));
}

// One kind of document (subjects or records) in a base: arena, code index and
// id index.
struct Table {
  Arena arena;
  std::vector<uint64_t> refs;  // slot -> arena reference
  std::vector<uint32_t>
      by_code;  // slots sorted by code; code maps point into this
  absl::flat_hash_map<PackedUscc, Range> packed_codes;
  absl::flat_hash_map<std::string, Range>
      other_codes;                              // codes that do not pack (rare)
  absl::flat_hash_map<uint64_t, uint32_t> ids;  // IdHash(id) -> slot
  absl::flat_hash_map<std::string, uint32_t>
      colliding_ids;  // ids whose hash was taken
  std::vector<bool>
      dead;  // slots replaced by a later AddEncoded with the same id

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

  Range FindCode(std::string_view code) const {
    if (auto packed = PackUscc(code)) {
      auto it = packed_codes.find(*packed);
      return it == packed_codes.end() ? Range{} : it->second;
    }
    auto it = other_codes.find(std::string(code));
    return it == other_codes.end() ? Range{} : it->second;
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

  // Sorts live slots by code and fills the code maps.
  void IndexCodes() {
    struct Entry {
      PackedUscc packed;
      bool packable;
      uint32_t slot;
    };
    std::vector<Entry> entries;
    entries.reserve(live);
    std::vector<std::pair<std::string, uint32_t>> others;
    for (uint32_t slot = 0; slot < refs.size(); ++slot) {
      if (dead[slot]) continue;
      auto peek = PeekIdAndCode(Data(slot));
      const std::string_view code = peek.ok() ? peek->code : std::string_view();
      if (auto packed = PackUscc(code)) {
        entries.push_back({*packed, true, slot});
      } else {
        others.emplace_back(std::string(code), slot);
      }
    }
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) {
                if (a.packed.w != b.packed.w) return a.packed.w < b.packed.w;
                return a.slot < b.slot;
              });
    std::sort(others.begin(), others.end());
    by_code.clear();
    by_code.reserve(entries.size() + others.size());
    packed_codes.reserve(entries.size());
    for (size_t i = 0; i < entries.size();) {
      size_t j = i;
      const uint32_t first = static_cast<uint32_t>(by_code.size());
      while (j < entries.size() && entries[j].packed == entries[i].packed) {
        by_code.push_back(entries[j++].slot);
      }
      packed_codes[entries[i].packed] =
          Range{first, static_cast<uint32_t>(j - i)};
      i = j;
    }
    for (size_t i = 0; i < others.size();) {
      size_t j = i;
      const uint32_t first = static_cast<uint32_t>(by_code.size());
      while (j < others.size() && others[j].first == others[i].first) {
        by_code.push_back(others[j++].second);
      }
      other_codes[others[i].first] = Range{first, static_cast<uint32_t>(j - i)};
      i = j;
    }
  }

  size_t ArenaBytes() const { return arena.bytes_reserved(); }
  size_t MemoryBytes() const {
    auto map_bytes = [](const auto& m, size_t slot) {
      return m.capacity() * (slot + 1);
    };
    return arena.bytes_reserved() + refs.capacity() * 8 +
           by_code.capacity() * 4 +
           map_bytes(packed_codes, sizeof(PackedUscc) + sizeof(Range)) +
           map_bytes(ids, 16) + dead.capacity() / 8;
  }
};

}  // namespace

struct RegistryBase {
  Table subjects;
  Table records;
};

// The writes since the base. Empty data means deleted.
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

}  // namespace internal

using internal::PeekIdAndCode;
using internal::RegistryBase;
using internal::RegistryDelta;

namespace {

// Walks one document kind of a snapshot: the base's slots for a code, then the
// delta's ids.
template <typename Fn>
void ForCode(const internal::Table& table,
             const absl::flat_hash_map<std::string, std::string>& delta_docs,
             const absl::flat_hash_map<std::string, std::vector<std::string>>&
                 delta_by_code,
             std::string_view code, Fn fn) {
  const internal::Range range = table.FindCode(code);
  for (uint32_t i = 0; i < range.count; ++i) {
    const std::string_view data = table.Data(table.by_code[range.first + i]);
    if (!delta_docs.empty()) {
      auto peek = PeekIdAndCode(data);
      if (peek.ok() && delta_docs.contains(std::string(peek->id)))
        continue;  // overridden
    }
    fn(data);
  }
  if (delta_by_code.empty()) return;
  auto it = delta_by_code.find(std::string(code));
  if (it == delta_by_code.end()) return;
  for (const std::string& id : it->second) {
    auto d = delta_docs.find(id);
    if (d != delta_docs.end() && !d->second.empty())
      fn(std::string_view(d->second));
  }
}

std::optional<std::string_view> DataById(
    const internal::Table& table,
    const absl::flat_hash_map<std::string, std::string>& delta_docs,
    std::string_view id) {
  if (!delta_docs.empty()) {
    auto d = delta_docs.find(std::string(id));
    if (d != delta_docs.end()) {
      if (d->second.empty()) return std::nullopt;
      return std::string_view(d->second);
    }
  }
  if (auto slot = table.FindId(id)) return table.Data(*slot);
  return std::nullopt;
}

template <typename Fn>
void ForAll(const internal::Table& table,
            const absl::flat_hash_map<std::string, std::string>& delta_docs,
            Fn fn) {
  for (uint32_t slot = 0; slot < table.refs.size(); ++slot) {
    if (table.dead[slot]) continue;
    const std::string_view data = table.Data(slot);
    if (!delta_docs.empty()) {
      auto peek = PeekIdAndCode(data);
      if (peek.ok() && delta_docs.contains(std::string(peek->id))) continue;
    }
    fn(data);
  }
  // Delta in id order, so that iteration is deterministic.
  std::vector<const std::pair<const std::string, std::string>*> rest;
  for (const auto& kv : delta_docs) {
    if (!kv.second.empty()) rest.push_back(&kv);
  }
  std::sort(rest.begin(), rest.end(),
            [](auto* a, auto* b) { return a->first < b->first; });
  for (auto* kv : rest) fn(std::string_view(kv->second));
}

}  // namespace

Registry::Registry(std::shared_ptr<const RegistryBase> base,
                   std::shared_ptr<const RegistryDelta> delta, uint64_t version)
    : base_(std::move(base)), delta_(std::move(delta)), version_(version) {}

size_t Registry::subject_count() const {
  return static_cast<size_t>(static_cast<int64_t>(base_->subjects.live) +
                             delta_->subject_adjust);
}
size_t Registry::record_count() const {
  return static_cast<size_t>(static_cast<int64_t>(base_->records.live) +
                             delta_->record_adjust);
}
size_t Registry::delta_size() const { return delta_->size(); }
std::array<size_t, 4> Registry::base_memory_breakdown() const {
  const auto& s = base_->subjects;
  const auto& r = base_->records;
  return {s.ArenaBytes(), s.MemoryBytes() - s.ArenaBytes(), r.ArenaBytes(),
          r.MemoryBytes() - r.ArenaBytes()};
}

size_t Registry::base_memory_bytes() const {
  return base_->subjects.MemoryBytes() + base_->records.MemoryBytes();
}

size_t Registry::CountByCode(std::string_view code) const {
  if (delta_->size() == 0) return base_->subjects.FindCode(code).count;
  size_t n = 0;
  ForCode(base_->subjects, delta_->subjects, delta_->subject_ids_by_code, code,
          [&](std::string_view) { ++n; });
  return n;
}

std::vector<Subject> Registry::SubjectsByCode(std::string_view code) const {
  std::vector<Subject> out;
  ForCode(base_->subjects, delta_->subjects, delta_->subject_ids_by_code, code,
          [&](std::string_view data) {
            if (auto s = internal::DecodeSubject(data); s.ok())
              out.push_back(*std::move(s));
          });
  return out;
}

std::vector<Record> Registry::RecordsByCode(std::string_view code) const {
  std::vector<Record> out;
  ForCode(base_->records, delta_->records, delta_->record_ids_by_code, code,
          [&](std::string_view data) {
            if (auto r = internal::DecodeRecord(data); r.ok())
              out.push_back(*std::move(r));
          });
  return out;
}

std::optional<std::string_view> Registry::SubjectDataById(
    std::string_view id) const {
  return DataById(base_->subjects, delta_->subjects, id);
}
std::optional<std::string_view> Registry::RecordDataById(
    std::string_view id) const {
  return DataById(base_->records, delta_->records, id);
}

std::optional<Subject> Registry::SubjectById(std::string_view id) const {
  auto data = SubjectDataById(id);
  if (!data) return std::nullopt;
  auto s = internal::DecodeSubject(*data);
  if (!s.ok()) return std::nullopt;
  return *std::move(s);
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
  ForAll(base_->subjects, delta_->subjects, [&](std::string_view data) {
    if (auto s = internal::DecodeSubject(data); s.ok()) fn(*s);
  });
}

void Registry::ForEachRecord(
    const std::function<void(const Record&)>& fn) const {
  ForAll(base_->records, delta_->records, [&](std::string_view data) {
    if (auto r = internal::DecodeRecord(data); r.ok()) fn(*r);
  });
}

namespace {

// ForAll restricted to base slots [n*part/parts, n*(part+1)/parts), with the
// delta in the last part only (issue 6's parallel duplicate scan).
template <typename Fn>
void ForPart(const internal::Table& table,
             const absl::flat_hash_map<std::string, std::string>& delta_docs,
             size_t part, size_t parts, Fn fn) {
  if (parts == 0 || part >= parts) return;
  const size_t n = table.refs.size();
  for (size_t slot = n * part / parts; slot < n * (part + 1) / parts; ++slot) {
    if (table.dead[slot]) continue;
    const std::string_view data = table.Data(static_cast<uint32_t>(slot));
    if (!delta_docs.empty()) {
      auto peek = PeekIdAndCode(data);
      if (peek.ok() && delta_docs.contains(std::string(peek->id))) continue;
    }
    fn(data);
  }
  if (part + 1 < parts) return;
  std::vector<const std::pair<const std::string, std::string>*> rest;
  for (const auto& kv : delta_docs) {
    if (!kv.second.empty()) rest.push_back(&kv);
  }
  std::sort(rest.begin(), rest.end(),
            [](auto* a, auto* b) { return a->first < b->first; });
  for (auto* kv : rest) fn(std::string_view(kv->second));
}

}  // namespace

void Registry::ForEachSubjectData(
    size_t part, size_t parts,
    const std::function<void(std::string_view)>& fn) const {
  ForPart(base_->subjects, delta_->subjects, part, parts, fn);
}

void Registry::ForEachRecordData(
    size_t part, size_t parts,
    const std::function<void(std::string_view)>& fn) const {
  ForPart(base_->records, delta_->records, part, parts, fn);
}

RegistryBuilder::RegistryBuilder() : base_(std::make_unique<RegistryBase>()) {}
RegistryBuilder::~RegistryBuilder() = default;

absl::Status RegistryBuilder::AddEncoded(std::string_view data) {
  auto peek = PeekIdAndCode(data);
  if (!peek.ok()) return peek.status();
  (peek->tag == 'S' ? base_->subjects : base_->records).Add(data, peek->id);
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
  base_->subjects.IndexCodes();
  base_->records.IndexCodes();
  std::shared_ptr<const RegistryBase> base(std::move(base_));
  base_ = std::make_unique<RegistryBase>();
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
  auto current = [&](const std::string& id) -> std::optional<std::string_view> {
    auto it = seen.find(id);
    if (it != seen.end()) return std::string_view(changes[it->second].second);
    return stored(id);
  };
  for (const Doc& doc : upserts) {
    std::string data;
    encode(doc, &data);
    const std::optional<std::string_view> existing = current(doc.id);
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
    const std::optional<std::string_view> existing = current(id);
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
    std::optional<std::string_view> old_data;
    if (auto prev = docs.find(id); prev != docs.end()) {
      if (!prev->second.empty()) old_data = prev->second;
    } else if (auto slot = base.FindId(id)) {
      old_data = base.Data(*slot);
    }
    const bool existed = old_data.has_value();
    const bool exists = !data.empty();
    const std::string old_code(CodeOf(old_data).value_or(""));
    Reindex(by_code, id,
            existed ? std::optional<std::string_view>(old_code) : std::nullopt,
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
  ForAll(
      frozen->base_->subjects, frozen->delta_->subjects,
      [&](std::string_view data) { builder.AddEncoded(data).IgnoreError(); });
  ForAll(
      frozen->base_->records, frozen->delta_->records,
      [&](std::string_view data) { builder.AddEncoded(data).IgnoreError(); });
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
