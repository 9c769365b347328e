#include "check/check_engine.h"

#include "index/uscc.h"
#include "tests/testutil.h"

#include "gtest/gtest.h"

#include <string>
#include <vector>

namespace creditd {
namespace {

Date D(const char* text) { return *ParseDate(text); }

// A valid code: `prefix` (8 chars: authority, type, region) + an 8-character
// organisation-code body + both check characters.
std::string MakeCode(std::string prefix, std::string body) {
  std::string code = prefix + body + OrgCodeCheckCharacter(body);
  code += UsccCheckCharacter(code);
  return code;
}

const std::string kA = MakeCode("91350100", "M0001001");    // 鑫盛达
const std::string kDup = MakeCode("91350200", "M0001002");  // 重码
const std::string kRev = MakeCode("91350300", "M0001003");  // revoked
const std::string kDereg = MakeCode("91350400", "M0001004");
const std::string kXm = MakeCode("91350200", "M0001005");  // 厦门鑫盛达
const std::string kNobody = MakeCode("91110000", "M0001006");

Subject MakeSubject(std::string id, std::string code, std::string name,
                    SubjectStatus status = SubjectStatus::kActive) {
  Subject s;
  s.id = std::move(id);
  s.code = std::move(code);
  s.name = std::move(name);
  s.region = s.code.substr(2, 6);
  s.status = status;
  return s;
}

Record MakeRecord(std::string id, std::string code, std::string list) {
  Record r;
  r.id = std::move(id);
  r.code = std::move(code);
  r.list = std::move(list);
  r.authority = "某市市场监督管理局";
  r.basis = "某法第一条";
  r.doc_no = "某市监〔2023〕1号";
  return r;
}

std::string Row(const char* list, const char* scenario, const char* action,
                const char* extra = "") {
  return std::string("[[measure]]\nlist = \"") + list + "\"\nscenario = \"" +
         scenario + "\"\naction = \"" + action + "\"\nbasis = \"basis of " +
         list + "\"\nwording = \"w\"\n" + extra + "\n";
}

// bidding: serious_dishonesty block, abnormal_operation warn, admin_penalty
// info (3 years), red_list incentive, dishonest_judgment_debtor block unless
// disputed. market_access names nothing: every pair there is unnamed.
std::shared_ptr<const MeasuresList> TestMeasures() {
  std::string text =
      "version = \"t1\"\n" + Row("serious_dishonesty", "bidding", "block") +
      Row("abnormal_operation", "bidding", "warn") +
      Row("admin_penalty", "bidding", "info", "within_years = 3\n") +
      Row("red_list", "bidding", "incentive") +
      Row("dishonest_judgment_debtor", "bidding", "block",
          "exclude_disputed = true\n");
  auto list = MeasuresList::Parse(text, "t.toml");
  EXPECT_TRUE(list.ok()) << list.status();
  return std::make_shared<const MeasuresList>(*std::move(list));
}

std::shared_ptr<const Registry> BuildRegistry(
    const std::vector<Subject>& subjects, const std::vector<Record>& records,
    uint64_t version = 42) {
  RegistryBuilder b;
  for (const Subject& s : subjects) EXPECT_TRUE(b.AddSubject(s).ok());
  for (const Record& r : records) EXPECT_TRUE(b.AddRecord(r).ok());
  return b.Finish(version);
}

std::vector<Subject> StandardSubjects() {
  Subject a = MakeSubject("a", kA, "福州鑫盛达科技有限公司");
  a.former_names = {"福州鑫盛达电子有限公司"};
  return {
      a,
      MakeSubject("d1", kDup, "厦门海润贸易有限公司"),
      MakeSubject("d2", kDup, "泉州永安食品有限公司"),
      MakeSubject("r", kRev, "莆田永丰建材有限公司", SubjectStatus::kRevoked),
      MakeSubject("x", kDereg, "漳州华盛五金有限公司",
                  SubjectStatus::kDeregistered),
      MakeSubject("xm", kXm, "厦门鑫盛达科技有限公司")};
}

CheckRequest Req(std::string code, std::string scenario = "bidding",
                 const char* date = "2024-04-01") {
  CheckRequest r;
  r.code = std::move(code);
  r.scenario = std::move(scenario);
  r.date = D(date);
  return r;
}

// ---------------------------------------------------------------------------
// Verdict semantics, table-driven: one record (or several) on subject A.

struct VerdictCase {
  const char* name;
  std::vector<Record> records;
  const char* scenario;
  const char* date;
  Action verdict;
  size_t shown;            // records a check caller sees
  size_t shown_admin;      // records the admin view sees
  const char* fired_list;  // list of the record that fired, "" for none
  NotInForce first_admin_reason = NotInForce::kNone;
};

Record WithDates(Record r, const char* from, const char* until,
                 const char* repaired = nullptr,
                 const char* decided = nullptr) {
  if (from) r.valid_from = D(from);
  if (until) r.valid_until = D(until);
  if (repaired) r.repaired_on = D(repaired);
  if (decided) r.decided_on = D(decided);
  return r;
}

Record Disputed(Record r) {
  r.disputed = true;
  return r;
}

std::vector<VerdictCase> VerdictCases() {
  const Record sd = MakeRecord("r1", kA, "serious_dishonesty");
  const Record window = WithDates(sd, "2024-03-01", "2024-06-30");
  const Record repaired = WithDates(sd, "2024-01-01", nullptr, "2024-05-15");
  const Record ao = MakeRecord("r2", kA, "abnormal_operation");
  const Record rl = MakeRecord("r3", kA, "red_list");
  const Record ap = WithDates(MakeRecord("r4", kA, "admin_penalty"), nullptr,
                              nullptr, nullptr, "2021-03-15");
  const Record jd = MakeRecord("r5", kA, "dishonest_judgment_debtor");
  const Record lic = MakeRecord("r6", kA, "admin_license");
  using enum Action;
  using enum NotInForce;
  return {
      {"no_records", {}, "bidding", "2024-04-01", kClear, 0, 0, ""},
      {"open_ended",
       {sd},
       "bidding",
       "2024-04-01",
       kBlock,
       1,
       1,
       "serious_dishonesty"},
      // valid_from: the first day counts, the day before does not.
      {"day_before_valid_from",
       {window},
       "bidding",
       "2024-02-29",
       kClear,
       0,
       1,
       "",
       kNotYetValid},
      {"on_valid_from",
       {window},
       "bidding",
       "2024-03-01",
       kBlock,
       1,
       1,
       "serious_dishonesty"},
      {"day_after_valid_from",
       {window},
       "bidding",
       "2024-03-02",
       kBlock,
       1,
       1,
       "serious_dishonesty"},
      // valid_until is the last day in force.
      {"day_before_valid_until",
       {window},
       "bidding",
       "2024-06-29",
       kBlock,
       1,
       1,
       "serious_dishonesty"},
      {"on_valid_until",
       {window},
       "bidding",
       "2024-06-30",
       kBlock,
       1,
       1,
       "serious_dishonesty"},
      {"day_after_valid_until",
       {window},
       "bidding",
       "2024-07-01",
       kClear,
       0,
       1,
       "",
       kExpired},
      // repaired_on: from that day on the record no longer counts.
      {"day_before_repaired",
       {repaired},
       "bidding",
       "2024-05-14",
       kBlock,
       1,
       1,
       "serious_dishonesty"},
      {"on_repaired",
       {repaired},
       "bidding",
       "2024-05-15",
       kClear,
       0,
       1,
       "",
       kRepaired},
      {"day_after_repaired",
       {repaired},
       "bidding",
       "2024-05-16",
       kClear,
       0,
       1,
       "",
       kRepaired},
      // Strongest wins, whatever the order.
      {"block_beats_all",
       {rl, ao, sd, ap},
       "bidding",
       "2024-01-01",
       kBlock,
       4,
       4,
       "serious_dishonesty"},
      {"warn_beats_incentive",
       {rl, ao},
       "bidding",
       "2024-01-01",
       kWarn,
       2,
       2,
       "abnormal_operation"},
      {"incentive_beats_info",
       {ap, rl},
       "bidding",
       "2024-01-01",
       kIncentive,
       2,
       2,
       "red_list"},
      {"info_alone",
       {ap},
       "bidding",
       "2024-03-15",
       kInfo,
       1,
       1,
       "admin_penalty"},
      {"info_outside_window", {ap}, "bidding", "2024-03-16", kClear, 1, 1, ""},
      {"repaired_block_leaves_warn",
       {repaired, ao},
       "bidding",
       "2024-06-01",
       kWarn,
       1,
       2,
       "abnormal_operation",
       kRepaired},
      // Unnamed (list, scenario) pairs never block, and are shown marked.
      {"unnamed_pair", {sd}, "market_access", "2024-04-01", kClear, 1, 1, ""},
      {"unnamed_list", {lic}, "bidding", "2024-04-01", kClear, 1, 1, ""},
      // Disputed records: excluded only where the row says so.
      {"disputed_excluded",
       {Disputed(jd)},
       "bidding",
       "2024-04-01",
       kClear,
       1,
       1,
       ""},
      {"undisputed_judgment",
       {jd},
       "bidding",
       "2024-04-01",
       kBlock,
       1,
       1,
       "dishonest_judgment_debtor"},
      {"disputed_still_counts",
       {Disputed(ao)},
       "bidding",
       "2024-04-01",
       kWarn,
       1,
       1,
       "abnormal_operation"},
  };
}

class VerdictTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(VerdictTest, Semantics) {
  const VerdictCase& c = GetParam();
  auto reg = BuildRegistry(StandardSubjects(), c.records);
  CheckEngine engine(TestMeasures());
  CheckRequest req = Req(kA, c.scenario, c.date);
  auto result = engine.Check(*reg, req);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->identity, IdentityCase::kFound);
  EXPECT_TRUE(result->issues.empty());
  EXPECT_EQ(ActionName(result->verdict), ActionName(c.verdict));
  EXPECT_EQ(result->records.size(), c.shown);
  if (c.fired_list[0] != '\0') {
    EXPECT_EQ(result->fired.source, FiredRule::Source::kMeasure);
    ASSERT_TRUE(result->fired.record.has_value());
    EXPECT_EQ(result->records[*result->fired.record].record.list, c.fired_list);
    ASSERT_NE(result->fired.rule, nullptr);
    EXPECT_EQ(result->fired.rule->list, c.fired_list);
  } else {
    EXPECT_EQ(result->fired.source, FiredRule::Source::kNone);
  }
  for (const CheckedRecord& r : result->records) {
    EXPECT_NE(r.disposition, Disposition::kNotInForce);
    EXPECT_FALSE(r.record.authority.empty());
    EXPECT_FALSE(r.record.doc_no.empty());
  }

  req.admin_view = true;
  auto admin = engine.Check(*reg, req);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->verdict, result->verdict);
  ASSERT_EQ(admin->records.size(), c.shown_admin);
  if (c.first_admin_reason != NotInForce::kNone) {
    EXPECT_EQ(admin->records[0].disposition, Disposition::kNotInForce);
    EXPECT_EQ(NotInForceName(admin->records[0].not_in_force),
              NotInForceName(c.first_admin_reason));
  }
}

INSTANTIATE_TEST_SUITE_P(Table, VerdictTest,
                         ::testing::ValuesIn(VerdictCases()),
                         [](const ::testing::TestParamInfo<VerdictCase>& p) {
                           return std::string(p.param.name);
                         });

TEST(CheckEngineTest, MeasureAppliedIsReported) {
  auto reg = BuildRegistry(StandardSubjects(),
                           {MakeRecord("r1", kA, "serious_dishonesty"),
                            MakeRecord("r2", kA, "admin_license")});
  CheckEngine engine(TestMeasures());
  auto r = engine.Check(*reg, Req(kA));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 2u);
  ASSERT_NE(r->records[0].rule, nullptr);
  EXPECT_EQ(r->records[0].rule->action, Action::kBlock);
  EXPECT_EQ(r->records[0].rule->basis, "basis of serious_dishonesty");
  EXPECT_EQ(r->records[1].rule, nullptr);
  EXPECT_EQ(r->records[1].disposition, Disposition::kNoRule);
  EXPECT_EQ(r->data_version, 42u);
  EXPECT_EQ(r->measures->version(), "t1");
  EXPECT_EQ(r->subjects.at(0).ToSubject().former_names,
            std::vector<std::string>{"福州鑫盛达电子有限公司"});
  EXPECT_EQ(r->fired.ToString(),
            "measure serious_dishonesty/bidding -> block (line " +
                std::to_string(r->fired.rule->line) + ")");
  EXPECT_TRUE(r->receipt.empty());  // no audit log configured
}

// A result shows subjects and records as views into the snapshot checked
// (check_engine.h, Lifetime): they must keep showing that snapshot's data
// while it is held, through later writes that replace the subject, repair the
// record and fold the delta into a new base.
TEST(CheckEngineTest, ResultViewsStayValidWhileTheSnapshotIsHeld) {
  testing::TempDir dir;
  RegistryHolder::Options options;
  options.fold_threshold = 2;  // the second write folds
  auto holder = RegistryHolder::Open(dir.path() + "/db", options);
  ASSERT_TRUE(holder.ok()) << holder.status();
  WriteBatch first;
  Subject a = MakeSubject("a", kA, "福州鑫盛达科技有限公司");
  a.former_names = {"福州鑫盛达电子有限公司"};
  first.upsert_subjects.push_back(a);
  first.put_records.push_back(MakeRecord("r1", kA, "serious_dishonesty"));
  ASSERT_TRUE((*holder)->Apply(first).ok());

  CheckEngine engine(TestMeasures());
  std::shared_ptr<const Registry> old_snapshot = (*holder)->Current();
  auto before = engine.Check(*old_snapshot, Req(kA));
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->verdict, Action::kBlock);

  WriteBatch second;
  second.upsert_subjects.push_back(
      MakeSubject("a", kA, "福州另一个名字有限公司"));
  Record repaired = MakeRecord("r1", kA, "serious_dishonesty");
  repaired.repaired_on = *ParseDate("2024-01-01");
  repaired.authority = "另一个机关";
  second.put_records.push_back(repaired);
  ASSERT_TRUE((*holder)->Apply(second).ok());
  (*holder)->WaitForFold();
  ASSERT_NE((*holder)->Current(), old_snapshot);

  ASSERT_EQ(before->subjects.size(), 1u);
  EXPECT_EQ(before->subjects[0].name, "福州鑫盛达科技有限公司");
  EXPECT_EQ(before->subjects[0].ToSubject().former_names,
            std::vector<std::string>{"福州鑫盛达电子有限公司"});
  ASSERT_EQ(before->records.size(), 1u);
  EXPECT_EQ(before->records[0].record.id, "r1");
  EXPECT_EQ(before->records[0].record.authority, "某市市场监督管理局");
  EXPECT_FALSE(before->records[0].record.repaired_on.has_value());

  auto after = engine.Check(*(*holder)->Current(), Req(kA));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->verdict, Action::kClear);
  ASSERT_EQ(after->subjects.size(), 1u);
  EXPECT_EQ(after->subjects[0].name, "福州另一个名字有限公司");
  EXPECT_TRUE(after->records.empty());  // repaired: not shown to a check
}

TEST(CheckEngineTest, DefaultDateIsTodayInTheZone) {
  auto reg = BuildRegistry(StandardSubjects(), {});
  CheckEngine engine(TestMeasures());
  CheckRequest req = Req(kA);
  req.date.reset();
  auto r = engine.Check(*reg, req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->date, Today("Asia/Shanghai"));
}

// ---------------------------------------------------------------------------
// Identity cases.

TEST(CheckIdentityTest, InvalidCodeNamesTheFault) {
  auto reg = BuildRegistry(StandardSubjects(), {});
  CheckEngine engine(TestMeasures());
  std::string bad = kA;
  bad[17] = bad[17] == '0' ? '1' : '0';
  auto r = engine.Check(*reg, Req(bad));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->identity, IdentityCase::kInvalidCode);
  EXPECT_EQ(r->code_fault, "check_character");
  EXPECT_NE(r->code_fault_detail.find("position 18"), std::string::npos)
      << r->code_fault_detail;
  EXPECT_EQ(r->verdict, Action::kWarn);
  EXPECT_EQ(r->fired.ToString(), "identity invalid_code");
  EXPECT_TRUE(r->subjects.empty());

  auto truncated = engine.Check(*reg, Req("916201055811843000"));
  ASSERT_TRUE(truncated.ok());
  EXPECT_EQ(truncated->code_fault, "excel_truncated");
}

TEST(CheckIdentityTest, FoldedInputFindsTheSubject) {
  auto reg = BuildRegistry(StandardSubjects(), {});
  CheckEngine engine(TestMeasures());
  std::string typed = " " + kA.substr(0, 9) + " " + kA.substr(9) + " ";
  for (char& c : typed) c = static_cast<char>(std::tolower(c));
  auto r = engine.Check(*reg, Req(typed));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->identity, IdentityCase::kFound);
  EXPECT_EQ(r->code, kA);
  EXPECT_FALSE(r->code_folds.empty());
  EXPECT_EQ(r->verdict, Action::kClear);
}

TEST(CheckIdentityTest, UnknownCodeWarnsAndStillShowsOrphanRecords) {
  auto reg = BuildRegistry(StandardSubjects(), {});
  CheckEngine engine(TestMeasures());
  auto r = engine.Check(*reg, Req(kNobody));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->identity, IdentityCase::kUnknownCode);
  EXPECT_EQ(r->verdict, Action::kWarn);
  EXPECT_EQ(r->fired.ToString(), "identity unknown_code");

  // Records naming a code no subject carries still count.
  auto orphan = BuildRegistry(StandardSubjects(),
                              {MakeRecord("o", kNobody, "serious_dishonesty")});
  auto o = engine.Check(*orphan, Req(kNobody));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->identity, IdentityCase::kUnknownCode);
  EXPECT_EQ(o->verdict, Action::kBlock);
  EXPECT_EQ(o->fired.source, FiredRule::Source::kMeasure);
  ASSERT_EQ(o->issues.size(), 1u);
  EXPECT_EQ(o->issues[0].kind, IdentityIssueKind::kUnknownCode);
}

TEST(CheckIdentityTest, KnownLegacyExceptionIsLookedUpAsValid) {
  auto reg = BuildRegistry(StandardSubjects(), {});
  CheckEngine engine(TestMeasures());
  auto r = engine.Check(*reg, Req("91350211M0000XUF46"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->code_legacy_exception);
  EXPECT_EQ(r->code_fault, "check_character");
  EXPECT_EQ(r->identity, IdentityCase::kUnknownCode);
}

TEST(CheckIdentityTest, DuplicateCodeListsAllAndPicksNone) {
  auto reg =
      BuildRegistry(StandardSubjects(), {MakeRecord("rr", kDup, "red_list")});
  CheckEngine engine(TestMeasures());
  auto r = engine.Check(*reg, Req(kDup));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->identity, IdentityCase::kDuplicateCode);
  ASSERT_EQ(r->subjects.size(), 2u);
  EXPECT_EQ(r->subjects[0].id, "d1");
  EXPECT_EQ(r->subjects[1].id, "d2");
  // Never a clean verdict: the incentive is outranked by the warning.
  EXPECT_EQ(r->verdict, Action::kWarn);
  EXPECT_EQ(r->fired.ToString(), "identity duplicate_code");
  EXPECT_EQ(r->records.size(), 1u);
  ASSERT_EQ(r->issues.size(), 1u);
  EXPECT_NE(r->issues[0].message.find("泉州永安食品有限公司"),
            std::string::npos);

  // A name matching one of them is shown, but still picks none.
  CheckRequest named = Req(kDup);
  named.name = "泉州永安食品有限公司";
  auto n = engine.Check(*reg, named);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->identity, IdentityCase::kDuplicateCode);
  EXPECT_EQ(n->verdict, Action::kWarn);
  EXPECT_TRUE(n->name_check.matches);
  EXPECT_EQ(n->name_check.matched_subject, 1u);
  EXPECT_EQ(n->subjects.size(), 2u);
}

TEST(CheckIdentityTest, RevokedAndDeregisteredWarn) {
  auto reg = BuildRegistry(StandardSubjects(), {});
  CheckEngine engine(TestMeasures());
  auto r = engine.Check(*reg, Req(kRev));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->identity, IdentityCase::kFound);
  EXPECT_EQ(r->verdict, Action::kWarn);
  EXPECT_EQ(r->fired.ToString(), "identity subject_revoked");
  EXPECT_EQ(r->subjects.at(0).status, SubjectStatus::kRevoked);
  auto x = engine.Check(*reg, Req(kDereg));
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->fired.ToString(), "identity subject_deregistered");
  // A block still outranks the status warning.
  auto blocked = BuildRegistry(StandardSubjects(),
                               {MakeRecord("b", kRev, "serious_dishonesty")});
  auto b = engine.Check(*blocked, Req(kRev));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->verdict, Action::kBlock);
  EXPECT_EQ(b->issues.size(), 1u);
}

TEST(CheckIdentityTest, NameGivenWithCode) {
  auto reg = BuildRegistry(StandardSubjects(), {});
  CheckEngine engine(TestMeasures());
  CheckRequest req = Req(kA);

  req.name = "福州鑫盛达科技有限公司";
  auto same = engine.Check(*reg, req);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->name_check.matches);
  EXPECT_FALSE(same->name_check.via_former_name);
  EXPECT_EQ(same->verdict, Action::kClear);

  req.name = "福州鑫盛达电子有限公司";  // the former name
  auto former = engine.Check(*reg, req);
  ASSERT_TRUE(former.ok());
  EXPECT_TRUE(former->name_check.matches);
  EXPECT_TRUE(former->name_check.via_former_name);
  EXPECT_EQ(former->verdict, Action::kClear);

  req.name = "泉州永安食品有限公司";  // another company's name on A's code
  auto other = engine.Check(*reg, req);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->name_check.matches);
  EXPECT_EQ(other->verdict, Action::kWarn);
  EXPECT_EQ(other->fired.ToString(), "identity name_mismatch");
  ASSERT_EQ(other->issues.size(), 1u);
  EXPECT_NE(other->issues[0].message.find("福州鑫盛达科技有限公司"),
            std::string::npos)
      << other->issues[0].message;

  req.name = "!!!";  // a name the normaliser refuses: no match, not an error
  auto junk = engine.Check(*reg, req);
  ASSERT_TRUE(junk.ok()) << junk.status();
  EXPECT_EQ(junk->verdict, Action::kWarn);
}

TEST(CheckIdentityTest, InjectedNameComparison) {
  auto reg = BuildRegistry(StandardSubjects(), {});
  CheckEngineOptions options;
  options.compare_names = [](std::string_view given,
                             std::string_view registered,
                             std::string_view) -> absl::StatusOr<Comparison> {
    Comparison c;
    c.score = given == registered ? 1.0 : 0.0;
    c.same_subject_likely = given == registered;
    return c;
  };
  CheckEngine engine(TestMeasures(), options);
  CheckRequest req = Req(kA);
  req.name = "福州鑫盛达科技有限公司 ";
  auto r = engine.Check(*reg, req);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->name_check.matches);
}

TEST(CheckIdentityTest, NameOnly) {
  auto reg = BuildRegistry(StandardSubjects(),
                           {MakeRecord("r1", kA, "serious_dishonesty")});
  CheckEngine engine(TestMeasures());
  CheckRequest req = Req("");
  req.name = "福州鑫盛达科技有限公司";
  auto none = engine.Check(*reg, req);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("name index"), std::string::npos);

  auto resolver = NameResolver::Build(*reg);
  ASSERT_TRUE(resolver.ok()) << resolver.status();
  engine.SetNameResolver(*resolver);

  auto one = engine.Check(*reg, req);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->identity, IdentityCase::kNameFound);
  EXPECT_EQ(one->code, kA);
  EXPECT_EQ(one->verdict, Action::kBlock);
  ASSERT_EQ(one->subjects.size(), 1u);
  EXPECT_EQ(one->subjects[0].id, "a");

  req.name = "鑫盛达科技有限公司";  // 福州 and 厦门 both fit
  auto several = engine.Check(*reg, req);
  ASSERT_TRUE(several.ok());
  EXPECT_EQ(several->identity, IdentityCase::kNameAmbiguous);
  EXPECT_GE(several->candidates.size(), 2u);
  EXPECT_EQ(several->verdict, Action::kWarn);
  EXPECT_TRUE(several->records.empty());

  req.name = "北京云图数据服务有限公司";
  auto nobody = engine.Check(*reg, req);
  ASSERT_TRUE(nobody.ok());
  EXPECT_EQ(nobody->identity, IdentityCase::kNameNotFound);
  EXPECT_EQ(nobody->verdict, Action::kWarn);
}

TEST(CheckIdentityTest, BadRequestsAreErrors) {
  auto reg = BuildRegistry(StandardSubjects(), {});
  CheckEngine engine(TestMeasures());
  EXPECT_EQ(engine.Check(*reg, Req("")).status().message(),
            "check: give a code, a name, or both");
  auto unknown = engine.Check(*reg, Req(kA, "moon_landing"));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find(
                "scenario: unknown scenario 'moon_landing' (allowed: "),
            std::string::npos)
      << unknown.status();
  CheckRequest long_name = Req(kA);
  long_name.name = std::string(600, 'x');
  EXPECT_NE(engine.Check(*reg, long_name)
                .status()
                .message()
                .find("name: 600 bytes exceeds 512"),
            std::string::npos);
}

// ---------------------------------------------------------------------------
// Batch.

TEST(CheckBatchTest, EachEntryAnsweredIndependently) {
  auto reg = BuildRegistry(StandardSubjects(),
                           {MakeRecord("r1", kA, "serious_dishonesty")});
  CheckEngineOptions options;
  options.max_batch = 3;
  CheckEngine engine(TestMeasures(), options);
  std::vector<CheckRequest> batch = {Req(kA), Req(kA, "no_such_scenario"),
                                     Req(kDup)};
  auto results = engine.CheckBatch(*reg, batch);
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), 3u);
  ASSERT_TRUE((*results)[0].ok());
  EXPECT_EQ((*results)[0]->verdict, Action::kBlock);
  EXPECT_EQ((*results)[1].status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE((*results)[2].ok());
  EXPECT_EQ((*results)[2]->identity, IdentityCase::kDuplicateCode);

  batch.push_back(Req(kA));
  auto over = engine.CheckBatch(*reg, batch);
  EXPECT_EQ(over.status().message(), "batch: 4 entries exceeds max_batch 3");
}

TEST(CheckBatchTest, OptionsAreValidated) {
  CheckEngineOptions options;
  EXPECT_TRUE(CheckEngine::Validate(options).ok());
  options.max_batch = 0;
  EXPECT_EQ(CheckEngine::Validate(options).message(),
            "max_batch: 0 is out of range (allowed range 1..10000)");
  options.max_batch = 10;
  options.time_zone = "Mars/Olympus";
  EXPECT_FALSE(CheckEngine::Validate(options).ok());
}

// ---------------------------------------------------------------------------
// The shipped default list.

TEST(DefaultMeasuresTest, LoadsAndDecides) {
  auto list = MeasuresList::BuiltinDefault();
  ASSERT_TRUE(list.ok()) << list.status();
  auto measures = std::make_shared<const MeasuresList>(*std::move(list));
  auto reg = BuildRegistry(StandardSubjects(),
                           {MakeRecord("r1", kA, "serious_dishonesty"),
                            MakeRecord("r2", kXm, "abnormal_operation"),
                            MakeRecord("r3", kDereg, "red_list")});
  CheckEngine engine(measures);
  struct Want {
    std::string code;
    const char* scenario;
    Action verdict;
  };
  for (const Want& w :
       std::vector<Want>{{kA, "government_procurement", Action::kBlock},
                         {kA, "bidding", Action::kBlock},
                         {kA, "market_access", Action::kWarn},
                         {kXm, "government_procurement", Action::kWarn},
                         {kXm, "honours", Action::kBlock},
                         {kXm, "market_access", Action::kInfo}}) {
    auto r = engine.Check(*reg, Req(w.code, w.scenario));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(ActionName(r->verdict), ActionName(w.verdict))
        << w.code << " " << w.scenario;
  }
  for (const std::string& s : measures->Scenarios()) {
    EXPECT_TRUE(engine.Check(*reg, Req(kA, s)).ok()) << s;
  }
}

}  // namespace
}  // namespace creditd
