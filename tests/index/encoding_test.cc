#include "index/internal/encoding.h"

#include "gtest/gtest.h"

namespace creditd::internal {
namespace {

Subject FullSubject() {
  Subject s;
  s.id = "S1";
  s.code = "91350100M000100Y43";
  s.name = "福州鑫盛达科技有限公司";
  s.former_names = {"福州鑫盛达贸易有限公司", "鑫盛达商行"};
  s.legal_rep = "张*";
  s.region = "350100";
  s.status = SubjectStatus::kRevoked;
  s.registered_on = *ParseDate("2015-10-01");
  s.org_code = "M000100Y4";
  s.reg_no = "350100000000016";
  s.source = "subjects.jsonl:1";
  return s;
}

TEST(EncodingTest, SubjectRoundTrip) {
  std::string data;
  EncodeSubject(FullSubject(), &data);
  auto back = DecodeSubject(data);
  ASSERT_TRUE(back.ok()) << back.status();
  std::string again;
  EncodeSubject(*back, &again);
  EXPECT_EQ(data, again);
  EXPECT_EQ(back->former_names.size(), 2u);
  EXPECT_EQ(back->status, SubjectStatus::kRevoked);
  EXPECT_EQ(FormatDate(back->registered_on), "2015-10-01");
  auto peek = PeekIdAndCode(data);
  ASSERT_TRUE(peek.ok());
  EXPECT_EQ(peek->tag, 'S');
  EXPECT_EQ(peek->id, "S1");
  EXPECT_EQ(peek->code, "91350100M000100Y43");
}

TEST(EncodingTest, RecordRoundTripWithMissingDates) {
  Record r;
  r.id = "R1";
  r.code = "91350100M000100Y43";
  r.list = "abnormal_operation";
  r.valid_from = *ParseDate("2020-02-29");
  r.disputed = true;
  std::string data;
  EncodeRecord(r, &data);
  auto back = DecodeRecord(data);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->disputed);
  EXPECT_FALSE(back->valid_until.has_value());
  EXPECT_EQ(back->valid_from, r.valid_from);
  EXPECT_FALSE(DecodeSubject(data).ok());  // wrong tag
}

TEST(EncodingTest, EveryTruncationAndVersionIsRejected) {
  std::string data;
  EncodeSubject(FullSubject(), &data);
  for (size_t n = 0; n < data.size(); ++n) {
    EXPECT_FALSE(DecodeSubject(data.substr(0, n)).ok()) << n;
  }
  std::string future = data;
  future[0] = 2;
  EXPECT_EQ(DecodeSubject(future).status().message(),
            "encoding: unknown version 2");
  EXPECT_FALSE(DecodeSubject(data + "x").ok());
  // A non-minimal varint (found by tests/fuzz/encoding_fuzz): the source
  // length 0 written as 0x80 0x00 decodes to the same value but is not the
  // canonical encoding, and is rejected.
  Subject empty_source = FullSubject();
  empty_source.source.clear();
  std::string canonical;
  EncodeSubject(empty_source, &canonical);
  ASSERT_EQ(canonical[2], '\0');
  std::string overlong = canonical;
  overlong.replace(2, 1, std::string("\x80\x00", 2));
  EXPECT_TRUE(DecodeSubject(canonical).ok());
  EXPECT_FALSE(DecodeSubject(overlong).ok());
}

Record FullRecord() {
  Record r;
  r.id = "R1";
  r.code = "91350100M000100Y43";
  r.list = "abnormal_operation";
  r.name = "福州鑫盛达科技有限公司";
  r.authority = "福州市市场监督管理局";
  r.basis = "《企业经营异常名录管理暂行办法》第四条";
  r.doc_no = "榕市监异字〔2023〕17号";
  r.detail = "通过登记的住所或者经营场所无法联系";
  r.decided_on = *ParseDate("2023-03-01");
  r.valid_from = *ParseDate("2023-03-01");
  r.repaired_on = *ParseDate("2024-01-02");
  r.disputed = true;
  r.source = "records.jsonl:42";
  return r;
}

// Standard -> view -> compact -> view -> standard gives back the same bytes.
std::string CompactRoundTrip(const Subject& s, StringDict& dict) {
  std::string standard;
  EncodeSubject(s, &standard);
  auto view = DecodeSubjectView(standard);
  EXPECT_TRUE(view.ok()) << view.status();
  std::string compact;
  EncodeCompactSubject(*view, dict, &compact);
  auto back = DecodeCompactSubject(compact, dict);
  EXPECT_TRUE(back.ok()) << back.status();
  std::string again;
  EncodeSubjectView(*back, &again);
  EXPECT_EQ(again, standard);
  return compact;
}

TEST(CompactEncodingTest, SubjectRoundTripsByteForByte) {
  StringDict dict;
  Subject s = FullSubject();
  const std::string compact = CompactRoundTrip(s, dict);
  auto peek = CompactIdAndCode(compact);
  ASSERT_TRUE(peek.ok());
  EXPECT_EQ(peek->tag, 'S');
  EXPECT_EQ(peek->id, "S1");
  EXPECT_EQ(peek->code, "91350100M000100Y43");
  // The region equal to code positions 3-8 is not stored; the source's file
  // name is in the dictionary and its line is a number.
  EXPECT_EQ(compact.find(std::string("\x06") + "350100"), std::string::npos);
  EXPECT_EQ(compact.find("subjects.jsonl"), std::string::npos);
  auto view = DecodeCompactSubject(compact, dict);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->region, "350100");
  EXPECT_EQ(view->source, "subjects.jsonl");
  EXPECT_EQ(view->source_line, 1u);
  std::vector<std::string> formers;
  view->ForEachFormerName([&](std::string_view f) { formers.emplace_back(f); });
  EXPECT_EQ(formers, FullSubject().former_names);
}

TEST(CompactEncodingTest, SourcesAndRegionsThatMustNotBeRewritten) {
  StringDict dict;
  for (std::string source : {"a:05", "a:0", "a:", ":", "a:1234567890", "a:12x",
                             "部门", "", "a:b:7", "x:999999999"}) {
    Subject s = FullSubject();
    s.source = source;
    CompactRoundTrip(s, dict);
  }
  for (std::string region : {"", "110000", "350100", "35010"}) {
    Subject s = FullSubject();
    s.region = region;
    CompactRoundTrip(s, dict);
  }
  Subject short_code = FullSubject();
  short_code.code = "9135";
  short_code.region = "";
  CompactRoundTrip(short_code, dict);
}

// The compact tail stores only the dates a record has, behind a flags byte:
// every combination of present dates and the dispute flag must come back
// byte for byte, and a flags byte with unknown bits is malformed.
TEST(CompactEncodingTest, RecordTailKeepsEveryDateCombination) {
  StringDict dict;
  for (int mask = 0; mask < 32; ++mask) {
    Record r = FullRecord();
    r.decided_on = (mask & 1) ? *ParseDate("2023-02-15") : Date{};
    r.valid_from = (mask & 2) ? *ParseDate("1900-01-01") : Date{};
    r.valid_until = (mask & 4) ? *ParseDate("2199-12-31") : Date{};
    r.repaired_on = (mask & 8) ? *ParseDate("1970-01-01") : Date{};
    r.disputed = (mask & 16) != 0;
    std::string standard;
    EncodeRecord(r, &standard);
    auto view = DecodeRecordView(standard);
    ASSERT_TRUE(view.ok()) << view.status();
    std::string compact;
    EncodeCompactRecord(*view, dict, &compact);
    auto back = DecodeCompactRecord(compact, dict);
    ASSERT_TRUE(back.ok()) << "mask " << mask << ": " << back.status();
    std::string again;
    EncodeRecordView(*back, &again);
    EXPECT_EQ(again, standard) << "mask " << mask;
    EXPECT_EQ(back->disputed, r.disputed);
    EXPECT_EQ(back->valid_until, r.valid_until);
  }
  // Find the flags byte: the one byte two records differing only in the
  // dispute flag differ in.
  Record r = FullRecord();
  r.decided_on = r.valid_from = r.valid_until = r.repaired_on = Date{};
  std::string a, b;
  for (bool disputed : {false, true}) {
    r.disputed = disputed;
    std::string standard;
    EncodeRecord(r, &standard);
    auto view = DecodeRecordView(standard);
    ASSERT_TRUE(view.ok());
    EncodeCompactRecord(*view, dict, disputed ? &b : &a);
  }
  ASSERT_EQ(a.size(), b.size());
  size_t at = 0;
  while (at < a.size() && a[at] == b[at]) ++at;
  ASSERT_LT(at, a.size());
  EXPECT_EQ(a[at], 0);
  EXPECT_EQ(b[at], 16);
  a[at] = 32;  // an unknown bit
  EXPECT_FALSE(DecodeCompactRecord(a, dict).ok());
  a[at] = 0;
  EXPECT_TRUE(DecodeCompactRecord(a, dict).ok());
  EXPECT_FALSE(DecodeCompactRecord(a.substr(0, at), dict).ok());
}

TEST(CompactEncodingTest, RecordTextsAreSharedThroughTheDictionary) {
  StringDict dict;
  Record r = FullRecord();
  std::string standard;
  EncodeRecord(r, &standard);
  auto view = DecodeRecordView(standard);
  ASSERT_TRUE(view.ok());
  std::string first, second;
  EncodeCompactRecord(*view, dict, &first);
  const size_t dict_size = dict.size();
  r.id = "R2";
  r.source = "records.jsonl:43";
  std::string standard2;
  EncodeRecord(r, &standard2);
  auto view2 = DecodeRecordView(standard2);
  ASSERT_TRUE(view2.ok());
  EncodeCompactRecord(*view2, dict, &second);
  EXPECT_EQ(dict.size(), dict_size);  // nothing new to intern
  EXPECT_LT(second.size(), standard2.size() / 2);
  auto back = DecodeCompactRecord(second, dict);
  ASSERT_TRUE(back.ok()) << back.status();
  std::string again;
  EncodeRecordView(*back, &again);
  EXPECT_EQ(again, standard2);
  EXPECT_TRUE(back->InForce(*ParseDate("2023-12-31")));
  EXPECT_FALSE(back->InForce(*ParseDate("2024-01-02")));
  // Truncations and a dictionary index past the end are rejected.
  for (size_t n = 0; n < second.size(); ++n) {
    EXPECT_FALSE(DecodeCompactRecord(second.substr(0, n), dict).ok()) << n;
  }
  StringDict empty;
  EXPECT_FALSE(DecodeCompactRecord(second, empty).ok());
  EXPECT_FALSE(DecodeCompactSubject(second, dict).ok());  // wrong tag
}

TEST(CompactEncodingTest, DictionaryKeepsLongTextsInline) {
  StringDict dict;
  const std::string long_text(StringDict::kMaxBytes + 1, 'x');
  EXPECT_FALSE(dict.Intern(long_text).has_value());
  auto a = dict.Intern("市场监管");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(dict.Intern("市场监管"), a);
  EXPECT_EQ(dict.Get(*a), "市场监管");
  Record r = FullRecord();
  r.detail = long_text;
  std::string standard, compact;
  EncodeRecord(r, &standard);
  EncodeCompactRecord(*DecodeRecordView(standard), dict, &compact);
  dict.Freeze();
  auto back = DecodeCompactRecord(compact, dict);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->detail, long_text);
}

}  // namespace
}  // namespace creditd::internal
