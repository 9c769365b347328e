#include "index/ingest.h"

#include "tests/testutil.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace creditd {
namespace {

using ::testing::HasSubstr;

IngestOptions Defaults() { return IngestOptions(); }

LineError ErrorOf(const ParsedLine& p) {
  EXPECT_TRUE(std::holds_alternative<LineError>(p));
  return std::holds_alternative<LineError>(p) ? std::get<LineError>(p)
                                              : LineError{};
}

TEST(ParseJsonLineTest, SubjectFields) {
  auto p = ParseJsonLine(
      R"({"id":"S1","code":" 91350100m000100Y43","name":"福州鑫盛达科技有限公司",)"
      R"("former_names":["旧名"],"status":"revoked","registered_on":"2015-10-01",)"
      R"("org_code":"M000100Y-4"})",
      LineKind::kAuto, Defaults(), "f:1");
  ASSERT_TRUE(std::holds_alternative<Subject>(p)) << ErrorOf(p).reason;
  const Subject& s = std::get<Subject>(p);
  EXPECT_EQ(s.code, "91350100M000100Y43");  // folded
  EXPECT_EQ(s.region, "350100");            // from the code
  EXPECT_EQ(s.status, SubjectStatus::kRevoked);
  EXPECT_EQ(s.former_names, std::vector<std::string>{"旧名"});
  EXPECT_EQ(s.source, "f:1");
}

TEST(ParseJsonLineTest, InvalidCodesAreAcceptedNotRejected) {
  auto p = ParseJsonLine(R"({"code":"91350100M000100Y44","name":"甲"})",
                         LineKind::kAuto, Defaults(), "f:1");
  ASSERT_TRUE(std::holds_alternative<Subject>(p));
  EXPECT_EQ(std::get<Subject>(p).id.substr(0, 21), "d:91350100M000100Y44:");
  // The derived id is stable and ignores width and spaces in the name.
  auto q = ParseJsonLine(R"({"code":"91350100M000100Y44","name":" 甲 "})",
                         LineKind::kAuto, Defaults(), "f:2");
  EXPECT_EQ(std::get<Subject>(p).id, std::get<Subject>(q).id);
}

struct BadCase {
  const char* line;
  const char* field;
  const char* reason_part;
};

TEST(ParseJsonLineTest, BadLinesNameFieldAndReason) {
  const BadCase cases[] = {
      {R"({"code":"91350100M000100Y43"})", "name", "missing"},
      {R"({"name":"甲"})", "code", "missing"},
      {R"({"code":"   ","name":"甲"})", "code", "empty"},
      {R"({"code":"91350100M000100Y43","name":"甲","nmae":"x"})", "nmae",
       "unknown field"},
      {R"({"code":"91350100M000100Y43","name":"甲","registered_on":"2015/01/01"})",
       "registered_on", "not a date"},
      {R"({"code":"91350100M000100Y43","name":"甲","registered_on":"2015-13-01"})",
       "registered_on", "no such day"},
      {R"({"code":"91350100M000100Y43","name":"甲","registered_on":"2015-02-30"})",
       "registered_on", "no such day"},
      {R"({"code":"91350100M000100Y43","name":"甲","status":"gone"})", "status",
       "unknown status"},
      {R"({"code":"91350100M000100Y43","name":"甲","region":"3501"})", "region",
       "6-digit"},
      {R"({"code":"91350100M000100Y43","name":["甲"]})", "name",
       "not a string"},
      {R"({"code":"91350100M000100Y43","name":"甲","former_names":[1]})",
       "former_names", "array of strings"},
      {R"({"code":"91350100M000100Y43","name":"甲")", "line", "not valid JSON"},
      {R"([1,2])", "line", "not a JSON object"},
      // Found by tests/fuzz/ingest_fuzz: nlohmann throws out_of_range, not
      // parse_error, for a number too large for a double.
      {R"({"code":9e9999999999999999999,"name":"甲"})", "line",
       "number overflow"},
      {R"({"id":"r1","code":"91350100M000100Y43","list":"blacklist"})", "list",
       "unknown list 'blacklist' (configured lists: serious_dishonesty"},
      {R"({"id":"r1","code":"91350100M000100Y43","list":"red_list",)"
       R"("valid_from":"2024-01-02","valid_until":"2024-01-01"})",
       "valid_until", "2024-01-01 is before valid_from 2024-01-02"},
      {R"({"code":"91350100M000100Y43","list":"red_list"})", "id", "missing"},
      {R"({"id":"r1","code":"91350100M000100Y43","list":"red_list","disputed":"maybe"})",
       "disputed", "not a boolean"},
  };
  for (const BadCase& c : cases) {
    LineError e =
        ErrorOf(ParseJsonLine(c.line, LineKind::kAuto, Defaults(), "f:1"));
    EXPECT_EQ(e.field, c.field) << c.line << " -> " << e.reason;
    EXPECT_THAT(e.reason, HasSubstr(c.reason_part)) << c.line;
  }
  IngestOptions small;
  small.max_field_bytes = 20;
  LineError e = ErrorOf(ParseJsonLine(
      R"({"code":"91350100M000100Y43","name":"甲甲甲甲甲甲甲甲"})",
      LineKind::kAuto, small, "f:1"));
  EXPECT_EQ(e.field, "name");
  EXPECT_EQ(e.reason, "over-long field: 24 bytes (limit 20)");
}

TEST(CsvSchemaTest, HeaderAndRows) {
  auto schema =
      CsvSchema::FromHeader("code,name,former_names,status", LineKind::kAuto);
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(schema->kind(), LineKind::kSubject);
  auto p = schema->ParseRow(
      R"(91350100M000100Y43,"福州鑫盛达科技有限公司, 分公司",a|b,active)",
      Defaults(), "f:2");
  ASSERT_TRUE(std::holds_alternative<Subject>(p)) << ErrorOf(p).reason;
  EXPECT_EQ(std::get<Subject>(p).name, "福州鑫盛达科技有限公司, 分公司");
  EXPECT_EQ(std::get<Subject>(p).former_names,
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(
      ErrorOf(schema->ParseRow("91350100M000100Y43,甲", Defaults(), "f:3"))
          .reason,
      "2 columns, the header has 4");
  EXPECT_EQ(ErrorOf(schema->ParseRow(R"(91350100M000100Y43,"甲,a,active)",
                                     Defaults(), "f"))
                .reason,
            "column 2: unterminated quoted field");
  EXPECT_THAT(
      CsvSchema::FromHeader("code,nmae", LineKind::kAuto).status().message(),
      HasSubstr("unknown column(s) nmae"));
  EXPECT_THAT(
      CsvSchema::FromHeader("id,code", LineKind::kRecord).status().message(),
      HasSubstr("required column 'list' missing"));
  EXPECT_THAT(CsvSchema::FromHeader("code,name,code", LineKind::kAuto)
                  .status()
                  .message(),
              HasSubstr("appears twice"));
}

TEST(GbkTest, ConvertsAndRejects) {
  // "福州" in GBK.
  auto ok = GbkToUtf8("\xB8\xA3\xD6\xDD");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "福州");
  EXPECT_FALSE(GbkToUtf8("\xB8").ok());  // truncated double-byte character
}

// A file through the Ingestor into a real store.
class IngestorTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::vector<Rejection> rejections_;

  IngestSummary Load(const std::vector<std::string>& files,
                     IngestOptions options = {}) {
    auto sink = BulkLoadSink::Open(dir_.path() + "/db");
    EXPECT_TRUE(sink.ok()) << sink.status();
    Ingestor ingestor(options,
                      [&](const WriteBatch& b) { return (*sink)->Apply(b); });
    ingestor.set_reject_fn(
        [&](const Rejection& r) { rejections_.push_back(r); });
    ingestor.set_known_code_fn(
        [&](uint64_t h) { return (*sink)->HasSubjectCode(h); });
    for (const std::string& f : files) {
      absl::Status st = ingestor.LoadFile(f);
      EXPECT_TRUE(st.ok()) << st;
    }
    return ingestor.summary();
  }
};

TEST_F(IngestorTest, GoodLinesLoadBadLinesAreReportedRerunIsIdempotent) {
  std::string jsonl;
  jsonl += R"({"id":"S1","code":"91350100M000100Y43","name":"甲"})"
           "\n";
  jsonl += R"({"id":"S2","code":"91350100M000100Y44","name":"乙"})"
           "\n";  // flagged code
  jsonl += "\n";  // blank: skipped
  jsonl += R"({"id":"S3","code":"914403001922038216"})"
           "\n";  // no name
  jsonl += R"({"id":"S1","code":"91350100M000100Y43","name":"甲"})"
           "\n";  // repeat
  jsonl += R"({"id":"S1","code":"91350100M000100Y43","name":"丙"})"
           "\n";            // conflicting id
  jsonl += "\xff\xfe{}\n";  // not UTF-8
  jsonl +=
      R"({"id":"r1","code":"91350100M000100Y43","list":"serious_dishonesty"})"
      "\n";
  jsonl += R"({"id":"r2","code":"91110000802100433B","list":"red_list"})"
           "\n";  // orphan
  jsonl +=
      R"({"id":"S4","code":"91110108551385082Q","name":"截断)";  // truncated
                                                                 // last line
  const std::string path = dir_.WriteFile("in.jsonl", jsonl);
  IngestSummary s = Load({path});
  EXPECT_EQ(s.subjects_new, 2u);
  EXPECT_EQ(s.subjects_repeated, 1u);
  EXPECT_EQ(s.records_new, 2u);
  EXPECT_EQ(s.orphan_records, 1u);
  EXPECT_EQ(s.rejected, 4u);
  EXPECT_EQ(s.flagged_codes["check_character"], 1u);
  ASSERT_EQ(rejections_.size(), 4u);
  EXPECT_EQ(rejections_[0].line, 4u);
  EXPECT_EQ(rejections_[0].field, "name");
  EXPECT_EQ(rejections_[1].line, 6u);
  EXPECT_EQ(rejections_[1].field, "id");
  EXPECT_THAT(rejections_[1].reason, HasSubstr("first at " + path + ":1"));
  EXPECT_EQ(rejections_[2].line, 7u);
  EXPECT_THAT(rejections_[2].reason, HasSubstr("not valid UTF-8 at byte 1"));
  EXPECT_EQ(rejections_[3].line, 10u);
  EXPECT_THAT(rejections_[3].reason, HasSubstr("not valid JSON"));
  EXPECT_EQ(rejections_[0].file, path);

  // The same file again: everything good is a repeat, nothing changes.
  rejections_.clear();
  IngestSummary again = Load({path});
  EXPECT_EQ(again.subjects_new, 0u);
  EXPECT_EQ(again.subjects_repeated,
            3u);  // S1, S2 vs the store, S1 again in the file
  EXPECT_EQ(again.records_repeated, 2u);
  EXPECT_EQ(again.version, s.version);

  auto holder = RegistryHolder::Open(dir_.path() + "/db");
  ASSERT_TRUE(holder.ok());
  EXPECT_EQ((*holder)->Current()->subject_count(), 2u);
  EXPECT_EQ((*holder)->Current()->record_count(), 2u);
}

TEST_F(IngestorTest, CsvWithBomAndGbk) {
  const std::string utf8 = dir_.WriteFile(
      "s.csv",
      "\xEF\xBB\xBF"
      "code,name,former_names\r\n91350100M000100Y43,福州甲,旧甲|更旧\r\n");
  // GBK: header + one row naming 福州 (B8A3 D6DD).
  const std::string gbk =
      dir_.WriteFile("g.csv",
                     "code,name\n914403001922038216,"
                     "\xB8\xA3\xD6\xDD\n914403001922038216,\xB8\n");
  IngestSummary s = Load({utf8});
  EXPECT_EQ(s.subjects_new, 1u) << s.ToString();
  IngestOptions gbk_options;
  gbk_options.encoding = InputEncoding::kGbk;
  IngestSummary g = Load({gbk}, gbk_options);
  EXPECT_EQ(g.subjects_new, 1u) << g.ToString();
  EXPECT_EQ(g.rejected, 1u);
  auto holder = RegistryHolder::Open(dir_.path() + "/db");
  ASSERT_TRUE(holder.ok());
  EXPECT_EQ(
      (*holder)->Current()->SubjectsByCode("914403001922038216").at(0).name,
      "福州");
  EXPECT_EQ((*holder)
                ->Current()
                ->SubjectsByCode("91350100M000100Y43")
                .at(0)
                .former_names,
            (std::vector<std::string>{"旧甲", "更旧"}));
}

TEST_F(IngestorTest, BadCsvHeaderFailsTheFile) {
  const std::string path = dir_.WriteFile("bad.csv", "code,nmae\n1,2\n");
  auto sink = BulkLoadSink::Open(dir_.path() + "/db");
  ASSERT_TRUE(sink.ok());
  Ingestor ingestor({}, [&](const WriteBatch& b) { return (*sink)->Apply(b); });
  absl::Status st = ingestor.LoadFile(path);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(),
              HasSubstr(path + ":1: header: unknown column(s) nmae"));
}

TEST_F(IngestorTest, OverLongLineIsRejectedNotRead) {
  IngestOptions options;
  options.max_line_bytes = 1000;
  const std::string path = dir_.WriteFile(
      "long.jsonl",
      std::string(5000, 'x') + "\n" +
          R"({"id":"S1","code":"91350100M000100Y43","name":"甲"})" + "\n");
  IngestSummary s = Load({path}, options);
  EXPECT_EQ(s.subjects_new, 1u);
  ASSERT_EQ(rejections_.size(), 1u);
  EXPECT_EQ(rejections_[0].reason, "over-long line: 5000 bytes (limit 1000)");
}

}  // namespace
}  // namespace creditd
