// In-memory postings: key -> sorted list of name slots, frozen after build.
//
// Keys are 64-bit; the top byte names the family so families never collide:
//   1 character unigram, 2 character bigram (ngram.h NgramKey)
//   3 pinyin syllable bigram (PinyinBigramKey)
//   4 hash of a trade name or of one of its deletion variants (TradeKey)
//   5 hash of a trade name's syllable sequence (PinyinTradeKey)
//
// Thread safety: a built Postings is immutable; any number of threads may
// call Find() at once. PostingsBuilder is single-threaded.
#ifndef CREDITD_MATCHER_POSTINGS_H_
#define CREDITD_MATCHER_POSTINGS_H_

#include "absl/container/flat_hash_map.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace creditd {

uint64_t PinyinBigramKey(uint16_t first, uint16_t second);
uint64_t TradeKey(std::u32string_view trade);
// `syllables` holds one SyllableId (pinyin.h) per character.
uint64_t PinyinTradeKey(std::u32string_view syllables);

class Postings {
 public:
  Postings() = default;

  // The slots posted under `key`, ascending, without duplicates; empty when
  // none. The span views into this object.
  std::span<const uint32_t> Find(uint64_t key) const;

  size_t key_count() const { return ranges_.size(); }
  size_t posting_count() const { return slots_.size(); }
  // Keys whose lists were too long to keep (see PostingsBuilder::Build).
  size_t dropped_keys() const { return dropped_keys_; }
  // Approximate heap bytes held (for the bytes-per-subject figure).
  size_t MemoryBytes() const;

  // Builds postings for slots 0..slot_count-1 in two passes over
  // `keys_of(slot, keys)` (which fills `keys`, duplicates allowed): the first
  // counts postings per key, the second writes each slot id once into its
  // place. Peak memory is the final 4 bytes per posting plus one counter per
  // key, instead of a 16-byte (key, slot) pair per posting to sort.
  // `keys_of` must return the same keys in both passes. Lists longer than
  // `max_list_length` are dropped as in PostingsBuilder::Build.
  static Postings BuildTwoPass(
      uint32_t slot_count,
      const std::function<void(uint32_t, std::vector<uint64_t>&)>& keys_of,
      size_t max_list_length);

 private:
  friend class PostingsBuilder;
  struct Range {
    uint32_t begin;
    uint32_t count;
  };
  absl::flat_hash_map<uint64_t, Range> ranges_;
  std::vector<uint32_t> slots_;
  size_t dropped_keys_ = 0;
};

class PostingsBuilder {
 public:
  // Slots must be added in non-decreasing order per key (the index adds slot
  // by slot, so this holds); a repeat of the last (key, slot) is ignored.
  void Add(uint64_t key, uint32_t slot);

  // Freezes into a Postings. Posting lists longer than `max_list_length` are
  // dropped entirely and only counted in `dropped_keys`: such keys (有限, 公司,
  // 科技 at national scale) select nothing and would only cost time; they are
  // counted in dropped_keys().
  Postings Build(size_t max_list_length) &&;

 private:
  std::vector<std::pair<uint64_t, uint32_t>> pairs_;
};

}  // namespace creditd

#endif  // CREDITD_MATCHER_POSTINGS_H_
