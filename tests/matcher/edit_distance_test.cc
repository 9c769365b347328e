#include "matcher/edit_distance.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace creditd {
namespace {

// Unbounded optimal string alignment distance, the textbook DP.
int Reference(std::u32string_view a, std::u32string_view b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

TEST(EditDistanceTest, Basics) {
  EXPECT_EQ(BoundedEditDistance(U"鑫盛达", U"鑫盛达", 2), 0);
  EXPECT_EQ(BoundedEditDistance(U"鑫盛达", U"鑫胜达", 2), 1);  // typo
  EXPECT_EQ(BoundedEditDistance(U"鑫盛达", U"鑫达盛", 2), 1);  // transposed
  EXPECT_EQ(BoundedEditDistance(U"鑫盛达", U"鑫达", 2), 1);    // dropped
  EXPECT_EQ(BoundedEditDistance(U"", U"鑫达", 2), 2);
  EXPECT_GT(BoundedEditDistance(U"鑫盛达", U"华为", 1), 1);
  EXPECT_GT(BoundedEditDistance(U"abcdef", U"a", 2), 2);  // length bound
  EXPECT_EQ(BoundedEditDistance(U"ab", U"ab", 0), 0);
  EXPECT_GT(BoundedEditDistance(U"ab", U"ac", 0), 0);
}

TEST(EditDistanceTest, AgreesWithUnboundedReferenceOnRandomInputs) {
  std::mt19937 rng(12345);
  // Small alphabets make near strings, transpositions and shared characters
  // common; the CJK and supplementary code points exercise the bitmap.
  const std::u32string alphabet = U"abc鑫盛达\U00020000";
  for (int round = 0; round < 20000; ++round) {
    std::uniform_int_distribution<int> len(0, 9);
    std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
    std::u32string a, b;
    for (int i = len(rng); i > 0; --i) a.push_back(alphabet[pick(rng)]);
    if (round % 2 == 0) {
      b = a;  // a few edits away
      std::uniform_int_distribution<int> edits(0, 3);
      for (int e = edits(rng); e > 0 && !b.empty(); --e) {
        std::uniform_int_distribution<size_t> pos(0, b.size() - 1);
        const size_t p = pos(rng);
        switch (rng() % 4) {
          case 0:
            b[p] = alphabet[pick(rng)];
            break;
          case 1:
            b.erase(p, 1);
            break;
          case 2:
            b.insert(b.begin() + static_cast<ptrdiff_t>(p),
                     alphabet[pick(rng)]);
            break;
          default:
            if (p + 1 < b.size()) std::swap(b[p], b[p + 1]);
        }
      }
    } else {
      for (int i = len(rng); i > 0; --i) b.push_back(alphabet[pick(rng)]);
    }
    const int want = Reference(a, b);
    for (int max_d = 0; max_d <= 5; ++max_d) {
      const int got = BoundedEditDistance(a, b, max_d);
      if (want <= max_d) {
        ASSERT_EQ(got, want) << "round " << round << " max " << max_d;
      } else {
        ASSERT_GT(got, max_d) << "round " << round << " max " << max_d;
      }
    }
  }
}

TEST(EditDistanceTest, LongInputsStayBounded) {
  std::u32string a(5000, U'鑫'), b(5000, U'鑫');
  b[2500] = U'新';
  EXPECT_EQ(BoundedEditDistance(a, b, 3), 1);
  std::u32string c(5000, U'盛');
  EXPECT_GT(BoundedEditDistance(a, c, 3), 3);  // bitmap bound, no DP
}

}  // namespace
}  // namespace creditd
