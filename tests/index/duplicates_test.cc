// Code-based duplicate detection (index/duplicates.h) on small registries:
// each kind, the near misses that must not be flagged, the counting rules and
// the incremental check.
#include "index/duplicates.h"

#include "index/registry.h"
#include "index/uscc.h"

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <map>
#include <memory>

namespace creditd {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

// A valid code: authority 9 type 1, `region6`, numeric body `seq`.
std::string CodeFor(std::string_view region6, int seq) {
  const std::string body = absl::StrFormat("%08d", seq);
  std::string code = "91" + std::string(region6) + body;
  code.push_back(OrgCodeCheckCharacter(body));
  code.push_back(UsccCheckCharacter(code));
  return code;
}

Subject MakeSubject(std::string id, std::string code, std::string name,
                    std::string region = "") {
  Subject s;
  s.id = std::move(id);
  if (region.empty() && code.size() == 18) region = code.substr(2, 6);
  s.code = std::move(code);
  s.name = std::move(name);
  s.region = std::move(region);
  s.source = "fixture.jsonl:" + s.id;
  return s;
}

std::shared_ptr<const Registry> Build(const std::vector<Subject>& subjects,
                                      const std::vector<Record>& records = {}) {
  RegistryBuilder b;
  for (const Subject& s : subjects) EXPECT_TRUE(b.AddSubject(s).ok());
  for (const Record& r : records) EXPECT_TRUE(b.AddRecord(r).ok());
  return b.Finish(1);
}

std::vector<const DupFinding*> Of(const DupReport& r, DupKind kind) {
  std::vector<const DupFinding*> out;
  for (const DupFinding& f : r.findings) {
    if (f.kind == kind) out.push_back(&f);
  }
  return out;
}

DupReport Scan(const Registry& r) { return ScanDuplicates(r, ScanOptions()); }

TEST(DuplicatesTest, CleanRegistryHasNoFindings) {
  auto reg =
      Build({MakeSubject("a", CodeFor("350102", 1), "福州甲科技有限公司"),
             MakeSubject("b", CodeFor("350102", 2), "福州乙科技有限公司")});
  const DupReport r = Scan(*reg);
  EXPECT_THAT(r.findings, SizeIs(0));
  EXPECT_EQ(r.total.codes, 2u);
  EXPECT_EQ(r.total.flagged, 0u);
  EXPECT_EQ(r.stats.subjects, 2u);
}

TEST(DuplicatesTest, ErroneousCodesNameTheFault) {
  std::string bad_check = CodeFor("350102", 3);
  bad_check[17] = bad_check[17] == '1' ? '2' : '1';
  auto reg = Build({MakeSubject("a", bad_check, "甲公司"),
                    MakeSubject("b", "91350211M0000XUF46", "乙公司", "350211"),
                    MakeSubject("c", "无", "丙公司", "350102"),
                    MakeSubject("d", "无", "丁公司", "350102"),
                    MakeSubject("e", "916201055811843000", "戊公司")});
  const DupReport r = Scan(*reg);
  const auto err = Of(r, DupKind::kErroneousCode);
  ASSERT_THAT(err, SizeIs(4));
  std::map<std::string, const DupFinding*> by_code;
  for (const DupFinding* f : err) by_code[f->codes[0]] = f;
  EXPECT_EQ(by_code[bad_check]->fault, "check_character");
  EXPECT_TRUE(by_code[bad_check]->counted);
  EXPECT_THAT(by_code[bad_check]->reason, HasSubstr("position 18"));
  EXPECT_TRUE(by_code["91350211M0000XUF46"]->known_legacy_exception);
  EXPECT_FALSE(by_code["91350211M0000XUF46"]->counted);
  EXPECT_EQ(by_code["无"]->fault, "placeholder");
  EXPECT_THAT(by_code["无"]->subjects, SizeIs(2));  // one finding per code
  EXPECT_EQ(by_code["916201055811843000"]->fault, "excel_truncated");
  // A placeholder shared by two subjects is an erroneous code, not a 重码.
  EXPECT_THAT(Of(r, DupKind::kDuplicateCode), SizeIs(0));
  // 4 distinct codes; the legacy exception is listed but not counted.
  EXPECT_EQ(r.total.codes, 4u);
  EXPECT_EQ(r.total.flagged, 3u);
}

TEST(DuplicatesTest, DuplicateCodeWithDifferentNames) {
  const std::string code = CodeFor("350102", 4);
  auto reg = Build({MakeSubject("a", code, "福州甲科技有限公司"),
                    MakeSubject("b", code, "福州乙贸易有限公司")});
  const DupReport r = Scan(*reg);
  const auto dup = Of(r, DupKind::kDuplicateCode);
  ASSERT_THAT(dup, SizeIs(1));
  EXPECT_EQ(dup[0]->codes[0], code);
  EXPECT_THAT(dup[0]->subjects, SizeIs(2));
  EXPECT_EQ(dup[0]->subjects[0].source.substr(0, 13), "fixture.jsonl");
  EXPECT_TRUE(dup[0]->counted);
  EXPECT_EQ(r.total.codes, 1u);
  EXPECT_EQ(r.total.flagged, 1u);
}

TEST(DuplicatesTest, SameSubjectTwiceUnderOneCodeIsARepeatNotADuplicate) {
  const std::string code = CodeFor("350102", 5);
  Subject renamed =
      MakeSubject("c", CodeFor("350102", 6), "福州新名科技有限公司");
  renamed.former_names = {"福州旧名科技有限公司"};
  Subject stale = MakeSubject("d", renamed.code, "福州旧名科技有限公司");
  auto reg =
      Build({MakeSubject("a", code, "福州甲科技有限公司"),
             MakeSubject("b", code, "福州甲科技有限公司 "), renamed, stale});
  const DupReport r = Scan(*reg);
  EXPECT_THAT(Of(r, DupKind::kDuplicateCode), SizeIs(0));
  const auto rep = Of(r, DupKind::kRepeatedSubject);
  ASSERT_THAT(rep, SizeIs(2));
  EXPECT_FALSE(rep[0]->counted);
  EXPECT_EQ(r.total.flagged, 0u);
}

TEST(DuplicatesTest, RenamedSubjectAloneIsNotFlagged) {
  Subject renamed =
      MakeSubject("a", CodeFor("350102", 7), "福州新名科技有限公司");
  renamed.former_names = {"福州旧名科技有限公司"};
  auto reg = Build({renamed});
  EXPECT_THAT(Scan(*reg).findings, SizeIs(0));
}

TEST(DuplicatesTest, MultiCodeBySameNameAndRegion) {
  auto reg =
      Build({MakeSubject("a", CodeFor("350102", 8), "福州鑫盛达科技有限公司"),
             MakeSubject("b", CodeFor("350102", 9), "福州鑫盛达科技有限公司")});
  const DupReport r = Scan(*reg);
  const auto multi = Of(r, DupKind::kMultiCode);
  ASSERT_THAT(multi, SizeIs(1));
  EXPECT_THAT(multi[0]->codes, SizeIs(2));
  EXPECT_THAT(multi[0]->reason, HasSubstr("same name"));
  EXPECT_EQ(r.total.flagged, 2u);  // both codes of the group count
}

TEST(DuplicatesTest, NearMissesAreNotFlagged) {
  auto reg = Build({
      // Same trade name in different regions.
      MakeSubject("a", CodeFor("350102", 10), "鑫盛达科技有限公司"),
      MakeSubject("b", CodeFor("110108", 11), "鑫盛达科技有限公司"),
      // A branch office sharing its parent's name.
      MakeSubject("c", CodeFor("350102", 12), "福州恒通贸易有限公司"),
      MakeSubject("d", CodeFor("350102", 13), "福州恒通贸易有限公司鼓楼分公司"),
  });
  const DupReport r = Scan(*reg);
  EXPECT_THAT(r.findings, SizeIs(0));
}

TEST(DuplicatesTest, MultiCodeBySameOrgCodeRegNoOrFormerName) {
  // Same organisation code body, re-registered in another division.
  const std::string body = "12345678";
  std::string c1 = "91350102" + body;
  c1.push_back(OrgCodeCheckCharacter(body));
  c1.push_back(UsccCheckCharacter(c1));
  std::string c2 = "91350103" + body;
  c2.push_back(OrgCodeCheckCharacter(body));
  c2.push_back(UsccCheckCharacter(c2));
  Subject a = MakeSubject("a", c1, "福州甲有限公司");
  Subject b = MakeSubject("b", c2, "福州乙有限公司");
  // Same registration number on file.
  Subject c = MakeSubject("c", CodeFor("110108", 20), "北京丙有限公司");
  Subject d = MakeSubject("d", CodeFor("110108", 21), "北京丁有限公司");
  c.reg_no = d.reg_no = "110108000000016";
  // A former name of one is the current name of the other.
  Subject e = MakeSubject("e", CodeFor("350102", 22), "福州新戊有限公司");
  e.former_names = {"福州戊有限公司"};
  Subject f = MakeSubject("f", CodeFor("350102", 23), "福州戊有限公司");
  auto reg = Build({a, b, c, d, e, f});
  const DupReport r = Scan(*reg);
  const auto multi = Of(r, DupKind::kMultiCode);
  ASSERT_THAT(multi, SizeIs(3));
  std::string reasons;
  for (const DupFinding* m : multi) reasons += m->reason + "\n";
  EXPECT_THAT(reasons, HasSubstr("same organisation code 12345678"));
  EXPECT_THAT(reasons, HasSubstr("same registration number 110108000000016"));
  EXPECT_THAT(reasons, HasSubstr("former name '福州戊有限公司'"));
}

TEST(DuplicatesTest, LegacyMismatch) {
  Subject a = MakeSubject("a", CodeFor("350102", 30), "甲公司");
  a.org_code = "M0001002-4";  // not the code's body
  Subject b = MakeSubject("b", CodeFor("350102", 31), "乙公司");
  b.reg_no = "110108000000016";  // division 110108, code region 350102
  auto reg = Build({a, b});
  const DupReport r = Scan(*reg);
  const auto mm = Of(r, DupKind::kLegacyMismatch);
  ASSERT_THAT(mm, SizeIs(2));
  int counted = 0;
  for (const DupFinding* f : mm) counted += f->counted;
  EXPECT_EQ(counted, 1);  // only the body disagreement counts
  EXPECT_EQ(r.total.flagged, 1u);
}

TEST(DuplicatesTest, RepeatedRecordUnderANewId) {
  const std::string code = CodeFor("350102", 40);
  Record r1;
  r1.id = "r1";
  r1.code = code;
  r1.list = "serious_dishonesty";
  r1.doc_no = "闽罚〔2023〕1号";
  r1.source = "records.jsonl:1";
  Record r2 = r1;
  r2.id = "r2";
  r2.source = "records.jsonl:9";
  Record r3 = r1;
  r3.id = "r3";
  r3.doc_no = "闽罚〔2023〕2号";  // another decision: not a repeat
  auto reg = Build({MakeSubject("a", code, "甲公司")}, {r1, r2, r3});
  const DupReport r = Scan(*reg);
  const auto rep = Of(r, DupKind::kRepeatedRecord);
  ASSERT_THAT(rep, SizeIs(1));
  ASSERT_THAT(rep[0]->records, SizeIs(2));
  EXPECT_EQ(rep[0]->records[1].source, "records.jsonl:9");
  EXPECT_EQ(r.total.flagged, 0u);
  EXPECT_EQ(r.stats.records, 3u);
}

TEST(DuplicatesTest, RatesPerRegionLevelAndAuthority) {
  std::vector<Subject> subjects;
  for (int i = 0; i < 3; ++i) {
    subjects.push_back(MakeSubject(absl::StrFormat("g%d", i),
                                   CodeFor("350102", 100 + i),
                                   absl::StrFormat("鼓楼%d公司", i)));
  }
  for (int i = 0; i < 2; ++i) {
    subjects.push_back(MakeSubject(absl::StrFormat("t%d", i),
                                   CodeFor("350103", 200 + i),
                                   absl::StrFormat("台江%d公司", i)));
  }
  subjects[0].code[17] = subjects[0].code[17] == '1' ? '2' : '1';
  auto reg = Build(subjects);
  ScanOptions options;
  options.bar = 0.25;
  const DupReport r = ScanDuplicates(*reg, options);
  std::map<std::pair<RegionLevel, uint32_t>, const RegionRate*> rows;
  for (const RegionRate& row : r.regions) rows[{row.level, row.code}] = &row;
  const RegionRate* gulou = rows[{RegionLevel::kCounty, 350102}];
  ASSERT_NE(gulou, nullptr);
  EXPECT_EQ(gulou->counts.codes, 3u);
  EXPECT_EQ(gulou->counts.flagged, 1u);
  EXPECT_TRUE(gulou->over_bar);
  const RegionRate* taijiang = rows[{RegionLevel::kCounty, 350103}];
  ASSERT_NE(taijiang, nullptr);
  EXPECT_EQ(taijiang->counts.flagged, 0u);
  EXPECT_FALSE(taijiang->over_bar);
  const RegionRate* fuzhou = rows[{RegionLevel::kCity, 350100}];
  ASSERT_NE(fuzhou, nullptr);
  EXPECT_EQ(fuzhou->counts.codes, 5u);
  EXPECT_EQ(fuzhou->counts.flagged, 1u);
  EXPECT_THAT(fuzhou->name, HasSubstr("福州"));
  const RegionRate* fujian = rows[{RegionLevel::kProvince, 350000}];
  ASSERT_NE(fujian, nullptr);
  EXPECT_EQ(fujian->counts.codes, 5u);
  EXPECT_DOUBLE_EQ(fujian->counts.rate(), 0.2);
  EXPECT_FALSE(fujian->over_bar);
  ASSERT_THAT(r.authorities, SizeIs(1));
  EXPECT_EQ(r.authorities[0].authority, '9');
  EXPECT_EQ(r.authorities[0].name, "工商");
  EXPECT_EQ(r.authorities[0].counts.flagged, 1u);
}

TEST(DuplicatesTest, FoldedNameHashFoldsWidthCaseSpacesBrackets) {
  EXPECT_EQ(FoldedNameHash("腾讯科技（深圳）有限公司"),
            FoldedNameHash("腾讯科技(深圳) 有限公司"));
  EXPECT_EQ(FoldedNameHash("ＡＢＣ贸易"), FoldedNameHash("abc贸易"));
  EXPECT_NE(FoldedNameHash("甲公司"), FoldedNameHash("乙公司"));
}

// Everything a report says, as text, to compare two scans.
std::string Dump(const DupReport& r) {
  std::string out = absl::StrFormat(
      "total %d/%d subjects %d records %d candidates %d\n", r.total.flagged,
      r.total.codes, r.stats.subjects, r.stats.records, r.stats.candidates);
  for (const DupFinding& f : r.findings) {
    out += absl::StrFormat("%s %s %s %d %d %c [%s]", DupKindName(f.kind),
                           absl::StrJoin(f.codes, ","), f.fault, f.counted,
                           f.region, f.authority, f.reason);
    for (const DupSubjectRef& s : f.subjects) out += " s:" + s.id;
    for (const DupRecordRef& rec : f.records) out += " r:" + rec.id;
    out += "\n";
  }
  for (const RegionRate& rr : r.regions) {
    out += absl::StrFormat("region %d %d %d/%d", static_cast<int>(rr.level),
                           rr.code, rr.counts.flagged, rr.counts.codes);
    for (uint64_t k : rr.counts.by_kind) out += absl::StrFormat(" %d", k);
    out += "\n";
  }
  for (const AuthorityRate& a : r.authorities) {
    out += absl::StrFormat("authority %c %d/%d\n", a.authority,
                           a.counts.flagged, a.counts.codes);
  }
  return out;
}

// The scan splits subjects and records into chunks decoded on worker threads
// and merged in scan order: the report must not depend on the thread count or
// on where the chunk edges fall (first holder of a shared code, one
// erroneous_code finding per code across chunks, key collisions across
// chunks, record repeats across chunks).
TEST(DuplicatesTest, ReportDoesNotDependOnThreadsOrChunks) {
  std::vector<Subject> subjects;
  std::vector<Record> records;
  for (int i = 0; i < 300; ++i) {
    const std::string region = i % 3 == 0 ? "350102" : "110108";
    Subject s = MakeSubject(absl::StrFormat("id%03d", i), CodeFor(region, i),
                            absl::StrFormat("公司%03d有限公司", i));
    if (i % 41 == 5) s.code = "无";                    // shared invalid
    if (i % 53 == 7) s.code = CodeFor(region, i - 1);  // 重码
    if (i % 61 == 9) s.name = absl::StrFormat("公司%03d有限公司", i - 3);
    if (i % 67 == 11) s.org_code = "M0001002-4";             // legacy mismatch
    if (i % 71 == 13) s.former_names = {"公司000有限公司"};  // former-name link
    subjects.push_back(std::move(s));
    Record r;
    r.id = absl::StrFormat("r%03d", i);
    r.code = CodeFor("350102", i % 50);
    r.list = "serious_dishonesty";
    r.doc_no =
        absl::StrFormat("闽罚〔2023〕%d号", i % 25);  // i, i+50, ... repeat
    r.source = "records.jsonl:" + r.id;
    records.push_back(std::move(r));
  }
  auto reg = Build(subjects, records);
  ScanOptions one;
  one.threads = 1;
  const std::string want = Dump(ScanDuplicates(*reg, one));
  // The fixture does exercise every kind.
  for (std::string_view kind :
       {"erroneous_code", "duplicate_code", "multi_code", "legacy_mismatch",
        "repeated_record"}) {
    EXPECT_THAT(want, HasSubstr(std::string(kind) + " ")) << kind;
  }
  for (unsigned threads : {1u, 2u, 3u}) {
    for (size_t chunk : {1u, 7u, 64u, 1000u}) {
      ScanOptions o;
      o.threads = threads;
      o.chunk_subjects = chunk;
      EXPECT_EQ(Dump(ScanDuplicates(*reg, o)), want)
          << threads << " threads, chunks of " << chunk;
    }
  }
}

// The region rule shared by creditctl dups --region and the socket's
// DuplicateReportRequest.region_prefix.
TEST(DuplicatesTest, RegionPrefixRule) {
  EXPECT_TRUE(ValidateRegionPrefix("").ok());
  EXPECT_TRUE(ValidateRegionPrefix("3").ok());
  EXPECT_TRUE(ValidateRegionPrefix("350102").ok());
  for (std::string_view bad : {"3501021", "35a", " 35", "-1", "３５"}) {
    const absl::Status st = ValidateRegionPrefix(bad);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(st.message(), HasSubstr("region_prefix: '"));
    EXPECT_THAT(st.message(),
                HasSubstr("is not 1-6 digits of a division code"));
  }
  // Client bytes are escaped and truncated before they reach the message.
  EXPECT_EQ(ValidateRegionPrefix(std::string("3\n\x01", 3)).message(),
            "region_prefix: '3\\n\\x01' is not 1-6 digits of a division "
            "code (e.g. 35, 3501, 350102)");
  EXPECT_LT(ValidateRegionPrefix(std::string(10000, 'x')).message().size(),
            200u);

  DupFinding f;
  f.region = 350102;
  EXPECT_TRUE(FindingInRegion(f, ""));
  EXPECT_TRUE(FindingInRegion(f, "35"));
  EXPECT_TRUE(FindingInRegion(f, "350102"));
  EXPECT_FALSE(FindingInRegion(f, "3502"));
  f.subjects.push_back({"id", "code", "name", "110108", "src"});
  EXPECT_TRUE(FindingInRegion(f, "1101"));  // a subject's region
  f.region = 0;                             // 未知
  EXPECT_TRUE(FindingInRegion(f, "0000"));

  RegionRate province{RegionLevel::kProvince, 350000, "福建省", {}, false};
  RegionRate city{RegionLevel::kCity, 350100, "福州市", {}, false};
  RegionRate county{RegionLevel::kCounty, 350102, "鼓楼区", {}, false};
  RegionRate other{RegionLevel::kCounty, 350203, "思明区", {}, false};
  for (const RegionRate* r : {&province, &city, &county}) {
    EXPECT_TRUE(RegionRateInPrefix(*r, "350102")) << r->code;  // ancestors
    EXPECT_TRUE(RegionRateInPrefix(*r, "35")) << r->code;
  }
  EXPECT_FALSE(RegionRateInPrefix(other, "3501"));
  EXPECT_TRUE(RegionRateInPrefix(other, "35"));
  EXPECT_FALSE(RegionRateInPrefix(city, "3502"));
  EXPECT_TRUE(RegionRateInPrefix(other, ""));
}

TEST(CheckWriteBatchTest, FlagsEachWrite) {
  const std::string held = CodeFor("350102", 50);
  auto reg = Build({MakeSubject("a", held, "福州甲科技有限公司"),
                    MakeSubject("z", CodeFor("350102", 51), "福州丙有限公司")});
  WriteBatch batch;
  batch.upsert_subjects.push_back(
      MakeSubject("a", held, "福州甲科技有限公司"));  // update of itself
  batch.upsert_subjects.push_back(
      MakeSubject("b", held, "福州乙贸易有限公司"));  // 重码 with a
  std::string bad = CodeFor("350102", 52);
  bad[17] = bad[17] == '1' ? '2' : '1';
  batch.upsert_subjects.push_back(MakeSubject("c", bad, "丙"));
  const std::string fresh = CodeFor("350102", 53);
  batch.insert_subjects.push_back(MakeSubject("d", fresh, "丁"));
  batch.insert_subjects.push_back(MakeSubject("e", fresh, "丁"));  // in-batch
  Record rec;
  rec.id = "r";
  rec.code = "N/A";
  rec.list = "red_list";
  batch.put_records.push_back(rec);
  const std::vector<WriteFlag> flags = CheckWriteBatch(*reg, batch);
  ASSERT_THAT(flags, SizeIs(4));
  EXPECT_EQ(flags[0].kind, WriteFlag::Kind::kCodeShared);
  EXPECT_EQ(flags[0].index, 1u);
  EXPECT_EQ(flags[0].others[0].id, "a");
  EXPECT_FALSE(flags[0].same_name);
  EXPECT_EQ(flags[1].kind, WriteFlag::Kind::kErroneousCode);
  EXPECT_EQ(flags[1].fault, "check_character");
  EXPECT_EQ(flags[2].kind, WriteFlag::Kind::kCodeShared);
  EXPECT_EQ(flags[2].source, WriteFlag::Source::kInsertSubject);
  EXPECT_EQ(flags[2].index, 1u);
  EXPECT_TRUE(flags[2].same_name);
  EXPECT_EQ(flags[3].source, WriteFlag::Source::kPutRecord);
  EXPECT_EQ(flags[3].fault, "placeholder");
}

TEST(CheckWriteBatchTest, HolderDeletedOrMovedInTheSameBatchDoesNotCount) {
  const std::string held = CodeFor("350102", 60);
  auto reg = Build({MakeSubject("a", held, "甲"),
                    MakeSubject("b", CodeFor("350102", 61), "乙")});
  WriteBatch batch;
  batch.delete_subjects.push_back("a");
  batch.upsert_subjects.push_back(MakeSubject("c", held, "丙"));
  EXPECT_THAT(CheckWriteBatch(*reg, batch), SizeIs(0));
  WriteBatch legacy;
  Subject s = MakeSubject("d", CodeFor("350102", 62), "丁");
  s.org_code = "M0001002-4";
  legacy.upsert_subjects.push_back(s);
  const auto flags = CheckWriteBatch(*reg, legacy);
  ASSERT_THAT(flags, SizeIs(1));
  EXPECT_EQ(flags[0].kind, WriteFlag::Kind::kLegacyMismatch);
}

}  // namespace
}  // namespace creditd
