// Name-aware duplicate detection (matcher/name_duplicates.h): the same subject
// by normalised name or a former-name link, and the near misses that must not
// be flagged.
#include "matcher/name_duplicates.h"

#include "index/registry.h"
#include "index/uscc.h"

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <set>

namespace creditd {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string CodeFor(std::string_view region6, int seq) {
  const std::string body = absl::StrFormat("%08d", seq);
  std::string code = "91" + std::string(region6) + body;
  code.push_back(OrgCodeCheckCharacter(body));
  code.push_back(UsccCheckCharacter(code));
  return code;
}

Subject S(std::string id, std::string code, std::string name) {
  Subject s;
  s.id = std::move(id);
  s.region = code.substr(2, 6);
  s.code = std::move(code);
  s.name = std::move(name);
  s.source = "names.jsonl";
  return s;
}

std::vector<const DupFinding*> Of(const DupReport& r, DupKind kind) {
  std::vector<const DupFinding*> out;
  for (const DupFinding& f : r.findings) {
    if (f.kind == kind) out.push_back(&f);
  }
  return out;
}

DupReport Scan(const std::vector<Subject>& subjects) {
  RegistryBuilder b;
  for (const Subject& s : subjects) EXPECT_TRUE(b.AddSubject(s).ok());
  return ScanDuplicatesWithNames(*b.Finish(1), ScanOptions());
}

TEST(SameSubjectByNamesTest, NormalisedNamesAndFormerNames) {
  const std::string code = CodeFor("350102", 1);
  // Traditional vs simplified, full-width brackets: the same name.
  EXPECT_TRUE(SameSubjectByNames(S("a", code, "鑫盛達科技（福州）有限公司"),
                                 S("b", code, "鑫盛达科技(福州)有限公司")));
  Subject renamed = S("c", code, "福州新名科技有限公司");
  renamed.former_names = {"福州舊名科技有限公司"};
  auto e = SameSubjectByNames(renamed, S("d", code, "福州旧名科技有限公司"));
  ASSERT_TRUE(e.has_value());
  EXPECT_THAT(*e, HasSubstr("former name"));
  // A branch office is its own subject.
  EXPECT_FALSE(
      SameSubjectByNames(S("e", code, "福州恒通贸易有限公司"),
                         S("f", code, "福州恒通贸易有限公司鼓楼分公司")));
  EXPECT_FALSE(SameSubjectByNames(S("g", code, "福州甲科技有限公司"),
                                  S("h", code, "福州乙科技有限公司")));
}

TEST(NameDuplicatesTest, SharedCodeSameSubjectInTraditionalIsARepeat) {
  const std::string code = CodeFor("350102", 2);
  const DupReport r = Scan({S("a", code, "福州鑫盛達科技有限公司"),
                            S("b", code, "福州鑫盛达科技有限公司")});
  EXPECT_THAT(Of(r, DupKind::kDuplicateCode), SizeIs(0));
  ASSERT_THAT(Of(r, DupKind::kRepeatedSubject), SizeIs(1));
  EXPECT_EQ(r.total.flagged, 0u);
}

TEST(NameDuplicatesTest, SharedCodeDifferentSubjectsIsADuplicate) {
  const std::string code = CodeFor("350102", 3);
  const DupReport r = Scan({S("a", code, "福州恒通贸易有限公司"),
                            S("b", code, "福州恒通贸易有限公司鼓楼分公司"),
                            S("c", code, "福州恒通贸易有限公司")});
  const auto dup = Of(r, DupKind::kDuplicateCode);
  ASSERT_THAT(dup, SizeIs(1));
  EXPECT_THAT(dup[0]->subjects, SizeIs(3));
  EXPECT_THAT(dup[0]->reason, HasSubstr("2 different subjects"));
  EXPECT_THAT(Of(r, DupKind::kRepeatedSubject), SizeIs(1));  // a and c
}

TEST(NameDuplicatesTest, MultiCodeWithEvidenceAndNearMisses) {
  Subject renamed = S("r1", CodeFor("350102", 10), "福州新名科技有限公司");
  renamed.former_names = {"福州旧名科技有限公司"};
  const DupReport r = Scan({
      // 一主体多码: same name, same region, two codes.
      S("a", CodeFor("350102", 4), "福州鑫盛达科技有限公司"),
      S("b", CodeFor("350102", 5), "福州鑫盛达科技有限公司"),
      // 一主体多码 by former name.
      renamed,
      S("r2", CodeFor("350102", 11), "福州旧名科技有限公司"),
      // Near misses: branch office, same trade name in another region, a
      // renamed subject alone.
      S("p", CodeFor("350102", 6), "福州恒通贸易有限公司"),
      S("q", CodeFor("350102", 7), "福州恒通贸易有限公司鼓楼分公司"),
      S("x", CodeFor("350102", 8), "鑫源科技有限公司"),
      S("y", CodeFor("110108", 9), "鑫源科技有限公司"),
  });
  const auto multi = Of(r, DupKind::kMultiCode);
  ASSERT_THAT(multi, SizeIs(2));
  std::set<std::string> ids;
  for (const DupFinding* f : multi) {
    for (const DupSubjectRef& s : f->subjects) ids.insert(s.id);
  }
  EXPECT_EQ(ids, (std::set<std::string>{"a", "b", "r1", "r2"}));
  EXPECT_THAT(multi[0]->reason + multi[1]->reason, HasSubstr("former name"));
  EXPECT_THAT(Of(r, DupKind::kDuplicateCode), SizeIs(0));
  EXPECT_EQ(r.total.flagged, 4u);
}

}  // namespace
}  // namespace creditd
