// Splits a normalised company name (normalizer.h) into the parts a clerk
// reads: region, trade name (字号), industry word, organisation form.
//
//   福建省福州市鑫盛达贸易有限公司   region 福建省福州市, trade 鑫盛达,
//                                   industry 贸易, form 有限公司
//   腾讯科技(深圳)有限公司           region 深圳 (bracketed), trade 腾讯,
//                                   industry 科技, form 有限公司
//   某某有限公司福州分公司           trade 某某, form 有限公司分公司 (branch),
//                                   branch 福州
//
// Order of the cuts, and why:
//   1. bracket groups: a region name or an organisation word inside brackets
//      is taken out; any other bracket content stays inline;
//   2. organisation form from the end (longest first), then for a branch its
//      own place name and the parent's form;
//   3. industry words from the end (up to three: 信息技术 + 服务);
//   4. region names from the front (province, then city, then county; short
//      forms allowed, county short forms only after a province or city), but
//      only if at least two characters of trade name remain: 长春藤科技 keeps
//      长春藤, 福建科技有限公司 keeps 福建 as its trade name.
// What is left is the trade name; it is empty only when the name is nothing
// but generic words (科技有限公司), which callers must not match confidently.
//
// Region names come from the compiled-in GB/T 2260 table (index/regions.h).
// Pure and thread-safe; the region dictionary is built once on first use.
#ifndef CREDITD_MATCHER_NAME_PARTS_H_
#define CREDITD_MATCHER_NAME_PARTS_H_

#include "matcher/internal/region_names.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

// Equivalence classes of organisation forms: names within a class are the
// same legal form written differently (有限公司 ~ 有限责任公司).
//
// When adding a class: add its name to OrgFormName(), its spellings to the
// table in name_parts.cc, its compatibility to OrgFormRelation() in scorer.cc,
// and a case to tests/matcher/name_parts_test.cc.
enum class OrgForm : uint8_t {
  kNone,        // no form found
  kLimited,     // 有限公司, 有限责任公司
  kJointStock,  // 股份有限公司, 股份公司
  kGroup,  // 集团, 集团有限公司, 集团股份有限公司, (集团)...
  kCompany,      // 公司, 总公司 (form not stated)
  kBranch,       // 分公司 (a subject of its own, with its own code)
  kCooperative,  // 合作社, 专业合作社, 农民专业合作社, 联合社
  kIndividual,   // 个体, 个体工商户
  kStudio,       // 工作室
  kFirm,         // 事务所
  kInstitute,    // 研究院, 研究所, 设计院
  kFactory,      // 厂, 加工厂
  kShop,         // 店, 商店, 商行, 经营部, 门市部, 超市
  kCenter,       // 中心
  kPartnership,  // 合伙企业, (有限合伙), (普通合伙)
  kAssociation,  // 协会, 商会, 学会, 基金会, 促进会
  kHospital,     // 医院, 诊所, 卫生院
  kSchool,       // 学校, 幼儿园
};

// "limited_company", "joint_stock", ...
std::string_view OrgFormName(OrgForm form);

enum class RegionPosition : uint8_t { kNone, kFront, kBracket };

struct NameParts {
  std::u32string normalized;  // the whole input
  std::u32string region;      // as written: 福建省福州市, 深圳
  RegionPosition region_position = RegionPosition::kNone;
  // The divisions `region` may denote (most specific level matched); empty
  // when there is no region.
  std::vector<matcher_internal::RegionRef> region_refs;
  std::u32string trade;     // 字号; empty when only generic words remain
  std::u32string industry;  // 行业, e.g. 信息技术服务
  std::u32string org_form;  // as written, e.g. 有限责任公司, 中心(有限合伙)
  OrgForm org_class = OrgForm::kNone;
  std::u32string branch;  // a branch's own place name (福州 in ...福州分公司)
  // When no region was cut and the trade name starts with a county short form
  // (万年 in 万年杰星水产有限公司, 万年县 dropped its 县): that form's length
  // in code points, else 0. SplitName keeps it in the trade name, because alone
  // such a form is too often an ordinary word (鼓楼, 新华), but the keys
  // (NameKeys) and the scorer (ScoreNames) also try the reading without it,
  // which CutLeadRegion() gives.
  uint8_t lead_region = 0;

  // trade + industry: what the postings index.
  std::u32string Core() const { return trade + industry; }
  bool generic_only() const { return trade.empty(); }
  // The other reading when lead_region > 0: the leading county short form
  // moved from the trade name into the region (front). REQUIRES:
  // lead_region > 0.
  NameParts CutLeadRegion() const;
};

// REQUIRES: `normalized` is the output of Normalizer::Normalize (no spaces or
// punctuation other than '(' and ')'). Never fails; unknown shapes end up in
// the trade name.
NameParts SplitName(std::u32string_view normalized);

// True when `word` is in the table of industry words (科技, 贸易, ...).
bool IsIndustryWord(std::u32string_view word);

}  // namespace creditd

#endif  // CREDITD_MATCHER_NAME_PARTS_H_
