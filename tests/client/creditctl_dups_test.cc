// creditctl dups as a data team runs it: the real binary over a small fixture
// loaded with creditctl load, in each output format, with the filters.
#include "index/uscc.h"
#include "tests/testutil.h"

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include <fstream>
#include <map>
#include <sstream>

namespace creditd {
namespace {

using ::creditd::testing::RunProcess;
using ::creditd::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

std::string CodeFor(std::string_view region6, int seq) {
  const std::string body = absl::StrFormat("%08d", seq);
  std::string code = "91" + std::string(region6) + body;
  code.push_back(OrgCodeCheckCharacter(body));
  code.push_back(UsccCheckCharacter(code));
  return code;
}

std::string Line(std::string_view id, std::string_view code,
                 std::string_view name) {
  return absl::StrFormat(R"({"id":"%s","code":"%s","name":"%s"})"
                         "\n",
                         id, code, name);
}

class CreditctlDupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string shared = CodeFor("350102", 1);
    std::string bad = CodeFor("110108", 2);
    bad[17] = bad[17] == '1' ? '2' : '1';
    std::string lines;
    lines += Line("a", shared, "福州甲科技有限公司");
    lines += Line("b", shared, "福州乙贸易有限公司");  // 重码
    lines += Line("c", bad, "北京丙有限公司");         // 错码
    lines += Line("d", CodeFor("350102", 3), "福州丁有限公司");
    lines += Line("e", CodeFor("350102", 4), "福州丁有限公司");  // 一主体多码
    lines += Line("f", CodeFor("350102", 5), "福州丁有限公司鼓楼分公司");
    for (int i = 0; i < 20; ++i) {
      lines += Line(absl::StrFormat("ok%d", i), CodeFor("350103", 100 + i),
                    absl::StrFormat("福州正常%d有限公司", i));
    }
    const std::string file = dir_.WriteFile("subjects.jsonl", lines);
    data_ = dir_.path() + "/data";
    auto load =
        RunProcess({CREDITCTL_PATH, "load", "--quiet", "--data", data_, file});
    ASSERT_EQ(load.exit_code, 0) << load.err;
  }
  TempDir dir_;
  std::string data_;
};

TEST_F(CreditctlDupsTest, JsonListsEveryKindAndTheRate) {
  auto r = RunProcess(
      {CREDITCTL_PATH, "dups", "--data", data_, "--format", "json", "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // rates over the 1/10000 bar
  const nlohmann::json j = nlohmann::json::parse(r.out);
  std::map<std::string, int> kinds;
  for (const auto& f : j["findings"]) kinds[f["kind"]]++;
  EXPECT_EQ(kinds["duplicate_code"], 1);
  EXPECT_EQ(kinds["erroneous_code"], 1);
  EXPECT_EQ(kinds["multi_code"], 1);  // the branch office is not in it
  EXPECT_EQ(j["total"]["codes"], 25);
  EXPECT_EQ(j["total"]["flagged"], 4);
  for (const auto& f : j["findings"]) {
    for (const auto& s : f["subjects"]) {
      EXPECT_NE(s["name"], "福州丁有限公司鼓楼分公司");
      EXPECT_THAT(s["source"].get<std::string>(), HasSubstr("subjects.jsonl:"));
    }
  }
}

TEST_F(CreditctlDupsTest, CsvFiltersByRegionAndKind) {
  auto r = RunProcess(
      {CREDITCTL_PATH, "dups", "--data", data_, "--region", "3501", "--quiet"});
  EXPECT_THAT(r.out, HasSubstr("kind,code,codes,fault"));
  EXPECT_THAT(r.out, HasSubstr("duplicate_code"));
  EXPECT_THAT(r.out, Not(HasSubstr("北京丙有限公司")));
  auto k = RunProcess({CREDITCTL_PATH, "dups", "--data", data_, "--kind",
                       "erroneous_code", "--quiet"});
  EXPECT_THAT(k.out, HasSubstr("check_character"));
  EXPECT_THAT(k.out, Not(HasSubstr("duplicate_code")));
  auto rates = RunProcess({CREDITCTL_PATH, "dups", "--data", data_, "--table",
                           "rates", "--bar", "1", "--quiet"});
  EXPECT_EQ(rates.exit_code, 0) << rates.err;  // no rate exceeds 1
  EXPECT_THAT(rates.out, HasSubstr("county,350102"));
}

TEST_F(CreditctlDupsTest, HtmlIsSelfContainedWithAChart) {
  const std::string out = dir_.path() + "/report.html";
  auto r = RunProcess({CREDITCTL_PATH, "dups", "--data", data_, "--format",
                       "html", "--out", out, "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::ifstream f(out);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string html = ss.str();
  EXPECT_THAT(html, HasSubstr("<svg"));
  EXPECT_THAT(html, HasSubstr("福建省"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("href=\"http")));
}

TEST_F(CreditctlDupsTest, UsageErrors) {
  EXPECT_EQ(RunProcess({CREDITCTL_PATH, "dups"}).exit_code, 2);
  auto r =
      RunProcess({CREDITCTL_PATH, "dups", "--data", data_, "--kind", "nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--kind: unknown kind 'nope'"));
  EXPECT_EQ(
      RunProcess({CREDITCTL_PATH, "dups", "--data", data_, "--region", "35x"})
          .exit_code,
      2);
}

}  // namespace
}  // namespace creditd
