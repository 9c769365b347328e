#include "config/measures.h"

#include "tests/testutil.h"

#include "gtest/gtest.h"

#include <string>
#include <vector>

namespace creditd {
namespace {

Date D(const char* text) { return *ParseDate(text); }

std::string Row(const char* list, const char* scenario, const char* action,
                const char* extra = "") {
  return std::string("[[measure]]\nlist = \"") + list + "\"\nscenario = \"" +
         scenario + "\"\naction = \"" + action +
         "\"\nbasis = \"b\"\nwording = \"w\"\n" + extra + "\n";
}

// A small list used by the Decide tests.
MeasuresList TestList() {
  std::string text =
      "version = \"t1\"\n"
      "[[list]]\nname = \"env_violation\"\n"
      "[[scenario]]\nname = \"land_transfer\"\n" +
      Row("serious_dishonesty", "bidding", "block") +
      Row("abnormal_operation", "bidding", "warn") +
      Row("admin_penalty", "bidding", "info", "within_years = 3\n") +
      Row("red_list", "bidding", "incentive") +
      Row("a_level_taxpayer", "bidding", "incentive",
          "exclude_disputed = true\n") +
      Row("dishonest_judgment_debtor", "bidding", "block",
          "exclude_disputed = true\n") +
      Row("env_violation", "land_transfer", "block");
  auto list = MeasuresList::Parse(text, "t.toml");
  EXPECT_TRUE(list.ok()) << list.status();
  return *std::move(list);
}

Record Rec(const char* list) {
  Record r;
  r.id = list;
  r.list = list;
  return r;
}

TEST(MeasuresTest, ActionNames) {
  EXPECT_EQ(*ParseAction("incentive"), Action::kIncentive);
  EXPECT_EQ(ActionName(Action::kClear), "clear");
  EXPECT_EQ(ParseAction("clear").status().message(),
            "unknown action 'clear' (allowed: block, warn, info, incentive)");
  EXPECT_EQ(DispositionName(Disposition::kDisputedExcluded),
            "disputed_excluded");
  // The strength order the verdict relies on.
  EXPECT_LT(Action::kClear, Action::kInfo);
  EXPECT_LT(Action::kInfo, Action::kIncentive);
  EXPECT_LT(Action::kIncentive, Action::kWarn);
  EXPECT_LT(Action::kWarn, Action::kBlock);
}

TEST(MeasuresTest, DefaultFileLoadsAndFollowsNationalPractice) {
  auto file = MeasuresList::Load(std::string(CREDITD_SOURCE_DIR) +
                                 "/config/measures.default.toml");
  ASSERT_TRUE(file.ok()) << file.status();
  auto builtin = MeasuresList::BuiltinDefault();
  ASSERT_TRUE(builtin.ok()) << builtin.status();
  EXPECT_EQ(builtin->Rules().size(), file->Rules().size());
  EXPECT_EQ(builtin->version(), "default-2024.1");

  const struct {
    const char* list;
    const char* scenario;
    Action action;
  } expected[] = {
      {"serious_dishonesty", "government_procurement", Action::kBlock},
      {"dishonest_judgment_debtor", "government_procurement", Action::kBlock},
      {"major_tax_violation", "government_procurement", Action::kBlock},
      {"procurement_violation", "government_procurement", Action::kBlock},
      {"abnormal_operation", "government_procurement", Action::kWarn},
      {"a_level_taxpayer", "government_procurement", Action::kIncentive},
      {"red_list", "government_procurement", Action::kIncentive},
      {"admin_penalty", "government_procurement", Action::kInfo},
      {"serious_dishonesty", "bidding", Action::kBlock},
      {"dishonest_judgment_debtor", "bidding", Action::kBlock},
      {"major_tax_violation", "bidding", Action::kBlock},
      {"procurement_violation", "bidding", Action::kBlock},
      {"abnormal_operation", "bidding", Action::kWarn},
      {"a_level_taxpayer", "bidding", Action::kIncentive},
      {"red_list", "bidding", Action::kIncentive},
      {"admin_penalty", "bidding", Action::kInfo},
      {"serious_dishonesty", "admin_approval", Action::kWarn},
      {"serious_dishonesty", "honours", Action::kBlock},
      {"abnormal_operation", "honours", Action::kBlock},
      {"serious_dishonesty", "fiscal_support", Action::kBlock},
      {"dishonest_judgment_debtor", "fiscal_support", Action::kBlock},
      {"major_tax_violation", "fiscal_support", Action::kBlock},
  };
  for (const auto& e : expected) {
    SCOPED_TRACE(std::string(e.list) + " / " + e.scenario);
    const MeasureRule* rule = builtin->Find(e.list, e.scenario);
    ASSERT_NE(rule, nullptr);
    EXPECT_EQ(rule->action, e.action);
  }
  // Licences are not a sanction: no row anywhere, so they never count.
  for (const std::string& s : builtin->Scenarios()) {
    EXPECT_EQ(builtin->Find("admin_license", s), nullptr) << s;
  }
  for (const MeasureRule& r : builtin->Rules()) {
    EXPECT_FALSE(r.basis.empty()) << r.line;
    EXPECT_FALSE(r.wording.empty()) << r.line;
    // Blocks outside procurement, bidding, honours and fiscal support would
    // need a law of their own (过惩相当): the default has none.
    if (r.action == Action::kBlock) {
      EXPECT_TRUE(r.scenario == "government_procurement" ||
                  r.scenario == "bidding" || r.scenario == "honours" ||
                  r.scenario == "fiscal_support")
          << r.line;
    }
  }
}

TEST(MeasuresTest, BadFileCatalogue) {
  const std::string ok = Row("red_list", "bidding", "incentive");
  const struct {
    std::string text;
    const char* message;
  } cases[] = {
      {"[[measure]\n", nullptr},  // syntax: checked by prefix below
      {"verison = \"1\"\n",
       "m.toml:1: verison: unknown key (allowed: version, title, [[list]], "
       "[[scenario]], [[measure]])"},
      {"version = 1\n", "m.toml:1: version: expected a string, got an integer"},
      {ok + Row("blacklist", "bidding", "block"),
       "m.toml:9: measure[2].list: unknown list 'blacklist' (allowed: "
       "serious_dishonesty, dishonest_judgment_debtor, abnormal_operation, "
       "major_tax_violation, procurement_violation, admin_penalty, "
       "admin_license, a_level_taxpayer, red_list; declare others with "
       "[[list]])"},
      {Row("red_list", "tendering", "block"),
       "m.toml:3: measure[1].scenario: unknown scenario 'tendering' (allowed: "
       "government_procurement, bidding, admin_approval, market_access, "
       "qualification_review, honours, fiscal_support; declare others with "
       "[[scenario]])"},
      {Row("red_list", "bidding", "deny"),
       "m.toml:4: measure[1].action: unknown action 'deny' (allowed: block, "
       "warn, info, incentive)"},
      {Row("red_list", "bidding", "clear"),
       "m.toml:4: measure[1].action: unknown action 'clear' (allowed: block, "
       "warn, info, incentive)"},
      {Row("red_list", "bidding", "block", "severity = 3\n"),
       "m.toml:7: measure[1].severity: unknown key (allowed: list, scenario, "
       "action, basis, wording, within_years, exclude_disputed)"},
      {Row("red_list", "bidding", "block", "within_years = 0\n"),
       "m.toml:7: measure[1].within_years: 0 is out of range (allowed range "
       "1..100)"},
      {Row("red_list", "bidding", "block", "within_years = \"3\"\n"),
       "m.toml:7: measure[1].within_years: expected an integer, got a string"},
      {Row("red_list", "bidding", "block", "exclude_disputed = 1\n"),
       "m.toml:7: measure[1].exclude_disputed: expected a boolean (true or "
       "false), got an integer"},
      {"[[measure]]\nlist = \"red_list\"\nscenario = \"bidding\"\naction = "
       "\"warn\"\nwording = \"w\"\n",
       "m.toml:1: measure[1].basis: missing (every measure needs list, "
       "scenario, action, basis and wording)"},
      {"[[measure]]\nlist = \"red_list\"\nscenario = \"bidding\"\naction = "
       "\"warn\"\nbasis = \"\"\nwording = \"w\"\n",
       "m.toml:5: measure[1].basis: must cite the legal basis of the measure"},
      {"[[measure]]\nlist = [\"red_list\"]\n",
       "m.toml:2: measure[1].list: expected a string, got an array"},
      {ok + "\n" + Row("red_list", "bidding", "warn"),
       "m.toml:9: measure[2]: (red_list, bidding) already has a measure at "
       "line 1"},
      {"measure = 5\n",
       "m.toml:1: measure: expected an array of tables ([[measure]]), got an "
       "integer"},
      {"[[list]]\nname = \"red_list\"\n",
       "m.toml:2: list[1].name: 'red_list' is a built-in list (declare only "
       "new lists)"},
      {"[[scenario]]\nname = \"bidding\"\n",
       "m.toml:2: scenario[1].name: 'bidding' is a built-in scenario (declare "
       "only new scenarios)"},
      {"[[list]]\nname = \"x\"\n[[list]]\nname = \"x\"\n",
       "m.toml:4: list[2].name: 'x' is already declared at line 2"},
      {"[[list]]\nname = \"Env Violation\"\n",
       "m.toml:2: list[1].name: 'Env Violation' is not a valid name (1..64 "
       "characters a-z 0-9 _, starting with a letter)"},
      {"[[list]]\ndescription = \"d\"\n", "m.toml:1: list[1].name: missing"},
      {"[[scenario]]\nname = \"x\"\ntitle = \"t\"\n",
       "m.toml:3: scenario[1].title: unknown key (allowed: name, "
       "description)"},
  };
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.text);
    auto list = MeasuresList::Parse(bad.text, "m.toml");
    ASSERT_FALSE(list.ok());
    EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument);
    if (bad.message == nullptr) {
      EXPECT_EQ(list.status().message().substr(0, 23),
                "m.toml:1: syntax error:");
    } else {
      EXPECT_EQ(std::string(list.status().message()), bad.message);
    }
  }
}

TEST(MeasuresTest, DeclaredNamesAndFileErrors) {
  MeasuresList m = TestList();
  EXPECT_EQ(m.version(), "t1");
  EXPECT_EQ(m.Lists().size(), std::size(kBuiltinLists) + 1);
  EXPECT_EQ(m.Lists().front(), "serious_dishonesty");
  EXPECT_EQ(m.Lists().back(), "env_violation");
  EXPECT_EQ(m.Scenarios().back(), "land_transfer");
  EXPECT_TRUE(m.HasList("env_violation"));
  EXPECT_FALSE(m.HasList("env"));
  EXPECT_TRUE(m.HasScenario("honours"));
  // A list may be declared after the row that uses it.
  auto later = MeasuresList::Parse(
      Row("late", "bidding", "warn") + "[[list]]\nname = \"late\"\n", "m");
  ASSERT_TRUE(later.ok()) << later.status();

  testing::TempDir dir;
  auto missing = MeasuresList::Load(dir.path() + "/none.toml");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  std::string bad = dir.WriteFile("m.toml", Row("x", "bidding", "block"));
  EXPECT_EQ(MeasuresList::Load(bad).status().message().substr(0, bad.size()),
            bad);
}

// One record with a window and a repair date, checked at and around every
// boundary. valid_until is the last day in force; from repaired_on on, the
// record no longer counts.
TEST(MeasuresTest, DecideAtBoundaries) {
  MeasuresList m = TestList();
  Record r = Rec("serious_dishonesty");
  r.valid_from = D("2024-01-10");
  r.valid_until = D("2024-12-31");
  Record repaired = r;
  repaired.valid_until = Date{};
  repaired.repaired_on = D("2024-06-01");
  const struct {
    const Record* record;
    const char* date;
    Action verdict;
    Disposition disposition;
  } cases[] = {
      {&r, "2024-01-09", Action::kClear, Disposition::kNotInForce},
      {&r, "2024-01-10", Action::kBlock, Disposition::kCounted},
      {&r, "2024-01-11", Action::kBlock, Disposition::kCounted},
      {&r, "2024-12-30", Action::kBlock, Disposition::kCounted},
      {&r, "2024-12-31", Action::kBlock, Disposition::kCounted},
      {&r, "2025-01-01", Action::kClear, Disposition::kNotInForce},
      {&repaired, "2024-05-31", Action::kBlock, Disposition::kCounted},
      {&repaired, "2024-06-01", Action::kClear, Disposition::kNotInForce},
      {&repaired, "2024-06-02", Action::kClear, Disposition::kNotInForce},
      {&repaired, "2030-01-01", Action::kClear, Disposition::kNotInForce},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.date) +
                 (c.record == &repaired ? " repaired" : ""));
    auto d = m.Decide({c.record, 1}, "bidding", D(c.date));
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->verdict, c.verdict);
    ASSERT_EQ(d->outcomes.size(), 1u);
    EXPECT_EQ(d->outcomes[0].disposition, c.disposition);
    // The rule is reported even when the record does not count.
    EXPECT_EQ(d->outcomes[0].rule, m.Find("serious_dishonesty", "bidding"));
    EXPECT_EQ(d->fired.has_value(), c.verdict != Action::kClear);
    // The check engine decides over registry views: the same answer.
    const RecordView view = AsView(*c.record);
    auto v = m.Decide({&view, 1}, "bidding", D(c.date));
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->verdict, c.verdict);
    ASSERT_EQ(v->outcomes.size(), 1u);
    EXPECT_EQ(v->outcomes[0].disposition, c.disposition);
    EXPECT_EQ(v->outcomes[0].rule, d->outcomes[0].rule);
  }
}

TEST(MeasuresTest, StrongestWins) {
  MeasuresList m = TestList();
  const Date day = D("2024-06-01");
  Record info = Rec("admin_penalty");
  info.decided_on = D("2024-01-01");
  const Record warn = Rec("abnormal_operation");
  const Record block = Rec("serious_dishonesty");
  const Record block2 = Rec("dishonest_judgment_debtor");
  const Record incentive = Rec("red_list");
  const struct {
    const char* what;
    std::vector<Record> records;
    Action verdict;
    std::optional<size_t> fired;
  } cases[] = {
      {"none", {}, Action::kClear, std::nullopt},
      {"info only", {info}, Action::kInfo, 0},
      {"all", {info, warn, block, incentive}, Action::kBlock, 2},
      {"tie goes to first", {warn, block2, block}, Action::kBlock, 1},
      {"warn beats incentive", {incentive, warn}, Action::kWarn, 1},
      {"incentive beats info", {info, incentive}, Action::kIncentive, 1},
      {"block beats incentive", {incentive, block}, Action::kBlock, 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto d = m.Decide(c.records, "bidding", day);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->verdict, c.verdict);
    EXPECT_EQ(d->fired, c.fired);
    EXPECT_EQ(d->outcomes.size(), c.records.size());
    if (c.fired) {
      EXPECT_EQ(d->fired_rule()->action, c.verdict);
      EXPECT_EQ(d->fired_rule()->list, c.records[*c.fired].list);
    } else {
      EXPECT_EQ(d->fired_rule(), nullptr);
    }
  }
}

// 过惩相当: a (list, scenario) pair the list does not name has no consequence,
// however grave the list is elsewhere.
TEST(MeasuresTest, UnnamedPairsNeverBlock) {
  MeasuresList m = TestList();
  const Date day = D("2024-06-01");
  std::vector<Record> records = {Rec("serious_dishonesty"),
                                 Rec("env_violation"), Rec("not_a_list")};
  auto d = m.Decide(records, "honours", day);  // no honours rows at all
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->verdict, Action::kClear);
  for (const RecordOutcome& o : d->outcomes) {
    EXPECT_EQ(o.disposition, Disposition::kNoRule);
    EXPECT_EQ(o.rule, nullptr);
  }
  // The declared list blocks only in the scenario it is named for.
  d = m.Decide(records, "land_transfer", day);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->verdict, Action::kBlock);
  EXPECT_EQ(d->fired, 1u);
  EXPECT_EQ(d->outcomes[0].disposition, Disposition::kNoRule);
  EXPECT_EQ(d->outcomes[2].disposition, Disposition::kNoRule);
  d = m.Decide(records, "bidding", day);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->verdict, Action::kBlock);
  EXPECT_EQ(d->fired, 0u);
  EXPECT_EQ(d->outcomes[1].disposition, Disposition::kNoRule);
}

TEST(MeasuresTest, Disputed) {
  MeasuresList m = TestList();
  const Date day = D("2024-06-01");
  const struct {
    const char* list;
    bool disputed;
    Action verdict;
    Disposition disposition;
  } cases[] = {
      // serious_dishonesty/bidding: no exclude_disputed, disputed still counts.
      {"serious_dishonesty", false, Action::kBlock, Disposition::kCounted},
      {"serious_dishonesty", true, Action::kBlock, Disposition::kCounted},
      // dishonest_judgment_debtor/bidding: exclude_disputed = true.
      {"dishonest_judgment_debtor", false, Action::kBlock,
       Disposition::kCounted},
      {"dishonest_judgment_debtor", true, Action::kClear,
       Disposition::kDisputedExcluded},
      {"a_level_taxpayer", true, Action::kClear,
       Disposition::kDisputedExcluded},
      {"a_level_taxpayer", false, Action::kIncentive, Disposition::kCounted},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.list) + (c.disputed ? " disputed" : ""));
    Record r = Rec(c.list);
    r.disputed = c.disputed;
    auto d = m.Decide({&r, 1}, "bidding", day);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->verdict, c.verdict);
    EXPECT_EQ(d->outcomes[0].disposition, c.disposition);
  }
  // A disputed record not in force is reported as not in force first.
  Record r = Rec("dishonest_judgment_debtor");
  r.disputed = true;
  r.valid_until = D("2024-01-01");
  EXPECT_EQ(m.Decide({&r, 1}, "bidding", day)->outcomes[0].disposition,
            Disposition::kNotInForce);
}

// within_years = 3 on admin_penalty/bidding: the period starts the day after
// the decision and its last day is the same date three years on, or the
// month's last day when there is none (《民法典》第二百零一条、第二百零三条).
TEST(MeasuresTest, WithinYears) {
  MeasuresList m = TestList();
  const struct {
    const char* decided_on;
    const char* valid_from;
    const char* date;
    Disposition disposition;
  } cases[] = {
      {"2020-03-15", "", "2020-03-15", Disposition::kCounted},
      {"2020-03-15", "", "2023-03-14", Disposition::kCounted},
      {"2020-03-15", "", "2023-03-15", Disposition::kCounted},
      {"2020-03-15", "", "2023-03-16", Disposition::kOutsideWindow},
      {"2020-02-29", "", "2023-02-28", Disposition::kCounted},
      {"2020-02-29", "", "2023-03-01", Disposition::kOutsideWindow},
      {"2021-02-28", "", "2024-02-28", Disposition::kCounted},
      {"2021-02-28", "", "2024-02-29", Disposition::kOutsideWindow},
      {"2020-12-31", "", "2023-12-31", Disposition::kCounted},
      {"2020-12-31", "", "2024-01-01", Disposition::kOutsideWindow},
      // No decision date: valid_from stands in.
      {"", "2020-03-15", "2023-03-15", Disposition::kCounted},
      {"", "2020-03-15", "2023-03-16", Disposition::kOutsideWindow},
      // Neither: the condition cannot be shown to hold, so it does not count.
      {"", "", "2023-03-15", Disposition::kOutsideWindow},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.decided_on) + "|" + c.valid_from + " on " +
                 c.date);
    Record r = Rec("admin_penalty");
    if (*c.decided_on) r.decided_on = D(c.decided_on);
    if (*c.valid_from) r.valid_from = D(c.valid_from);
    auto d = m.Decide({&r, 1}, "bidding", D(c.date));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->outcomes[0].disposition, c.disposition);
    EXPECT_EQ(d->verdict, c.disposition == Disposition::kCounted
                              ? Action::kInfo
                              : Action::kClear);
  }
}

// Names are looked up by a linear scan up to 16 and by a hash map beyond:
// both must find every list and scenario and reject unknown ones.
TEST(MeasuresTest, ManyOperatorListsAndScenariosAreFound) {
  std::string text = "version = \"many\"\n";
  for (int i = 0; i < 20; ++i) {
    text += "[[list]]\nname = \"list_" + std::to_string(i) + "\"\n";
    text += "[[scenario]]\nname = \"scn_" + std::to_string(i) + "\"\n";
  }
  text += Row("list_19", "scn_19", "block") + Row("list_0", "scn_0", "warn") +
          Row("serious_dishonesty", "scn_7", "warn");
  auto m = MeasuresList::Parse(text, "many.toml");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_GT(m->Lists().size(), 16u);
  ASSERT_GT(m->Scenarios().size(), 16u);
  ASSERT_NE(m->Find("list_19", "scn_19"), nullptr);
  EXPECT_EQ(m->Find("list_19", "scn_19")->action, Action::kBlock);
  ASSERT_NE(m->Find("list_0", "scn_0"), nullptr);
  EXPECT_EQ(m->Find("list_0", "scn_0")->action, Action::kWarn);
  EXPECT_NE(m->Find("serious_dishonesty", "scn_7"), nullptr);
  EXPECT_EQ(m->Find("list_19", "scn_0"), nullptr);
  EXPECT_EQ(m->Find("list_20", "scn_19"), nullptr);
  EXPECT_EQ(m->ScenarioName("scn_19"), "scn_19");
  EXPECT_TRUE(m->ScenarioName("scn_20").empty());
  EXPECT_TRUE(m->HasList("list_13"));
  EXPECT_FALSE(m->HasList("list_1x"));
  Record r;
  r.list = "list_19";
  r.valid_from = D("2024-01-01");
  auto d = m->Decide({&r, 1}, "scn_19", D("2024-06-01"));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->verdict, Action::kBlock);
}

// Lists and scenarios are found through a table keyed by each name's length
// and first and last eight bytes: names that share both and differ only in
// their middle, or differ only in length, must still be told apart.
TEST(MeasuresTest, NamesThatDifferOnlyInTheMiddleOrLength) {
  std::vector<std::string> names;
  for (int n = 1; n <= 24; ++n) names.push_back(std::string(n, 'k'));
  const std::string head = "middle__", tail = "__middle";
  for (char c : {'a', 'b', 'c'}) {
    names.push_back(head + std::string(1, c) + tail);         // 17 bytes
    names.push_back(head + "xx" + std::string(1, c) + tail);  // 19 bytes
    names.push_back(head + std::string(1, c) + "yy" + tail);  // 19 bytes
    // 29 bytes: the two middle words overlap; 41: past the inline compare.
    names.push_back(head + std::string(6, 'm') + c + std::string(6, 'm') +
                    tail);
    names.push_back(head + std::string(12, 'm') + c + std::string(12, 'm') +
                    tail);
  }
  std::string text = "version = \"names\"\n";
  for (const std::string& name : names) {
    text += "[[list]]\nname = \"" + name + "\"\n";
  }
  text += "[[scenario]]\nname = \"s\"\n";
  for (size_t i = 0; i < names.size(); ++i) {
    text += Row(names[i].c_str(), "s", i % 2 ? "warn" : "block");
  }
  auto m = MeasuresList::Parse(text, "names.toml");
  ASSERT_TRUE(m.ok()) << m.status();
  for (size_t i = 0; i < names.size(); ++i) {
    const MeasureRule* rule = m->Find(names[i], "s");
    ASSERT_NE(rule, nullptr) << names[i];
    EXPECT_EQ(rule->list, names[i]);
    EXPECT_EQ(rule->action, i % 2 ? Action::kWarn : Action::kBlock);
  }
  for (const std::string& absent :
       {std::string(25, 'k'), std::string(), head + "d" + tail,
        head + "xxd" + tail, head + "a" + "yz" + tail, std::string("K"),
        head + std::string(6, 'm') + 'd' + std::string(6, 'm') + tail,
        head + std::string(12, 'm') + 'd' + std::string(12, 'm') + tail}) {
    EXPECT_FALSE(m->HasList(absent)) << absent;
  }
  EXPECT_TRUE(m->HasScenario("s"));
  EXPECT_FALSE(m->HasScenario("t"));
}

TEST(MeasuresTest, DecideRejectsBadInput) {
  MeasuresList m = TestList();
  auto d = m.Decide(std::span<const Record>(), "tender", D("2024-01-01"));
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(),
            "unknown scenario 'tender' (allowed: government_procurement, "
            "bidding, admin_approval, market_access, qualification_review, "
            "honours, fiscal_support, land_transfer)");
  EXPECT_EQ(
      m.Decide(std::span<const Record>(), "bidding", Date{}).status().message(),
      "date: not given");
}

}  // namespace
}  // namespace creditd
