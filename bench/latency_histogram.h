// A latency histogram for the socket benches (loadgen, soak): log-linear, 64
// sub-buckets per power of two, so every quantile is within 1/64 of the
// true value; O(1) record, mergeable across threads (each thread keeps its
// own and merges at the end). Not thread-safe.
#ifndef CREDITD_BENCH_LATENCY_HISTOGRAM_H_
#define CREDITD_BENCH_LATENCY_HISTOGRAM_H_

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace creditd::bench {

class Histogram {
 public:
  static constexpr int kSub = 64;
  static constexpr int kExp = 40;
  void Record(uint64_t ns) {
    ++counts_[Index(ns)];
    ++total_;
    max_ = std::max(max_, ns);
  }
  void Merge(const Histogram& o) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    max_ = std::max(max_, o.max_);
  }
  uint64_t total() const { return total_; }
  uint64_t max() const { return max_; }
  // Upper edge of the bucket holding the q-quantile.
  uint64_t Quantile(double q) const {
    if (total_ == 0) return 0;
    uint64_t want = static_cast<uint64_t>(q * static_cast<double>(total_));
    if (want >= total_) want = total_ - 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen > want) return std::min(UpperEdge(i), max_);
    }
    return max_;
  }

 private:
  static size_t Index(uint64_t v) {
    if (v < kSub) return v;
    int e = std::bit_width(v) - 7;  // v >> e in [64, 128)
    size_t idx = static_cast<size_t>(e + 1) * kSub + ((v >> e) - kSub);
    return std::min(idx, static_cast<size_t>(kExp * kSub - 1));
  }
  static uint64_t UpperEdge(size_t i) {
    if (i < kSub) return i;
    uint64_t e = i / kSub - 1;
    return ((i % kSub + kSub + 1) << e) - 1;
  }
  std::vector<uint64_t> counts_ = std::vector<uint64_t>(kExp * kSub);
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

}  // namespace creditd::bench

#endif  // CREDITD_BENCH_LATENCY_HISTOGRAM_H_
