#include "matcher/postings.h"

#include "gtest/gtest.h"

#include <vector>

namespace creditd {
namespace {

std::vector<uint32_t> ToVector(std::span<const uint32_t> s) {
  return std::vector<uint32_t>(s.begin(), s.end());
}

TEST(PostingsTest, BuildsSortedDedupedLists) {
  PostingsBuilder b;
  b.Add(7, 3);
  b.Add(7, 1);
  b.Add(7, 3);
  b.Add(9, 2);
  Postings p = std::move(b).Build(100);
  EXPECT_EQ(ToVector(p.Find(7)), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(ToVector(p.Find(9)), (std::vector<uint32_t>{2}));
  EXPECT_TRUE(p.Find(8).empty());
  EXPECT_EQ(p.key_count(), 2u);
  EXPECT_EQ(p.posting_count(), 3u);
  EXPECT_EQ(p.dropped_keys(), 0u);
}

TEST(PostingsTest, DropsOverlongLists) {
  PostingsBuilder b;
  for (uint32_t s = 0; s < 10; ++s) b.Add(1, s);
  b.Add(2, 5);
  Postings p = std::move(b).Build(5);
  EXPECT_TRUE(p.Find(1).empty());
  EXPECT_EQ(p.Find(2).size(), 1u);
  EXPECT_EQ(p.dropped_keys(), 1u);
}

TEST(PostingsTest, KeyFamiliesDoNotCollide) {
  EXPECT_NE(PinyinBigramKey(1, 2), PinyinBigramKey(2, 1));
  EXPECT_NE(PinyinBigramKey(1, 2) >> 56, TradeKey(U"鑫盛达") >> 56);
  EXPECT_EQ(TradeKey(U"鑫盛达"), TradeKey(U"鑫盛达"));
}

}  // namespace
}  // namespace creditd
