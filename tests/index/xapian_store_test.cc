// The Xapian store on a real database on disk.
#include "index/xapian_store.h"

#include "index/internal/encoding.h"
#include "tests/testutil.h"

#include "gtest/gtest.h"

namespace creditd {
namespace {

Subject MakeSubject(std::string id, std::string code, std::string name) {
  Subject s;
  s.id = std::move(id);
  s.code = std::move(code);
  s.name = std::move(name);
  s.region = s.code.substr(2, 6);
  return s;
}

TEST(XapianStoreTest, PutCommitReopenScan) {
  testing::TempDir dir;
  {
    auto store =
        XapianStore::Open(dir.path() + "/db", XapianStore::Mode::kCreateOrOpen);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->version(), 0u);
    WriteBatch batch;
    batch.upsert_subjects.push_back(
        MakeSubject("a", "91350100M000100Y43", "甲公司"));
    batch.upsert_subjects.push_back(
        MakeSubject("b", "914403001922038216", "乙公司"));
    Record r;
    r.id = "r1";
    r.code = "91350100M000100Y43";
    r.list = "serious_dishonesty";
    batch.put_records.push_back(r);
    auto v = (*store)->Apply(batch);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(*v, 1u);
    // Replace one, delete the other.
    WriteBatch second;
    second.upsert_subjects.push_back(
        MakeSubject("a", "91350100M000100Y43", "甲公司（新）"));
    second.delete_subjects.push_back("b");
    ASSERT_TRUE((*store)->Apply(second).ok());
  }
  auto store =
      XapianStore::Open(dir.path() + "/db", XapianStore::Mode::kReadOnly);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->version(), 2u);
  EXPECT_EQ((*store)->document_count(), 2u);
  auto a = (*store)->GetSubjectData("a");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ(internal::DecodeSubject(**a)->name, "甲公司（新）");
  EXPECT_FALSE((*store)->GetSubjectData("b")->has_value());
  EXPECT_TRUE((*store)->GetRecordData("r1")->has_value());
  int subjects = 0, records = 0;
  ASSERT_TRUE((*store)
                  ->ForEachDocument([&](std::string_view data) {
                    (internal::PeekIdAndCode(data)->tag == 'S' ? subjects
                                                               : records)++;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(subjects, 1);
  EXPECT_EQ(records, 1);
  EXPECT_EQ((*store)->Apply(WriteBatch()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(XapianStoreTest, SecondWriterIsToldTheDatabaseIsLocked) {
  testing::TempDir dir;
  auto first =
      XapianStore::Open(dir.path() + "/db", XapianStore::Mode::kCreateOrOpen);
  ASSERT_TRUE(first.ok());
  auto second =
      XapianStore::Open(dir.path() + "/db", XapianStore::Mode::kCreateOrOpen);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable)
      << second.status();
}

TEST(XapianStoreTest, MissingDatabaseReadOnly) {
  testing::TempDir dir;
  auto store =
      XapianStore::Open(dir.path() + "/nothing", XapianStore::Mode::kReadOnly);
  EXPECT_FALSE(store.ok());
}

// The narrow name-search API: a hand-built OR over the N terms, each term
// weighing its IDF. Terms here are the words of the name, split on spaces
// (the matcher passes its n-grams; the store does not care what they are).
TEST(XapianStoreTest, FindSubjectsByNameTermsRanksByIdf) {
  testing::TempDir dir;
  auto store =
      XapianStore::Open(dir.path() + "/db", XapianStore::Mode::kCreateOrOpen);
  ASSERT_TRUE(store.ok()) << store.status();
  (*store)->set_term_fn(
      [](std::string_view name, std::vector<std::string>* terms) {
        size_t start = 0;
        while (start < name.size()) {
          size_t end = name.find(' ', start);
          if (end == std::string_view::npos) end = name.size();
          if (end > start) terms->emplace_back(name.substr(start, end - start));
          start = end + 1;
        }
      });
  WriteBatch batch;
  // "common" is on every subject, "rare" on two, "unique" on one.
  batch.insert_subjects.push_back(MakeSubject("a", "C1", "common rare"));
  batch.insert_subjects.push_back(MakeSubject("b", "C2", "common"));
  batch.insert_subjects.push_back(MakeSubject("c", "C3", "common rare unique"));
  Subject d = MakeSubject("d", "C4", "common");
  d.former_names = {"unique"};  // former names are searched too
  batch.insert_subjects.push_back(d);
  Record r;
  r.id = "r1";
  r.code = "C1";
  r.list = "serious_dishonesty";
  batch.put_records.push_back(r);
  ASSERT_TRUE((*store)->Apply(batch).ok());

  auto ids = (*store)->FindSubjectsByNameTerms({"rare", "unique"}, 10);
  ASSERT_TRUE(ids.ok()) << ids.status();
  // c carries both terms; a and d one each, of equal IDF (two subjects
  // each), so docid order breaks their tie.
  EXPECT_EQ(*ids, (std::vector<std::string>{"c", "a", "d"}));
  ids = (*store)->FindSubjectsByNameTerms({"common", "unique"}, 2);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<std::string>{"c", "d"}));
  // Terms nobody carries are ignored; duplicates count once.
  ids = (*store)->FindSubjectsByNameTerms({"nothing", "rare", "rare"}, 10);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<std::string>{"a", "c"}));
  ids = (*store)->FindSubjectsByNameTerms({"nothing"}, 10);
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids->empty());

  EXPECT_EQ((*store)->FindSubjectsByNameTerms({"rare"}, 0).status().message(),
            "max_results: 0 not in 1..10000");
  EXPECT_EQ((*store)->FindSubjectsByNameTerms({""}, 5).status().message(),
            "terms: empty term");
  std::vector<std::string> many(XapianStore::kMaxNameTerms + 1, "x");
  EXPECT_EQ((*store)->FindSubjectsByNameTerms(many, 5).status().message(),
            "terms: 1025 terms exceed the limit of 1024");
}

}  // namespace
}  // namespace creditd
