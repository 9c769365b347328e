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
      // The trade name's syllables. Less than the whole trade name: a query
      // whose trade name is exact also matches its syllables, and the two
      // together must not outweigh a longer shared core (FamilyWeight is
      // summed per name).
      return 1.5;
  }
  return 1.0;
}

// Lists beyond the budget whose in-region part is still read (see
// PostingsCandidates).
constexpr size_t kMaxRegionLists = 12;

// The scorer multiplies a different region by 0.55, more than a typo in a
// two-character trade name costs, so agreement weighs like a key family of
// its own (FamilyWeight).
constexpr double kRegionFactor = 2.0;
double RegionWeight(const std::vector<matcher_internal::RegionRef>& refs) {
  using matcher_internal::RegionLevel;
  RegionLevel level = RegionLevel::kNational;
  for (const matcher_internal::RegionRef& r : refs) {
    level = std::max(level, r.level);
  }
  switch (level) {
    case RegionLevel::kNational:
      return 0.0;
    case RegionLevel::kProvince:
      return kRegionFactor * std::log(1.0 + 34);
    case RegionLevel::kCity:
      return kRegionFactor * std::log(1.0 + 333);
    case RegionLevel::kCounty:
      return kRegionFactor * std::log(1.0 + 2850);
  }
  return 0.0;
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
//   region_position (18-19), org_class (20-24), lead_region (25-28);
// each part word: offset (low 16 bits) and length (high 16) into the chars,
//   which start with `normalized`; a part that is not a substring of it
//   (rare) is appended after it;
// each region ref: two words, code and (level | short_form << 8).
// Names are at most 256 code points after normalisation, so the fields fit.
constexpr size_t kPartCount = 5;

void EncodeParts(const NameParts& p, std::vector<char32_t>& out) {
  const size_t refs = std::min<size_t>(p.region_refs.size(), 255);
  out.push_back(static_cast<char32_t>(
      p.normalized.size() | (refs << 10) |
      (static_cast<uint32_t>(p.region_position) << 18) |
      (static_cast<uint32_t>(p.org_class) << 20) |
      (static_cast<uint32_t>(p.lead_region & 0xF) << 25)));
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
  p.lead_region = static_cast<uint8_t>((header >> 25) & 0xF);
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

namespace {

// NameKeys, and for each key the length in code points of the text a
// whole-string key (family 4: trade name, core, deletion variant) was made
// from, 0 for the other families: Match weighs a shared long string more
// than a shared short one.
void AppendNameKeys(const NameParts& parts, std::vector<uint64_t>& keys,
                    std::vector<uint8_t>* lengths) {
  const auto add = [&](uint64_t key, size_t length) {
    keys.push_back(key);
    if (lengths != nullptr) {
      lengths->push_back(static_cast<uint8_t>(std::min<size_t>(length, 255)));
    }
  };
  const auto add_trade = [&](std::u32string_view text) {
    add(TradeKey(text), text.size());
  };
  const std::u32string core = parts.Core();
  const std::u32string& trade = parts.trade;
  if (!trade.empty()) {
    add_trade(trade);
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
      if (core.size() != trade.size()) add_trade(core);
    } else if (trade.size() >= 3 && trade.size() <= kMaxDeletionTrade) {
      base = &trade;
    }
    if (base != nullptr) {
      std::u32string variant;
      for (size_t i = 0; i < base->size(); ++i) {
        variant.assign(*base, 0, i);
        variant.append(*base, i + 1, std::u32string::npos);
        add_trade(variant);
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
    if (all && trade.size() >= 2) add(PinyinTradeKey(syllables), 0);
    // The reading without a leading county short form (万年杰星 -> 杰星): a
    // query that dropped the region (杰星水产有限责任公司) meets the name
    // through its whole trade name or core, as it would had the region
    // been cut.
    if (parts.lead_region > 0 &&
        size_t{parts.lead_region} + 2 <= trade.size()) {
      const std::u32string_view t(trade), c(core);
      add_trade(t.substr(parts.lead_region));
      if (c.size() != t.size()) {
        add_trade(c.substr(parts.lead_region));
      }
    }
  }
  ForEachNgram(core, [&](std::u32string_view gram) { add(NgramKey(gram), 0); });
  for (size_t i = 0; i + 1 < core.size(); ++i) {
    const SyllableId a = PinyinOf(core[i]);
    const SyllableId b = PinyinOf(core[i + 1]);
    if (a != 0 && b != 0) add(PinyinBigramKey(a, b), 0);
  }
}

}  // namespace

std::vector<uint64_t> NameKeys(const NameParts& parts) {
  std::vector<uint64_t> keys;
  keys.reserve(parts.trade.size() * 4 + parts.industry.size() * 3 + 4);
  AppendNameKeys(parts, keys, nullptr);
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

  // Entries in order of registered region, so that the slots of one
  // division form one contiguous range (region_dir_): Match then tells
  // whether a candidate's region agrees with the query's by comparing its
  // slot number with a few bounds, without touching memory. The order is
  // otherwise internal (results are ranked by score, then caller id).
  std::vector<std::pair<uint32_t, uint32_t>> order;  // (region, input index)
  order.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    order.emplace_back(ParseRegion(entries[i].region),
                       static_cast<uint32_t>(i));
  }
  std::sort(order.begin(), order.end());

  // Pass 1: normalise and split every name, keep the encoded parts; collect
  // the characters so that pinyin is transliterated in one batch.
  absl::flat_hash_set<char32_t> chars;
  for (const auto& ordered : order) {
    NameEntry& e = entries[ordered.second];
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
  for (uint32_t i = 0; i < index->slots_.size(); ++i) {
    const uint32_t code = index->entries_[index->slots_[i].entry].region_code;
    if (index->region_dir_.empty() || index->region_dir_.back().first != code) {
      index->region_dir_.emplace_back(code, i);
    }
  }
  index->region_dir_.emplace_back(std::numeric_limits<uint32_t>::max(),
                                  static_cast<uint32_t>(index->slots_.size()));
  index->region_dir_.shrink_to_fit();

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

  if (options.lookup_by_id) {
    std::vector<uint32_t>& by_id = index->id_order_;
    by_id.resize(index->entries_.size());
    for (uint32_t i = 0; i < by_id.size(); ++i) by_id[i] = i;
    std::stable_sort(by_id.begin(), by_id.end(), [&](uint32_t a, uint32_t b) {
      return index->entries_[a].id < index->entries_[b].id;
    });
  }

  stats.names = index->slots_.size();
  stats.keys = index->postings_.key_count();
  stats.postings = index->postings_.posting_count();
  stats.dropped_keys = index->postings_.dropped_keys();
  stats.memory_bytes =
      index->postings_.MemoryBytes() +
      index->entries_.capacity() * sizeof(Entry) +
      index->slots_.capacity() * sizeof(Slot) +
      index->parts_.capacity() * sizeof(char32_t) + index->text_.capacity() +
      index->id_order_.capacity() * sizeof(uint32_t) +
      index->region_dir_.capacity() * sizeof(std::pair<uint32_t, uint32_t>);
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

std::vector<std::pair<uint32_t, uint32_t>> NameIndex::RegionSlots(
    const std::vector<matcher_internal::RegionRef>& refs) const {
  using matcher_internal::RegionLevel;
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  // Slots of the registered codes in [lo, hi).
  const auto add = [&](uint32_t lo, uint32_t hi) {
    const auto first = [&](uint32_t code) {
      auto it = std::lower_bound(
          region_dir_.begin(), region_dir_.end(), code,
          [](const auto& d, uint32_t c) { return d.first < c; });
      return it == region_dir_.end() ? static_cast<uint32_t>(slots_.size())
                                     : it->second;
    };
    const uint32_t begin = first(lo), end = first(hi);
    if (begin < end) ranges.emplace_back(begin, end);
  };
  // As RegionNames::RelateToCode: a ref and a registered code agree when
  // they are equal at the coarser of their two levels. So a ref covers
  // every code inside it, and the codes of the divisions containing it
  // (a subject registered only at city level, 441800, agrees with 清城区).
  for (const matcher_internal::RegionRef& r : refs) {
    const uint32_t province = r.code / 10000 * 10000;
    const uint32_t city = r.code / 100 * 100;
    switch (r.level) {
      case RegionLevel::kNational:
        break;
      case RegionLevel::kProvince:
        add(province, province + 10000);
        break;
      case RegionLevel::kCity:
        add(city, city + 100);
        add(province, province + 1);
        break;
      case RegionLevel::kCounty:
        add(r.code, r.code + 1);
        add(city, city + 1);
        add(province, province + 1);
        break;
    }
  }
  return ranges;
}

std::vector<uint32_t> NameIndex::PostingsCandidates(
    const NameParts& qparts, const MatchOptions& options, bool filtered,
    uint32_t prefix_value, uint32_t prefix_divisor) const {
  // Query keys, rarest first.
  std::vector<uint64_t> raw_keys;
  std::vector<uint8_t> lengths;
  AppendNameKeys(qparts, raw_keys, &lengths);
  // A two-character trade name's bigram and syllable bigram say nothing its
  // whole-trade-name and syllable keys do not: counting them again let
  // every name with that trade name and any industry (远优包装) outweigh the
  // subject of a typo that shares the longer core (远益服装 for 远优服装).
  // They stay posted: they find three-character trade names.
  uint64_t redundant[2] = {0, 0};
  if (qparts.trade.size() == 2) {
    redundant[0] = NgramKey(qparts.trade);
    const SyllableId a = PinyinOf(qparts.trade[0]);
    const SyllableId b = PinyinOf(qparts.trade[1]);
    if (a != 0 && b != 0) redundant[1] = PinyinBigramKey(a, b);
  }
  std::vector<std::pair<uint64_t, uint8_t>> keys;
  keys.reserve(raw_keys.size());
  for (size_t i = 0; i < raw_keys.size(); ++i) {
    if (raw_keys[i] == redundant[0] || raw_keys[i] == redundant[1]) continue;
    keys.emplace_back(raw_keys[i], lengths[i]);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end(),
                         [](const auto& a, const auto& b) {
                           return a.first == b.first;
                         }),
             keys.end());
  struct QueryKey {
    std::span<const uint32_t> list;
    double weight;
  };
  std::vector<QueryKey> lists;
  lists.reserve(keys.size());
  const double n = static_cast<double>(std::max<size_t>(1, slots_.size()));
  for (const auto& [key, length] : keys) {
    std::span<const uint32_t> list = postings_.Find(key);
    if (list.empty()) continue;
    const double idf = std::log(1.0 + n / static_cast<double>(list.size()));
    // A whole-string key of L characters (the trade name, the core or one of
    // its deletion variants) stands for the L - 1 bigrams it shares in
    // order: weigh it as that many keys. At 1M subjects the deletion key
    // 隆建筑工程 that a typo (隆达建筑工程 for 隆立建筑工程) leaves must
    // outweigh the four keys that the trade name 隆达 alone gives other
    // names (隆达物流: whole trade name, bigram, syllables, syllable bigram),
    // or the typo's subject misses the scored candidates.
    const double length_factor =
        std::max(1.0, static_cast<double>(length) - 1.0);
    lists.push_back(QueryKey{list, idf * FamilyWeight(key) * length_factor});
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
  const auto add = [&](std::span<const uint32_t> list, double weight) {
    for (uint32_t slot : list) {
      if (filtered && !Passes(entries_[slots_[slot].entry], options,
                              prefix_value, prefix_divisor)) {
        continue;
      }
      acc[slot] += weight;
    }
  };
  size_t scanned = 0;
  size_t next = 0;  // the first list not read in full
  for (; next < lists.size(); ++next) {
    const QueryKey& q = lists[next];
    if (q.list.size() > max_df) break;
    std::span<const uint32_t> list = q.list;
    if (scanned + list.size() > options.max_postings_scanned) {
      // Rarest first, so every later list is longer: stop here, but never
      // come back empty-handed when the very first list is over the budget.
      if (scanned > 0) break;
      list = list.first(options.max_postings_scanned);
    }
    scanned += list.size();
    add(list, q.weight);
  }
  // The lists left unread (over the budget, or too common) still tell the
  // names in the query's region apart: a typo's subject (娄底远益服装 for
  // 娄底远优服装) shares 远, 服装 and 远_服装 with the query, but at 1M those
  // lists are too long to read whole. Lists are sorted by slot and slots by
  // region, so the part of a list inside the region is one binary search
  // away: read just that, for the next kMaxRegionLists lists, within a
  // second max_postings_scanned budget.
  const std::vector<std::pair<uint32_t, uint32_t>> ranges =
      RegionSlots(qparts.region_refs);
  size_t in_region = 0;
  for (size_t i = next; i < lists.size() && i < next + kMaxRegionLists; ++i) {
    const std::span<const uint32_t> list = lists[i].list;
    for (const auto& [begin, end] : ranges) {
      const auto lo = std::lower_bound(list.begin(), list.end(), begin);
      const auto hi = std::lower_bound(lo, list.end(), end);
      const auto count = static_cast<size_t>(hi - lo);
      if (in_region + count > options.max_postings_scanned) break;
      in_region += count;
      add(list.subspan(static_cast<size_t>(lo - list.begin()), count),
          lists[i].weight);
    }
  }

  // The best-supported slots, then full scoring. Support alone ties every
  // name that shares the same keys: at 1M subjects a typo in a two-character
  // trade name leaves one deletion key shared by hundreds of names, and the
  // cut at max_candidates used to fall through them by slot order. The
  // query's region, when it names one, then tells them apart: slots whose
  // registered region agrees get the region's weight (RegionWeight) before
  // the cut. Slots are ordered by region (Build), so agreement is a test of
  // the slot number against a few ranges (RegionSlots).
  std::vector<std::pair<double, uint32_t>> pool;
  pool.reserve(acc.size());
  for (const auto& [slot, w] : acc) pool.emplace_back(w, slot);
  const auto by_support = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  const size_t keep = std::min(pool.size(), options.max_candidates);
  const double region_weight = RegionWeight(qparts.region_refs);
  if (region_weight > 0 && pool.size() > keep) {
    for (auto& [support, slot] : pool) {
      for (const auto& [begin, end] : ranges) {
        if (slot >= begin && slot < end) {
          support += region_weight;
          break;
        }
      }
    }
  }
  std::partial_sort(pool.begin(), pool.begin() + static_cast<ptrdiff_t>(keep),
                    pool.end(), by_support);
  pool.resize(keep);
  std::vector<uint32_t> slots;
  slots.reserve(pool.size());
  for (const auto& [support, slot] : pool) slots.push_back(slot);
  return slots;
}

absl::StatusOr<std::vector<uint32_t>> NameIndex::SourceCandidates(
    const NameParts& qparts, const MatchOptions& options,
    const CandidateSource& source, bool filtered, uint32_t prefix_value,
    uint32_t prefix_divisor) const {
  absl::StatusOr<std::vector<uint32_t>> ids =
      source.Candidates(qparts, options.max_candidates);
  if (!ids.ok()) return ids.status();
  std::vector<uint32_t> slots;
  for (const uint32_t id : *ids) {
    if (slots.size() >= options.max_candidates) break;
    // id_order_ holds entry indices sorted by caller id.
    auto it = std::lower_bound(
        id_order_.begin(), id_order_.end(), id,
        [this](uint32_t e, uint32_t v) { return entries_[e].id < v; });
    for (; it != id_order_.end() && entries_[*it].id == id; ++it) {
      const uint32_t entry = *it;
      if (filtered &&
          !Passes(entries_[entry], options, prefix_value, prefix_divisor)) {
        continue;
      }
      // Slots were appended entry by entry, so an entry's slots are
      // contiguous and ordered by entry.
      auto slot = std::lower_bound(
          slots_.begin(), slots_.end(), entry,
          [](const Slot& sl, uint32_t e) { return sl.entry < e; });
      for (; slot != slots_.end() && slot->entry == entry; ++slot) {
        slots.push_back(static_cast<uint32_t>(slot - slots_.begin()));
      }
    }
  }
  return slots;
}

absl::StatusOr<std::vector<Candidate>> NameIndex::Match(
    std::string_view query, const MatchOptions& options) const {
  return MatchImpl(query, options, nullptr);
}

absl::StatusOr<std::vector<Candidate>> NameIndex::Match(
    std::string_view query, const MatchOptions& options,
    const CandidateSource& source) const {
  if (id_order_.empty() && !entries_.empty()) {
    return absl::FailedPreconditionError(
        "match: this index was built without NameIndexOptions::lookup_by_id, "
        "so it cannot take candidates from a CandidateSource");
  }
  return MatchImpl(query, options, &source);
}

absl::StatusOr<std::vector<Candidate>> NameIndex::MatchImpl(
    std::string_view query, const MatchOptions& options,
    const CandidateSource* source) const {
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

  std::vector<uint32_t> pool;
  if (source == nullptr) {
    pool = PostingsCandidates(qparts, options, filtered, prefix_value,
                              prefix_divisor);
  } else {
    absl::StatusOr<std::vector<uint32_t>> from_source = SourceCandidates(
        qparts, options, *source, filtered, prefix_value, prefix_divisor);
    if (!from_source.ok()) return from_source.status();
    pool = *std::move(from_source);
  }

  // Score without explanations first (cheap), explain only the winners.
  struct Scored {
    double score;
    uint32_t slot;
  };
  absl::flat_hash_map<uint32_t, Scored> best;  // entry index -> best slot
  NameParts cparts;  // reused: decoding then only copies characters
  for (const uint32_t slot_index : pool) {
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
