#include "matcher/ngram.h"

#include "gtest/gtest.h"

#include <set>
#include <string>
#include <vector>

namespace creditd {
namespace {

TEST(NgramTest, UnigramsAndBigramsInOrder) {
  EXPECT_EQ(NgramTerms(U"鑫盛达"),
            (std::vector<std::string>{"鑫", "鑫盛", "盛", "盛达", "达"}));
  EXPECT_EQ(NgramTerms(U"鑫"), (std::vector<std::string>{"鑫"}));
  EXPECT_TRUE(NgramTerms(U"").empty());
}

TEST(NgramTest, BracketsBreakGrams) {
  EXPECT_EQ(NgramTerms(U"腾讯(深圳)"),
            (std::vector<std::string>{"腾", "腾讯", "讯", "深", "深圳", "圳"}));
}

TEST(NgramTest, CodePointsNotBytes) {
  // A supplementary-plane character is one gram.
  EXPECT_EQ(NgramTerms(U"\U00020000a"),
            (std::vector<std::string>{"\xF0\xA0\x80\x80",
                                      "\xF0\xA0\x80\x80"
                                      "a",
                                      "a"}));
}

TEST(NgramTest, KeysAreDistinct) {
  std::set<uint64_t> keys;
  std::u32string text = U"鑫盛达鑫达盛ab";
  size_t grams = 0;
  std::set<std::u32string> distinct;
  ForEachNgram(text, [&](std::u32string_view g) {
    keys.insert(NgramKey(g));
    distinct.insert(std::u32string(g));
    ++grams;
  });
  EXPECT_EQ(keys.size(), distinct.size());
  EXPECT_NE(NgramKey(U"a"), NgramKey(U"\0a"));
}

}  // namespace
}  // namespace creditd
