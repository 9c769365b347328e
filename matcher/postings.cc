#include "matcher/postings.h"

#include "absl/hash/hash.h"

#include <algorithm>

namespace creditd {

uint64_t PinyinBigramKey(uint16_t first, uint16_t second) {
  return (uint64_t{3} << 56) | (uint64_t{first} << 16) | second;
}

uint64_t TradeKey(std::u32string_view trade) {
  // absl::Hash is seeded per process, which is fine for in-memory postings;
  // a persistent store would need a stable hash.
  const uint64_t h = absl::Hash<std::u32string_view>()(trade);
  return (uint64_t{4} << 56) | (h & ((uint64_t{1} << 56) - 1));
}

uint64_t PinyinTradeKey(std::u32string_view syllables) {
  const uint64_t h = absl::Hash<std::u32string_view>()(syllables);
  return (uint64_t{5} << 56) | (h & ((uint64_t{1} << 56) - 1));
}

std::span<const uint32_t> Postings::Find(uint64_t key) const {
  auto it = ranges_.find(key);
  if (it == ranges_.end()) return {};
  return std::span<const uint32_t>(slots_.data() + it->second.begin,
                                   it->second.count);
}

size_t Postings::MemoryBytes() const {
  return slots_.capacity() * sizeof(uint32_t) +
         ranges_.capacity() * (sizeof(uint64_t) + sizeof(Range) + 1);
}

Postings Postings::BuildTwoPass(
    uint32_t slot_count,
    const std::function<void(uint32_t, std::vector<uint64_t>&)>& keys_of,
    size_t max_list_length) {
  std::vector<uint64_t> keys;
  const auto unique_keys = [&](uint32_t slot) {
    keys.clear();
    keys_of(slot, keys);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  };
  // Pass 1: count. Range::count holds the count, begin is set afterwards.
  Postings p;
  for (uint32_t slot = 0; slot < slot_count; ++slot) {
    unique_keys(slot);
    for (uint64_t key : keys) ++p.ranges_[key].count;
  }
  size_t total = 0;
  for (auto it = p.ranges_.begin(); it != p.ranges_.end();) {
    if (it->second.count > max_list_length) {
      ++p.dropped_keys_;
      p.ranges_.erase(it++);
      continue;
    }
    it->second.begin = static_cast<uint32_t>(total);
    total += it->second.count;
    it->second.count = 0;  // becomes the fill position in pass 2
    ++it;
  }
  // Pass 2: fill. Slots come in ascending order, so every list is sorted.
  p.slots_.resize(total);
  for (uint32_t slot = 0; slot < slot_count; ++slot) {
    unique_keys(slot);
    for (uint64_t key : keys) {
      auto it = p.ranges_.find(key);
      if (it == p.ranges_.end()) continue;  // dropped
      p.slots_[it->second.begin + it->second.count++] = slot;
    }
  }
  return p;
}

void PostingsBuilder::Add(uint64_t key, uint32_t slot) {
  pairs_.emplace_back(key, slot);
}

Postings PostingsBuilder::Build(size_t max_list_length) && {
  std::sort(pairs_.begin(), pairs_.end());
  pairs_.erase(std::unique(pairs_.begin(), pairs_.end()), pairs_.end());
  Postings p;
  size_t dropped = 0;
  size_t i = 0;
  while (i < pairs_.size()) {
    size_t j = i;
    while (j < pairs_.size() && pairs_[j].first == pairs_[i].first) ++j;
    if (j - i > max_list_length) {
      ++dropped;
    } else {
      const auto begin = static_cast<uint32_t>(p.slots_.size());
      for (size_t k = i; k < j; ++k) p.slots_.push_back(pairs_[k].second);
      p.ranges_.emplace(pairs_[i].first,
                        Postings::Range{begin, static_cast<uint32_t>(j - i)});
    }
    i = j;
  }
  p.slots_.shrink_to_fit();
  std::vector<std::pair<uint64_t, uint32_t>>().swap(pairs_);
  p.dropped_keys_ = dropped;
  return p;
}

}  // namespace creditd
