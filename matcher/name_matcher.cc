#include "matcher/name_matcher.h"

#include "matcher/ngram.h"
#include "matcher/pinyin.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace creditd {
namespace {

// Key families weigh differently: a whole trade name or a character bigram
// says more than one character or one pair of syllables.
double FamilyWeight(uint64_t key) {
  switch (key >> 56) {
    case 1:
      return 1.0;  // unigram
    case 2:
      return 1.5;  // bigram
    case 3:
      return 1.2;  // pinyin bigram
    case 4:
      return 3.0;  // whole trade name or one of its deletion variants
    case 5:
      return 2.5;  // the trade name's syllables
  }
  return 1.0;
}

// Parses "350102" into 350102; 0 for empty or malformed (no region).
uint32_t ParseRegion(std::string_view region) {
  if (region.size() != 6) return 0;
  uint32_t v = 0;
  for (char c : region) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

absl::Status ValidateOptions(const MatchOptions& o) {
  if (o.top_k < 1 || o.top_k > MatchOptions::kMaxTopK) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "top_k: %d not in 1..%d", o.top_k, MatchOptions::kMaxTopK));
  }
  if (o.max_candidates < 1 ||
      o.max_candidates > MatchOptions::kMaxCandidatesCeiling) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_candidates: %d not in 1..%d", o.max_candidates,
                        MatchOptions::kMaxCandidatesCeiling));
  }
  if (o.region_prefix.size() > 6) {
    return absl::InvalidArgumentError(
        absl::StrFormat("region_prefix: '%s' is not 1-6 digits",
                        o.region_prefix.substr(0, 16)));
  }
  for (char c : o.region_prefix) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(
          absl::StrFormat("region_prefix: '%s' is not 1-6 digits",
                          o.region_prefix.substr(0, 16)));
    }
  }
  if (!(o.max_key_fraction > 0.0 && o.max_key_fraction <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_key_fraction: %g not in (0, 1]", o.max_key_fraction));
  }
  if (!(o.min_score >= 0.0 && o.min_score <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("min_score: %g not in [0, 1]", o.min_score));
  }
  return absl::OkStatus();
}

// A slot's parts, encoded in NameIndex::parts_ as char32_t words:
//   [header][region][trade][industry][org_form][branch][refs...][chars...]
// header: normalized length (bits 0-9), region_refs count (10-17),
//   region_position (18-19), org_class (20-24);
// each part word: offset (low 16 bits) and length (high 16) into the chars,
//   which start with `normalized`; a part that is not a substring of it
//   (rare) is appended after it;
// each region ref: two words, code and (level | short_form << 8).
// Names are at most 256 code points after normalisation, so the fields fit.
constexpr size_t kPartCount = 5;

void EncodeParts(const NameParts& p, std::vector<char32_t>& out) {
  const size_t refs = std::min<size_t>(p.region_refs.size(), 255);
  out.push_back(
      static_cast<char32_t>(p.normalized.size() | (refs << 10) |
                            (static_cast<uint32_t>(p.region_position) << 18) |
                            (static_cast<uint32_t>(p.org_class) << 20)));
  const size_t part_words = out.size();
  out.resize(out.size() + kPartCount + 2 * refs);
  for (size_t i = 0; i < refs; ++i) {
    const matcher_internal::RegionRef& r = p.region_refs[i];
    out[part_words + kPartCount + 2 * i] = r.code;
    out[part_words + kPartCount + 2 * i + 1] = static_cast<char32_t>(
        static_cast<uint32_t>(r.level) | (r.short_form ? 0x100u : 0u));
  }
  const size_t chars = out.size();
  out.insert(out.end(), p.normalized.begin(), p.normalized.end());
  const std::u32string* parts[kPartCount] = {&p.region, &p.trade, &p.industry,
                                             &p.org_form, &p.branch};
  for (size_t i = 0; i < kPartCount; ++i) {
    const std::u32string& part = *parts[i];
    size_t off = part.empty() ? 0 : p.normalized.find(part);
    if (off == std::u32string::npos) {
      off = out.size() - chars;
      out.insert(out.end(), part.begin(), part.end());
    }
    out[part_words + i] = static_cast<char32_t>(off | (part.size() << 16));
  }
}

// Fills `p` (reusing its capacity) from the encoding at `w`.
void DecodeParts(const char32_t* w, NameParts& p) {
  const uint32_t header = w[0];
  const size_t norm = header & 0x3FF;
  const size_t refs = (header >> 10) & 0xFF;
  p.region_position = static_cast<RegionPosition>((header >> 18) & 0x3);
  p.org_class = static_cast<OrgForm>((header >> 20) & 0x1F);
  const char32_t* chars = w + 1 + kPartCount + 2 * refs;
  p.normalized.assign(chars, norm);
  std::u32string* parts[kPartCount] = {&p.region, &p.trade, &p.industry,
                                       &p.org_form, &p.branch};
  for (size_t i = 0; i < kPartCount; ++i) {
    const uint32_t word = w[1 + i];
    parts[i]->assign(chars + (word & 0xFFFF), word >> 16);
  }
  p.region_refs.resize(refs);
  for (size_t i = 0; i < refs; ++i) {
    p.region_refs[i].code = w[1 + kPartCount + 2 * i];
    const uint32_t v = w[1 + kPartCount + 2 * i + 1];
    p.region_refs[i].level =
        static_cast<matcher_internal::RegionLevel>(v & 0xFF);
    p.region_refs[i].short_form = (v & 0x100) != 0;
  }
}

}  // namespace

std::vector<uint64_t> NameKeys(const NameParts& parts) {
  std::vector<uint64_t> keys;
  const std::u32string core = parts.Core();
  const std::u32string& trade = parts.trade;
  keys.reserve(core.size() * 3 + trade.size() + 2);
  if (!trade.empty()) {
    keys.push_back(TradeKey(trade));
    // One-deletion neighbourhood (as in SymSpell) of trade name + industry:
    // a typo, a transposition or a dropped character leaves the query and
    // the registered name sharing a deletion variant, found through one
    // short list instead of intersecting long character lists. The industry
    // is included because a transposition or typo across the boundary
    // (锐明印刷 -> 锐印明刷) moves characters between the two parts, and a
    // two-character trade name has no useful deletions of its own. Capped at
    // kMaxDeletionCore characters (then the trade name alone, up to
    // kMaxDeletionTrade) to bound the keys per name.
    const std::u32string* base = nullptr;
    if (core.size() >= 3 && core.size() <= kMaxDeletionCore) {
      base = &core;
      if (core.size() != trade.size()) keys.push_back(TradeKey(core));
    } else if (trade.size() >= 3 && trade.size() <= kMaxDeletionTrade) {
      base = &trade;
    }
    if (base != nullptr) {
      std::u32string variant;
      for (size_t i = 0; i < base->size(); ++i) {
        variant.assign(*base, 0, i);
        variant.append(*base, i + 1, std::u32string::npos);
        keys.push_back(TradeKey(variant));
      }
    }
    // The trade name's syllables: homophone trade names share this key.
    std::u32string syllables;
    bool all = true;
    for (char32_t c : trade) {
      const SyllableId id = PinyinOf(c);
      all &= id != 0;
      syllables.push_back(static_cast<char32_t>(id));
    }
    if (all && trade.size() >= 2) keys.push_back(PinyinTradeKey(syllables));
  }
  ForEachNgram(
      core, [&](std::u32string_view gram) { keys.push_back(NgramKey(gram)); });
  for (size_t i = 0; i + 1 < core.size(); ++i) {
    const SyllableId a = PinyinOf(core[i]);
    const SyllableId b = PinyinOf(core[i + 1]);
    if (a != 0 && b != 0) keys.push_back(PinyinBigramKey(a, b));
  }
  return keys;
}

absl::StatusOr<std::unique_ptr<const NameIndex>> NameIndex::Build(
    std::vector<NameEntry> entries, NameIndexOptions options) {
  if (options.max_list_length < 1) {
    return absl::InvalidArgumentError("max_list_length: 0 not allowed");
  }
  absl::StatusOr<const Normalizer*> normalizer = Normalizer::Shared();
  if (!normalizer.ok()) return normalizer.status();

  std::unique_ptr<NameIndex> index(new NameIndex());
  index->normalizer_ = *normalizer;
  index->entries_.reserve(entries.size());
  index->slots_.reserve(entries.size() + entries.size() / 8);
  NameIndexStats& stats = index->stats_;
  stats.entries = entries.size();

  // Pass 1: normalise and split every name, keep the encoded parts; collect
  // the characters so that pinyin is transliterated in one batch.
  absl::flat_hash_set<char32_t> chars;
  for (NameEntry& e : entries) {
    const auto entry_index = static_cast<uint32_t>(index->entries_.size());
    index->entries_.push_back(
        Entry{e.id, ParseRegion(e.region), e.kind, e.status});
    const size_t former = e.former_names.size();
    const size_t count = 1 + std::min(former, options.max_former_names);
    stats.skipped_names += former - (count - 1);
    for (size_t k = 0; k < count; ++k) {
      std::string& name = k == 0 ? e.name : e.former_names[k - 1];
      absl::StatusOr<std::u32string> norm = index->normalizer_->Normalize(name);
      if (!norm.ok()) {
        ++stats.skipped_names;
        continue;
      }
      if (index->slots_.size() >= std::numeric_limits<uint32_t>::max() ||
          index->parts_.size() + 1024 >= std::numeric_limits<uint32_t>::max() ||
          index->text_.size() + name.size() >=
              std::numeric_limits<uint32_t>::max()) {
        return absl::InvalidArgumentError(
            "entries: more than 2^32-1 names or 4 GiB of name text");
      }
      for (char32_t c : *norm) {
        if (HasPinyinCoverage(c)) chars.insert(c);
      }
      Slot slot{entry_index, static_cast<uint32_t>(index->parts_.size()),
                static_cast<uint32_t>(index->text_.size()),
                static_cast<uint16_t>(name.size()), static_cast<uint8_t>(k)};
      EncodeParts(SplitName(*norm), index->parts_);
      index->text_ += name;
      index->slots_.push_back(slot);
    }
    // The caller's strings are no longer needed: free them as we go so that
    // the build does not hold the input and the index at once.
    std::string().swap(e.name);
    std::vector<std::string>().swap(e.former_names);
  }
  std::vector<NameEntry>().swap(entries);
  index->slots_.shrink_to_fit();
  index->parts_.shrink_to_fit();
  index->text_.shrink_to_fit();
  std::u32string all_chars(chars.begin(), chars.end());
  PrefetchPinyin(all_chars);

  // Pass 2: postings, counted then filled (Postings::BuildTwoPass).
  NameParts scratch;
  const NameIndex& ix = *index;
  index->postings_ = Postings::BuildTwoPass(
      static_cast<uint32_t>(index->slots_.size()),
      [&](uint32_t s, std::vector<uint64_t>& keys) {
        DecodeParts(ix.parts_.data() + ix.slots_[s].parts_offset, scratch);
        keys = NameKeys(scratch);
      },
      options.max_list_length);

  stats.names = index->slots_.size();
  stats.keys = index->postings_.key_count();
  stats.postings = index->postings_.posting_count();
  stats.dropped_keys = index->postings_.dropped_keys();
  stats.memory_bytes = index->postings_.MemoryBytes() +
                       index->entries_.capacity() * sizeof(Entry) +
                       index->slots_.capacity() * sizeof(Slot) +
                       index->parts_.capacity() * sizeof(char32_t) +
                       index->text_.capacity();
  return std::unique_ptr<const NameIndex>(std::move(index));
}

bool NameIndex::Passes(const Entry& e, const MatchOptions& options,
                       uint32_t prefix_value, uint32_t prefix_divisor) const {
  if (options.kind.has_value() && e.kind != *options.kind) return false;
  if (options.status.has_value() && e.status != *options.status) return false;
  if (prefix_divisor != 0) {
    if (e.region_code == 0 || e.region_code / prefix_divisor != prefix_value) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::vector<Candidate>> NameIndex::Match(
    std::string_view query, const MatchOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  absl::StatusOr<std::u32string> norm = normalizer_->Normalize(query);
  if (!norm.ok()) return norm.status();
  const NameParts qparts = SplitName(*norm);

  uint32_t prefix_value = 0, prefix_divisor = 0;
  if (!options.region_prefix.empty()) {
    prefix_divisor = 1;
    for (size_t i = options.region_prefix.size(); i < 6; ++i) {
      prefix_divisor *= 10;
    }
    prefix_value =
        ParseRegion(options.region_prefix +
                    std::string(6 - options.region_prefix.size(), '0')) /
        prefix_divisor;
  }
  const bool filtered = prefix_divisor != 0 || options.kind.has_value() ||
                        options.status.has_value();

  // Query keys, rarest first.
  std::vector<uint64_t> keys = NameKeys(qparts);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  struct QueryKey {
    std::span<const uint32_t> list;
    double weight;
  };
  std::vector<QueryKey> lists;
  lists.reserve(keys.size());
  const double n = static_cast<double>(std::max<size_t>(1, slots_.size()));
  for (uint64_t key : keys) {
    std::span<const uint32_t> list = postings_.Find(key);
    if (list.empty()) continue;
    const double idf = std::log(1.0 + n / static_cast<double>(list.size()));
    lists.push_back(QueryKey{list, idf * FamilyWeight(key)});
  }
  std::sort(lists.begin(), lists.end(),
            [](const QueryKey& a, const QueryKey& b) {
              return a.list.size() < b.list.size();
            });
  // In a small registry every key is "common"; the fraction only bites once
  // there are enough names for it to mean something.
  const size_t max_df =
      std::max<size_t>(256, static_cast<size_t>(options.max_key_fraction * n));

  absl::flat_hash_map<uint32_t, double> acc;
  acc.reserve(std::min<size_t>(options.max_postings_scanned, 1 << 16));
  size_t scanned = 0;
  for (const QueryKey& q : lists) {
    if (q.list.size() > max_df) break;
    std::span<const uint32_t> list = q.list;
    if (scanned + list.size() > options.max_postings_scanned) {
      // Rarest first, so every later list is longer: stop here, but never
      // come back empty-handed when the very first list is over the budget.
      if (scanned > 0) break;
      list = list.first(options.max_postings_scanned);
    }
    scanned += list.size();
    for (uint32_t slot : list) {
      if (filtered && !Passes(entries_[slots_[slot].entry], options,
                              prefix_value, prefix_divisor)) {
        continue;
      }
      acc[slot] += q.weight;
    }
  }

  // The best-supported slots, then full scoring.
  std::vector<std::pair<double, uint32_t>> pool;
  pool.reserve(acc.size());
  for (const auto& [slot, w] : acc) pool.emplace_back(w, slot);
  const size_t keep = std::min(pool.size(), options.max_candidates);
  std::partial_sort(pool.begin(), pool.begin() + static_cast<ptrdiff_t>(keep),
                    pool.end(), [](const auto& a, const auto& b) {
                      return a.first != b.first ? a.first > b.first
                                                : a.second < b.second;
                    });
  pool.resize(keep);

  // Score without explanations first (cheap), explain only the winners.
  struct Scored {
    double score;
    uint32_t slot;
  };
  absl::flat_hash_map<uint32_t, Scored> best;  // entry index -> best slot
  NameParts cparts;  // reused: decoding then only copies characters
  for (const auto& [support, slot_index] : pool) {
    const Slot& slot = slots_[slot_index];
    DecodeParts(parts_.data() + slot.parts_offset, cparts);
    const double score =
        ScoreValue(qparts, cparts, entries_[slot.entry].region_code);
    if (score < options.min_score) continue;
    auto [it, inserted] =
        best.try_emplace(slot.entry, Scored{score, slot_index});
    if (!inserted &&
        (it->second.score > score ||
         (it->second.score == score && it->second.slot < slot_index))) {
      continue;
    }
    it->second = Scored{score, slot_index};
  }
  std::vector<std::pair<uint32_t, Scored>> ranked(best.begin(), best.end());
  std::sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
    if (a.second.score != b.second.score)
      return a.second.score > b.second.score;
    return entries_[a.first].id < entries_[b.first].id;
  });
  if (ranked.size() > options.top_k) ranked.resize(options.top_k);
  std::vector<Candidate> out;
  out.reserve(ranked.size());
  for (const auto& [entry_index, scored] : ranked) {
    const Slot& slot = slots_[scored.slot];
    const Entry& entry = entries_[entry_index];
    DecodeParts(parts_.data() + slot.parts_offset, cparts);
    ScoreResult r = ScoreNames(qparts, cparts, entry.region_code);
    Candidate c;
    c.id = entry.id;
    c.score = r.score;
    c.same_subject_likely = r.score >= kSameSubjectThreshold;
    c.matched_name = text_.substr(slot.text_offset, slot.text_size);
    c.via_former_name = slot.name_index != 0;
    c.explanation = std::move(r.explanation);
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<Comparison> CompareNames(std::string_view given,
                                        std::string_view registered,
                                        std::string_view registered_region) {
  absl::StatusOr<const Normalizer*> normalizer = Normalizer::Shared();
  if (!normalizer.ok()) return normalizer.status();
  uint32_t code = 0;
  if (!registered_region.empty()) {
    code = ParseRegion(registered_region);
    if (code == 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("registered_region: '%s' is not six digits",
                          registered_region.substr(0, 16)));
    }
  }
  absl::StatusOr<std::u32string> a = (*normalizer)->Normalize(given);
  if (!a.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("given %s", a.status().message()));
  }
  absl::StatusOr<std::u32string> b = (*normalizer)->Normalize(registered);
  if (!b.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("registered %s", b.status().message()));
  }
  ScoreResult r = ScoreNames(SplitName(*a), SplitName(*b), code);
  Comparison c;
  c.score = r.score;
  c.same_subject_likely = r.score >= kSameSubjectThreshold;
  c.explanation = std::move(r.explanation);
  return c;
}

NameEntry NameEntryFor(const Subject& subject, uint32_t id) {
  NameEntry e;
  e.id = id;
  e.name = subject.name;
  e.former_names = subject.former_names;
  e.region = subject.region;
  e.kind = static_cast<uint8_t>(KindOfCode(subject.code));
  e.status = static_cast<uint8_t>(subject.status);
  return e;
}

}  // namespace creditd
