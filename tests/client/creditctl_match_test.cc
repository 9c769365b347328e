// creditctl match as an operator runs it: the real binary over a small data
// directory loaded with `creditctl load`, names as arguments and in a file,
// table and JSON Lines output, filters, and a catalogue of bad input.
#include "index/uscc.h"
#include "tests/testutil.h"

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#include <string>
#include <vector>

namespace creditd {
namespace {

using ::creditd::testing::Lines;
using ::creditd::testing::RunProcess;
using ::creditd::testing::TempDir;
using ::testing::HasSubstr;

// A valid code in `region` for sequence number i.
std::string CodeFor(const std::string& region, int i) {
  std::string body = absl::StrFormat("%08d", i);
  std::string code = "91" + region + body;
  code.push_back(OrgCodeCheckCharacter(body));
  code.push_back(UsccCheckCharacter(code));
  return code;
}

class CreditctlMatchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    struct Row {
      const char* id;
      const char* region;
      const char* name;
      const char* former;  // or nullptr
    };
    const Row rows[] = {
        {"S1", "350100", "福州鑫盛达贸易有限公司", nullptr},
        {"S2", "350200", "厦门鑫盛达贸易有限公司", nullptr},
        {"S3", "350100", "福建华泰宏源科技股份有限公司", nullptr},
        {"S4", "350500", "泉州恒通物流有限公司", "泉州恒通运输有限公司"},
        {"S5", "440300", "深圳腾飞电子商务有限公司", nullptr},
        {"S6", "330100", "杭州祥瑞餐饮管理有限公司", nullptr},
        {"S7", "350100", "福州金鼎建筑工程有限公司", nullptr},
        {"S8", "350100", "福州博远信息技术有限公司", nullptr},
    };
    std::string lines;
    int i = 1;
    for (const Row& r : rows) {
      lines += absl::StrFormat(R"({"id":"%s","code":"%s","name":"%s")", r.id,
                               CodeFor(r.region, i++), r.name);
      if (r.former != nullptr) {
        lines += absl::StrFormat(R"(,"former_names":["%s"])", r.former);
      }
      lines += ",\"status\":\"active\"}\n";
    }
    const std::string file = dir_->WriteFile("subjects.jsonl", lines);
    db_ = new std::string(dir_->path() + "/db");
    auto r =
        RunProcess({CREDITCTL_PATH, "load", "--quiet", "--data", *db_, file});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  static void TearDownTestSuite() {
    delete db_;
    delete dir_;
  }

  static std::vector<nlohmann::json> ParseJsonl(const std::string& out) {
    std::vector<nlohmann::json> v;
    for (const std::string& line : Lines(out)) {
      v.push_back(nlohmann::json::parse(line));
    }
    return v;
  }

  static TempDir* dir_;
  static std::string* db_;
};

TempDir* CreditctlMatchTest::dir_ = nullptr;
std::string* CreditctlMatchTest::db_ = nullptr;

TEST_F(CreditctlMatchTest, TableForTraditionalFullWidthName) {
  auto r = RunProcess({CREDITCTL_PATH, "match", "--data", *db_, "--top", "3",
                       "福州鑫盛達貿易（有限責任公司）"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("query: 福州鑫盛達貿易（有限責任公司）"));
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 4u) << r.out;
  // Rank 1 is the Fuzhou company, said to be likely the same subject.
  EXPECT_THAT(lines[2], HasSubstr("福州鑫盛达贸易有限公司"));
  EXPECT_THAT(lines[2], HasSubstr(" yes "));
  EXPECT_THAT(lines[3], HasSubstr("字号 鑫盛达 = 鑫盛达"));
}

TEST_F(CreditctlMatchTest, FileJsonlWithVariantsAndBadInput) {
  const std::string queries =
      "福州鑫盛达贸易有限责任公司\n"    // suffix variant -> S1
      "福州新盛达贸易有限公司\n"        // homophone -> S1
      "\n"                              // blank: skipped
      "华泰宏源科技(福建)股份公司\r\n"  // region moved, CRLF -> S3
      "泉州恒通运输有限公司\n"          // former name -> S4
      "杭州祥瑞餐饮\n"                  // short form -> S6
      "！！！（）\n"                    // only punctuation: refused
      "bad \xff\xfe utf8\n"             // invalid UTF-8: refused
      "科技有限公司\n"                  // generic words only: low confidence
      "Acme Trading Ltd\n" +            // Latin: whatever, never confident
      std::string(10000, 'x') +
      "\n";  // too long: refused
  const std::string file = dir_->WriteFile("queries.txt", queries);
  auto r = RunProcess({CREDITCTL_PATH, "match", "--data", *db_, "--file", file,
                       "--format", "jsonl", "--top", "3"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // some names refused
  const std::vector<nlohmann::json> out = ParseJsonl(r.out);
  ASSERT_EQ(out.size(), 10u) << r.out;

  const auto top_id = [&](size_t i) {
    return out[i]["candidates"].empty()
               ? std::string()
               : out[i]["candidates"][0]["id"].get<std::string>();
  };
  EXPECT_EQ(top_id(0), "S1");
  EXPECT_EQ(top_id(1), "S1");
  EXPECT_EQ(top_id(2), "S3");
  EXPECT_EQ(top_id(3), "S4");
  // A renamed subject is found by its exact former name, and says so.
  EXPECT_EQ(out[3]["candidates"][0]["via_former_name"], true);
  EXPECT_EQ(out[3]["candidates"][0]["matched_name"], "泉州恒通运输有限公司");
  EXPECT_EQ(top_id(4), "S6");

  const nlohmann::json& c = out[1]["candidates"][0];
  EXPECT_EQ(c["rank"], 1);
  EXPECT_EQ(c["name"], "福州鑫盛达贸易有限公司");
  EXPECT_EQ(c["code"].get<std::string>().size(), 18u);
  EXPECT_TRUE(c["same_subject_likely"].get<bool>());
  EXPECT_GT(c["score"].get<double>(), 0.8);
  EXPECT_LE(c["score"].get<double>(), 1.0);
  EXPECT_THAT(c["explanation"].get<std::string>(), HasSubstr("homophone"));
  ASSERT_FALSE(c["parts"].empty());
  EXPECT_EQ(c["parts"][0]["part"], "字号");
  EXPECT_EQ(c["parts"][0]["verdict"], "similar");

  EXPECT_THAT(out[5]["error"].get<std::string>(), HasSubstr("empty"));
  EXPECT_THAT(out[6]["error"].get<std::string>(), HasSubstr("invalid UTF-8"));
  for (const auto& cand : out[7]["candidates"]) {
    EXPECT_FALSE(cand["same_subject_likely"].get<bool>()) << cand;
    EXPECT_LE(cand["score"].get<double>(), 0.3) << cand;
  }
  for (const auto& cand : out[8]["candidates"]) {
    EXPECT_FALSE(cand["same_subject_likely"].get<bool>()) << cand;
  }
  EXPECT_THAT(out[9]["error"].get<std::string>(),
              HasSubstr("exceeds the limit"));
}

TEST_F(CreditctlMatchTest, RegionFilter) {
  auto r = RunProcess({CREDITCTL_PATH, "match", "--data", *db_, "--format",
                       "jsonl", "--region", "3502", "鑫盛达贸易有限公司"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<nlohmann::json> out = ParseJsonl(r.out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0]["candidates"].size(), 1u) << r.out;
  EXPECT_EQ(out[0]["candidates"][0]["id"], "S2");
}

TEST_F(CreditctlMatchTest, UsageErrors) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const std::string missing = dir_->path() + "/no-such-file";
  const Case cases[] = {
      {{"鑫盛达"}, "--data DIR is required"},
      {{"--data", *db_}, "give either names as arguments or --file"},
      {{"--data", *db_, "--file", missing, "鑫盛达"}, "give either names"},
      {{"--data", *db_, "--file", missing}, "cannot open"},
      {{"--data", *db_, "--top", "0", "鑫盛达"}, "--top: '0' not in 1..100"},
      {{"--data", *db_, "--top", "101", "鑫盛达"}, "not in 1..100"},
      {{"--data", *db_, "--region", "35ab", "鑫盛达"}, "is not 1-6 digits"},
      {{"--data", *db_, "--format", "xml", "鑫盛达"}, "unknown (table, jsonl)"},
      {{"--data", *db_, "--min-score", "2", "鑫盛达"}, "not in [0, 1]"},
      {{"--data", *db_, "--bogus", "鑫盛达"}, "unknown option"},
      {{"--data", dir_->path() + "/nope", "鑫盛达"}, ""},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {CREDITCTL_PATH, "match"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = RunProcess(argv);
    EXPECT_EQ(r.exit_code, 2) << c.message << "\n" << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace creditd
