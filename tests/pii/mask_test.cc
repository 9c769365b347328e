#include "pii/mask.h"

#include "gtest/gtest.h"

#include <string>

namespace creditd::pii {
namespace {

TEST(MaskPersonNameTest, KeepsTheFirstCharacter) {
  EXPECT_EQ(MaskPersonName("张三"), "张*");
  EXPECT_EQ(MaskPersonName("欧阳娜娜"), "欧***");
  EXPECT_EQ(MaskPersonName(" 李四 "), "李*");
  EXPECT_EQ(MaskPersonName("王"), "王");
  EXPECT_EQ(MaskPersonName(""), "");
  EXPECT_EQ(MaskPersonName("John Smith"), "J*********");
  // A 4-byte character (CJK extension B) counts as one.
  EXPECT_EQ(MaskPersonName("\xF0\xA0\x80\x80明"), "\xF0\xA0\x80\x80*");
}

TEST(MaskPersonNameTest, InvalidUtf8CountsBytes) {
  EXPECT_EQ(MaskPersonName("\xff\xfe"), "\xff*");
  // A truncated sequence: one '*' per byte, never a split character kept.
  EXPECT_EQ(MaskPersonName("张\xE4\xB8"), "张**");
}

TEST(MaskIdNumbersTest, MasksTheBirthDate) {
  EXPECT_EQ(MaskIdNumbers("330102199001011234"), "330102********1234");
  EXPECT_EQ(MaskIdNumbers("11010520000229123X"), "110105********123X");
  EXPECT_EQ(MaskIdNumbers("11010520000229123x"), "110105********123x");
  EXPECT_EQ(MaskIdNumbers("法定代表人张三，身份证号330102199001011234，住所"),
            "法定代表人张三，身份证号330102********1234，住所");
  EXPECT_EQ(MaskIdNumbers("甲 330102199001011234 乙 440301198512310017"),
            "甲 330102********1234 乙 440301********0017");
  EXPECT_TRUE(ContainsIdNumber("id:330102199001011234."));
}

TEST(MaskIdNumbersTest, LeavesOtherNumbersAlone) {
  const std::string kept[] = {
      "",
      "no numbers here",
      // A USCC, digits only, whose middle is no date.
      "914403001922038216",
      // Invalid month / day / century.
      "330102199013011234",
      "330102199001321234",
      "330102179001011234",
      // Part of a longer run of digits or letters.
      "1330102199001011234",
      "3301021990010112345",
      "A330102199001011234",
      // 17 digits.
      "33010219900101123",
      // A 15-digit registration number.
      "110108000000016",
  };
  for (const std::string& s : kept) {
    EXPECT_EQ(MaskIdNumbers(s), s) << s;
    EXPECT_FALSE(ContainsIdNumber(s)) << s;
  }
}

TEST(MaskIdNumbersTest, MaskedTextIsStable) {
  const std::string once = MaskIdNumbers("x 330102199001011234 y");
  EXPECT_EQ(MaskIdNumbers(once), once);
  EXPECT_FALSE(ContainsIdNumber(once));
}

}  // namespace
}  // namespace creditd::pii
