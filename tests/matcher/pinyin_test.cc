#include "matcher/pinyin.h"

#include "gtest/gtest.h"

#include <string>
#include <thread>
#include <vector>

namespace creditd {
namespace {

std::string Spell(std::u32string_view text) {
  std::string out;
  for (char32_t c : text) {
    if (!out.empty()) out += ' ';
    out += std::string(SyllableText(PinyinOf(c)));
  }
  return out;
}

TEST(PinyinTest, TonelessReadingsFromIcu) {
  EXPECT_EQ(Spell(U"鑫盛达"), "xin sheng da");
  EXPECT_EQ(PinyinOf(U'鑫'), PinyinOf(U'新'));
  EXPECT_EQ(PinyinOf(U'盛'), PinyinOf(U'胜'));
  EXPECT_NE(PinyinOf(U'鑫'), PinyinOf(U'盛'));
}

TEST(PinyinTest, NoReadingOutsideCoverage) {
  EXPECT_EQ(PinyinOf(U'a'), 0);
  EXPECT_EQ(PinyinOf(U'('), 0);
  EXPECT_EQ(SyllableText(0), "");
  EXPECT_FALSE(HasPinyinCoverage(0x20000));
}

TEST(PinyinTest, PrefetchThenLookupAgrees) {
  PrefetchPinyin(U"华为腾讯阿里巴巴");
  EXPECT_EQ(Spell(U"华为"), "hua wei");
}

TEST(PinyinTest, ConcurrentFirstLookups) {
  std::vector<std::thread> threads;
  std::vector<SyllableId> got(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&got, t] { got[t] = PinyinOf(U'龙'); });
  }
  for (auto& th : threads) th.join();
  for (SyllableId id : got) EXPECT_EQ(SyllableText(id), "long");
}

}  // namespace
}  // namespace creditd
