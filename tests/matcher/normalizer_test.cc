#include "matcher/normalizer.h"

#include "gtest/gtest.h"

#include <string>

namespace creditd {
namespace {

class NormalizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<const Normalizer*> n = Normalizer::Shared();
    ASSERT_TRUE(n.ok()) << n.status();
    normalizer_ = *n;
  }
  std::string Norm(std::string_view s) {
    absl::StatusOr<std::string> r = normalizer_->NormalizeUtf8(s);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::string("<error>");
  }
  absl::Status Error(std::string_view s) {
    return normalizer_->NormalizeUtf8(s).status();
  }
  const Normalizer* normalizer_ = nullptr;
};

TEST_F(NormalizerTest, FullWidthLettersDigitsAndBrackets) {
  EXPECT_EQ(Norm("ＡＢＣ１２３贸易（福州）有限公司"),
            "abc123贸易(福州)有限公司");
  EXPECT_EQ(Norm("鑫盛达　贸易"), "鑫盛达贸易");  // ideographic space
}

TEST_F(NormalizerTest, TraditionalToSimplified) {
  EXPECT_EQ(Norm("騰訊科技（深圳）有限公司"), "腾讯科技(深圳)有限公司");
  EXPECT_EQ(Norm("鑫盛達貿易有限責任公司"), "鑫盛达贸易有限责任公司");
}

TEST_F(NormalizerTest, BracketsUnified) {
  EXPECT_EQ(Norm("腾讯科技【深圳】有限公司"), "腾讯科技(深圳)有限公司");
  EXPECT_EQ(Norm("腾讯科技[深圳]有限公司"), "腾讯科技(深圳)有限公司");
  EXPECT_EQ(Norm("腾讯科技〔深圳〕有限公司"), "腾讯科技(深圳)有限公司");
  EXPECT_EQ(Norm("某某（ ）有限公司"), "某某有限公司");  // empty brackets go
}

TEST_F(NormalizerTest, PunctuationAndSpacesRemovedCaseFolded) {
  EXPECT_EQ(Norm("  P&G 中国·有限公司。"), "pg中国有限公司");
  EXPECT_EQ(Norm("《读者》杂志社"), "读者杂志社");
  EXPECT_EQ(Norm("Apple Inc."), "appleinc");
  EXPECT_EQ(Norm("a\tb\nc"), "abc");
}

TEST_F(NormalizerTest, MixedScriptsKept) {
  EXPECT_EQ(Norm("IBM（中国）有限公司"), "ibm(中国)有限公司");
  EXPECT_EQ(Norm("ÄBC"), "äbc");
}

TEST_F(NormalizerTest, EmptyAndPunctuationOnlyAreErrors) {
  EXPECT_EQ(Error("").message(),
            "name: empty after normalisation (only spaces or punctuation)");
  EXPECT_EQ(Error("（）。，、 ！").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Error("   ").code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(NormalizerTest, InvalidUtf8) {
  EXPECT_EQ(Error("abc\xff").message(), "name: invalid UTF-8 at byte 3");
  EXPECT_EQ(Error("\xe9\x91").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Error("\xc0\xaf").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Error("\xed\xa0\x80").code(),
            absl::StatusCode::kInvalidArgument);  // surrogate
}

TEST_F(NormalizerTest, TooLongIsRefusedBeforeWork) {
  std::string long_name;
  for (int i = 0; i < 10000; ++i) long_name += "鑫";
  EXPECT_EQ(Error(long_name).message(),
            "name: 30000 bytes exceeds the limit of 1024 bytes");
  std::string many(300, 'a');
  EXPECT_EQ(Error(many).message(),
            "name: 300 characters after normalisation exceeds the limit of "
            "256");
  EXPECT_EQ(Norm(std::string(256, 'a')), std::string(256, 'a'));
}

}  // namespace
}  // namespace creditd
