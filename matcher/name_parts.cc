#include "matcher/name_parts.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

#include <algorithm>
#include <utility>

namespace creditd {
namespace {

using matcher_internal::RegionLevel;
using matcher_internal::RegionNames;
using matcher_internal::RegionRef;

// NameParts::lead_region is encoded in 4 bits (name_matcher.cc); county short
// forms are far shorter.
constexpr size_t kMaxLeadRegion = 15;

struct FormSpelling {
  std::u32string_view text;
  OrgForm form;
};

// Spellings of each organisation form. Matched longest first from the end of
// the name, so 集团有限公司 wins over 有限公司.
constexpr FormSpelling kFormSpellings[] = {
    {U"集团股份有限公司", OrgForm::kGroup},
    {U"集团有限责任公司", OrgForm::kGroup},
    {U"集团有限公司", OrgForm::kGroup},
    {U"集团公司", OrgForm::kGroup},
    {U"集团", OrgForm::kGroup},
    {U"股份有限公司", OrgForm::kJointStock},
    {U"股份公司", OrgForm::kJointStock},
    {U"有限责任公司", OrgForm::kLimited},
    {U"有限公司", OrgForm::kLimited},
    {U"总公司", OrgForm::kCompany},
    {U"公司", OrgForm::kCompany},
    {U"分公司", OrgForm::kBranch},
    {U"农民专业合作社联合社", OrgForm::kCooperative},
    {U"农民专业合作社", OrgForm::kCooperative},
    {U"专业合作社", OrgForm::kCooperative},
    {U"股份经济合作社", OrgForm::kCooperative},
    {U"经济合作社", OrgForm::kCooperative},
    {U"合作社", OrgForm::kCooperative},
    {U"联合社", OrgForm::kCooperative},
    {U"个体工商户", OrgForm::kIndividual},
    {U"个体", OrgForm::kIndividual},
    {U"工作室", OrgForm::kStudio},
    {U"事务所", OrgForm::kFirm},
    {U"研究院", OrgForm::kInstitute},
    {U"研究所", OrgForm::kInstitute},
    {U"设计院", OrgForm::kInstitute},
    {U"加工厂", OrgForm::kFactory},
    {U"厂", OrgForm::kFactory},
    {U"经营部", OrgForm::kShop},
    {U"门市部", OrgForm::kShop},
    {U"商行", OrgForm::kShop},
    {U"商店", OrgForm::kShop},
    {U"超市", OrgForm::kShop},
    {U"店", OrgForm::kShop},
    {U"中心", OrgForm::kCenter},
    {U"合伙企业", OrgForm::kPartnership},
    {U"协会", OrgForm::kAssociation},
    {U"商会", OrgForm::kAssociation},
    {U"学会", OrgForm::kAssociation},
    {U"基金会", OrgForm::kAssociation},
    {U"促进会", OrgForm::kAssociation},
    {U"医院", OrgForm::kHospital},
    {U"卫生院", OrgForm::kHospital},
    {U"诊所", OrgForm::kHospital},
    {U"学校", OrgForm::kSchool},
    {U"幼儿园", OrgForm::kSchool},
};

// Organisation words that appear in brackets: 中心(有限合伙),
// 某某(集团)有限公司.
constexpr FormSpelling kBracketForms[] = {
    {U"有限合伙", OrgForm::kPartnership},
    {U"普通合伙", OrgForm::kPartnership},
    {U"特殊普通合伙", OrgForm::kPartnership},
    {U"集团", OrgForm::kGroup},
    {U"个体工商户", OrgForm::kIndividual},
};

// Common industry words (行业表述). Not exhaustive: an unknown industry word
// stays in the trade name, which costs some score on a mismatch but never
// recall (the postings index trade name and industry together).
constexpr std::u32string_view kIndustryWords[] = {
    U"科技",       U"技术",     U"信息技术",     U"信息科技",
    U"网络科技",   U"网络技术", U"智能科技",     U"电子科技",
    U"生物科技",   U"环保科技", U"教育科技",     U"新能源科技",
    U"软件",       U"软件开发", U"信息",         U"网络",
    U"电子商务",   U"通信",     U"通讯",         U"数据",
    U"大数据",     U"云计算",   U"人工智能",     U"贸易",
    U"商贸",       U"国际贸易", U"进出口",       U"供应链",
    U"供应链管理", U"建筑工程", U"建筑",         U"工程",
    U"建设",       U"建设工程", U"装饰工程",     U"装饰",
    U"装修",       U"建材",     U"房地产",       U"房地产开发",
    U"置业",       U"物业",     U"物业管理",     U"餐饮",
    U"餐饮管理",   U"酒店",     U"酒店管理",     U"管理",
    U"企业管理",   U"咨询",     U"企业管理咨询", U"管理咨询",
    U"信息咨询",   U"投资",     U"投资管理",     U"投资咨询",
    U"资产管理",   U"控股",     U"实业",         U"发展",
    U"科技发展",   U"服务",     U"信息技术服务", U"技术服务",
    U"劳务",       U"劳务派遣", U"人力资源",     U"物流",
    U"运输",       U"货运",     U"快递",         U"文化",
    U"文化传媒",   U"传媒",     U"文化传播",     U"传播",
    U"广告",       U"影视",     U"旅游",         U"旅行社",
    U"教育",       U"培训",     U"教育咨询",     U"医药",
    U"药业",       U"制药",     U"医疗",         U"医疗器械",
    U"健康",       U"健康管理", U"生物",         U"食品",
    U"农业",       U"农业发展", U"农业科技",     U"林业",
    U"牧业",       U"渔业",     U"养殖",         U"种植",
    U"水产",       U"茶业",     U"酒业",         U"化工",
    U"材料",       U"新材料",   U"能源",         U"新能源",
    U"电力",       U"电气",     U"机械",         U"机械设备",
    U"设备",       U"机电",     U"五金",         U"汽车",
    U"汽车销售",   U"汽车服务", U"金融",         U"保险",
    U"租赁",       U"融资租赁", U"印刷",         U"包装",
    U"纺织",       U"服装",     U"服饰",         U"鞋业",
    U"家具",       U"家居",     U"钢铁",         U"金属",
    U"矿业",       U"环保",     U"环境",         U"节能",
    U"安防",       U"智能",     U"电器",         U"照明",
    U"美容",       U"美发",     U"体育",         U"娱乐",
    U"商务",       U"电子",     U"仪器",         U"仪表",
    U"塑料",       U"橡胶",     U"陶瓷",         U"玻璃",
    U"石材",       U"木业",     U"纸业",         U"水务",
    U"燃气",       U"园林",     U"绿化",         U"市政",
    U"市政工程",   U"路桥",     U"交通",         U"航空",
    U"船舶",       U"港口",     U"石油",         U"石化",
    U"天然气",     U"光电",     U"半导体",       U"集成电路",
    U"精密",       U"模具",     U"制造",         U"工业",
    U"商业",       U"销售",     U"营销",         U"设计",
    U"规划",       U"测绘",     U"检测",         U"认证",
    U"会计",       U"税务",     U"律师",         U"法律",
    U"知识产权",   U"人才",     U"家政",         U"保洁",
    U"安保",       U"保安",     U"生态",         U"农产品",
    U"粮油",       U"果业",     U"蔬菜",         U"花卉",
};

class Tables {
 public:
  static const Tables& Get() {
    static const Tables* tables = new Tables();
    return *tables;
  }
  // Longest org-form spelling that ends `s`, or nullptr.
  const FormSpelling* FormSuffix(std::u32string_view s) const {
    for (const FormSpelling* f : forms_by_length_) {
      if (s.size() >= f->text.size() &&
          s.substr(s.size() - f->text.size()) == f->text) {
        return f;
      }
    }
    return nullptr;
  }
  const FormSpelling* BracketForm(std::u32string_view s) const {
    for (const FormSpelling& f : kBracketForms) {
      if (s == f.text) return &f;
    }
    return nullptr;
  }
  // Length of the longest industry word that ends `s`, 0 if none.
  size_t IndustrySuffix(std::u32string_view s) const {
    for (size_t len = std::min(s.size(), max_industry_); len >= 2; --len) {
      if (industry_.contains(s.substr(s.size() - len))) return len;
    }
    return 0;
  }
  bool IsIndustry(std::u32string_view s) const { return industry_.contains(s); }

 private:
  Tables() {
    for (const FormSpelling& f : kFormSpellings) forms_by_length_.push_back(&f);
    std::stable_sort(forms_by_length_.begin(), forms_by_length_.end(),
                     [](const FormSpelling* a, const FormSpelling* b) {
                       return a->text.size() > b->text.size();
                     });
    for (std::u32string_view w : kIndustryWords) {
      industry_.insert(w);
      max_industry_ = std::max(max_industry_, w.size());
    }
  }
  std::vector<const FormSpelling*> forms_by_length_;
  absl::flat_hash_set<std::u32string_view> industry_;
  size_t max_industry_ = 0;
};

// Readings of `name` at a level deeper than every reading in `outer` and
// inside one of them (or any reading when `outer` is empty). County short
// forms (鼓楼 for 鼓楼区) only count after a province or city was read: alone
// they are too often ordinary words.
std::vector<RegionRef> AcceptableRefs(const std::vector<RegionRef>& refs,
                                      const std::vector<RegionRef>& outer) {
  std::vector<RegionRef> out;
  for (const RegionRef& r : refs) {
    if (r.level == RegionLevel::kNational && !outer.empty()) continue;
    if (outer.empty()) {
      if (r.level == RegionLevel::kCounty && r.short_form) continue;
      out.push_back(r);
      continue;
    }
    const std::vector<RegionRef> one = {r};
    if (RegionNames::Relate(outer, one) ==
        matcher_internal::RegionRelation::kContains) {
      out.push_back(r);
    }
  }
  return out;
}

// Reads region names from the front of `s`: up to three, each one level
// deeper than and inside the one before (province, city, county; short forms
// allowed, a county short form only after a province or city), longest name
// first, leaving at least `keep` code points unread. Returns how many code
// points were read (0 when no region starts `s`) and sets `*refs` to the
// readings of the last (most specific) name read.
size_t ReadRegionChain(std::u32string_view s, size_t keep,
                       std::vector<RegionRef>* refs) {
  const RegionNames& regions = RegionNames::Default();
  size_t pos = 0;
  std::vector<RegionRef> outer;
  for (int level = 0; level < 3; ++level) {
    bool advanced = false;
    if (s.size() < pos + keep) break;
    const size_t max_len = std::min(regions.max_name_length(), s.size() - pos);
    for (size_t len = max_len; len >= 2; --len) {
      if (s.size() - pos - len < keep) continue;
      const std::vector<RegionRef>* found = regions.Find(s.substr(pos, len));
      if (found == nullptr) continue;
      std::vector<RegionRef> ok = AcceptableRefs(*found, outer);
      if (ok.empty()) continue;
      outer = std::move(ok);
      pos += len;
      advanced = true;
      break;
    }
    if (!advanced) break;
  }
  *refs = std::move(outer);
  return pos;
}

}  // namespace

std::string_view OrgFormName(OrgForm form) {
  switch (form) {
    case OrgForm::kNone:
      return "none";
    case OrgForm::kLimited:
      return "limited_company";
    case OrgForm::kJointStock:
      return "joint_stock";
    case OrgForm::kGroup:
      return "group";
    case OrgForm::kCompany:
      return "company";
    case OrgForm::kBranch:
      return "branch";
    case OrgForm::kCooperative:
      return "cooperative";
    case OrgForm::kIndividual:
      return "individual";
    case OrgForm::kStudio:
      return "studio";
    case OrgForm::kFirm:
      return "firm";
    case OrgForm::kInstitute:
      return "institute";
    case OrgForm::kFactory:
      return "factory";
    case OrgForm::kShop:
      return "shop";
    case OrgForm::kCenter:
      return "center";
    case OrgForm::kPartnership:
      return "partnership";
    case OrgForm::kAssociation:
      return "association";
    case OrgForm::kHospital:
      return "hospital";
    case OrgForm::kSchool:
      return "school";
  }
  return "none";
}

bool IsIndustryWord(std::u32string_view word) {
  return Tables::Get().IsIndustry(word);
}

NameParts SplitName(std::u32string_view normalized) {
  const Tables& tables = Tables::Get();
  const RegionNames& regions = RegionNames::Default();
  NameParts parts;
  parts.normalized = std::u32string(normalized);

  // 1. Bracket groups.
  std::u32string body;
  std::u32string bracket_form_text;
  OrgForm bracket_form = OrgForm::kNone;
  for (size_t i = 0; i < normalized.size(); ++i) {
    const char32_t c = normalized[i];
    if (c == U')') continue;  // unmatched closer
    if (c != U'(') {
      body.push_back(c);
      continue;
    }
    const size_t close = normalized.find(U')', i + 1);
    const size_t end =
        close == std::u32string_view::npos ? normalized.size() : close;
    std::u32string_view inner = normalized.substr(i + 1, end - i - 1);
    // Nested openers inside: keep the text, drop the brackets.
    const bool nested = inner.find(U'(') != std::u32string_view::npos;
    const std::vector<RegionRef>* refs = nested ? nullptr : regions.Find(inner);
    // A bracket may also hold a chain of names (江苏南京, 南京市江宁区): a
    // region when the chain reads all of it.
    std::vector<RegionRef> chain;
    if (refs == nullptr && !nested && parts.region.empty() &&
        inner.size() >= 2 &&
        ReadRegionChain(inner, /*keep=*/0, &chain) == inner.size()) {
      refs = &chain;
    }
    const FormSpelling* form = nested ? nullptr : tables.BracketForm(inner);
    if (refs != nullptr && parts.region.empty()) {
      parts.region = std::u32string(inner);
      parts.region_refs = *refs;
      parts.region_position = RegionPosition::kBracket;
    } else if (form != nullptr) {
      bracket_form_text += U"(" + std::u32string(inner) + U")";
      bracket_form = form->form;
    } else {
      for (char32_t x : inner) {
        if (x != U'(') body.push_back(x);
      }
    }
    i = end;
  }

  // 2. Organisation form from the end.
  std::u32string_view rest = body;
  if (const FormSpelling* f = tables.FormSuffix(rest)) {
    rest.remove_suffix(f->text.size());
    parts.org_form = std::u32string(f->text);
    parts.org_class = f->form;
    if (f->form == OrgForm::kBranch) {
      // 某某有限公司福州分公司: the branch's place, then the parent's form.
      for (size_t len = std::min(rest.size(), regions.max_name_length());
           len >= 2; --len) {
        std::u32string_view tail = rest.substr(rest.size() - len);
        if (regions.Find(tail) != nullptr && rest.size() - len >= 2) {
          parts.branch = std::u32string(tail);
          rest.remove_suffix(len);
          break;
        }
      }
      if (const FormSpelling* parent = tables.FormSuffix(rest);
          parent != nullptr && parent->form != OrgForm::kBranch) {
        rest.remove_suffix(parent->text.size());
        parts.org_form = std::u32string(parent->text) + parts.org_form;
      }
    }
  }
  if (bracket_form != OrgForm::kNone) {
    parts.org_form += bracket_form_text;
    if (bracket_form == OrgForm::kPartnership ||
        parts.org_class == OrgForm::kNone ||
        (bracket_form == OrgForm::kGroup &&
         (parts.org_class == OrgForm::kLimited ||
          parts.org_class == OrgForm::kJointStock ||
          parts.org_class == OrgForm::kCompany))) {
      parts.org_class = bracket_form;
    }
  }

  // 3. Industry words from the end; the result may be empty (generic name).
  size_t industry_start = rest.size();
  for (int round = 0; round < 3; ++round) {
    const size_t len = tables.IndustrySuffix(rest.substr(0, industry_start));
    if (len == 0) break;
    industry_start -= len;
  }
  parts.industry = std::u32string(rest.substr(industry_start));
  rest = rest.substr(0, industry_start);

  // 4. Region from the front, leaving at least two characters of trade name.
  if (parts.region.empty()) {
    std::vector<RegionRef> refs;
    const size_t pos = ReadRegionChain(rest, /*keep=*/2, &refs);
    if (pos > 0) {
      parts.region = std::u32string(rest.substr(0, pos));
      parts.region_refs = std::move(refs);
      parts.region_position = RegionPosition::kFront;
      rest.remove_prefix(pos);
    }
  }
  parts.trade = std::u32string(rest);

  // 5. A leading county short form that step 4 did not accept on its own.
  if (parts.region.empty()) {
    const size_t max_len = std::min<size_t>(
        {regions.max_name_length(), rest.size(), kMaxLeadRegion});
    for (size_t len = max_len; len >= 2; --len) {
      if (rest.size() - len < 2) continue;
      const std::vector<RegionRef>* refs = regions.Find(rest.substr(0, len));
      if (refs == nullptr) continue;
      const bool county_short =
          std::any_of(refs->begin(), refs->end(), [](const RegionRef& r) {
            return r.level == RegionLevel::kCounty && r.short_form;
          });
      if (county_short) {
        parts.lead_region = static_cast<uint8_t>(len);
        break;
      }
    }
  }
  return parts;
}

NameParts NameParts::CutLeadRegion() const {
  NameParts p = *this;
  const size_t len = std::min<size_t>(lead_region, trade.size());
  p.region = trade.substr(0, len);
  p.region_position = RegionPosition::kFront;
  p.region_refs.clear();
  if (const std::vector<RegionRef>* refs =
          RegionNames::Default().Find(p.region)) {
    for (const RegionRef& r : *refs) {
      if (r.level == RegionLevel::kCounty && r.short_form) {
        p.region_refs.push_back(r);
      }
    }
  }
  p.trade.erase(0, len);
  p.lead_region = 0;
  return p;
}

}  // namespace creditd
