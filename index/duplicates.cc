#include "index/duplicates.h"

#include "index/display.h"
#include "index/internal/encoding.h"
#include "index/legacy_codes.h"
#include "index/regions.h"
#include "index/uscc.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_format.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

namespace creditd {
namespace {

struct KindRow {
  DupKind kind;
  std::string_view name;
  std::string_view label;
  bool counts;  // default for the rate; legacy_mismatch decides per fault
};

// Rate rules in one place (docs/duplicates.md "Counting rules").
constexpr KindRow kKindTable[] = {
    {DupKind::kDuplicateCode, "duplicate_code", "重码", true},
    {DupKind::kMultiCode, "multi_code", "一主体多码", true},
    {DupKind::kErroneousCode, "erroneous_code", "错码", true},
    {DupKind::kLegacyMismatch, "legacy_mismatch", "旧代码不一致", true},
    {DupKind::kRepeatedSubject, "repeated_subject", "重复报送(主体)", false},
    {DupKind::kRepeatedRecord, "repeated_record", "重复报送(记录)", false},
};
static_assert(std::size(kKindTable) == static_cast<size_t>(DupKind::kCount));

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

inline uint64_t Mix64(uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}
inline uint64_t Combine(uint64_t a, uint64_t b) {
  return Mix64(a ^ (Mix64(b) + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2)));
}
inline uint64_t HashBytes(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= kFnvPrime;
  }
  return Combine(h, s.size());
}

// Six ASCII digits -> number; nullopt otherwise.
std::optional<uint32_t> SixDigits(std::string_view s) {
  if (s.size() != 6) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

// The division a subject is attributed to: its own region when it is six
// digits, else positions 3-8 of its code, else 0 (unknown).
uint32_t RegionOf(std::string_view region, std::string_view code) {
  if (auto r = SixDigits(region)) return *r;
  if (code.size() == kUsccLength) {
    if (auto r = SixDigits(code.substr(2, 6))) return *r;
  }
  return 0;
}
uint32_t RegionOf(const Subject& s) { return RegionOf(s.region, s.code); }

char AuthorityOf(std::string_view code) {
  return code.size() == kUsccLength ? code[0] : '?';
}

DupSubjectRef RefOf(const Subject& s) {
  return {s.id, s.code, s.name, s.region, s.source};
}
DupSubjectRef RefOf(const SubjectView& s) {
  return {std::string(s.id), std::string(s.code), std::string(s.name),
          std::string(s.region), JoinSource(s.source, s.source_line)};
}

// An open-addressing table of 8-byte slots: 37 bits of key fingerprint, a
// "former name" bit and the ordinal + 1 of the first subject that inserted the
// key (26 bits). It only answers "who had this key first"; a fingerprint
// collision is harmless because every candidate is confirmed on the real data.
// Sized from the subject count, grown at 75% load. Memory: 8 bytes a slot, so
// ~16-32 bytes a key.
class KeyTable {
 public:
  static constexpr uint32_t kMaxOrdinal = (1u << 26) - 2;
  explicit KeyTable(size_t expected_keys) {
    log2_ = 10;
    while ((size_t{1} << log2_) * 3 / 4 < expected_keys && log2_ < 36) ++log2_;
    slots_.assign(size_t{1} << log2_, 0);
  }

  struct Hit {
    uint32_t ordinal;
    bool former;
  };
  // Inserts (key, ordinal, former) unless the key is present; returns the
  // present holder.
  std::optional<Hit> InsertOrFind(uint64_t key, uint32_t ordinal, bool former) {
    const uint64_t fp = key >> 27;
    const size_t mask = slots_.size() - 1;
    size_t i = static_cast<size_t>(fp >> (37 - log2_));
    while (slots_[i] != 0) {
      if ((slots_[i] >> 27) == fp) {
        return Hit{static_cast<uint32_t>((slots_[i] & ((1u << 26) - 1)) - 1),
                   ((slots_[i] >> 26) & 1) != 0};
      }
      i = (i + 1) & mask;
    }
    slots_[i] = (fp << 27) | (uint64_t{former} << 26) | (ordinal + 1);
    if (++size_ > slots_.size() * 3 / 4) Grow();
    return std::nullopt;
  }
  void Prefetch(uint64_t key) const {
    __builtin_prefetch(
        &slots_[static_cast<size_t>((key >> 27) >> (37 - log2_))]);
  }
  size_t bytes() const { return slots_.size() * sizeof(uint64_t); }

 private:
  void Grow() {
    std::vector<uint64_t> old;
    old.swap(slots_);
    ++log2_;
    slots_.assign(size_t{1} << log2_, 0);
    const size_t mask = slots_.size() - 1;
    for (uint64_t e : old) {
      if (e == 0) continue;
      size_t i = static_cast<size_t>((e >> 27) >> (37 - log2_));
      while (slots_[i] != 0) i = (i + 1) & mask;
      slots_[i] = e;
    }
  }
  std::vector<uint64_t> slots_;
  size_t size_ = 0;
  int log2_ = 10;
};

enum KeyTag : uint64_t { kTagName = 1, kTagOrg = 2, kTagRegNo = 3 };

uint64_t NameKey(uint64_t name_hash, uint32_t region) {
  return Combine(Combine(kTagName, name_hash), region);
}
uint64_t OrgKey(std::string_view org9) {
  return Combine(kTagOrg, HashBytes(kFnvOffset, org9));
}
uint64_t RegNoKey(std::string_view reg_no) {
  return Combine(kTagRegNo, HashBytes(kFnvOffset, reg_no));
}

// The organisation codes a subject carries: its code's positions 9-17 (when
// the code is a genuine 18-character code) and its legacy org_code on file.
std::vector<std::string> OrgCodesOf(const Subject& s) {
  std::vector<std::string> out;
  const UsccResult v = ValidateUscc(s.code);
  if (v.ok() || v.known_legacy_exception()) {
    out.emplace_back(v.canonical().substr(8, 9));
  }
  if (!s.org_code.empty()) {
    LegacyResult o = ValidateOrgCode(s.org_code);
    if (o.ok() && std::find(out.begin(), out.end(), o.canonical) == out.end()) {
      out.push_back(std::move(o.canonical));
    }
  }
  return out;
}

std::optional<std::string> RegNoOf(std::string_view reg_no) {
  if (reg_no.empty()) return std::nullopt;
  LegacyResult r = ValidateRegistrationNumber(reg_no);
  if (r.ok() || r.fault == LegacyFault::kUnverifiable) return r.canonical;
  return std::nullopt;
}
std::optional<std::string> RegNoOf(const Subject& s) {
  return RegNoOf(s.reg_no);
}

// Why two subjects with different codes are one subject, or nullopt.
std::optional<std::string> MultiCodeEvidence(const Subject& a, const Subject& b,
                                             const SameSubjectFn& same) {
  std::vector<std::string> why;
  if (RegionOf(a) == RegionOf(b)) {
    if (auto e = same(a, b)) why.push_back(*e + " in region " + a.region);
  }
  const std::vector<std::string> oa = OrgCodesOf(a), ob = OrgCodesOf(b);
  for (const std::string& o : oa) {
    if (std::find(ob.begin(), ob.end(), o) != ob.end()) {
      why.push_back("same organisation code " + o);
      break;
    }
  }
  const auto ra = RegNoOf(a), rb = RegNoOf(b);
  if (ra && rb && *ra == *rb) why.push_back("same registration number " + *ra);
  if (why.empty()) return std::nullopt;
  std::string out;
  for (const std::string& w : why) {
    if (!out.empty()) out += "; ";
    out += w;
  }
  return out;
}

// Union-find over small index ranges.
class Clusters {
 public:
  explicit Clusters(size_t n) : parent_(n) {
    std::iota(parent_.begin(), parent_.end(), 0);
  }
  size_t Find(size_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void Union(size_t a, size_t b) { parent_[Find(a)] = Find(b); }

 private:
  std::vector<size_t> parent_;
};

// Record or RecordView.
template <typename R>
uint64_t RecordContentHash(const R& r) {
  // absl::Hash, not the byte-at-a-time FNV: basis and detail are long, and
  // this runs once per record in the scan. Only compared within a process.
  auto field = [](uint64_t h, std::string_view v) {
    return Combine(h, absl::Hash<absl::string_view>{}(
                          absl::string_view(v.data(), v.size())));
  };
  uint64_t h = field(kFnvOffset, r.code);
  h = field(h, r.list);
  h = field(h, r.authority);
  h = field(h, r.basis);
  h = field(h, r.doc_no);
  h = field(h, r.detail);
  h = Combine(h, static_cast<uint32_t>(r.decided_on.days));
  h = Combine(h, static_cast<uint32_t>(r.valid_from.days));
  h = Combine(h, static_cast<uint32_t>(r.valid_until.days));
  return h;
}

bool SameRecordContent(const Record& a, const Record& b) {
  return a.code == b.code && a.list == b.list && a.authority == b.authority &&
         a.basis == b.basis && a.doc_no == b.doc_no && a.detail == b.detail &&
         a.decided_on == b.decided_on && a.valid_from == b.valid_from &&
         a.valid_until == b.valid_until;
}

std::string JoinNames(const std::vector<Subject>& subjects,
                      const std::vector<size_t>& members) {
  std::string out;
  for (size_t m : members) {
    if (!out.empty()) out += " / ";
    out += "'" + subjects[m].name + "'";
  }
  return out;
}

struct Attribution {
  uint32_t region = 0;
  char authority = '?';
};

std::string RegionName(RegionLevel level, uint32_t code) {
  if (code == 0) return "未知";
  const RegionInfo info =
      RegionTable::Default().Lookup(absl::StrFormat("%06u", code));
  if (info.status == RegionStatus::kNational) return "全国";
  std::string name;
  switch (level) {
    case RegionLevel::kProvince:
      name = std::string(info.province);
      break;
    case RegionLevel::kCity:
      name = std::string(info.province);
      if (!info.city.empty() && info.city != info.province) {
        name += " " + std::string(info.city);
      }
      break;
    case RegionLevel::kCounty:
      name = info.FullName();
      break;
  }
  return name.empty() ? absl::StrFormat("%06u", code) : name;
}

// Runs produce(part, chunk) for parts 0..parts-1 on `workers` threads and
// consume(chunk) on the calling thread strictly in part order, so whatever
// depends on scan order (the first holder of a key or a code) is decided
// exactly as a single-threaded pass would. Workers run at most `window` parts
// ahead of the consumer, which bounds the memory held in chunks. With no
// workers everything runs inline.
template <typename Chunk, typename Produce, typename Consume>
void Pipeline(size_t parts, unsigned workers, size_t window, Produce produce,
              Consume consume) {
  if (workers == 0) {
    for (size_t p = 0; p < parts; ++p) {
      Chunk chunk;
      produce(p, chunk);
      consume(chunk);
    }
    return;
  }
  std::vector<Chunk> chunks(parts);
  std::vector<char> ready(parts, 0);
  std::mutex mu;
  std::condition_variable cv;
  size_t next = 0, consumed = 0;
  auto work = [&] {
    for (;;) {
      size_t p;
      {
        std::unique_lock lock(mu);
        cv.wait(lock,
                [&] { return next >= parts || next < consumed + window; });
        if (next >= parts) return;
        p = next++;
      }
      produce(p, chunks[p]);
      {
        std::lock_guard lock(mu);
        ready[p] = 1;
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; ++w) threads.emplace_back(work);
  for (size_t p = 0; p < parts; ++p) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return ready[p] != 0; });
    }
    consume(chunks[p]);
    chunks[p] = Chunk();  // release its memory now
    {
      std::lock_guard lock(mu);
      consumed = p + 1;
    }
    cv.notify_all();
  }
  for (std::thread& t : threads) t.join();
}

// Phase 1, per subject, computed by the workers: everything that does not
// depend on scan order. Strings view into the registry's encoded data (valid
// for the snapshot's lifetime).
struct SubjectFacts {
  PackedUscc packed;  // zero when the code does not pack
  std::string_view code;
  uint32_t region = 0;
  char authority = '?';
  bool packable = false;
  bool shared = false;   // CountByCode >= 2
  bool genuine = false;  // valid, or a known legacy exception
  uint32_t key_count = 0;
  uint32_t finding_count = 0;  // erroneous_code first, then legacy_mismatch
};
struct SubjectChunk {
  std::vector<SubjectFacts> subjects;
  std::vector<std::pair<uint64_t, bool>> keys;  // (key, former), in order
  std::vector<DupFinding> findings;             // in subject order
};
struct RecordChunk {
  std::vector<std::pair<uint64_t, std::string_view>> contents;  // hash, code
};

void SubjectFactsOf(const Registry& registry, const SubjectView& s,
                    SubjectChunk& chunk) {
  SubjectFacts f;
  f.code = s.code;
  const UsccResult v = ValidateUscc(s.code);
  f.region = RegionOf(s.region, s.code);
  f.authority = AuthorityOf(s.code);
  f.genuine = v.ok() || v.known_legacy_exception();
  f.shared = registry.CountByCode(s.code) >= 2;

  if (!v.ok()) {
    DupFinding e;
    e.kind = DupKind::kErroneousCode;
    e.codes = {std::string(s.code)};
    e.fault = std::string(UsccFaultName(v.fault()));
    e.reason = v.Describe();
    e.known_legacy_exception = v.known_legacy_exception();
    if (e.known_legacy_exception) {
      e.reason += " (known legacy exception: genuine pilot-era code)";
    }
    e.counted = !e.known_legacy_exception;
    e.subjects.push_back(RefOf(s));
    chunk.findings.push_back(std::move(e));
    ++f.finding_count;
  }

  const std::optional<PackedUscc> packed =
      s.code.size() == kUsccLength ? PackUscc(s.code) : std::nullopt;
  if (packed && (!s.org_code.empty() || !s.reg_no.empty())) {
    for (LegacyMismatch& m : CrossCheckLegacy(s.code, s.org_code, s.reg_no)) {
      DupFinding l;
      l.kind = DupKind::kLegacyMismatch;
      l.codes = {std::string(s.code)};
      l.fault = m.kind == LegacyMismatch::kOrgCodeBody ? "org_code_body"
                                                       : "registration_region";
      l.reason = std::move(m.detail);
      // A region difference is expected for a subject that moved; only a
      // body disagreement makes the code (or the legacy code) wrong.
      l.counted = m.kind == LegacyMismatch::kOrgCodeBody;
      l.subjects.push_back(RefOf(s));
      chunk.findings.push_back(std::move(l));
      ++f.finding_count;
    }
  }

  f.packable = packed.has_value();
  f.packed = packed.value_or(PackedUscc{});
  if (packed) {
    const size_t keys_before = chunk.keys.size();
    chunk.keys.emplace_back(NameKey(FoldedNameHash(s.name), f.region), false);
    s.ForEachFormerName([&](std::string_view former) {
      chunk.keys.emplace_back(NameKey(FoldedNameHash(former), f.region), true);
    });
    if (f.genuine) chunk.keys.emplace_back(OrgKey(s.code.substr(8, 9)), false);
    if (!s.org_code.empty()) {
      const LegacyResult o = ValidateOrgCode(s.org_code);
      if (o.ok() && (!f.genuine || o.canonical != s.code.substr(8, 9))) {
        chunk.keys.emplace_back(OrgKey(o.canonical), false);
      }
    }
    if (auto r = RegNoOf(s.reg_no))
      chunk.keys.emplace_back(RegNoKey(*r), false);
    f.key_count = static_cast<uint32_t>(chunk.keys.size() - keys_before);
  }
  chunk.subjects.push_back(f);
}

}  // namespace

std::string_view DupKindName(DupKind kind) {
  const auto i = static_cast<size_t>(kind);
  return i < std::size(kKindTable) ? kKindTable[i].name : "unknown";
}

std::string_view DupKindLabel(DupKind kind) {
  const auto i = static_cast<size_t>(kind);
  return i < std::size(kKindTable) ? kKindTable[i].label : "?";
}

std::optional<DupKind> ParseDupKind(std::string_view name) {
  for (const KindRow& row : kKindTable) {
    if (row.name == name) return row.kind;
  }
  return std::nullopt;
}

bool CountsTowardRate(DupKind kind) {
  const auto i = static_cast<size_t>(kind);
  return i < std::size(kKindTable) && kKindTable[i].counts;
}

std::string_view RegionLevelName(RegionLevel level) {
  switch (level) {
    case RegionLevel::kProvince:
      return "province";
    case RegionLevel::kCity:
      return "city";
    case RegionLevel::kCounty:
      return "county";
  }
  return "unknown";
}

std::string_view WriteFlagKindName(WriteFlag::Kind kind) {
  switch (kind) {
    case WriteFlag::Kind::kErroneousCode:
      return "erroneous_code";
    case WriteFlag::Kind::kCodeShared:
      return "code_shared";
    case WriteFlag::Kind::kLegacyMismatch:
      return "legacy_mismatch";
  }
  return "unknown";
}

uint64_t FoldedNameHash(std::string_view name) {
  uint64_t h = kFnvOffset;
  auto put = [&h](unsigned char c) {
    h ^= c;
    h *= kFnvPrime;
  };
  // Emits an ASCII character after folding; drops spaces and punctuation.
  auto ascii = [&put](unsigned char c) {
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    if (c == '[' || c == '{' || c == '<') c = '(';
    if (c == ']' || c == '}' || c == '>') c = ')';
    const bool keep = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                      c == '(' || c == ')';
    if (keep) put(c);
  };
  const auto* p = reinterpret_cast<const unsigned char*>(name.data());
  const auto* end = p + name.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ascii(c);
      ++p;
      continue;
    }
    // Fast path for most of a Chinese name: a lead byte 0xE4-0xE9 (U+4000 to
    // U+9FFF, CJK ideographs) is never folded, so its three bytes are hashed
    // as the general path below would hash them.
    if (c >= 0xE4 && c <= 0xE9 && end - p >= 3) {
      put(p[0]);
      put(p[1]);
      put(p[2]);
      p += 3;
      continue;
    }
    // Decode one UTF-8 sequence; an invalid byte is hashed as is.
    uint32_t cp = 0;
    int len = 0;
    if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      len = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      len = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      len = 4;
    }
    if (len == 0 || end - p < len) {
      put(c);
      ++p;
      continue;
    }
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (p[k] & 0x3F);
    if (cp >= 0xFF01 && cp <= 0xFF5E) {  // full-width ASCII
      ascii(static_cast<unsigned char>(cp - 0xFF01 + 0x21));
    } else if (cp == 0x3000 || cp == 0x00A0 || cp == 0x00B7 ||
               (cp >= 0x2000 && cp <= 0x206F &&
                cp != 0x2026) ||  // spaces, quotes, dashes, ZWSP
               cp == 0x3001 ||
               cp == 0x3002 || cp == 0x30FB || cp == 0xFEFF) {
      // dropped: white space and punctuation
    } else if (cp == 0x3010 || cp == 0x3014 || cp == 0x3008 || cp == 0x300A ||
               cp == 0x3016) {
      put('(');
    } else if (cp == 0x3011 || cp == 0x3015 || cp == 0x3009 || cp == 0x300B ||
               cp == 0x3017) {
      put(')');
    } else {
      for (int k = 0; k < len; ++k) put(p[k]);
    }
    p += len;
  }
  return h;
}

std::optional<std::string> DefaultSameSubject(const Subject& a,
                                              const Subject& b) {
  const uint64_t ha = FoldedNameHash(a.name), hb = FoldedNameHash(b.name);
  if (ha == hb) return std::string("same name");
  for (const std::string& f : a.former_names) {
    if (FoldedNameHash(f) == hb) {
      return "former name '" + f + "' of " + a.id + " is the name of " + b.id;
    }
  }
  for (const std::string& f : b.former_names) {
    if (FoldedNameHash(f) == ha) {
      return "former name '" + f + "' of " + b.id + " is the name of " + a.id;
    }
  }
  return std::nullopt;
}

DupReport ScanDuplicates(const Registry& registry, const ScanOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const SameSubjectFn same =
      options.same_subject ? options.same_subject : DefaultSameSubject;
  DupReport report;
  report.bar = options.bar;
  const uint64_t total_subjects = registry.subject_count();
  const uint64_t every = std::max<uint64_t>(options.progress_every, 1);

  // ---- Phase 1: one pass over the subjects. ----
  // The hot loop allocates only for findings (rare): validation, the code
  // count and the keys work on views into the encoded subject.
  absl::flat_hash_map<uint32_t, DupBucket> counties;
  std::array<DupBucket, 256> authorities{};
  // Codes carried by 2+ subjects: where the code was counted, and its
  // erroneous_code finding if any.
  struct Shared {
    Attribution at;
    int64_t erroneous = -1;
    bool valid = false;
  };
  absl::flat_hash_map<std::string, Shared> shared;
  std::vector<PackedUscc> codes;  // by ordinal; zero for unpackable codes
  codes.reserve(total_subjects);
  KeyTable keys(total_subjects * 2 + 1024);
  struct Pair {
    uint32_t a, b;
  };
  std::vector<Pair> pairs;
  std::vector<DupFinding>& findings = report.findings;
  uint64_t ordinal = 0;

  // Key inserts are buffered and their home slots prefetched together, so
  // that the cache misses of a batch overlap instead of queueing (at 10M
  // subjects the table is far larger than the cache). Order is preserved.
  struct PendingKey {
    uint64_t key;
    uint32_t ord;
    bool former;
  };
  std::array<PendingKey, 32> pending;
  size_t pending_n = 0;
  auto flush_keys = [&] {
    for (size_t k = 0; k < pending_n; ++k) keys.Prefetch(pending[k].key);
    for (size_t k = 0; k < pending_n; ++k) {
      const PendingKey& p = pending[k];
      auto hit = keys.InsertOrFind(p.key, p.ord, p.former);
      if (!hit || hit->ordinal == p.ord || (hit->former && p.former)) continue;
      if (codes[hit->ordinal] == codes[p.ord]) continue;  // same code: 重码
      pairs.push_back({hit->ordinal, p.ord});
    }
    pending_n = 0;
  };
  auto insert_key = [&](uint64_t key, uint32_t ord, bool former) {
    pending[pending_n++] = {key, ord, former};
    if (pending_n == pending.size()) flush_keys();
  };

  // The subjects in chunks of base slots: workers decode (without
  // allocating), validate, look up the code count and compute the keys; this
  // thread takes the chunks in scan order for what depends on that order
  // (the first holder of a code and of a key, the table inserts).
  const unsigned workers = options.threads <= 1 ? 0 : options.threads;
  const size_t per_chunk = std::max<size_t>(options.chunk_subjects, 1);
  const size_t subject_parts =
      std::clamp<size_t>(total_subjects / per_chunk, 1, 4096);
  Pipeline<SubjectChunk>(
      subject_parts, workers, 4 * std::max(workers, 1u),
      [&](size_t part, SubjectChunk& chunk) {
        registry.ForEachSubjectView(
            part, subject_parts,
            [&](const SubjectView& s) { SubjectFactsOf(registry, s, chunk); });
      },
      [&](SubjectChunk& chunk) {
        size_t key = 0, finding = 0;
        for (const SubjectFacts& f : chunk.subjects) {
          const uint32_t ord = static_cast<uint32_t>(ordinal++);
          const Attribution at{f.region, f.authority};
          // Distinct codes: a code carried once is counted here; a shared
          // code only at its first holder.
          bool first = true;
          Shared* sh = nullptr;
          if (f.shared) {
            auto [it, inserted] = shared.try_emplace(std::string(f.code));
            first = inserted;
            sh = &it->second;
            if (inserted) {
              sh->at = at;
              sh->valid = f.genuine;
            }
          }
          if (first) {
            ++counties[at.region].codes;
            ++authorities[static_cast<unsigned char>(at.authority)].codes;
            ++report.total.codes;
          }
          for (uint32_t k = 0; k < f.finding_count; ++k) {
            DupFinding& df = chunk.findings[finding++];
            // One erroneous_code finding per distinct code, listing every
            // holder.
            if (df.kind == DupKind::kErroneousCode && sh != nullptr) {
              if (sh->erroneous >= 0) {
                for (DupSubjectRef& r : df.subjects) {
                  findings[sh->erroneous].subjects.push_back(std::move(r));
                }
                continue;
              }
              sh->erroneous = static_cast<int64_t>(findings.size());
            }
            findings.push_back(std::move(df));
          }
          codes.push_back(f.packed);
          if (f.packable && ord <= KeyTable::kMaxOrdinal) {
            for (uint32_t k = 0; k < f.key_count; ++k) {
              insert_key(chunk.keys[key + k].first, ord,
                         chunk.keys[key + k].second);
            }
          }
          key += f.key_count;
          if (options.progress && ordinal % every == 0) {
            options.progress("subjects", ordinal, total_subjects);
          }
        }
      });
  flush_keys();
  report.stats.subjects = ordinal;
  if (options.progress) options.progress("subjects", ordinal, total_subjects);

  // ---- Phase 1b: records, by content without the id and the source. ----
  absl::flat_hash_set<uint64_t> contents;
  contents.reserve(registry.record_count());
  absl::flat_hash_set<std::string> repeated_record_codes;
  uint64_t records = 0;
  const uint64_t total_records = registry.record_count();
  const size_t record_parts =
      std::clamp<size_t>(total_records / per_chunk, 1, 4096);
  Pipeline<RecordChunk>(
      record_parts, workers, 4 * std::max(workers, 1u),
      [&](size_t part, RecordChunk& chunk) {
        registry.ForEachRecordView(
            part, record_parts, [&](const RecordView& r) {
              chunk.contents.emplace_back(RecordContentHash(r), r.code);
            });
      },
      [&](RecordChunk& chunk) {
        for (const auto& [hash, code] : chunk.contents) {
          ++records;
          if (!contents.insert(hash).second) {
            repeated_record_codes.emplace(code);
          }
          if (options.progress && records % every == 0) {
            options.progress("records", records, total_records);
          }
        }
      });
  if (options.progress) options.progress("records", records, total_records);
  report.stats.records = records;
  report.stats.table_bytes =
      keys.bytes() + codes.capacity() * sizeof(PackedUscc) +
      contents.capacity() * (sizeof(uint64_t) + 1) +
      shared.capacity() * (sizeof(std::string) + sizeof(Shared) + 1);

  // ---- Phase 2: confirm the candidates on the real data. ----
  // Shared codes: cluster the holders into "same subject" groups.
  std::vector<std::string> shared_codes;
  for (const auto& [code, sh] : shared) {
    if (sh.valid) shared_codes.push_back(code);
  }
  std::sort(shared_codes.begin(), shared_codes.end());
  for (const std::string& code : shared_codes) {
    const std::vector<Subject> holders = registry.SubjectsByCode(code);
    if (holders.size() < 2) continue;
    Clusters clusters(holders.size());
    std::vector<std::string> evidence;
    for (size_t i = 0; i < holders.size(); ++i) {
      for (size_t j = i + 1; j < holders.size(); ++j) {
        if (auto e = same(holders[i], holders[j])) {
          clusters.Union(i, j);
          evidence.push_back(holders[i].id + " ~ " + holders[j].id + ": " + *e);
        }
      }
    }
    std::map<size_t, std::vector<size_t>> groups;
    for (size_t i = 0; i < holders.size(); ++i) {
      groups[clusters.Find(i)].push_back(i);
    }
    if (groups.size() >= 2) {
      DupFinding f;
      f.kind = DupKind::kDuplicateCode;
      f.codes = {code};
      f.counted = true;
      std::string names;
      for (const auto& [root, members] : groups) {
        if (!names.empty()) names += " vs ";
        names += JoinNames(holders, {members.front()});
      }
      f.reason = absl::StrFormat(
          "%d subjects that are %d different subjects share one code: %s",
          holders.size(), groups.size(), names);
      for (const Subject& s : holders) f.subjects.push_back(RefOf(s));
      findings.push_back(std::move(f));
    }
    for (const auto& [root, members] : groups) {
      if (members.size() < 2) continue;
      DupFinding f;
      f.kind = DupKind::kRepeatedSubject;
      f.codes = {code};
      f.reason = absl::StrFormat(
          "the same subject reported %d times under different ids: %s",
          members.size(), JoinNames(holders, members));
      for (size_t m : members) f.subjects.push_back(RefOf(holders[m]));
      findings.push_back(std::move(f));
    }
  }

  // Key collisions between different codes: 一主体多码 candidates.
  report.stats.candidates = pairs.size();
  {
    absl::flat_hash_map<std::string, std::vector<Subject>> by_code;
    auto holders_of = [&](uint32_t ord) -> const std::vector<Subject>& {
      const std::string code = UnpackUscc(codes[ord]);
      auto it = by_code.find(code);
      if (it == by_code.end()) {
        it = by_code.emplace(code, registry.SubjectsByCode(code)).first;
      }
      return it->second;
    };
    std::vector<Subject> nodes;
    absl::flat_hash_map<std::string, size_t> node_of;  // id -> node
    std::vector<std::pair<std::pair<size_t, size_t>, std::string>> links;
    auto node = [&](const Subject& s) {
      auto [it, inserted] = node_of.try_emplace(s.id, nodes.size());
      if (inserted) nodes.push_back(s);
      return it->second;
    };
    uint64_t done = 0;
    for (const Pair& p : pairs) {
      const std::vector<Subject> xs = holders_of(p.a);
      const std::vector<Subject>& ys = holders_of(p.b);
      for (const Subject& x : xs) {
        for (const Subject& y : ys) {
          if (x.id == y.id || x.code == y.code) continue;
          if (auto e = MultiCodeEvidence(x, y, same)) {
            links.push_back(
                {{node(x), node(y)}, x.id + " ~ " + y.id + ": " + *e});
          }
        }
      }
      if (options.progress && ++done % 4096 == 0) {
        options.progress("confirm", done, pairs.size());
      }
    }
    Clusters clusters(nodes.size());
    for (const auto& [ends, why] : links)
      clusters.Union(ends.first, ends.second);
    std::map<size_t, std::vector<size_t>> groups;
    for (size_t i = 0; i < nodes.size(); ++i) {
      groups[clusters.Find(i)].push_back(i);
    }
    std::map<size_t, std::vector<std::string>> reasons;
    for (const auto& [ends, why] : links) {
      reasons[clusters.Find(ends.first)].push_back(why);
    }
    for (auto& [root, members] : groups) {
      std::vector<std::string> group_codes;
      for (size_t m : members) group_codes.push_back(nodes[m].code);
      std::sort(group_codes.begin(), group_codes.end());
      group_codes.erase(std::unique(group_codes.begin(), group_codes.end()),
                        group_codes.end());
      if (group_codes.size() < 2) continue;
      DupFinding f;
      f.kind = DupKind::kMultiCode;
      f.codes = group_codes;
      f.counted = true;
      std::vector<std::string>& why = reasons[root];
      std::sort(why.begin(), why.end());
      why.erase(std::unique(why.begin(), why.end()), why.end());
      f.reason =
          absl::StrFormat("one subject under %d codes: ", group_codes.size());
      for (size_t i = 0; i < why.size(); ++i) {
        if (i > 0) f.reason += "; ";
        f.reason += why[i];
      }
      std::sort(members.begin(), members.end(), [&](size_t a, size_t b) {
        return nodes[a].code < nodes[b].code ||
               (nodes[a].code == nodes[b].code && nodes[a].id < nodes[b].id);
      });
      for (size_t m : members) f.subjects.push_back(RefOf(nodes[m]));
      findings.push_back(std::move(f));
    }
    if (options.progress) options.progress("confirm", done, pairs.size());
  }

  // Repeated records: same content under different ids.
  std::vector<std::string> rr_codes(repeated_record_codes.begin(),
                                    repeated_record_codes.end());
  std::sort(rr_codes.begin(), rr_codes.end());
  for (const std::string& code : rr_codes) {
    std::vector<Record> recs = registry.RecordsByCode(code);
    std::vector<bool> used(recs.size(), false);
    for (size_t i = 0; i < recs.size(); ++i) {
      if (used[i]) continue;
      std::vector<size_t> group = {i};
      for (size_t j = i + 1; j < recs.size(); ++j) {
        if (!used[j] && SameRecordContent(recs[i], recs[j])) {
          used[j] = true;
          group.push_back(j);
        }
      }
      if (group.size() < 2) continue;
      DupFinding f;
      f.kind = DupKind::kRepeatedRecord;
      f.codes = {code};
      f.reason = absl::StrFormat(
          "the same %s record (doc_no '%s') reported %d times under different "
          "ids",
          recs[i].list, recs[i].doc_no, group.size());
      for (size_t g : group) {
        const Record& r = recs[g];
        f.records.push_back({r.id, r.code, r.list, r.doc_no, r.source});
      }
      for (const Subject& s : registry.SubjectsByCode(code)) {
        f.subjects.push_back(RefOf(s));
      }
      findings.push_back(std::move(f));
    }
  }

  // ---- Attribution and the rate. ----
  // A code's bucket is where the denominator counted it: its first holder's
  // region (shared codes) or its only holder's region.
  auto attribute = [&](const std::string& code,
                       const DupFinding& f) -> Attribution {
    if (auto it = shared.find(code); it != shared.end()) return it->second.at;
    for (const DupSubjectRef& s : f.subjects) {
      if (s.code == code) {
        Subject tmp;
        tmp.code = s.code;
        tmp.region = s.region;
        return {RegionOf(tmp), AuthorityOf(code)};
      }
    }
    Subject tmp;
    tmp.code = code;
    return {RegionOf(tmp), AuthorityOf(code)};
  };
  absl::flat_hash_map<std::string, Attribution> flagged;
  for (DupFinding& f : findings) {
    const Attribution at = attribute(f.codes.front(), f);
    f.region = at.region;
    f.authority = at.authority;
    ++counties[at.region].by_kind[static_cast<int>(f.kind)];
    ++authorities[static_cast<unsigned char>(at.authority)]
          .by_kind[static_cast<int>(f.kind)];
    ++report.total.by_kind[static_cast<int>(f.kind)];
    if (!f.counted) continue;
    for (const std::string& code : f.codes) {
      // A code no live subject carries cannot be in the numerator.
      if (registry.CountByCode(code) == 0) continue;
      flagged.try_emplace(code, attribute(code, f));
    }
  }
  for (const auto& [code, at] : flagged) {
    ++counties[at.region].flagged;
    ++authorities[static_cast<unsigned char>(at.authority)].flagged;
    ++report.total.flagged;
  }

  // Roll counties up to cities and provinces.
  std::map<std::pair<int, uint32_t>, DupBucket> levels;
  auto add = [](DupBucket& to, const DupBucket& from) {
    to.codes += from.codes;
    to.flagged += from.flagged;
    for (int k = 0; k < static_cast<int>(DupKind::kCount); ++k) {
      to.by_kind[k] += from.by_kind[k];
    }
  };
  for (const auto& [code, bucket] : counties) {
    add(levels[{0, code / 10000 * 10000}], bucket);
    add(levels[{1, code / 100 * 100}], bucket);
    add(levels[{2, code}], bucket);
  }
  for (const auto& [key, bucket] : levels) {
    RegionRate r;
    r.level = static_cast<RegionLevel>(key.first);
    r.code = key.second;
    r.name = RegionName(r.level, r.code);
    r.counts = bucket;
    r.over_bar = bucket.rate() > options.bar;
    report.regions.push_back(std::move(r));
  }
  for (int a = 0; a < 256; ++a) {
    const DupBucket& b = authorities[a];
    if (b.codes == 0 && b.flagged == 0) continue;
    AuthorityRate r;
    r.authority = static_cast<char>(a);
    const std::string_view name = AuthorityName(r.authority);
    r.name = name.empty() ? "未知" : std::string(name);
    r.counts = b;
    r.over_bar = b.rate() > options.bar;
    report.authorities.push_back(std::move(r));
  }

  std::stable_sort(findings.begin(), findings.end(),
                   [](const DupFinding& a, const DupFinding& b) {
                     if (a.kind != b.kind) return a.kind < b.kind;
                     return a.codes.front() < b.codes.front();
                   });
  report.stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return report;
}

absl::Status ValidateRegionPrefix(std::string_view prefix) {
  if (prefix.empty()) return absl::OkStatus();
  const bool digits = std::all_of(prefix.begin(), prefix.end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
  if (prefix.size() > 6 || !digits) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "region_prefix: '%s' is not 1-6 digits of a division code (e.g. 35, "
        "3501, 350102)",
        EscapeForDisplay(prefix, 32)));
  }
  return absl::OkStatus();
}

bool FindingInRegion(const DupFinding& finding, std::string_view prefix) {
  if (prefix.empty()) return true;
  if (absl::StrFormat("%06u", finding.region).starts_with(prefix)) return true;
  for (const DupSubjectRef& s : finding.subjects) {
    if (s.region.starts_with(prefix)) return true;
  }
  return false;
}

bool RegionRateInPrefix(const RegionRate& rate, std::string_view prefix) {
  if (prefix.empty()) return true;
  // The significant digits of the row: 2 for a province, 4 for a city.
  std::string sig = absl::StrFormat("%06u", rate.code);
  if (rate.level == RegionLevel::kProvince) sig.resize(2);
  if (rate.level == RegionLevel::kCity) sig.resize(4);
  return sig.starts_with(prefix) || prefix.starts_with(sig);
}

std::vector<WriteFlag> CheckWriteBatch(const Registry& snapshot,
                                       const WriteBatch& batch) {
  std::vector<WriteFlag> flags;
  // Ids whose stored subject this batch deletes or rewrites: they no longer
  // hold their old code once the batch lands.
  absl::flat_hash_set<std::string_view> rewritten;
  for (const std::string& id : batch.delete_subjects) rewritten.insert(id);
  for (const Subject& s : batch.upsert_subjects) rewritten.insert(s.id);
  for (const Subject& s : batch.insert_subjects) rewritten.insert(s.id);
  // Codes written earlier in this batch -> the subject that wrote them.
  absl::flat_hash_map<std::string, const Subject*> in_batch;

  auto check_subject = [&](const Subject& s, WriteFlag::Source source,
                           size_t index) {
    const UsccResult v = ValidateUscc(s.code);
    const std::string_view code =
        v.folded_truncated() ? std::string_view(s.code) : v.canonical();
    if (!v.ok()) {
      WriteFlag f;
      f.kind = WriteFlag::Kind::kErroneousCode;
      f.source = source;
      f.index = index;
      f.code = std::string(code);
      f.fault = std::string(UsccFaultName(v.fault()));
      f.reason = v.Describe();
      f.known_legacy_exception = v.known_legacy_exception();
      flags.push_back(std::move(f));
    }
    WriteFlag shared;
    const uint64_t name_hash = FoldedNameHash(s.name);
    auto add_other = [&](const Subject& o) {
      shared.others.push_back(RefOf(o));
      if (FoldedNameHash(o.name) == name_hash) shared.same_name = true;
    };
    if (snapshot.CountByCode(code) > 0) {
      for (const Subject& o : snapshot.SubjectsByCode(code)) {
        if (o.id != s.id && !rewritten.contains(o.id)) add_other(o);
      }
    }
    auto [it, inserted] = in_batch.try_emplace(std::string(code), &s);
    if (!inserted && it->second->id != s.id) add_other(*it->second);
    if (!shared.others.empty()) {
      shared.kind = WriteFlag::Kind::kCodeShared;
      shared.source = source;
      shared.index = index;
      shared.code = std::string(code);
      shared.fault = shared.same_name ? "same_name" : "different_name";
      shared.reason = absl::StrFormat(
          "code %s is already carried by %d other subject(s), first '%s' "
          "(id %s)",
          code, shared.others.size(), shared.others.front().name,
          shared.others.front().id);
      flags.push_back(std::move(shared));
    }
    if ((!s.org_code.empty() || !s.reg_no.empty()) &&
        code.size() == kUsccLength && PackUscc(code)) {
      for (LegacyMismatch& m : CrossCheckLegacy(code, s.org_code, s.reg_no)) {
        WriteFlag f;
        f.kind = WriteFlag::Kind::kLegacyMismatch;
        f.source = source;
        f.index = index;
        f.code = std::string(code);
        f.fault = m.kind == LegacyMismatch::kOrgCodeBody
                      ? "org_code_body"
                      : "registration_region";
        f.reason = std::move(m.detail);
        flags.push_back(std::move(f));
      }
    }
  };
  auto check_record = [&](const Record& r, WriteFlag::Source source,
                          size_t index) {
    const UsccResult v = ValidateUscc(r.code);
    if (v.ok()) return;
    WriteFlag f;
    f.kind = WriteFlag::Kind::kErroneousCode;
    f.source = source;
    f.index = index;
    f.code = std::string(v.canonical());
    f.fault = std::string(UsccFaultName(v.fault()));
    f.reason = v.Describe();
    f.known_legacy_exception = v.known_legacy_exception();
    flags.push_back(std::move(f));
  };
  for (size_t i = 0; i < batch.upsert_subjects.size(); ++i) {
    check_subject(batch.upsert_subjects[i], WriteFlag::Source::kUpsertSubject,
                  i);
  }
  for (size_t i = 0; i < batch.insert_subjects.size(); ++i) {
    check_subject(batch.insert_subjects[i], WriteFlag::Source::kInsertSubject,
                  i);
  }
  for (size_t i = 0; i < batch.put_records.size(); ++i) {
    check_record(batch.put_records[i], WriteFlag::Source::kPutRecord, i);
  }
  for (size_t i = 0; i < batch.insert_records.size(); ++i) {
    check_record(batch.insert_records[i], WriteFlag::Source::kInsertRecord, i);
  }
  return flags;
}

}  // namespace creditd
