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

}  // namespace

std::vector<uint64_t> NameKeys(const NameParts& parts) {
  std::vector<uint64_t> keys;
  const std::u32string core = parts.Core();
  const std::u32string& trade = parts.trade;
  keys.reserve(core.size() * 3 + trade.size() + 2);
  if (!trade.empty()) {
    keys.push_back(TradeKey(trade));
    // One-deletion neighbourhood of the trade name (as in SymSpell): a typo,
    // a transposition or a dropped character leaves the query and the
    // registered name sharing a deletion variant, found through one short
    // list instead of intersecting long character lists. Capped at
    // kMaxDeletionTrade characters to bound the keys per name.
    if (trade.size() >= 3 && trade.size() <= kMaxDeletionTrade) {
      for (size_t i = 0; i < trade.size(); ++i) {
        std::u32string variant = trade;
        variant.erase(i, 1);
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
  index->names_.reserve(entries.size());
  NameIndexStats& stats = index->stats_;
  stats.entries = entries.size();

  // Pass 1: normalise and split every name; collect the characters so that
  // pinyin is transliterated in one batch.
  absl::flat_hash_set<char32_t> chars;
  for (NameEntry& e : entries) {
    const auto entry_index = static_cast<uint32_t>(index->entries_.size());
    index->entries_.push_back(
        Entry{e.id, ParseRegion(e.region), e.kind, e.status});
    std::vector<std::string> names;
    names.reserve(1 +
                  std::min(e.former_names.size(), options.max_former_names));
    names.push_back(std::move(e.name));
    for (size_t k = 0; k < e.former_names.size(); ++k) {
      if (k >= options.max_former_names) {
        ++stats.skipped_names;
        continue;
      }
      names.push_back(std::move(e.former_names[k]));
    }
    for (size_t k = 0; k < names.size(); ++k) {
      absl::StatusOr<std::u32string> norm =
          index->normalizer_->Normalize(names[k]);
      if (!norm.ok()) {
        ++stats.skipped_names;
        continue;
      }
      if (index->slots_.size() >= std::numeric_limits<uint32_t>::max()) {
        return absl::InvalidArgumentError("entries: more than 2^32-1 names");
      }
      for (char32_t c : *norm) {
        if (HasPinyinCoverage(c)) chars.insert(c);
      }
      index->slots_.push_back(
          Slot{entry_index, static_cast<uint8_t>(k), SplitName(*norm)});
    }
    index->names_.push_back(std::move(names));
  }
  std::u32string all_chars(chars.begin(), chars.end());
  PrefetchPinyin(all_chars);

  // Pass 2: postings.
  PostingsBuilder builder;
  for (size_t s = 0; s < index->slots_.size(); ++s) {
    for (uint64_t key : NameKeys(index->slots_[s].parts)) {
      builder.Add(key, static_cast<uint32_t>(s));
    }
  }
  index->postings_ = std::move(builder).Build(options.max_list_length);

  stats.names = index->slots_.size();
  stats.keys = index->postings_.key_count();
  stats.postings = index->postings_.posting_count();
  stats.dropped_keys = index->postings_.dropped_keys();
  size_t bytes = index->postings_.MemoryBytes() +
                 index->entries_.capacity() * sizeof(Entry) +
                 index->slots_.capacity() * sizeof(Slot);
  for (const Slot& slot : index->slots_) {
    const NameParts& p = slot.parts;
    bytes +=
        (p.normalized.capacity() + p.region.capacity() + p.trade.capacity() +
         p.industry.capacity() + p.org_form.capacity() + p.branch.capacity()) *
            sizeof(char32_t) +
        p.region_refs.capacity() * sizeof(matcher_internal::RegionRef);
  }
  for (const auto& names : index->names_) {
    for (const std::string& n : names) bytes += n.capacity() + sizeof(n);
  }
  stats.memory_bytes = bytes;
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
  for (const auto& [support, slot_index] : pool) {
    const Slot& slot = slots_[slot_index];
    const double score =
        ScoreValue(qparts, slot.parts, entries_[slot.entry].region_code);
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
    ScoreResult r = ScoreNames(qparts, slot.parts, entry.region_code);
    Candidate c;
    c.id = entry.id;
    c.score = r.score;
    c.same_subject_likely = r.score >= kSameSubjectThreshold;
    c.matched_name = names_[entry_index][slot.name_index];
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

}  // namespace creditd
