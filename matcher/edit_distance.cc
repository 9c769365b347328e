#include "matcher/edit_distance.h"

#include <algorithm>
#include <bit>
#include <vector>

namespace creditd {

uint64_t CharBitmap(std::u32string_view text) {
  uint64_t bits = 0;
  for (char32_t c : text) bits |= uint64_t{1} << (c % 64);
  return bits;
}

int BoundedEditDistance(std::u32string_view a, std::u32string_view b,
                        int max_distance) {
  const int over = max_distance + 1;
  if (max_distance < 0) return over;
  // Common prefix and suffix never change the optimal distance.
  while (!a.empty() && !b.empty() && a.front() == b.front()) {
    a.remove_prefix(1);
    b.remove_prefix(1);
  }
  while (!a.empty() && !b.empty() && a.back() == b.back()) {
    a.remove_suffix(1);
    b.remove_suffix(1);
  }
  if (a.size() < b.size()) std::swap(a, b);  // b is the shorter
  const int n = static_cast<int>(a.size());
  const int m = static_cast<int>(b.size());
  // Lower bound 1: every extra character of the longer string is an insert.
  if (n - m > max_distance) return over;
  if (m == 0) return n;
  // Lower bound 2: a character of one string absent from the other needs its
  // own edit (a transposition never introduces a character), and so does
  // each bitmap bit set on one side only.
  const uint64_t ba = CharBitmap(a);
  const uint64_t bb = CharBitmap(b);
  const int missing =
      std::max(std::popcount(ba & ~bb), std::popcount(bb & ~ba));
  if (missing > max_distance) return over;

  // Banded DP over b (rows) and a (columns): only cells with |i - j| <= k can
  // be within the bound. Three rows for the transposition look-back.
  const int k = max_distance;
  const int big = over;
  std::vector<int> prev2(n + 1, big), prev(n + 1, big), cur(n + 1, big);
  for (int j = 0; j <= std::min(n, k); ++j) prev[j] = j;
  for (int i = 1; i <= m; ++i) {
    const int lo = std::max(1, i - k);
    const int hi = std::min(n, i + k);
    std::fill(cur.begin(), cur.end(), big);
    if (i <= k) cur[0] = i;
    int row_min = cur[0];
    for (int j = lo; j <= hi; ++j) {
      const int cost = b[i - 1] == a[j - 1] ? 0 : 1;
      int v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && b[i - 1] == a[j - 2] && b[i - 2] == a[j - 1]) {
        v = std::min(v, prev2[j - 2] + 1);
      }
      cur[j] = std::min(v, big);
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > k) return over;  // every path already costs too much
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return std::min(prev[n], big);
}

}  // namespace creditd
