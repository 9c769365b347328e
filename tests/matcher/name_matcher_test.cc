#include "matcher/name_matcher.h"

#include "index/xapian_store.h"
#include "matcher/internal/utf8.h"
#include "matcher/pinyin.h"
#include "matcher/xapian_candidates.h"
#include "tests/testutil.h"

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"

#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace creditd {
namespace {

// ---- A fixture of a few hundred synthetic names ----------------------------

const std::u32string kTradeChars =
    U"鑫盛达华泰宏源祥瑞丰恒通利兴隆昌嘉和德信诚明辉金鼎旺顺安康宇航博远腾飞"
    U"凯锦晟铭海天正大中元东方佳美新光启荣盈聚益成永富贵发鸿伟";
const std::vector<std::u32string> kIndustries = {
    U"科技",     U"贸易", U"建筑工程", U"信息技术",
    U"餐饮管理", U"物流", U"文化传媒", U"电子商务"};
const std::vector<std::u32string> kForms = {U"有限公司", U"股份有限公司",
                                            U"有限责任公司"};
struct Place {
  std::u32string name;  // as written in front of a name
  std::u32string bare;  // for brackets
  std::string code;
};
const std::vector<Place> kPlaces = {
    {U"福州", U"福州", "350102"}, {U"厦门市", U"厦门", "350203"},
    {U"泉州", U"泉州", "350502"}, {U"深圳市", U"深圳", "440305"},
    {U"杭州", U"杭州", "330106"}, {U"南京", U"南京", "320102"},
    {U"", U"", "350102"},
};
// Homophones for the homophone variant (checked with PinyinOf below).
const std::map<char32_t, char32_t> kHomophones = {
    {U'鑫', U'新'}, {U'盛', U'胜'}, {U'达', U'大'}, {U'华', U'化'},
    {U'泰', U'太'}, {U'宏', U'洪'}, {U'源', U'元'}, {U'祥', U'翔'},
    {U'瑞', U'锐'}, {U'丰', U'峰'}, {U'恒', U'衡'}, {U'通', U'同'},
    {U'利', U'力'}, {U'兴', U'星'}, {U'隆', U'龙'}, {U'昌', U'常'},
    {U'嘉', U'佳'}, {U'德', U'得'}, {U'诚', U'城'}, {U'明', U'名'},
    {U'辉', U'挥'}, {U'金', U'今'}, {U'鼎', U'顶'}, {U'旺', U'望'},
    {U'顺', U'舜'}, {U'安', U'按'}, {U'康', U'糠'}, {U'宇', U'雨'},
    {U'航', U'杭'}, {U'博', U'泊'}, {U'远', U'院'}, {U'腾', U'藤'},
    {U'飞', U'非'}, {U'凯', U'楷'}, {U'锦', U'尽'}, {U'晟', U'胜'},
    {U'铭', U'名'}, {U'海', U'亥'}, {U'天', U'添'}, {U'正', U'政'},
    {U'元', U'园'}, {U'东', U'冬'}, {U'方', U'芳'}, {U'佳', U'家'},
    {U'美', U'每'}, {U'新', U'心'}, {U'光', U'广'}, {U'启', U'起'},
    {U'荣', U'容'}, {U'盈', U'迎'}, {U'聚', U'巨'}, {U'益', U'亿'},
    {U'成', U'城'}, {U'永', U'勇'}, {U'富', U'福'}, {U'贵', U'桂'},
    {U'发', U'法'}, {U'鸿', U'红'}, {U'伟', U'为'}, {U'中', U'忠'},
    {U'大', U'达'}, {U'和', U'河'}, {U'信', U'新'},
};
// Traditional forms for the traditional variant.
const std::map<char32_t, char32_t> kTraditional = {
    {U'达', U'達'}, {U'华', U'華'}, {U'兴', U'興'}, {U'丰', U'豐'},
    {U'顺', U'順'}, {U'发', U'發'}, {U'东', U'東'}, {U'锦', U'錦'},
    {U'腾', U'騰'}, {U'飞', U'飛'}, {U'凯', U'凱'}, {U'辉', U'輝'},
    {U'远', U'遠'}, {U'铭', U'銘'}, {U'诚', U'誠'}, {U'贸', U'貿'},
    {U'术', U'術'}, {U'饮', U'飲'}, {U'传', U'傳'}, {U'务', U'務'},
    {U'厦', U'廈'}, {U'门', U'門'}, {U'责', U'責'}, {U'马', U'馬'},
    {U'荣', U'榮'}, {U'鸿', U'鴻'}, {U'伟', U'偉'}, {U'贵', U'貴'},
    {U'圳', U'圳'}, {U'筑', U'築'}, {U'程', U'程'}, {U'电', U'電'},
    {U'商', U'商'}, {U'息', U'息'}, {U'信', U'信'}, {U'物', U'物'},
    {U'流', U'流'}, {U'化', U'化'}, {U'媒', U'媒'}, {U'管', U'管'},
    {U'理', U'理'}, {U'泰', U'泰'}, {U'宁', U'寧'}, {U'广', U'廣'},
};

// The matcher's own encoder (also handles code points above U+FFFF).
std::string U8(std::u32string_view s) {
  return matcher_internal::EncodeUtf8(s);
}

struct FixtureName {
  uint32_t id;
  size_t place;
  std::u32string trade, industry, form;
  std::u32string Full() const {
    return kPlaces[place].name + trade + industry + form;
  }
};

std::vector<FixtureName> MakeFixture(size_t count) {
  std::mt19937 rng(20240501);
  std::uniform_int_distribution<size_t> ch(0, kTradeChars.size() - 1);
  std::set<std::u32string> seen;
  std::vector<FixtureName> out;
  while (out.size() < count) {
    FixtureName f;
    f.id = static_cast<uint32_t>(1000 + out.size());
    const int len = 2 + static_cast<int>(rng() % 3);  // 2..4
    for (int i = 0; i < len; ++i) f.trade.push_back(kTradeChars[ch(rng)]);
    if (!seen.insert(f.trade).second) continue;
    f.place = rng() % kPlaces.size();
    f.industry = kIndustries[rng() % kIndustries.size()];
    f.form = kForms[rng() % kForms.size()];
    out.push_back(f);
  }
  return out;
}

// The fixture's entries: 400 generated names, a renamed subject, Latin and
// mixed-script names, and a row the normaliser refuses.
std::vector<NameEntry> FixtureEntries(const std::vector<FixtureName>& names) {
  std::vector<NameEntry> entries;
  for (const FixtureName& f : names) {
    NameEntry e;
    e.id = f.id;
    e.name = U8(f.Full());
    e.region = kPlaces[f.place].code;
    e.kind = f.id % 2;
    e.status = f.id % 3 == 0 ? 1 : 0;
    entries.push_back(std::move(e));
  }
  // Former names, Latin names and a branch.
  NameEntry renamed;
  renamed.id = 1;
  renamed.name = "福州闽江智联科技有限公司";
  renamed.former_names = {"福州旧城老字号商贸有限公司"};
  renamed.region = "350102";
  entries.push_back(renamed);
  NameEntry latin;
  latin.id = 2;
  latin.name = "Apple Computer Trading (Shanghai) Co., Ltd.";
  latin.region = "310115";
  entries.push_back(latin);
  NameEntry mixed;
  mixed.id = 3;
  mixed.name = "IBM（中国）有限公司";
  mixed.region = "110105";
  entries.push_back(mixed);
  // A county short form in front, with no province or city before it
  // (万年 for 万年县): SplitName leaves it in the trade name.
  NameEntry county;
  county.id = 5;
  county.name = "万年杰星水产有限责任公司";
  county.region = "361129";
  entries.push_back(county);
  NameEntry bad;
  bad.id = 4;
  bad.name = "bad\xff name";
  bad.former_names = {std::string(5000, 'x')};
  entries.push_back(bad);
  return entries;
}

// ---- Backends (TYPED_TEST over both, after Xapian's DEFINE_TESTCASE) -------

// Candidates from the index's own in-memory postings: the daemon's path.
class InMemoryBackend {
 public:
  absl::Status Build(std::vector<NameEntry> entries) {
    absl::StatusOr<std::unique_ptr<const NameIndex>> index =
        NameIndex::Build(std::move(entries));
    if (!index.ok()) return index.status();
    index_ = *std::move(index);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Candidate>> Match(
      std::string_view query, const MatchOptions& options = {}) const {
    return index_->Match(query, options);
  }
  const NameIndex& index() const { return *index_; }

 private:
  std::unique_ptr<const NameIndex> index_;
};

// Candidates from a real Xapian database on disk: every subject is written
// through XapianStore::Apply with the matcher's n-gram terms, and queries
// become hand-built OR queries (XapianCandidateSource). The same NameIndex
// scores and explains.
class XapianBackend {
 public:
  absl::Status Build(std::vector<NameEntry> entries) {
    absl::StatusOr<std::unique_ptr<XapianStore>> store = XapianStore::Open(
        dir_.path() + "/db", XapianStore::Mode::kCreateOrOpen);
    if (!store.ok()) return store.status();
    store_ = *std::move(store);
    store_->set_term_fn(AppendXapianNameTerms);
    WriteBatch batch;
    absl::flat_hash_map<std::string, uint32_t> ids;
    for (const NameEntry& e : entries) {
      Subject s;
      s.id = "s" + std::to_string(e.id);
      s.name = e.name;
      s.former_names = e.former_names;
      s.region = e.region;
      ids[s.id] = e.id;
      batch.insert_subjects.push_back(std::move(s));
    }
    if (absl::StatusOr<uint64_t> v = store_->Apply(batch); !v.ok()) {
      return v.status();
    }
    NameIndexOptions options;
    options.lookup_by_id = true;
    absl::StatusOr<std::unique_ptr<const NameIndex>> index =
        NameIndex::Build(std::move(entries), options);
    if (!index.ok()) return index.status();
    index_ = *std::move(index);
    source_ =
        std::make_unique<XapianCandidateSource>(store_.get(), std::move(ids));
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Candidate>> Match(
      std::string_view query, const MatchOptions& options = {}) const {
    return index_->Match(query, options, *source_);
  }
  const NameIndex& index() const { return *index_; }

 private:
  testing::TempDir dir_;
  std::unique_ptr<XapianStore> store_;
  std::unique_ptr<const NameIndex> index_;
  std::unique_ptr<XapianCandidateSource> source_;
};

std::vector<FixtureName>* g_fixture = nullptr;

template <typename Backend>
class NameMatcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (g_fixture == nullptr) {
      g_fixture = new std::vector<FixtureName>(MakeFixture(400));
    }
    backend_ = new Backend();
    absl::Status built = backend_->Build(FixtureEntries(*g_fixture));
    ASSERT_TRUE(built.ok()) << built;
  }
  static void TearDownTestSuite() {
    delete backend_;
    backend_ = nullptr;
  }

  static const std::vector<FixtureName>& fixture() { return *g_fixture; }
  static absl::StatusOr<std::vector<Candidate>> Match(
      std::string_view query, const MatchOptions& options = {}) {
    return backend_->Match(query, options);
  }

  // Rank (1-based) of `id` in the top 10 for `query`, 0 if absent.
  static int RankOf(const std::string& query, uint32_t id) {
    absl::StatusOr<std::vector<Candidate>> got = Match(query);
    EXPECT_TRUE(got.ok()) << got.status() << " for " << query;
    if (!got.ok()) return 0;
    for (size_t i = 0; i < got->size(); ++i) {
      if ((*got)[i].id == id) return static_cast<int>(i + 1);
    }
    return 0;
  }

  struct Recall {
    int n = 0, at1 = 0, at10 = 0;
  };
  // Runs `variant` over the fixture (skipping names it returns "" for).
  template <typename Fn>
  static Recall Measure(Fn variant) {
    Recall r;
    for (const FixtureName& f : fixture()) {
      const std::u32string q = variant(f);
      if (q.empty()) continue;
      const int rank = RankOf(U8(q), f.id);
      ++r.n;
      r.at1 += rank == 1;
      r.at10 += rank >= 1;
    }
    return r;
  }

  static Backend* backend_;
};

template <typename Backend>
Backend* NameMatcherTest<Backend>::backend_ = nullptr;

class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, InMemoryBackend> ? "InMemory" : "Xapian";
  }
};
using Backends = ::testing::Types<InMemoryBackend, XapianBackend>;
TYPED_TEST_SUITE(NameMatcherTest, Backends, BackendNames);

#define EXPECT_RECALL(r, min_at1)                                           \
  do {                                                                      \
    EXPECT_GE((r).n, 50);                                                   \
    EXPECT_EQ((r).at10, (r).n) << "recall@10 " << (r).at10 << "/" << (r).n; \
    EXPECT_GE((r).at1, (min_at1) * (r).n)                                   \
        << "recall@1 " << (r).at1 << "/" << (r).n;                          \
  } while (0)

TYPED_TEST(NameMatcherTest, ExactNames) {
  EXPECT_RECALL(this->Measure([](const FixtureName& f) { return f.Full(); }),
                1.0);
}

TYPED_TEST(NameMatcherTest, FullWidthAndSpaces) {
  EXPECT_RECALL(this->Measure([](const FixtureName& f) {
    std::u32string q;
    for (char32_t c : f.Full()) {
      q.push_back(c);
      q.push_back(U'　');
    }
    return q + U"．";
  }),
                1.0);
}

TYPED_TEST(NameMatcherTest, Traditional) {
  EXPECT_RECALL(this->Measure([](const FixtureName& f) {
    std::u32string q = f.Full();
    for (char32_t& c : q) {
      auto it = kTraditional.find(c);
      if (it != kTraditional.end()) c = it->second;
    }
    return q;
  }),
                1.0);
}

TYPED_TEST(NameMatcherTest, SuffixVariant) {
  EXPECT_RECALL(this->Measure([](const FixtureName& f) {
    const std::u32string other =
        f.form == U"有限公司" ? U"有限责任公司" : U"有限公司";
    return kPlaces[f.place].name + f.trade + f.industry + other;
  }),
                0.95);
}

TYPED_TEST(NameMatcherTest, RegionDroppedAndMoved) {
  EXPECT_RECALL(this->Measure([](const FixtureName& f) {
    if (kPlaces[f.place].name.empty()) return std::u32string();
    return f.trade + f.industry + f.form;
  }),
                0.95);
  EXPECT_RECALL(this->Measure([](const FixtureName& f) {
    if (kPlaces[f.place].name.empty()) return std::u32string();
    return f.trade + f.industry + U"（" + kPlaces[f.place].bare + U"）" +
           f.form;
  }),
                0.95);
}

TYPED_TEST(NameMatcherTest, Typo) {
  EXPECT_RECALL(this->Measure([](const FixtureName& f) {
    if (f.trade.size() < 3) return std::u32string();
    std::u32string t = f.trade;
    t[1] = t[1] == U'码' ? U'码' : U'码';  // a character no name has
    return kPlaces[f.place].name + t + f.industry + f.form;
  }),
                0.9);
}

TYPED_TEST(NameMatcherTest, Homophone) {
  EXPECT_RECALL(this->Measure([](const FixtureName& f) {
    std::u32string t = f.trade;
    for (char32_t& c : t) {
      auto it = kHomophones.find(c);
      if (it != kHomophones.end() && PinyinOf(c) == PinyinOf(it->second)) {
        c = it->second;
        return kPlaces[f.place].name + t + f.industry + f.form;
      }
    }
    return std::u32string();
  }),
                0.9);
}

TYPED_TEST(NameMatcherTest, Transposition) {
  EXPECT_RECALL(this->Measure([](const FixtureName& f) {
    if (f.trade.size() < 3 || f.trade[1] == f.trade[2]) {
      return std::u32string();
    }
    std::u32string t = f.trade;
    std::swap(t[1], t[2]);
    return kPlaces[f.place].name + t + f.industry + f.form;
  }),
                0.9);
}

TYPED_TEST(NameMatcherTest, DroppedCharacter) {
  EXPECT_RECALL(this->Measure([](const FixtureName& f) {
    if (f.trade.size() < 3) return std::u32string();
    std::u32string t = f.trade;
    t.erase(1, 1);
    return kPlaces[f.place].name + t + f.industry + f.form;
  }),
                0.9);
}

TYPED_TEST(NameMatcherTest, ShortFormTradeAndIndustryOnly) {
  auto r =
      this->Measure([](const FixtureName& f) { return f.trade + f.industry; });
  EXPECT_GE(r.at10, 0.9 * r.n);
}

TYPED_TEST(NameMatcherTest, ExplanationAndFormerNames) {
  absl::StatusOr<std::vector<Candidate>> got =
      this->Match("旧城老字号商贸有限责任公司");
  ASSERT_TRUE(got.ok());
  ASSERT_FALSE(got->empty());
  EXPECT_EQ((*got)[0].id, 1u);
  EXPECT_TRUE((*got)[0].via_former_name);
  EXPECT_EQ((*got)[0].matched_name, "福州旧城老字号商贸有限公司");
  EXPECT_EQ((*got)[0].explanation.ToString(),
            "字号 旧城老字号 = 旧城老字号; 行业 商贸 = 商贸; 组织形式 "
            "有限责任公司 ~ 有限公司 (equivalent); 地区 福州 dropped");
  EXPECT_TRUE((*got)[0].same_subject_likely);
}

TYPED_TEST(NameMatcherTest, Filters) {
  const FixtureName& f = this->fixture()[0];
  MatchOptions o;
  o.kind = static_cast<uint8_t>(1 - f.id % 2);
  absl::StatusOr<std::vector<Candidate>> got = this->Match(U8(f.Full()), o);
  ASSERT_TRUE(got.ok());
  for (const Candidate& c : *got) EXPECT_NE(c.id, f.id);
  o = MatchOptions();
  o.region_prefix = kPlaces[f.place].code.substr(0, 4);
  got = this->Match(U8(f.Full()), o);
  ASSERT_TRUE(got.ok());
  ASSERT_FALSE(got->empty());
  EXPECT_EQ((*got)[0].id, f.id);
  o.region_prefix = "99";
  got = this->Match(U8(f.Full()), o);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  o = MatchOptions();
  o.status = static_cast<uint8_t>(f.id % 3 == 0 ? 1 : 0);
  got = this->Match(U8(f.Full()), o);
  ASSERT_TRUE(got.ok());
  ASSERT_FALSE(got->empty());
  EXPECT_EQ((*got)[0].id, f.id);
}

TYPED_TEST(NameMatcherTest, LatinAndMixedScriptNames) {
  EXPECT_EQ(this->RankOf("APPLE COMPUTER TRADING (SHANGHAI) CO LTD", 2), 1);
  EXPECT_EQ(this->RankOf("IBM中国有限公司", 3), 1);
  EXPECT_EQ(this->RankOf("ＩＢＭ（中国）有限公司", 3), 1);
}

TYPED_TEST(NameMatcherTest, GenericWordsOnlyNeverConfident) {
  for (const char* q : {"科技有限公司", "有限公司", "贸易有限责任公司",
                        "信息技术服务有限公司"}) {
    absl::StatusOr<std::vector<Candidate>> got = this->Match(q);
    ASSERT_TRUE(got.ok()) << q;
    for (const Candidate& c : *got) {
      EXPECT_LE(c.score, kGenericOnlyCap) << q << " -> " << c.matched_name;
      EXPECT_FALSE(c.same_subject_likely);
    }
  }
}

TYPED_TEST(NameMatcherTest, RegionPlusGenericWordsIsHonestlyLow) {
  // 福州科技有限公司 keeps 福州 as its trade name (a region never eats the
  // whole trade name), and no registered trade name resembles it.
  absl::StatusOr<std::vector<Candidate>> got = this->Match("福州科技有限公司");
  ASSERT_TRUE(got.ok());
  for (const Candidate& c : *got) {
    EXPECT_LT(c.score, 0.5) << c.matched_name;
    EXPECT_FALSE(c.same_subject_likely);
  }
}

TYPED_TEST(NameMatcherTest, BadInputIsAClearError) {
  EXPECT_EQ(this->Match("").status().message(),
            "name: empty after normalisation (only spaces or punctuation)");
  EXPECT_EQ(this->Match("（）、。！").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->Match("鑫盛\xff").status().message(),
            "name: invalid UTF-8 at byte 6");
  std::string huge;
  for (int i = 0; i < 10000; ++i) huge += "鑫";
  EXPECT_EQ(this->Match(huge).status().message(),
            "name: 30000 bytes exceeds the limit of 1024 bytes");
  // 250 characters: accepted, bounded, honest.
  std::string long_ok;
  for (int i = 0; i < 250; ++i)
    long_ok += U8(std::u32string(1, kTradeChars[i % kTradeChars.size()]));
  absl::StatusOr<std::vector<Candidate>> got = this->Match(long_ok);
  ASSERT_TRUE(got.ok()) << got.status();
  for (const Candidate& c : *got) EXPECT_FALSE(c.same_subject_likely);
  // Nothing alike at all: an empty or low result, not an error.
  got = this->Match("zzzz");
  ASSERT_TRUE(got.ok());
  for (const Candidate& c : *got) EXPECT_LT(c.score, 0.5);
}

TYPED_TEST(NameMatcherTest, OptionsValidated) {
  MatchOptions o;
  o.top_k = 0;
  EXPECT_EQ(this->Match("鑫盛达", o).status().message(),
            "top_k: 0 not in 1..100");
  o = MatchOptions();
  o.region_prefix = "35x";
  EXPECT_EQ(this->Match("鑫盛达", o).status().message(),
            "region_prefix: '35x' is not 1-6 digits");
  o = MatchOptions();
  o.max_candidates = 100000;
  EXPECT_EQ(this->Match("鑫盛达", o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TYPED_TEST(NameMatcherTest, DroppedCountyShortForm) {
  // The registered name starts with 万年 (万年县) and the query drops it: the
  // other reading of the registered name (万年 as its region) matches the
  // query's trade name exactly; without it the two differ by two dropped
  // characters and the subject was not even a candidate at 1M subjects.
  absl::StatusOr<std::vector<Candidate>> got =
      this->Match("杰星水产有限责任公司");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_FALSE(got->empty());
  EXPECT_EQ((*got)[0].id, 5u);
  EXPECT_TRUE((*got)[0].same_subject_likely);
  EXPECT_EQ((*got)[0].explanation.ToString(),
            "字号 杰星 = 杰星; 行业 水产 = 水产; 组织形式 有限责任公司 = "
            "有限责任公司; 地区 万年 dropped");
  // And with the region moved into brackets.
  EXPECT_EQ(this->RankOf("杰星水产(万年)有限责任公司", 5), 1);
}

// ---- In-memory only: statistics, budgets, concurrency ----------------------

// The postings' own bounds and statistics, and concurrent readers (the Xapian
// source is serialised by its caller, like the store).
class InMemoryMatcherTest : public NameMatcherTest<InMemoryBackend> {};

TEST_F(InMemoryMatcherTest, BuildStats) {
  const NameIndexStats& s = backend_->index().stats();
  EXPECT_EQ(s.entries, 405u);
  EXPECT_EQ(s.names, 405u);  // 400 + renamed(2) + latin + mixed + county
  EXPECT_EQ(s.skipped_names, 2u);
  EXPECT_GT(s.postings, 0u);
  EXPECT_GT(s.memory_bytes, 0u);
}

TEST_F(InMemoryMatcherTest, TightBudgetsStillAnswer) {
  const FixtureName& f = fixture()[5];
  MatchOptions o;
  o.max_postings_scanned = 1;
  o.max_candidates = 1;
  absl::StatusOr<std::vector<Candidate>> got = Match(U8(f.Full()), o);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].id, f.id);  // the whole-trade-name key is rarest
}

TEST_F(InMemoryMatcherTest, ConcurrentReadersAgree) {
  std::vector<std::string> queries;
  for (size_t i = 0; i < 40; ++i) queries.push_back(U8(fixture()[i].Full()));
  std::vector<std::vector<uint32_t>> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (const std::string& q : queries) {
        absl::StatusOr<std::vector<Candidate>> got = Match(q);
        results[t].push_back(got.ok() && !got->empty() ? (*got)[0].id : 0);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(results[t], results[0]);
}

// A typo in a two-character trade name leaves the query one deletion key
// (鑫人力资源) that many registered names share; only the query's region
// tells the subject apart before the bounded cut (the pre-ranking in
// NameIndex::Match). Without it the subject, added last and so tied last by
// slot order, falls outside max_candidates.
TEST(NameMatcherPrerankTest, RegionSeparatesNamesSharingADeletionKey) {
  const std::u32string chars = kTradeChars;
  std::vector<NameEntry> entries;
  for (uint32_t i = 0; i < 120; ++i) {
    NameEntry e;
    e.id = 100 + i;
    e.name = U8(U"深圳" + std::u32string(1, U'鑫') +
                std::u32string(1, chars[i % chars.size()]) +
                std::u32string(1, chars[(i / chars.size()) % chars.size()]) +
                U"人力资源有限公司");
    // Two-character trade names too, all other regions.
    if (i % 2 == 0) {
      e.name = U8(U"深圳鑫" + std::u32string(1, chars[i % chars.size()]) +
                  U"人力资源有限公司");
    }
    e.region = "440305";
    entries.push_back(std::move(e));
  }
  NameEntry truth;
  truth.id = 7;
  truth.name = "清远市鑫远人力资源有限公司";
  truth.region = "441802";
  entries.push_back(truth);
  absl::StatusOr<std::unique_ptr<const NameIndex>> index =
      NameIndex::Build(std::move(entries));
  ASSERT_TRUE(index.ok()) << index.status();
  MatchOptions o;
  o.max_candidates = 8;
  absl::StatusOr<std::vector<Candidate>> got =
      (*index)->Match("清远市鑫康人力资源有限公司", o);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_FALSE(got->empty());
  EXPECT_EQ((*got)[0].id, 7u) << (*got)[0].matched_name;
  // Without a region in the query nothing separates them: still an answer.
  got = (*index)->Match("鑫康人力资源有限公司", o);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->empty());
}

// When the budget stops before the lists that hold the subject, their part
// inside the query's region is still read (names are ordered by region, so
// that part is one binary search away).
TEST(NameMatcherPrerankTest, InRegionPartOfUnreadListsIsRead) {
  std::vector<NameEntry> entries;
  uint32_t id = 100;
  for (char32_t c : kTradeChars) {
    if (c == U'优' || c == U'益' || c == U'远') continue;
    for (const std::u32string& trade :
         {U"远" + std::u32string(1, c), std::u32string(1, c) + U"优"}) {
      NameEntry e;
      e.id = id++;
      e.name = U8(U"福州" + trade + U"服装有限公司");
      e.region = "350102";
      entries.push_back(std::move(e));
    }
  }
  NameEntry truth;
  truth.id = 7;
  truth.name = "娄底市远益服装有限公司";
  truth.region = "431302";
  entries.push_back(truth);
  absl::StatusOr<std::unique_ptr<const NameIndex>> index =
      NameIndex::Build(std::move(entries));
  ASSERT_TRUE(index.ok()) << index.status();
  MatchOptions o;
  o.max_postings_scanned = 40;  // less than either deletion key's list
  o.max_candidates = 8;
  absl::StatusOr<std::vector<Candidate>> got =
      (*index)->Match("娄底市远优服装有限公司", o);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_FALSE(got->empty());
  EXPECT_EQ((*got)[0].id, 7u) << (*got)[0].matched_name;
}

TEST(NameMatcherSourceTest, NeedsLookupById) {
  std::vector<NameEntry> entries(1);
  entries[0].id = 1;
  entries[0].name = "福州鑫盛达贸易有限公司";
  absl::StatusOr<std::unique_ptr<const NameIndex>> index =
      NameIndex::Build(std::move(entries));
  ASSERT_TRUE(index.ok());
  XapianCandidateSource source(nullptr, {});
  EXPECT_EQ((*index)->Match("鑫盛达", {}, source).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CompareNamesTest, NameVsCode) {
  absl::StatusOr<Comparison> c =
      CompareNames("鑫盛达贸易有限公司", "福州鑫盛達貿易有限責任公司");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->same_subject_likely);
  c = CompareNames("华为技术有限公司", "福州鑫盛达贸易有限公司");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->same_subject_likely);
  EXPECT_LT(c->score, 0.3);
  c = CompareNames("厦门鑫盛达贸易有限公司", "鑫盛达贸易有限公司", "350102");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->same_subject_likely);
  EXPECT_NE(c->explanation.ToString().find("different region"),
            std::string::npos);
}

TEST(CompareNamesTest, BadInput) {
  EXPECT_EQ(CompareNames("", "鑫盛达").status().message(),
            "given name: empty after normalisation (only spaces or "
            "punctuation)");
  EXPECT_EQ(CompareNames("鑫盛达", "\xff").status().message(),
            "registered name: invalid UTF-8 at byte 0");
  EXPECT_EQ(CompareNames("鑫盛达", "鑫盛达", "35").status().message(),
            "registered_region: '35' is not six digits");
}

}  // namespace
}  // namespace creditd
