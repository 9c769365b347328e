#include "index/registry.h"

#include "index/internal/encoding.h"
#include "tests/testutil.h"

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace creditd {
namespace {

Subject MakeSubject(std::string id, std::string code, std::string name) {
  Subject s;
  s.id = std::move(id);
  s.code = std::move(code);
  s.name = std::move(name);
  s.region = s.code.size() >= 8 ? s.code.substr(2, 6) : "";
  return s;
}

Record MakeRecord(std::string id, std::string code, std::string list) {
  Record r;
  r.id = std::move(id);
  r.code = std::move(code);
  r.list = std::move(list);
  return r;
}

constexpr char kA[] = "91350100M000100Y43";
constexpr char kB[] = "914403001922038216";

TEST(RegistryBuilderTest, LookupsByCodeAndId) {
  RegistryBuilder b;
  ASSERT_TRUE(b.AddSubject(MakeSubject("1", kA, "甲")).ok());
  ASSERT_TRUE(b.AddSubject(MakeSubject("2", kB, "乙")).ok());
  ASSERT_TRUE(b.AddSubject(MakeSubject("3", kA, "丙"))
                  .ok());  // 重码: same code, other subject
  ASSERT_TRUE(b.AddSubject(MakeSubject("4", "91350100MO00100Y43", "丁"))
                  .ok());  // unpackable
  ASSERT_TRUE(b.AddRecord(MakeRecord("r1", kA, "serious_dishonesty")).ok());
  ASSERT_TRUE(b.AddRecord(MakeRecord("r2", "91110000802100433B", "red_list"))
                  .ok());  // orphan
  auto reg = b.Finish(7);
  EXPECT_EQ(reg->version(), 7u);
  EXPECT_EQ(reg->subject_count(), 4u);
  EXPECT_EQ(reg->record_count(), 2u);
  EXPECT_EQ(reg->CountByCode(kA), 2u);
  EXPECT_EQ(reg->CountByCode(kB), 1u);
  EXPECT_EQ(reg->CountByCode("91110000802100433B"), 0u);
  auto dup = reg->SubjectsByCode(kA);
  ASSERT_EQ(dup.size(), 2u);
  EXPECT_EQ(dup[0].name, "甲");
  EXPECT_EQ(dup[1].name, "丙");
  EXPECT_EQ(reg->SubjectsByCode("91350100MO00100Y43").at(0).id, "4");
  EXPECT_EQ(reg->SubjectById("2")->name, "乙");
  EXPECT_FALSE(reg->SubjectById("9").has_value());
  EXPECT_EQ(reg->RecordsByCode("91110000802100433B").at(0).id, "r2");
  EXPECT_EQ(reg->RecordById("r1")->list, "serious_dishonesty");
  EXPECT_FALSE(b.AddEncoded("garbage").ok());
}

// The base's code index keeps run lengths in 16 bits with a side map for
// longer runs (a placeholder code shared by a whole data set); records of a
// code no subject carries, codes that do not pack, and ids across the compact
// arena must all still be found.
TEST(RegistryBuilderTest, LongRunsOddCodesAndExactRoundTrips) {
  RegistryBuilder b;
  constexpr int kMany = 70000;  // > 65,535
  for (int i = 0; i < kMany; ++i) {
    Record r = MakeRecord("r" + std::to_string(i), kA, "abnormal_operation");
    r.authority = "福州市市场监督管理局";
    r.source = "records.jsonl:" + std::to_string(i + 1);
    ASSERT_TRUE(b.AddRecord(r).ok());
  }
  Subject odd = MakeSubject("odd", "91350100MO00100Y43", "丁");  // unpackable
  odd.former_names = {"丁一", "丁二"};
  odd.source = "subjects.csv:0017";  // not rewritable as file + line
  ASSERT_TRUE(b.AddSubject(odd).ok());
  ASSERT_TRUE(b.AddSubject(MakeSubject("a", kA, "甲")).ok());
  ASSERT_TRUE(b.AddRecord(MakeRecord("orphan", kB, "red_list")).ok());
  auto reg = b.Finish(3);
  EXPECT_EQ(reg->record_count(), static_cast<size_t>(kMany) + 1);
  EXPECT_EQ(reg->RecordsByCode(kA).size(), static_cast<size_t>(kMany));
  EXPECT_EQ(reg->CountByCode(kA), 1u);
  EXPECT_EQ(reg->CountByCode(kB), 0u);  // records only
  ASSERT_EQ(reg->RecordsByCode(kB).size(), 1u);
  EXPECT_EQ(reg->RecordsByCode(kB)[0].id, "orphan");
  auto r123 = reg->RecordById("r123");
  ASSERT_TRUE(r123.has_value());
  EXPECT_EQ(r123->source, "records.jsonl:124");
  EXPECT_EQ(r123->authority, "福州市市场监督管理局");
  auto back = reg->SubjectById("odd");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->former_names, odd.former_names);
  EXPECT_EQ(back->source, "subjects.csv:0017");
  EXPECT_EQ(back->region, odd.region);
  size_t visited = 0;
  reg->VisitSubjectsByCode("91350100MO00100Y43", [&](const SubjectView& v) {
    EXPECT_EQ(v.name, "丁");
    ++visited;
  });
  EXPECT_EQ(visited, 1u);
  EXPECT_FALSE(reg->RecordById("r70000").has_value());
}

// The code index finds a code's documents by their arena position. Small
// chunks and coarse positions reach, with little data, what a large registry
// meets: runs that do not fit a chunk's rest (moved to the next chunk),
// documents larger than a chunk, runs that outgrow a chunk (spilled, found
// by slot) and aligned run starts. Every layout must give the same answers.
class RegistryLayoutTest
    : public ::testing::TestWithParam<RegistryBuilder::Layout> {};

TEST_P(RegistryLayoutTest, EveryCodeFindsExactlyItsDocuments) {
  RegistryBuilder b(GetParam());
  constexpr int kCodes = 300;
  std::vector<std::string> codes;
  std::vector<std::vector<std::string>> subject_ids(kCodes), record_ids(kCodes);
  for (int i = 0; i < kCodes; ++i) {
    codes.push_back(absl::StrFormat("91350100M%08dY", i));
  }
  codes[7] = "91350100MO00100Y43";  // unpackable: indexed by string
  // Interleaved, so that the builder has to sort documents into code order.
  int n = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kCodes; ++i) {
      if (round < i % 4) {
        Subject s = MakeSubject(absl::StrFormat("s%d", n++), codes[i],
                                absl::StrFormat("主体%d-%d", i, round));
        if (i % 50 == 3) s.name += std::string(6000, 'x');  // > 4 KiB
        ASSERT_TRUE(b.AddSubject(s).ok());
        subject_ids[i].push_back(s.id);
      }
      const int records = i == 5 ? 120 : i % 7;  // code 5: > a 4 KiB chunk
      for (int k = round; k < records; k += 3) {
        Record r = MakeRecord(absl::StrFormat("r%d", n++), codes[i],
                              "abnormal_operation");
        r.detail = absl::StrFormat("第%d条记录，共%d条", k, records);
        ASSERT_TRUE(b.AddRecord(r).ok());
        record_ids[i].push_back(r.id);
      }
    }
  }
  auto reg = b.Finish(1);
  for (int i = 0; i < kCodes; ++i) {
    std::vector<std::string> subjects, records;
    reg->VisitCode(
        codes[i], [&](const SubjectView& v) { subjects.emplace_back(v.id); },
        [&](const RecordView& v) {
          records.emplace_back(v.id);
          EXPECT_EQ(v.code, codes[i]);
        });
    EXPECT_EQ(subjects, subject_ids[i]) << "code " << i;
    EXPECT_EQ(records, record_ids[i]) << "code " << i;
    EXPECT_EQ(reg->CountByCode(codes[i]), subject_ids[i].size());
    for (const std::string& id : subject_ids[i]) {
      auto s = reg->SubjectById(id);
      ASSERT_TRUE(s.has_value()) << id;
      EXPECT_EQ(s->code, codes[i]);
    }
  }
  EXPECT_EQ(reg->SubjectsByCode(codes[3]).at(0).name.size(),
            std::string("主体3-0").size() + 6000);
  EXPECT_EQ(reg->CountByCode("91350100M99999999Y"), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, RegistryLayoutTest,
    ::testing::Values(RegistryBuilder::Layout{}, RegistryBuilder::Layout{12, 0},
                      RegistryBuilder::Layout{12, 3},
                      RegistryBuilder::Layout{13, -1}),
    [](const auto& p) {
      const int shift = p.param.position_shift;
      return absl::StrFormat("chunk%d_shift%s", p.param.chunk_bits,
                             shift < 0 ? "Auto" : absl::StrFormat("%d", shift));
    });

TEST(RegistryBuilderTest, SameIdTwiceKeepsTheLater) {
  RegistryBuilder b;
  ASSERT_TRUE(b.AddSubject(MakeSubject("1", kA, "old")).ok());
  ASSERT_TRUE(b.AddSubject(MakeSubject("1", kB, "new")).ok());
  auto reg = b.Finish(1);
  EXPECT_EQ(reg->subject_count(), 1u);
  EXPECT_EQ(reg->CountByCode(kA), 0u);
  EXPECT_EQ(reg->SubjectsByCode(kB).at(0).name, "new");
}

class RegistryHolderTest : public ::testing::TestWithParam<size_t> {
 protected:
  testing::TempDir dir_;
  std::unique_ptr<RegistryHolder> Open() {
    RegistryHolder::Options options;
    options.fold_threshold = GetParam();
    auto holder = RegistryHolder::Open(dir_.path() + "/db", options);
    EXPECT_TRUE(holder.ok()) << holder.status();
    return holder.ok() ? *std::move(holder) : nullptr;
  }
};

TEST_P(RegistryHolderTest,
       ApplyCountsNewReplacedRepeatedAndPublishesAtomically) {
  auto holder = Open();
  ASSERT_NE(holder, nullptr);
  auto empty = holder->Current();
  EXPECT_EQ(empty->subject_count(), 0u);

  WriteBatch first;
  first.upsert_subjects = {MakeSubject("1", kA, "甲"),
                           MakeSubject("2", kB, "乙")};
  first.put_records = {MakeRecord("r1", kA, "serious_dishonesty")};
  auto s1 = holder->Apply(first);
  ASSERT_TRUE(s1.ok()) << s1.status();
  EXPECT_EQ(s1->subjects_new, 2u);
  EXPECT_EQ(s1->records_new, 1u);
  EXPECT_EQ(s1->version, 1u);
  EXPECT_EQ(empty->subject_count(), 0u);  // an old snapshot never changes

  // The same batch again: all repeats, nothing written, version unchanged.
  auto again = holder->Apply(first);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->subjects_repeated, 2u);
  EXPECT_EQ(again->records_repeated, 1u);
  EXPECT_EQ(again->version, 1u);

  WriteBatch second;
  second.upsert_subjects = {
      MakeSubject("2", kA, "乙（改码）")};  // moves to code A: 重码
  second.delete_subjects = {"1", "nope"};
  Record repaired = MakeRecord("r1", kA, "serious_dishonesty");
  repaired.repaired_on = *ParseDate("2024-01-01");
  second.put_records = {repaired};
  auto s2 = holder->Apply(second);
  ASSERT_TRUE(s2.ok()) << s2.status();
  EXPECT_EQ(s2->subjects_replaced, 1u);
  EXPECT_EQ(s2->subjects_deleted, 1u);
  EXPECT_EQ(s2->subjects_missing, 1u);
  EXPECT_EQ(s2->records_replaced, 1u);

  auto reg = holder->Current();
  EXPECT_EQ(reg->version(), 2u);
  EXPECT_EQ(reg->subject_count(), 1u);
  EXPECT_EQ(reg->CountByCode(kB), 0u);
  ASSERT_EQ(reg->SubjectsByCode(kA).size(), 1u);
  EXPECT_EQ(reg->SubjectsByCode(kA)[0].name, "乙（改码）");
  EXPECT_TRUE(reg->RecordsByCode(kA).at(0).repaired_on.has_value());
  // Views by id: the replacement, nothing for the deleted and unknown ids.
  ASSERT_TRUE(reg->SubjectViewById("2").has_value());
  EXPECT_EQ(reg->SubjectViewById("2")->name, "乙（改码）");
  EXPECT_EQ(reg->SubjectViewById("2")->code, kA);
  EXPECT_FALSE(reg->SubjectViewById("1").has_value());
  EXPECT_FALSE(reg->SubjectViewById("nope").has_value());
  size_t n = 0;
  reg->ForEachSubject([&](const Subject&) { ++n; });
  EXPECT_EQ(n, 1u);

  // Restart: the registry is rebuilt from the database, identical.
  holder.reset();
  auto reopened = Open();
  ASSERT_NE(reopened, nullptr);
  auto after = reopened->Current();
  EXPECT_EQ(after->version(), 2u);
  EXPECT_EQ(after->subject_count(), 1u);
  EXPECT_EQ(after->record_count(), 1u);
  EXPECT_EQ(after->SubjectsByCode(kA).at(0).name, "乙（改码）");
  EXPECT_EQ(after->delta_size(), 0u);
  ASSERT_TRUE(after->SubjectViewById("2").has_value());  // from the base
  EXPECT_EQ(after->SubjectViewById("2")->ToSubject().name, "乙（改码）");
  EXPECT_FALSE(after->SubjectViewById("1").has_value());
}

// The partitioned view walk covers exactly what ForEachSubject covers, in the
// same order, with the delta (writes since the base) in the last part and
// overridden base documents skipped.
TEST_P(RegistryHolderTest, ViewPartsCoverTheSnapshotOnce) {
  auto holder = Open();
  ASSERT_NE(holder, nullptr);
  for (int i = 0; i < 30; ++i) {
    WriteBatch b;
    b.upsert_subjects = {MakeSubject("s" + std::to_string(i), i % 2 ? kA : kB,
                                     "名" + std::to_string(i))};
    b.put_records = {MakeRecord("r" + std::to_string(i), kA, "red_list")};
    if (i == 20) b.delete_subjects = {"s3"};
    ASSERT_TRUE(holder->Apply(b).ok());
  }
  auto reg = holder->Current();
  std::vector<std::string> whole;
  reg->ForEachSubject([&](const Subject& s) { whole.push_back(s.id); });
  ASSERT_EQ(whole.size(), 29u);
  for (size_t parts : {1u, 2u, 3u, 7u}) {
    std::vector<std::string> joined;
    for (size_t p = 0; p < parts; ++p) {
      reg->ForEachSubjectView(
          p, parts, [&](const SubjectView& v) { joined.emplace_back(v.id); });
    }
    EXPECT_EQ(joined, whole) << parts << " parts";
    size_t records = 0;
    for (size_t p = 0; p < parts; ++p) {
      reg->ForEachRecordView(p, parts, [&](const RecordView&) { ++records; });
    }
    EXPECT_EQ(records, 30u);
  }
}

TEST_P(RegistryHolderTest, ReadersNeverSeeHalfABatch) {
  auto holder = Open();
  ASSERT_NE(holder, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  // Each batch writes one subject under code A and one under code B: a reader
  // must always see equal counts.
  std::thread reader([&] {
    while (!stop.load()) {
      auto reg = holder->Current();
      if (reg->CountByCode(kA) != reg->CountByCode(kB)) torn.fetch_add(1);
      if (reg->subject_count() != reg->CountByCode(kA) + reg->CountByCode(kB))
        torn.fetch_add(1);
    }
  });
  for (int i = 0; i < 40; ++i) {
    WriteBatch b;
    b.upsert_subjects = {
        MakeSubject("a" + std::to_string(i), kA, "甲" + std::to_string(i)),
        MakeSubject("b" + std::to_string(i), kB, "乙" + std::to_string(i))};
    ASSERT_TRUE(holder->Apply(b).ok());
  }
  stop = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(holder->Current()->CountByCode(kA), 40u);
}

TEST_P(RegistryHolderTest, BackgroundFoldsLoseNothing) {
  auto holder = Open();
  ASSERT_NE(holder, nullptr);
  // Writes keep arriving while folds run; every write must stay visible, and
  // replaced or deleted subjects must stay replaced or deleted.
  for (int i = 0; i < 60; ++i) {
    WriteBatch b;
    b.upsert_subjects = {
        MakeSubject("s" + std::to_string(i), kA, "甲" + std::to_string(i))};
    if (i >= 10) {
      b.upsert_subjects.push_back(MakeSubject("s" + std::to_string(i - 10), kB,
                                              "改" + std::to_string(i - 10)));
    }
    if (i >= 20) b.delete_subjects = {"s" + std::to_string(i - 20)};
    b.put_records = {MakeRecord("r" + std::to_string(i), kA, "red_list")};
    ASSERT_TRUE(holder->Apply(b).ok());
    auto reg = holder->Current();
    EXPECT_EQ(reg->subject_count(), static_cast<size_t>(i >= 20 ? 20 : i + 1))
        << "after batch " << i;
  }
  holder->WaitForFold();
  auto reg = holder->Current();
  if (GetParam() == 1) {
    EXPECT_GT(holder->folds(), 0u);
  }
  EXPECT_EQ(reg->subject_count(), 20u);
  EXPECT_EQ(reg->record_count(), 60u);
  EXPECT_EQ(reg->CountByCode(kB), 10u);  // s40..s49 moved to code B
  EXPECT_EQ(reg->CountByCode(kA), 10u);  // s50..s59
  EXPECT_FALSE(reg->SubjectById("s39").has_value());
  EXPECT_EQ(reg->SubjectById("s45")->name, "改45");
  EXPECT_EQ(reg->SubjectById("s55")->name, "甲55");
  EXPECT_EQ(reg->RecordsByCode(kA).size(), 60u);
}

// 1: fold after every batch; large: never fold in the test.
// ForEachSubjectView / ForEachRecordView split into parts visit, part after
// part, exactly what ForEachSubject / ForEachRecord visit, in the same order:
// base slots minus deleted and overridden ids, then the delta.
TEST_P(RegistryHolderTest, PartsConcatenateToTheFullWalk) {
  auto holder = Open();
  ASSERT_NE(holder, nullptr);
  WriteBatch first;
  for (int i = 0; i < 12; ++i) {
    first.upsert_subjects.push_back(MakeSubject(
        "s" + std::to_string(i), i % 2 ? kA : kB, "名" + std::to_string(i)));
    first.put_records.push_back(
        MakeRecord("r" + std::to_string(i), kA, "list" + std::to_string(i)));
  }
  ASSERT_TRUE(holder->Apply(first).ok());
  holder.reset();
  holder = Open();  // the first batch is now the base
  ASSERT_NE(holder, nullptr);
  WriteBatch second;
  second.upsert_subjects = {MakeSubject("s3", kB, "改名"),
                            MakeSubject("s99", kA, "新")};
  second.delete_subjects = {"s0", "s7"};
  second.put_records = {MakeRecord("r5", kB, "changed")};
  second.delete_records = {"r1"};
  ASSERT_TRUE(holder->Apply(second).ok());
  holder->WaitForFold();
  auto reg = holder->Current();

  std::vector<std::string> want_subjects, want_records;
  reg->ForEachSubject([&](const Subject& s) {
    want_subjects.push_back(s.id + "|" + s.code + "|" + s.name);
  });
  reg->ForEachRecord([&](const Record& r) {
    want_records.push_back(r.id + "|" + r.code + "|" + r.list);
  });
  ASSERT_EQ(want_subjects.size(), 11u);
  ASSERT_EQ(want_records.size(), 11u);
  for (size_t parts : {1, 2, 3, 5, 12, 40}) {
    std::vector<std::string> subjects, records;
    for (size_t p = 0; p < parts; ++p) {
      reg->ForEachSubjectView(p, parts, [&](const SubjectView& v) {
        const Subject s = v.ToSubject();
        subjects.push_back(s.id + "|" + s.code + "|" + s.name);
      });
      reg->ForEachRecordView(p, parts, [&](const RecordView& v) {
        const Record r = v.ToRecord();
        records.push_back(r.id + "|" + r.code + "|" + r.list);
      });
    }
    EXPECT_EQ(subjects, want_subjects) << parts << " parts";
    EXPECT_EQ(records, want_records) << parts << " parts";
  }
  // Out of range: nothing.
  size_t n = 0;
  reg->ForEachSubjectView(3, 3, [&](const SubjectView&) { ++n; });
  reg->ForEachSubjectView(0, 0, [&](const SubjectView&) { ++n; });
  EXPECT_EQ(n, 0u);
}

INSTANTIATE_TEST_SUITE_P(FoldThresholds, RegistryHolderTest,
                         ::testing::Values(1, 1000000));

}  // namespace
}  // namespace creditd
