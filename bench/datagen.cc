#include "bench/datagen.h"

#include "index/legacy_codes.h"
#include "index/regions.h"
#include "index/uscc.h"

#include "absl/container/flat_hash_map.h"
#include "opencc/SimpleConverter.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <deque>
#include <exception>
#include <numeric>
#include <optional>
#include <utility>

namespace creditd::datagen {
namespace {

__extension__ typedef unsigned __int128 Uint128;  // g++/clang builtin

// ---------------------------------------------------------------------------
// Randomness. xoshiro256** seeded by splitmix64: fast, and the same numbers on
// every platform. Bounded draws use the multiply-shift reduction (a bias below
// n / 2^64, irrelevant here) so that no draw ever loops.

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& s : s_) s = SplitMix(seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<Uint128>(Next()) * n) >> 64);
  }
  int Between(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(Below(static_cast<uint64_t>(hi - lo + 1)));
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Uniform() < p; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }
  // Index drawn with probability proportional to weights[i].
  template <typename W>
  size_t Weighted(const W& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Uniform() * total;
    size_t i = 0;
    for (double w : weights) {
      if (x < w) return i;
      x -= w;
      ++i;
    }
    return i - 1;
  }
  int Poisson(double mean) {
    if (mean <= 0) return 0;
    const double limit = std::exp(-mean);
    double p = Uniform();
    int k = 0;
    while (p > limit && k < 64) {
      p *= Uniform();
      ++k;
    }
    return k;
  }

  static uint64_t SplitMix(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

uint64_t Mix(uint64_t a, uint64_t b) {
  uint64_t x = a ^ (b * 0x9E3779B97F4A7C15ull);
  return Rng::SplitMix(x);
}

// A bijection of [0, space): k -> (a*k + b) mod space with gcd(a, space) = 1.
// Drawing names and code bodies through it makes them unique by construction
// (a counter never repeats) while looking random.
struct Affine {
  uint64_t a = 1, b = 0, space = 1;
  static Affine Make(uint64_t space, uint64_t hash) {
    Affine f;
    f.space = space;
    f.a = 1 + (hash % (space - 1));
    while (std::gcd(f.a, space) != 1) f.a = 1 + (f.a % (space - 1));
    f.b = Mix(hash, 7) % space;
    return f;
  }
  uint64_t operator()(uint64_t k) const {
    if (k < (1ull << 32) && space < (1ull << 31)) {
      return (a * k + b) % space;  // cannot overflow: the common, fast case
    }
    return static_cast<uint64_t>((static_cast<Uint128>(a) * k + b) % space);
  }
};

// ---------------------------------------------------------------------------
// Dates (Howard Hinnant's civil-calendar algorithms).

int32_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy =
      (153 * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2) / 5 +
      static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int32_t>(doe) - 719468;
}

void CivilFromDays(int32_t z, int& y, int& m, int& d) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe) + era * 400 + (m <= 2);
}

int YearOf(Date date) {
  int y, m, d;
  CivilFromDays(date.days, y, m, d);
  return y;
}

Date AddYears(Date date, int years) {  // same day n years on, minus one day
  int y, m, d;
  CivilFromDays(date.days, y, m, d);
  if (m == 2 && d == 29) d = 28;
  return Date{DaysFromCivil(y + years, m, d) - 1};
}

void AppendUint(uint64_t v, std::string& out) {
  char buf[24];
  char* p = buf + sizeof(buf);
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, buf + sizeof(buf));
}

void AppendPadded(uint64_t v, int width, std::string& out) {
  char buf[24];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

// ---------------------------------------------------------------------------
// UTF-8 helpers. Every name character the generator uses is a BMP CJK
// character (3 bytes) or ASCII; variants work on code points all the same.

std::vector<std::string> SplitChars(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    out.emplace_back(s.substr(i, len));
    i += len;
  }
  return out;
}

size_t CharCount(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string Join(const std::vector<std::string>& chars) {
  std::string out;
  for (const std::string& c : chars) out += c;
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

// ---------------------------------------------------------------------------
// Vocabulary.

// Characters common in trade names (字号), each followed after ':' by
// characters with the same toneless pinyin as ICU's "Han-Latin; Latin-ASCII"
// gives it (the matcher's pinyin keys): ICU reads 晟 as cheng and 拓 as ta, so
// they follow ICU. tests/bench/datagen_test.cc checks every variant drawn.
constexpr std::string_view kTradeChars[] = {
    "鑫:新欣心馨", "盛:胜圣",   "达:答",     "华:化桦骅", "泰:太态",
    "恒:衡亨",     "通:同桐",   "宏:红鸿洪", "源:元园圆", "兴:星型形",
    "隆:龙珑",     "昌:常畅",   "丰:峰锋枫", "瑞:锐睿",   "祥:翔详湘",
    "和:合禾河",   "福:富复付", "利:力立丽", "嘉:佳家加", "信:新欣",
    "汇:惠辉",     "金:锦今津", "银:音因",   "宝:保堡",   "德:得",
    "康:抗慷",     "安:岸按",   "顺:舜",     "发:法",     "荣:容蓉融",
    "成:诚城程",   "新:鑫欣心", "永:勇涌",   "佳:嘉家加", "美:梅玫",
    "创:窗",       "博:波伯",   "众:中忠",   "鼎:顶定",   "诚:成城",
    "正:政征",     "天:田添",   "海:",       "山:善衫",   "明:名铭鸣",
    "光:广",       "辉:晖徽",   "阳:扬洋杨", "星:兴",     "月:悦越",
    "云:运韵",     "龙:隆",     "凤:丰峰",   "鹏:朋彭",   "飞:菲非",
    "腾:藤",       "远:源园",   "航:杭",     "宇:雨语",   "凯:恺楷",
    "旭:序叙",     "晨:辰臣",   "东:冬栋",   "亿:艺益",   "万:湾",
    "合:和禾",     "立:利力",   "升:生声",   "益:亿艺",   "力:利立",
    "弘:宏鸿",     "伟:维玮",   "卓:桌",     "越:悦月",   "杰:捷洁",
    "豪:浩",       "威:维微",   "智:志致",   "慧:惠汇",   "聚:巨炬",
    "能:",         "联:连莲",   "协:谐",     "同:通桐",   "盈:赢营",
    "鸿:宏红",     "润:闰",     "泽:则择",   "洋:阳扬",   "江:疆姜",
    "林:霖琳",     "森:",       "春:椿",     "冠:官观",   "峰:丰锋",
    "锦:金今",     "彩:采",     "虹:宏红",   "翔:祥",     "骏:俊峻",
    "优:友",       "品:聘",     "尚:上",     "亚:雅",     "欧:鸥",
    "晟:成城诚",   "拓:",       "恩:",       "茂:贸",     "旺:望",
    "邦:帮",       "汉:翰",     "锐:瑞睿",   "久:九酒",   "元:源园",
    "浩:豪",       "广:光",     "振:震",     "国:果",     "众:中",
    "普:谱",
};

struct Industry {
  std::string_view word;
  bool enterprise;  // usable in an enterprise name (else only associations)
};
constexpr std::string_view kIndustries[] = {
    "科技",         "信息技术",     "网络科技",   "电子科技",   "贸易",
    "商贸",         "国际贸易",     "建筑工程",   "建设工程",   "装饰工程",
    "餐饮管理",     "物流",         "供应链管理", "房地产开发", "物业管理",
    "农业开发",     "生物科技",     "医药",       "医疗器械",   "环保科技",
    "新能源科技",   "机械设备",     "电子商务",   "文化传媒",   "广告",
    "教育咨询",     "企业管理咨询", "投资管理",   "旅游开发",   "酒店管理",
    "汽车销售服务", "食品",         "服装",       "家居",       "建材",
    "劳务",         "人力资源",     "财务咨询",   "软件",       "智能科技",
    "电力工程",     "园林绿化工程", "水产",       "茶业",       "包装",
    "印刷",         "运输",         "石材",       "鞋业",       "纺织",
};

// Enterprise organisation forms with weights.
constexpr std::string_view kForms[] = {"有限公司",     "有限责任公司",
                                       "股份有限公司", "集团有限公司",
                                       "商行",         "经营部"};
constexpr double kFormWeights[] = {62, 18, 5, 2, 4, 4};

constexpr std::string_view kShopKinds[] = {
    "小吃店",     "便利店",     "五金店",     "餐馆",     "理发店",
    "水果店",     "服装店",     "超市",       "日用品店", "副食店",
    "汽车修理厂", "棋牌室",     "茶行",       "粮油店",   "烟酒商行",
    "电器维修部", "建材经营部", "美容美发店", "早餐店",   "面馆",
    "通讯器材店", "家具店",     "文具店",     "鲜花店",   "装饰材料店",
};

constexpr std::string_view kCoopProducts[] = {
    "水稻种植", "茶叶", "蔬菜",     "生猪养殖", "果蔬", "食用菌", "中药材",
    "农机",     "花卉", "水产养殖", "家禽养殖", "油茶", "竹木",   "葡萄种植",
};

constexpr std::string_view kAssociationTopics[] = {
    "餐饮行业协会", "个体劳动者协会", "企业家协会", "青年企业家协会",
    "建筑业协会",   "物流协会",       "律师协会",   "书法家协会",
    "摄影家协会",   "老年人体育协会", "志愿者协会", "电子商务协会",
    "商会",         "慈善总会",       "作家协会",   "篮球协会",
};
constexpr std::string_view kPrivateNonEnterprise[] = {
    "幼儿园",   "培训学校",         "养老院",   "社会工作服务中心",
    "民办学校", "职业技能培训学校", "康复中心", "艺术培训中心",
};
constexpr std::string_view kFoundationKinds[] = {"慈善基金会", "教育基金会",
                                                 "公益基金会"};

constexpr std::string_view kInstitutions[] = {
    "疾病预防控制中心",
    "不动产登记中心",
    "公共资源交易中心",
    "社会保险事业管理中心",
    "政务服务中心",
    "机关事务服务中心",
    "农业技术推广中心",
    "图书馆",
    "文化馆",
    "档案馆",
    "人民医院",
    "中医院",
    "妇幼保健院",
    "实验小学",
    "第一中学",
    "第二中学",
    "实验幼儿园",
    "职业中专学校",
    "广播电视台",
    "融媒体中心",
    "城市建设投资服务中心",
    "退役军人服务中心",
};
constexpr std::string_view kInstitutionTails[] = {"小学", "中学", "幼儿园",
                                                  "卫生院", "中心小学"};

constexpr std::string_view kAgencies[] = {
    "人民政府",         "发展和改革局",
    "教育局",           "公安局",
    "民政局",           "司法局",
    "财政局",           "人力资源和社会保障局",
    "自然资源局",       "生态环境局",
    "住房和城乡建设局", "交通运输局",
    "水利局",           "农业农村局",
    "商务局",           "文化和旅游局",
    "卫生健康局",       "退役军人事务局",
    "应急管理局",       "审计局",
    "市场监督管理局",   "统计局",
    "医疗保障局",       "城市管理局",
    "信访局",           "林业局",
};

constexpr std::string_view kSurnames =
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁"
    "潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦"
    "邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
constexpr std::string_view kGivenChars =
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志文红梅玉春林海波"
    "辉鹏飞宇浩然婷欣怡晨阳子轩思雨嘉诚俊立新永福金凤玲燕萍斌宁清德胜亮琳雪莉"
    "晓东峰荣鑫凯";

// Province short forms that the generic rule below would get wrong.
constexpr std::pair<std::string_view, std::string_view> kProvinceShort[] = {
    {"内蒙古自治区", "内蒙古"},   {"广西壮族自治区", "广西"},
    {"西藏自治区", "西藏"},       {"宁夏回族自治区", "宁夏"},
    {"新疆维吾尔自治区", "新疆"}, {"香港特别行政区", "香港"},
    {"澳门特别行政区", "澳门"},
};
// Single-character province abbreviations (简称), by 2-digit code.
constexpr std::pair<int, std::string_view> kProvinceAbbr[] = {
    {11, "京"}, {12, "津"}, {13, "冀"}, {14, "晋"}, {15, "蒙"}, {21, "辽"},
    {22, "吉"}, {23, "黑"}, {31, "沪"}, {32, "苏"}, {33, "浙"}, {34, "皖"},
    {35, "闽"}, {36, "赣"}, {37, "鲁"}, {41, "豫"}, {42, "鄂"}, {43, "湘"},
    {44, "粤"}, {45, "桂"}, {46, "琼"}, {50, "渝"}, {51, "川"}, {52, "黔"},
    {53, "滇"}, {54, "藏"}, {61, "陕"}, {62, "甘"}, {63, "青"}, {64, "宁"},
    {65, "新"},
};
// City abbreviations used in document numbers where they are not the first
// character of the city's name.
constexpr std::pair<int, std::string_view> kCityAbbr[] = {
    {3501, "榕"}, {4401, "穗"}, {5101, "蓉"}, {3201, "宁"}, {3502, "厦"},
    {3302, "甬"}, {3601, "洪"}, {4301, "长"}, {5301, "昆"}, {3702, "青"},
};
// Relative number of market subjects per province (rough economic weight).
constexpr std::pair<int, double> kProvinceWeight[] = {
    {44, 12},  {32, 9},   {33, 8},   {37, 8},   {41, 6},   {51, 5},   {35, 5},
    {42, 4.5}, {43, 4},   {34, 4},   {13, 4},   {31, 4},   {11, 3},   {36, 3},
    {45, 3},   {53, 3},   {61, 3},   {50, 2.5}, {21, 2.5}, {12, 1.5}, {14, 2},
    {52, 2},   {22, 1.5}, {23, 1.5}, {15, 1.5}, {62, 1.2}, {65, 1.2}, {46, 1},
    {64, 0.5}, {63, 0.4}, {54, 0.3},
};

constexpr std::string_view kEthnicMarkers[] = {
    "蒙古族",   "蒙古",   "藏族",   "回族",     "维吾尔",   "壮族",
    "朝鲜族",   "土家族", "苗族",   "侗族",     "布依族",   "彝族",
    "哈尼族",   "傣族",   "白族",   "景颇族",   "傈僳族",   "羌族",
    "柯尔克孜", "哈萨克", "满族",   "瑶族",     "黎族",     "畲族",
    "各族",     "仡佬族", "水族",   "纳西族",   "拉祜族",   "佤族",
    "独龙族",   "怒族",   "普米族", "达斡尔族", "鄂温克族", "鄂伦春族",
    "土族",     "撒拉族", "保安族", "东乡族",   "裕固族",   "锡伯族",
    "毛南族",   "仫佬族", "京族",   "塔吉克",   "自治",
};

// "福州市" -> "福州", "鼓楼区" -> "鼓楼", "延边朝鲜族自治州" -> "延边";
// names that would shrink to one character stay whole ("城区").
std::string ShortForm(std::string_view name) {
  for (const auto& [full, brief] : kProvinceShort) {
    if (name == full) return std::string(brief);
  }
  if (name.find("自治") != std::string_view::npos) {
    size_t cut = name.size();
    for (std::string_view m : kEthnicMarkers) {
      const size_t at = name.find(m);
      if (at != std::string_view::npos && at >= 6) cut = std::min(cut, at);
    }
    if (cut < name.size()) return std::string(name.substr(0, cut));
  }
  for (std::string_view suffix :
       {"特别行政区", "地区", "林区", "省", "市", "区", "县", "旗", "盟"}) {
    if (EndsWith(name, suffix) &&
        CharCount(name.substr(0, name.size() - suffix.size())) >= 2) {
      return std::string(name.substr(0, name.size() - suffix.size()));
    }
  }
  return std::string(name);
}

// One county-level division with everything names and documents need.
struct Region {
  uint32_t county = 0;  // 6 digits
  uint32_t city = 0;    // 6 digits (XXXX00)
  uint32_t province = 0;
  std::string province_full, province_short, province_abbr;
  std::string city_full, city_short, city_abbr;
  std::string county_full, county_short;
  bool county_is_district = false;  // 区 (vs 县, 县级市, 旗)
  bool city_is_county = false;      // 省直辖县级: no city level
};

std::string Code6(uint32_t v) {
  std::string s;
  AppendPadded(v, 6, s);
  return s;
}

// ---------------------------------------------------------------------------
// Credit lists.

enum ListId : int {
  kSeriousDishonesty,
  kDishonestJudgmentDebtor,
  kAbnormalOperation,
  kMajorTaxViolation,
  kProcurementViolation,
  kAdminPenalty,
  kAdminLicense,
  kALevelTaxpayer,
  kRedList,
  kListCount,
};
static_assert(kListCount == std::size(kBuiltinLists));

// Record mix per subject kind (index = SubjectKind), in kBuiltinLists order.
constexpr double kListWeights[7][kListCount] = {
    {2, 7, 18, 2, 1, 25, 30, 12, 3},  // enterprise
    {1, 4, 25, 0, 0, 30, 40, 0, 0},   // individual business
    {0, 5, 40, 0, 0, 15, 30, 5, 5},   // cooperative
    {5, 0, 30, 0, 0, 20, 40, 0, 5},   // social organisation
    {0, 5, 0, 0, 5, 20, 60, 0, 10},   // public institution
    {0, 30, 0, 0, 0, 0, 70, 0, 0},    // agency
    {0, 5, 0, 0, 0, 30, 65, 0, 0},    // other
};
// Mean records per kind relative to the average.
constexpr double kKindRecordFactor[7] = {1.25, 0.75, 0.6, 0.5, 0.5, 0.2, 0.5};

constexpr std::string_view kPenaltyBases[] = {
    "《中华人民共和国食品安全法》第一百二十四条",
    "《中华人民共和国产品质量法》第四十九条",
    "《中华人民共和国广告法》第五十五条",
    "《中华人民共和国反不正当竞争法》第二十条",
    "《中华人民共和国安全生产法》第九十九条",
    "《中华人民共和国消费者权益保护法》第五十六条",
    "《中华人民共和国价格法》第四十二条",
    "《中华人民共和国计量法》第二十七条",
};
constexpr std::string_view kPenaltyDetails[] = {
    "经营超过保质期的食品，没收违法所得并处罚款",
    "发布虚假广告，责令停止发布并处罚款",
    "销售不合格产品，没收违法所得并处罚款",
    "未按规定明码标价，处以罚款",
    "未建立安全生产教育和培训档案，责令限期改正并处罚款",
    "使用未经检定的计量器具，责令改正并处罚款",
    "虚假宣传，责令停止违法行为并处罚款",
};
constexpr std::string_view kLicenseKinds[] = {
    "食品经营许可证",     "道路运输经营许可证",   "建筑业企业资质证书",
    "排污许可证",         "卫生许可证",           "医疗器械经营许可证",
    "烟草专卖零售许可证", "危险化学品经营许可证", "出版物经营许可证",
};
constexpr std::string_view kAbnormalReasons[] = {
    "未按照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "公示企业信息隐瞒真实情况、弄虚作假",
    "未在市场监督管理部门依照《企业信息公示暂行条例》第十条规定责令的期限内"
    "公示有关企业信息",
};
constexpr std::string_view kJudgmentDetails[] = {
    "有履行能力而拒不履行生效法律文书确定义务",
    "以伪造证据、暴力、威胁等方法妨碍、抗拒执行",
    "违反财产报告制度",
    "违反限制消费令",
    "无正当理由拒不履行执行和解协议",
};
constexpr std::string_view kTaxDetails[] = {
    "偷税",
    "虚开增值税专用发票",
    "逃避追缴欠税",
    "骗取出口退税",
};
constexpr std::string_view kProcurementDetails[] = {
    "提供虚假材料谋取中标、成交",
    "与采购人、其他供应商或者采购代理机构恶意串通",
    "中标、成交后无正当理由拒不与采购人签订政府采购合同",
};
constexpr std::string_view kRedDetails[] = {
    "守合同重信用企业",
    "诚信示范企业",
    "纳税信用A级且连续三年无违法记录",
};
constexpr std::string_view kSeriousDetails[] = {
    "因提供虚假材料取得登记被撤销登记",
    "食品安全严重违法，受到较重行政处罚",
    "拒不履行法律文书确定的义务，被列入严重违法失信名单",
};
constexpr std::string_view kChineseDigits[] = {"一", "二", "三", "四", "五",
                                               "六", "七", "八", "九", "十"};

// ---------------------------------------------------------------------------
// Fault mix.

constexpr double kFaultWeights[] = {
    15,  // duplicate_code
    10,  // multi_code_same_name
    5,   // multi_code_same_org_code
    15,  // check_character
    5,   // org_code_check
    5,   // unknown_authority_type
    8,   // excel_truncated
    7,   // legacy_number
    5,   // placeholder
    5,   // org_code_mismatch
    3,   // reg_no_region_mismatch
    10,  // repeated_line
    7,   // repeated_record
    0,   // branch_office (not drawn here: see kBranchShare)
};
static_assert(std::size(kFaultWeights) ==
              static_cast<size_t>(FaultKind::kCount));
constexpr double kBranchShare = 0.015;  // of enterprises
constexpr double kRenamedShare = 0.04;
constexpr uint64_t kMaxDeferral = 2000;  // subjects between a pair's lines

// Authority/type pairs by kind, with weights (DESIGN.md §1).
struct PairMix {
  char authority, type;
  double weight;
  SubjectKind kind;
};
constexpr PairMix kPairs[] = {
    {'9', '1', 55.0, SubjectKind::kEnterprise},
    {'9', '2', 38.0, SubjectKind::kIndividualBusiness},
    {'9', '3', 3.0, SubjectKind::kCooperative},
    {'5', '1', 0.7, SubjectKind::kSocialOrganisation},
    {'5', '2', 0.7, SubjectKind::kSocialOrganisation},
    {'5', '3', 0.1, SubjectKind::kSocialOrganisation},
    {'1', '2', 1.5, SubjectKind::kPublicInstitution},
    {'1', '1', 0.7, SubjectKind::kAgency},
    {'3', '1', 0.1, SubjectKind::kOther},  // 律师事务所
    {'N', '2', 0.2, SubjectKind::kOther},  // 村级集体经济组织
};

// A subject's name in parts, kept for variants.
struct NameParts {
  std::string prefix;  // region as written in front ("福州"), may be empty
  std::string trade;
  std::string industry;
  std::string form;
  bool bracket = false;  // region written as "鑫盛达科技（福州）有限公司"
  bool variantable = false;
};

std::string ComposeName(const NameParts& p) {
  if (p.bracket) {
    return p.trade + p.industry + "（" + p.prefix + "）" + p.form;
  }
  return p.prefix + p.trade + p.industry + p.form;
}

// A subject under construction.
struct Draft {
  Subject s;
  bool has_id = true;
  SubjectKind kind = SubjectKind::kOther;
  char authority = '9', type = '1';
  const Region* region = nullptr;
  uint32_t code_region = 0;
  NameParts parts;
  std::vector<Record> records;
};

// A line waiting to be emitted later, with the label it completes.
struct Pending {
  uint64_t due = 0;  // emit once this many base subjects are out
  uint64_t order = 0;
  bool is_record = false;
  Draft draft;  // subject (when !is_record) or draft.records[0] (when record)
  std::optional<Fault> fault;
};

// JSON string escaping: our own strings are clean UTF-8, but names from
// OpenCC or future vocabularies must still produce valid JSON.
void AppendJsonString(std::string_view s, std::string& out) {
  out.push_back('"');
  size_t start = 0;
  static constexpr auto kEscape = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[c] = true;
    t['"'] = t['\\'] = true;
    return t;
  }();
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (!kEscape[c]) continue;
    out.append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
  }
  out.append(s.data() + start, s.size() - start);
  out.push_back('"');
}

void AppendField(std::string_view key, std::string_view value, bool& first,
                 std::string& out) {
  if (value.empty()) return;
  out += first ? "{\"" : ",\"";
  first = false;
  out += key;
  out += "\":";
  AppendJsonString(value, out);
}

void AppendDateField(std::string_view key, Date d, bool& first,
                     std::string& out) {
  if (!d.has_value()) return;
  out += first ? "{\"" : ",\"";
  first = false;
  out += key;
  out += "\":\"";
  AppendDate(d, out);
  out.push_back('"');
}

template <typename T, typename F>
void AppendArray(std::string_view key, const std::vector<T>& items, F each,
                 std::string& out) {
  out += ",\"";
  out += key;
  out += "\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    each(items[i]);
  }
  out.push_back(']');
}

void AppendCsvField(std::string_view s, std::string& out) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) {
    out += s;
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

// ---------------------------------------------------------------------------

std::string_view FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kDuplicateCode:
      return "duplicate_code";
    case FaultKind::kMultiCodeSameName:
      return "multi_code_same_name";
    case FaultKind::kMultiCodeSameOrgCode:
      return "multi_code_same_org_code";
    case FaultKind::kCheckCharacter:
      return "check_character";
    case FaultKind::kOrgCodeCheck:
      return "org_code_check";
    case FaultKind::kUnknownAuthorityType:
      return "unknown_authority_type";
    case FaultKind::kExcelTruncated:
      return "excel_truncated";
    case FaultKind::kLegacyNumber:
      return "legacy_number";
    case FaultKind::kPlaceholder:
      return "placeholder";
    case FaultKind::kOrgCodeMismatch:
      return "org_code_mismatch";
    case FaultKind::kRegNoRegionMismatch:
      return "reg_no_region_mismatch";
    case FaultKind::kRepeatedLine:
      return "repeated_line";
    case FaultKind::kRepeatedRecord:
      return "repeated_record";
    case FaultKind::kBranchOffice:
      return "branch_office";
    case FaultKind::kCount:
      break;
  }
  return "unknown";
}

std::string_view VariantKindName(VariantKind kind) {
  switch (kind) {
    case VariantKind::kTypo:
      return "typo";
    case VariantKind::kHomophone:
      return "homophone";
    case VariantKind::kTraditional:
      return "traditional";
    case VariantKind::kWidthSpace:
      return "width_space";
    case VariantKind::kSuffixVariant:
      return "suffix_variant";
    case VariantKind::kRegionMoved:
      return "region_moved";
    case VariantKind::kRegionDropped:
      return "region_dropped";
    case VariantKind::kCharDropped:
      return "char_dropped";
    case VariantKind::kCharsTransposed:
      return "chars_transposed";
    case VariantKind::kShortForm:
      return "short_form";
    case VariantKind::kCount:
      break;
  }
  return "unknown";
}

void AppendDate(Date date, std::string& out) {
  if (!date.has_value()) return;
  int y, m, d;
  CivilFromDays(date.days, y, m, d);
  char buf[10] = {static_cast<char>('0' + y / 1000),
                  static_cast<char>('0' + y / 100 % 10),
                  static_cast<char>('0' + y / 10 % 10),
                  static_cast<char>('0' + y % 10),
                  '-',
                  static_cast<char>('0' + m / 10),
                  static_cast<char>('0' + m % 10),
                  '-',
                  static_cast<char>('0' + d / 10),
                  static_cast<char>('0' + d % 10)};
  out.append(buf, sizeof(buf));
}

void AppendSubjectJson(const Subject& s, bool with_id, std::string& out) {
  bool first = true;
  if (with_id) AppendField("id", s.id, first, out);
  AppendField("code", s.code, first, out);
  if (first) {  // a placeholder code may be empty: keep the line an object
    out += "{\"code\":\"\"";
    first = false;
  }
  AppendField("name", s.name, first, out);
  if (!s.former_names.empty()) {
    AppendArray(
        "former_names", s.former_names,
        [&](const std::string& n) { AppendJsonString(n, out); }, out);
  }
  AppendField("legal_rep", s.legal_rep, first, out);
  AppendField("region", s.region, first, out);
  AppendField("status", SubjectStatusName(s.status), first, out);
  AppendDateField("registered_on", s.registered_on, first, out);
  AppendField("org_code", s.org_code, first, out);
  AppendField("reg_no", s.reg_no, first, out);
  AppendField("source", s.source, first, out);
  out += "}\n";
}

void AppendRecordJson(const Record& r, std::string& out) {
  bool first = true;
  AppendField("id", r.id, first, out);
  AppendField("code", r.code, first, out);
  AppendField("list", r.list, first, out);
  AppendField("name", r.name, first, out);
  AppendField("authority", r.authority, first, out);
  AppendField("basis", r.basis, first, out);
  AppendField("doc_no", r.doc_no, first, out);
  AppendField("detail", r.detail, first, out);
  AppendDateField("decided_on", r.decided_on, first, out);
  AppendDateField("valid_from", r.valid_from, first, out);
  AppendDateField("valid_until", r.valid_until, first, out);
  AppendDateField("repaired_on", r.repaired_on, first, out);
  out += r.disputed ? ",\"disputed\":true}\n" : ",\"disputed\":false}\n";
}

void AppendFaultJson(const Fault& f, std::string& out) {
  out += "{\"kind\":";
  AppendJsonString(FaultKindName(f.kind), out);
  out += f.is_fault ? ",\"fault\":true" : ",\"fault\":false";
  if (!f.expected_uscc_fault.empty()) {
    out += ",\"uscc_fault\":";
    AppendJsonString(f.expected_uscc_fault, out);
  }
  auto str = [&](const std::string& v) { AppendJsonString(v, out); };
  auto num = [&](uint64_t v) { AppendUint(v, out); };
  AppendArray("codes", f.codes, str, out);
  AppendArray("subject_ids", f.subject_ids, str, out);
  AppendArray("subject_lines", f.subject_lines, num, out);
  if (!f.record_ids.empty()) {
    AppendArray("record_ids", f.record_ids, str, out);
    AppendArray("record_lines", f.record_lines, num, out);
  }
  if (!f.detail.empty()) {
    out += ",\"detail\":";
    AppendJsonString(f.detail, out);
  }
  out += "}\n";
}

void AppendVariantJson(const NameVariant& v, std::string& out) {
  out += "{\"kind\":";
  AppendJsonString(VariantKindName(v.kind), out);
  out += ",\"query\":";
  AppendJsonString(v.query, out);
  out += ",\"original\":";
  AppendJsonString(v.original, out);
  out += ",\"expected_id\":";
  AppendJsonString(v.expected_id, out);
  out += ",\"expected_code\":";
  AppendJsonString(v.expected_code, out);
  out += "}\n";
}

const std::string_view kSubjectCsvHeader =
    "id,code,name,former_names,legal_rep,region,status,registered_on,org_code,"
    "reg_no,source\n";
const std::string_view kRecordCsvHeader =
    "id,code,list,name,authority,basis,doc_no,detail,decided_on,valid_from,"
    "valid_until,repaired_on,disputed\n";

void AppendSubjectCsv(const Subject& s, bool with_id, std::string& out) {
  if (with_id) AppendCsvField(s.id, out);
  out.push_back(',');
  AppendCsvField(s.code, out);
  out.push_back(',');
  AppendCsvField(s.name, out);
  out.push_back(',');
  std::string former;
  for (size_t i = 0; i < s.former_names.size(); ++i) {
    if (i) former.push_back('|');
    former += s.former_names[i];
  }
  AppendCsvField(former, out);
  out.push_back(',');
  AppendCsvField(s.legal_rep, out);
  out.push_back(',');
  out += s.region;
  out.push_back(',');
  out += SubjectStatusName(s.status);
  out.push_back(',');
  AppendDate(s.registered_on, out);
  out.push_back(',');
  AppendCsvField(s.org_code, out);
  out.push_back(',');
  AppendCsvField(s.reg_no, out);
  out.push_back(',');
  AppendCsvField(s.source, out);
  out.push_back('\n');
}

void AppendRecordCsv(const Record& r, std::string& out) {
  for (std::string_view v :
       {std::string_view(r.id), std::string_view(r.code),
        std::string_view(r.list), std::string_view(r.name),
        std::string_view(r.authority), std::string_view(r.basis),
        std::string_view(r.doc_no), std::string_view(r.detail)}) {
    AppendCsvField(v, out);
    out.push_back(',');
  }
  for (Date d : {r.decided_on, r.valid_from, r.valid_until, r.repaired_on}) {
    AppendDate(d, out);
    out.push_back(',');
  }
  out += r.disputed ? "true\n" : "false\n";
}

// ---------------------------------------------------------------------------

class DataGenerator::Impl {
 public:
  explicit Impl(const DatagenOptions& options)
      : options_(options), rng_(options.seed) {
    BuildVocabulary();
    BuildRegions();
    ma_ = Affine::Make(887503681ull, Mix(options_.seed, 1));  // 31^6
    mj_ = Affine::Make(887503681ull, Mix(options_.seed, 2));
    mb_ = Affine::Make(887503681ull, Mix(options_.seed, 3));
    digits_ = Affine::Make(100000000ull, Mix(options_.seed, 4));  // 10^8
    reg_seq_ = Affine::Make(100000000ull, Mix(options_.seed, 5));
    for (char a : std::string_view("9512NBCDEGR")) {
      for (char t : std::string_view("0123456789")) {
        if (!IsKnownAuthorityType(a, t) && t != '0' &&
            unknown_pairs_.size() < 16)
          unknown_pairs_.push_back({a, t});
      }
    }
    for (const PairMix& p : kPairs) pair_weights_.push_back(p.weight);
    double mean_factor = 0;
    double total = 0;
    for (const PairMix& p : kPairs) {
      mean_factor += p.weight * kKindRecordFactor[static_cast<int>(p.kind)];
      total += p.weight;
    }
    record_scale_ = options_.records_per_subject / (mean_factor / total);
  }

  const Emission* Next();
  const DatagenStats& stats() const { return stats_; }
  const DatagenOptions& options() const { return options_; }

 private:
  void BuildVocabulary();
  void BuildRegions();
  const Region& PickRegion() {
    const double x = rng_.Uniform() * region_cdf_.back();
    const size_t i = static_cast<size_t>(
        std::upper_bound(region_cdf_.begin(), region_cdf_.end(), x) -
        region_cdf_.begin());
    return regions_[std::min(i, regions_.size() - 1)];
  }
  uint32_t NextCounter(uint64_t key) { return counters_[key]++; }
  std::string UniqueTrade(uint32_t region, uint32_t category, int length);
  std::string PersonName(uint64_t index);
  std::string RandomPersonName();
  std::string Body(SubjectKind kind, bool legacy);
  static std::string MakeCode(char a, char t, uint32_t region,
                              std::string_view body);
  std::string RegNo(uint32_t division);
  Date RandomRegistration(SubjectKind kind);

  Draft NewSubject(std::optional<SubjectKind> force_kind,
                   const Region* force_region);
  void NameSubject(Draft& d);
  void AddRecords(Draft& d);
  Record MakeRecord(const Draft& d, int list);
  std::string NewSubjectId() {
    std::string id = "S";
    AppendPadded(++subject_seq_, 10, id);
    return id;
  }
  std::string NewRecordId() {
    std::string id = "R";
    AppendPadded(++record_seq_, 11, id);
    return id;
  }

  void PlantFault(Draft& d, FaultKind kind);
  void MaybeVariant(Draft& d);
  bool MakeVariant(const Draft& d, VariantKind kind, std::string& query);
  void Emit(Draft&& d, std::optional<Fault> completes);
  // Prepares the deferred partner line of a pair fault; Next() labels it
  // with the base line once that is numbered, then queues it.
  void SetPartner(Draft&& d, Fault fault, bool is_record);
  void GenerateBase();
  void MakeBranch(Draft& d);

  DatagenOptions options_;
  Rng rng_;
  DatagenStats stats_;
  Emission current_;

  std::vector<std::string> trade_chars_;
  std::vector<std::vector<std::string>> homophones_;
  absl::flat_hash_map<std::string, size_t> trade_index_;
  std::vector<size_t> sound_class_;  // per trade character
  std::vector<std::string> surnames_, given_;
  std::vector<Region> regions_;
  std::vector<double> region_cdf_;
  std::vector<double> pair_weights_;
  std::vector<std::pair<char, char>> unknown_pairs_;
  absl::flat_hash_map<uint64_t, uint32_t> counters_;
  absl::flat_hash_map<uint64_t, Affine> trade_maps_;
  struct TradeSlot {
    uint64_t next = 0;  // names drawn so far under this key
    Affine map;
  };
  absl::flat_hash_map<uint64_t, TradeSlot> trade_slots_;
  Affine ma_, mj_, mb_, digits_, reg_seq_;
  uint64_t ma_next_ = 0, mj_next_ = 0, mb_next_ = 0, digits_next_ = 0,
           reg_next_ = 0;
  double record_scale_ = 1;

  uint64_t base_done_ = 0;  // base subjects generated
  uint64_t subject_seq_ = 0, record_seq_ = 0, pending_seq_ = 0;
  uint64_t variants_made_ = 0;
  uint64_t eligible_seen_ = 0;
  struct PendingLater {
    bool operator()(const Pending& a, const Pending& b) const {
      return a.due != b.due ? a.due > b.due : a.order > b.order;
    }
  };
  std::vector<Pending> pending_;       // a heap under PendingLater
  std::vector<Pending> held_records_;  // due repeated records
  std::optional<Fault> self_fault_;
  std::optional<Pending> partner_;
  size_t partner_record_index_ = 0;
  struct Parent {
    std::string name, id, code;
    uint64_t line = 0;
    size_t region_index = 0;
  };
  std::vector<Parent> parents_;  // recent enterprises that may get a branch
  std::unique_ptr<opencc::SimpleConverter> s2t_;
  bool s2t_failed_ = false;
};

void DataGenerator::Impl::BuildVocabulary() {
  for (std::string_view entry : kTradeChars) {
    const size_t colon = entry.find(':');
    std::string ch(entry.substr(0, colon));
    if (trade_index_.contains(ch)) continue;
    trade_index_[ch] = trade_chars_.size();
    trade_chars_.push_back(ch);
    homophones_.push_back(SplitChars(entry.substr(colon + 1)));
  }
  // Sound classes: characters linked through the homophone lists share one,
  // so that a typo never lands on a same-sounding character.
  sound_class_.resize(trade_chars_.size());
  std::iota(sound_class_.begin(), sound_class_.end(), 0);
  auto find = [&](size_t x) {
    while (sound_class_[x] != x)
      x = sound_class_[x] = sound_class_[sound_class_[x]];
    return x;
  };
  for (size_t i = 0; i < trade_chars_.size(); ++i) {
    for (const std::string& h : homophones_[i]) {
      auto it = trade_index_.find(h);
      if (it != trade_index_.end()) sound_class_[find(i)] = find(it->second);
    }
  }
  for (size_t i = 0; i < trade_chars_.size(); ++i) sound_class_[i] = find(i);
  surnames_ = SplitChars(kSurnames);
  given_ = SplitChars(kGivenChars);
}

void DataGenerator::Impl::BuildRegions() {
  const RegionTable& table = RegionTable::Default();
  absl::flat_hash_map<uint32_t, int> per_province;
  for (uint32_t code : table.county_codes()) ++per_province[code / 10000];
  double cumulative = 0;
  for (uint32_t code : table.county_codes()) {
    const RegionInfo info = table.Lookup(Code6(code));
    if (info.province.empty() || info.county.empty()) continue;
    Region r;
    r.county = code;
    r.city = code / 100 * 100;
    r.province = code / 10000 * 10000;
    r.province_full = std::string(info.province);
    r.province_short = ShortForm(info.province);
    const int p2 = static_cast<int>(code / 10000);
    const bool municipality = p2 == 11 || p2 == 12 || p2 == 31 || p2 == 50;
    // County-level divisions directly under a province (省直辖县级行政区划)
    // have no city: the table gives the province's name or the 直辖 row.
    r.city_is_county = info.city.find("直辖") != std::string_view::npos ||
                       info.city.empty() ||
                       (info.city == info.province && !municipality);
    r.city_full =
        r.city_is_county ? std::string(info.county) : std::string(info.city);
    r.city_short = ShortForm(r.city_full);
    if (r.city_is_county) r.city = code;
    r.county_full = std::string(info.county);
    r.county_short = ShortForm(info.county);
    r.county_is_district = EndsWith(info.county, "区");
    for (const auto& [c, abbr] : kProvinceAbbr) {
      if (c == p2) r.province_abbr = std::string(abbr);
    }
    if (r.province_abbr.empty())
      r.province_abbr = r.province_short.substr(0, 3);
    r.city_abbr = municipality ? r.province_abbr : r.city_short.substr(0, 3);
    for (const auto& [c, abbr] : kCityAbbr) {
      if (static_cast<uint32_t>(c) == code / 100)
        r.city_abbr = std::string(abbr);
    }
    double weight = 1.0;
    for (const auto& [c, w] : kProvinceWeight) {
      if (c == p2) weight = w;
    }
    cumulative += weight / per_province[code / 10000];
    regions_.push_back(std::move(r));
    region_cdf_.push_back(cumulative);
  }
}

std::string DataGenerator::Impl::UniqueTrade(uint32_t region, uint32_t category,
                                             int length) {
  const uint64_t c = trade_chars_.size();
  for (;; ++length) {
    uint64_t space = 1;
    for (int i = 0; i < length; ++i) space *= c;
    const uint64_t key = (static_cast<uint64_t>(region) << 24) |
                         (static_cast<uint64_t>(category) << 4) |
                         static_cast<uint64_t>(length);
    auto [it, inserted] = trade_slots_.try_emplace(key);
    TradeSlot& slot = it->second;
    if (inserted) slot.map = Affine::Make(space, Mix(options_.seed, key));
    const uint64_t k = slot.next++;
    if (k >= space) continue;  // this length is used up here: go longer
    uint64_t index = slot.map(k);
    std::string out;
    for (int i = 0; i < length; ++i) {
      out += trade_chars_[index % c];
      index /= c;
    }
    return out;
  }
}

std::string DataGenerator::Impl::PersonName(uint64_t index) {
  std::string out = surnames_[index % surnames_.size()];
  index /= surnames_.size();
  out += given_[index % given_.size()];
  index /= given_.size();
  if (index % 4 != 0) out += given_[index / 4 % given_.size()];
  return out;
}

std::string DataGenerator::Impl::RandomPersonName() {
  std::string out = rng_.Pick(surnames_);
  out += rng_.Pick(given_);
  if (rng_.Chance(0.7)) out += rng_.Pick(given_);
  return out;
}

std::string DataGenerator::Impl::Body(SubjectKind kind, bool legacy) {
  std::string body;
  uint64_t v;
  if (legacy) {
    v = digits_(digits_next_++);
    AppendPadded(v, 8, body);
    return body;
  }
  switch (kind) {
    case SubjectKind::kSocialOrganisation:
      body = "MJ";
      v = mj_(mj_next_++);
      break;
    case SubjectKind::kPublicInstitution:
    case SubjectKind::kAgency:
      body = "MB";
      v = mb_(mb_next_++);
      break;
    default:
      body = "MA";
      v = ma_(ma_next_++);
  }
  for (int i = 0; i < 6; ++i) {
    body.push_back(kUsccAlphabet[v % 31]);
    v /= 31;
  }
  return body;
}

std::string DataGenerator::Impl::MakeCode(char a, char t, uint32_t region,
                                          std::string_view body) {
  std::string code;
  code.reserve(18);
  code.push_back(a);
  code.push_back(t);
  AppendPadded(region, 6, code);
  code += body;
  code.push_back(OrgCodeCheckCharacter(body));
  code.push_back(UsccCheckCharacter(code));
  return code;
}

std::string DataGenerator::Impl::RegNo(uint32_t division) {
  std::string r;
  AppendPadded(division, 6, r);
  AppendPadded(reg_seq_(reg_next_++), 8, r);
  r.push_back(RegistrationNumberCheckDigit(r));
  return r;
}

Date DataGenerator::Impl::RandomRegistration(SubjectKind kind) {
  const int32_t today = options_.today.days;
  int32_t lo, hi;
  const double x = rng_.Uniform();
  if (kind == SubjectKind::kAgency || kind == SubjectKind::kPublicInstitution) {
    lo = DaysFromCivil(1985, 1, 1);
    hi = DaysFromCivil(2016, 12, 31);
  } else if (x < 0.12) {
    lo = DaysFromCivil(1992, 1, 1);
    hi = DaysFromCivil(2004, 12, 31);
  } else if (x < 0.30) {
    lo = DaysFromCivil(2005, 1, 1);
    hi = DaysFromCivil(2013, 12, 31);
  } else {
    lo = DaysFromCivil(2014, 1, 1);
    hi = today;
  }
  hi = std::min(hi, today);
  return Date{lo + static_cast<int32_t>(
                       rng_.Below(static_cast<uint64_t>(hi - lo + 1)))};
}

// Chooses the subject's name (and its parts) and former names.
void DataGenerator::Impl::NameSubject(Draft& d) {
  const Region& r = *d.region;
  NameParts& p = d.parts;
  const int len = rng_.Chance(0.5) ? 2 : rng_.Chance(0.8) ? 3 : 4;
  switch (d.kind) {
    case SubjectKind::kEnterprise: {
      const uint32_t industry =
          static_cast<uint32_t>(rng_.Below(std::size(kIndustries)));
      const int form = static_cast<int>(rng_.Weighted(kFormWeights));
      p.industry = std::string(kIndustries[industry]);
      p.form = std::string(kForms[form]);
      // Trade names are unique per (city, industry, length): the 企业名称
      // rules forbid the same trade name in one industry within one
      // registration area, while the same name in another city is common.
      uint32_t key_region = r.city;
      // Municipalities: 上海 is both the province's and the city's short form,
      // so both prefixes draw from one name space.
      const uint32_t province_key =
          r.province_short == r.city_short ? r.city : r.province;
      const double x = rng_.Uniform();
      if (form == 3 || (form == 2 && x < 0.5)) {  // groups, share companies
        p.prefix = r.province_short;
        key_region = province_key;
        d.code_region = r.province;
      } else if (x < 0.45) {
        p.prefix = r.city_short;
      } else if (x < 0.62) {
        p.prefix = r.city_full;
      } else if (x < 0.72 && !r.county_is_district) {
        p.prefix = r.county_short;  // 闽侯, 福清: counties name themselves
        key_region = r.county;
      } else if (x < 0.82) {
        p.prefix = r.city_short;
        p.bracket = true;
      } else if (x < 0.95) {
        p.prefix = r.city_full + r.county_full;
      } else {
        p.prefix = r.province_short;
        key_region = province_key;
      }
      p.trade = UniqueTrade(key_region, industry, len);
      p.variantable = form <= 3;
      d.s.name = ComposeName(p);
      if (rng_.Chance(kRenamedShare)) {
        NameParts old = p;
        if (rng_.Chance(0.25) && form == 0) {
          old.form = "有限责任公司";
        } else {
          const uint32_t other = static_cast<uint32_t>(
              (industry + 1 + rng_.Below(std::size(kIndustries) - 1)) %
              std::size(kIndustries));
          old.industry = std::string(kIndustries[other]);
          old.trade = UniqueTrade(key_region, other, len);
        }
        d.s.former_names.push_back(ComposeName(old));
        if (rng_.Chance(0.15)) {  // renamed twice
          const uint32_t older = static_cast<uint32_t>(
              (industry + 1 + rng_.Below(std::size(kIndustries) - 1)) %
              std::size(kIndustries));
          old.industry = std::string(kIndustries[older]);
          old.trade = UniqueTrade(key_region, older, len);
          d.s.former_names.push_back(ComposeName(old));
        }
      }
      break;
    }
    case SubjectKind::kIndividualBusiness: {
      const uint32_t shop =
          static_cast<uint32_t>(rng_.Below(std::size(kShopKinds)));
      std::string prefix;
      const double x = rng_.Uniform();
      if (x < 0.55) {
        prefix = r.city_full + r.county_full;
      } else if (x < 0.85) {
        prefix = r.county_full;
      }
      const uint64_t key = (static_cast<uint64_t>(r.county) << 24) |
                           (static_cast<uint64_t>(100 + shop) << 4);
      if (rng_.Chance(0.35)) {
        const uint32_t k = NextCounter(key);
        // Bijective over the person-name space so shop names stay unique.
        const uint64_t space =
            surnames_.size() * given_.size() * given_.size() * 4;
        auto it = trade_maps_.find(key);
        if (it == trade_maps_.end()) {
          it = trade_maps_.emplace(key, Affine::Make(space, Mix(key, 9))).first;
        }
        const std::string person = PersonName(it->second(k % space));
        p.trade = person;
        d.s.legal_rep = person;  // the operator names the shop
      } else {
        p.trade = UniqueTrade(r.county, 100 + shop, len);
      }
      p.prefix = prefix;
      p.form = std::string(kShopKinds[shop]);
      d.s.name = p.prefix + p.trade + p.form;
      break;
    }
    case SubjectKind::kCooperative: {
      const uint32_t product =
          static_cast<uint32_t>(rng_.Below(std::size(kCoopProducts)));
      p.prefix = rng_.Chance(0.7) ? r.county_full : r.city_full + r.county_full;
      p.trade = UniqueTrade(r.county, 200 + product, len);
      p.industry = std::string(kCoopProducts[product]);
      p.form = rng_.Chance(0.6) ? "专业合作社" : "农民专业合作社";
      d.s.name = p.prefix + p.trade + p.industry + p.form;
      break;
    }
    case SubjectKind::kSocialOrganisation: {
      const bool city_level = rng_.Chance(0.5);
      const uint32_t reg = city_level ? r.city : r.county;
      const std::string region_name =
          city_level ? r.city_full : r.city_full + r.county_full;
      d.code_region = reg;
      if (d.type == '1') {  // 社会团体
        const uint32_t topic =
            static_cast<uint32_t>(rng_.Below(std::size(kAssociationTopics)));
        const uint32_t k =
            NextCounter((static_cast<uint64_t>(reg) << 24) |
                        (static_cast<uint64_t>(300 + topic) << 4));
        d.s.name = region_name +
                   (k == 0 ? std::string() : UniqueTrade(reg, 300 + topic, 2)) +
                   std::string(kAssociationTopics[topic]);
      } else if (d.type == '2') {  // 民办非企业单位
        const uint32_t what =
            static_cast<uint32_t>(rng_.Below(std::size(kPrivateNonEnterprise)));
        d.s.name = region_name + UniqueTrade(reg, 400 + what, len) +
                   std::string(kPrivateNonEnterprise[what]);
      } else {  // 基金会
        const uint32_t what =
            static_cast<uint32_t>(rng_.Below(std::size(kFoundationKinds)));
        d.s.name = r.province_short + UniqueTrade(r.province, 500 + what, len) +
                   std::string(kFoundationKinds[what]);
        d.code_region = r.province;
      }
      break;
    }
    case SubjectKind::kPublicInstitution:
    case SubjectKind::kAgency: {
      const bool city_level = rng_.Chance(0.3);
      const uint32_t reg = city_level ? r.city : r.county;
      const std::string region_name =
          city_level ? r.city_full : r.city_full + r.county_full;
      d.code_region = reg;
      const bool agency = d.kind == SubjectKind::kAgency;
      const uint32_t k = NextCounter((static_cast<uint64_t>(reg) << 24) |
                                     (agency ? 600u << 4 : 601u << 4));
      const size_t fixed =
          agency ? std::size(kAgencies) : std::size(kInstitutions);
      if (k < fixed) {
        // Walk the fixed names in a per-region order so that small runs
        // still see a variety of names.
        const size_t i = (k + Mix(reg, agency) % fixed) % fixed;
        d.s.name =
            region_name + std::string(agency ? kAgencies[i] : kInstitutions[i]);
      } else if (agency) {
        d.s.name = region_name + UniqueTrade(reg, 602, 2) +
                   (rng_.Chance(0.5) ? "街道办事处" : "镇人民政府");
      } else {
        const uint32_t tail =
            static_cast<uint32_t>(rng_.Below(std::size(kInstitutionTails)));
        d.s.name = region_name + UniqueTrade(reg, 610 + tail, 2) +
                   std::string(kInstitutionTails[tail]);
      }
      break;
    }
    case SubjectKind::kOther: {
      if (d.authority == '3') {
        d.s.name =
            r.province_short + UniqueTrade(r.province, 700, len) + "律师事务所";
        d.code_region = r.province;
      } else {
        d.s.name =
            r.county_full + UniqueTrade(r.county, 701, 2) + "村股份经济合作社";
      }
      break;
    }
  }
}

Draft DataGenerator::Impl::NewSubject(std::optional<SubjectKind> force_kind,
                                      const Region* force_region) {
  Draft d;
  const PairMix* pair = &kPairs[rng_.Weighted(pair_weights_)];
  if (force_kind) {
    while (pair->kind != *force_kind)
      pair = &kPairs[rng_.Weighted(pair_weights_)];
  }
  d.kind = pair->kind;
  d.authority = pair->authority;
  d.type = pair->type;
  d.region = force_region != nullptr ? force_region : &PickRegion();
  // Enterprises registered by the city authority carry the city's division.
  d.code_region = d.region->county;
  if (d.kind == SubjectKind::kEnterprise && rng_.Chance(0.25)) {
    d.code_region = d.region->city;
  }
  NameSubject(d);
  d.s.id = NewSubjectId();
  d.has_id = rng_.Chance(options_.id_share);
  d.s.registered_on = RandomRegistration(d.kind);
  const bool legacy = d.s.registered_on.days < DaysFromCivil(2015, 10, 1);
  const std::string body = Body(d.kind, legacy);
  d.s.code = MakeCode(d.authority, d.type, d.code_region, body);
  d.s.region = Code6(d.code_region);
  if (d.s.legal_rep.empty()) d.s.legal_rep = RandomPersonName();
  if (rng_.Chance(0.2)) {  // public sources mask the given name
    const std::vector<std::string> chars = SplitChars(d.s.legal_rep);
    d.s.legal_rep = chars[0] + std::string(chars.size() - 1, '*');
  }
  const double x = rng_.Uniform();
  const bool individual = d.kind == SubjectKind::kIndividualBusiness;
  if (d.kind == SubjectKind::kAgency) {
    d.s.status = SubjectStatus::kActive;
  } else if (x < (individual ? 0.17 : 0.10)) {
    d.s.status = SubjectStatus::kDeregistered;
  } else if (x < (individual ? 0.22 : 0.14)) {
    d.s.status = SubjectStatus::kRevoked;
  }
  if (legacy ? rng_.Chance(0.6) : rng_.Chance(0.1)) {
    d.s.org_code = d.s.code.substr(8, 8);
    if (rng_.Chance(0.6)) d.s.org_code.push_back('-');
    d.s.org_code.push_back(d.s.code[16]);
  }
  const bool business = d.authority == '9';
  if (business && d.s.registered_on.days < DaysFromCivil(2016, 6, 30) &&
      rng_.Chance(0.7)) {
    d.s.reg_no = RegNo(d.code_region);
  }
  switch (d.authority) {
    case '9':
      d.s.source = "市场监管";
      break;
    case '5':
      d.s.source = "民政";
      break;
    case '1':
      d.s.source = "机构编制";
      break;
    case '3':
      d.s.source = "司法行政";
      break;
    default:
      d.s.source = "农业农村";
  }
  AddRecords(d);
  return d;
}

Record DataGenerator::Impl::MakeRecord(const Draft& d, int list) {
  const Region& r = *d.region;
  Record rec;
  rec.id = NewRecordId();
  rec.code = d.s.code;
  rec.list = std::string(kBuiltinLists[list]);
  rec.name = d.s.name;
  const int32_t today = options_.today.days;
  const int32_t earliest = std::max(d.s.registered_on.days, today - 8 * 365);
  rec.decided_on =
      Date{earliest + static_cast<int32_t>(rng_.Below(
                          static_cast<uint64_t>(today - earliest + 1)))};
  rec.valid_from = rec.decided_on;
  const int year = YearOf(rec.decided_on);
  const bool county_level = rng_.Chance(0.6);
  const std::string& level_name =
      county_level
          ? (r.city_is_county ? r.county_full : r.city_full + r.county_full)
          : r.city_full;
  std::string abbr = r.city_abbr;
  if (county_level && !r.city_is_county) abbr += r.county_short.substr(0, 3);
  const uint64_t serial = 1 + rng_.Below(rng_.Chance(0.8) ? 300 : 3000);
  auto doc = [&](std::string_view word) {
    std::string s = abbr;
    s += word;
    s += "〔";
    AppendUint(static_cast<uint64_t>(year), s);
    s += "〕";
    AppendUint(serial, s);
    s += "号";
    return s;
  };
  double repair_chance = 0;
  int min_years_before_repair = 1;
  const bool social = d.authority == '5';
  switch (list) {
    case kSeriousDishonesty:
      rec.authority =
          social ? r.city_full + "民政局" : r.province_full + "市场监督管理局";
      abbr = r.province_abbr;
      rec.doc_no = doc(social ? "民严字" : "市监严字");
      rec.basis = social ? "《社会组织信用信息管理办法》第十五条"
                         : "《市场监督管理严重违法失信名单管理办法》第二条";
      rec.detail = std::string(rng_.Pick(kSeriousDetails));
      rec.valid_until = AddYears(rec.valid_from, 3);
      repair_chance = 0.15;
      break;
    case kDishonestJudgmentDebtor: {
      const bool basic = county_level;
      rec.authority = level_name + (basic ? "人民法院" : "中级人民法院");
      rec.doc_no = "（";
      AppendUint(static_cast<uint64_t>(year), rec.doc_no);
      rec.doc_no += "）";
      rec.doc_no += r.province_abbr;
      AppendPadded(basic ? r.county % 10000 : r.city / 100 % 100, basic ? 4 : 2,
                   rec.doc_no);
      rec.doc_no += "执";
      AppendUint(1 + rng_.Below(9000), rec.doc_no);
      rec.doc_no += "号";
      rec.basis =
          "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条";
      rec.detail = std::string(rng_.Pick(kJudgmentDetails));
      if (rng_.Chance(0.6)) rec.valid_until = AddYears(rec.valid_from, 2);
      repair_chance = 0.3;
      min_years_before_repair = 0;
      break;
    }
    case kAbnormalOperation:
      rec.authority = level_name + (social ? "民政局" : "市场监督管理局");
      rec.doc_no = doc(social ? "民异字" : "市监异字");
      rec.basis = social ? "《社会组织信用信息管理办法》第十三条"
                         : "《企业经营异常名录管理暂行办法》第四条";
      rec.detail = std::string(rng_.Pick(kAbnormalReasons));
      // Open-ended until removed (移出): removal is the repair.
      repair_chance = 0.45;
      min_years_before_repair = 0;
      break;
    case kMajorTaxViolation:
      rec.authority = "国家税务总局" + r.city_full + "税务局稽查局";
      abbr = r.city_abbr;
      rec.doc_no = doc("税稽罚");
      rec.basis = "《重大税收违法失信主体信息公布管理办法》第六条";
      rec.detail = std::string(rng_.Pick(kTaxDetails));
      rec.valid_until = AddYears(rec.valid_from, 3);
      repair_chance = 0.1;
      break;
    case kProcurementViolation:
      rec.authority = r.city_full + "财政局";
      abbr = r.city_abbr;
      rec.doc_no = doc("财采监");
      rec.basis = "《中华人民共和国政府采购法》第七十七条";
      rec.detail = std::string(rng_.Pick(kProcurementDetails));
      rec.valid_until = AddYears(rec.valid_from, rng_.Between(1, 3));
      break;
    case kAdminPenalty: {
      const double x = rng_.Uniform();
      if (x < 0.65 || social) {
        rec.authority = level_name + "市场监督管理局";
        rec.doc_no = doc("市监罚字");
        rec.basis = std::string(rng_.Pick(kPenaltyBases));
        rec.detail = std::string(rng_.Pick(kPenaltyDetails));
      } else if (x < 0.8) {
        rec.authority = "国家税务总局" + level_name + "税务局";
        rec.doc_no = doc("税简罚");
        rec.basis = "《中华人民共和国税收征收管理法》第六十二条";
        rec.detail = "未按照规定期限办理纳税申报和报送纳税资料，处以罚款";
      } else if (x < 0.92) {
        rec.authority = r.city_full + "生态环境局";
        abbr = r.city_abbr;
        rec.doc_no = doc("环罚");
        rec.basis = "《中华人民共和国大气污染防治法》第一百零八条";
        rec.detail = "未采取有效污染防治措施，责令改正并处罚款";
      } else {
        rec.authority = level_name + "应急管理局";
        rec.doc_no = doc("应急罚");
        rec.basis = "《中华人民共和国安全生产法》第九十七条";
        rec.detail = "未按规定对从业人员进行安全生产教育和培训，处以罚款";
      }
      // Publicity period: a year for minor penalties, three otherwise.
      rec.valid_until = AddYears(rec.valid_from, rng_.Chance(0.7) ? 1 : 3);
      repair_chance = 0.2;
      break;
    }
    case kAdminLicense: {
      const std::string_view kind = rng_.Pick(kLicenseKinds);
      rec.authority = level_name + (social ? "民政局" : "行政审批局");
      rec.doc_no = doc("审批许字");
      rec.basis = "《中华人民共和国行政许可法》第三十四条";
      rec.detail = std::string(kind);
      rec.valid_until = AddYears(rec.valid_from, 5);
      break;
    }
    case kALevelTaxpayer: {
      // Published each April for the previous year; valid for one year.
      const int y = std::max(year, YearOf(options_.today) - 3);
      int32_t day = DaysFromCivil(y, 4, 1 + static_cast<int>(rng_.Below(28)));
      if (day > today) day = DaysFromCivil(y - 1, 4, 15);
      rec.decided_on = rec.valid_from = Date{day};
      rec.valid_until = AddYears(rec.valid_from, 1);
      rec.authority = "国家税务总局" + r.province_full + "税务局";
      rec.doc_no = "国家税务总局" + r.province_full + "税务局公告";
      AppendUint(static_cast<uint64_t>(y), rec.doc_no);
      rec.doc_no += "年第";
      AppendUint(1 + rng_.Below(12), rec.doc_no);
      rec.doc_no += "号";
      rec.basis = "《纳税信用管理办法》第二十条";
      rec.detail = "";
      AppendUint(static_cast<uint64_t>(y - 1), rec.detail);
      rec.detail += "年度纳税信用A级";
      break;
    }
    case kRedList:
      rec.authority = r.city_full + "发展和改革委员会";
      abbr = r.city_abbr;
      rec.doc_no = doc("发改信用");
      rec.basis =
          "《国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建"
          "设的指导意见》（国发〔2016〕33号）";
      rec.detail = std::string(rng_.Pick(kRedDetails));
      rec.valid_until = AddYears(rec.valid_from, 2);
      break;
  }
  if (repair_chance > 0 && rng_.Chance(repair_chance)) {
    const int32_t from =
        rec.valid_from.days + 30 + 365 * min_years_before_repair;
    const int32_t to = rec.valid_until.has_value()
                           ? std::min(rec.valid_until.days, today)
                           : today;
    if (from <= to) {
      rec.repaired_on = Date{from + static_cast<int32_t>(rng_.Below(
                                        static_cast<uint64_t>(to - from + 1)))};
    }
  }
  const bool negative =
      list != kAdminLicense && list != kALevelTaxpayer && list != kRedList;
  rec.disputed = negative && rng_.Chance(0.015);
  return rec;
}

void DataGenerator::Impl::AddRecords(Draft& d) {
  const int kind = static_cast<int>(d.kind);
  const int n = rng_.Poisson(record_scale_ * kKindRecordFactor[kind]);
  for (int i = 0; i < n; ++i) {
    d.records.push_back(
        MakeRecord(d, static_cast<int>(rng_.Weighted(kListWeights[kind]))));
  }
}

void DataGenerator::Impl::SetPartner(Draft&& d, Fault fault, bool is_record) {
  Pending p;
  p.due = base_done_ + 1 + rng_.Below(kMaxDeferral);
  p.order = pending_seq_++;
  p.is_record = is_record;
  p.draft = std::move(d);
  p.fault = std::move(fault);
  partner_ = std::move(p);
}

// Writes the subject line of `d` (and its records) into current_, numbering
// lines, and completes `completes` with this line when given.
void DataGenerator::Impl::Emit(Draft&& d, std::optional<Fault> completes) {
  current_.subject = std::move(d.s);
  current_.has_id = d.has_id;
  current_.kind = d.kind;
  current_.subject_line = options_.header_lines + ++stats_.subject_lines;
  current_.first_record_line = options_.header_lines + stats_.record_lines + 1;
  for (Record& rec : d.records) {
    ++stats_.record_lines;
    for (size_t i = 0; i < std::size(kBuiltinLists); ++i) {
      if (rec.list == kBuiltinLists[i]) ++stats_.by_list[i];
    }
    current_.records.push_back(std::move(rec));
  }
  ++stats_.by_kind[static_cast<int>(d.kind)];
  ++stats_.by_status[static_cast<int>(current_.subject.status)];
  if (completes) {
    completes->subject_lines.push_back(current_.subject_line);
    completes->subject_ids.push_back(current_.subject.id);
    ++stats_.by_fault[static_cast<int>(completes->kind)];
    current_.faults.push_back(std::move(*completes));
  }
}

void DataGenerator::Impl::PlantFault(Draft& d, FaultKind kind) {
  Fault f;
  f.kind = kind;
  d.has_id = true;
  const std::string original = d.s.code;
  auto single = [&](std::string_view uscc_fault) {
    f.expected_uscc_fault = std::string(uscc_fault);
    f.codes = {d.s.code};
    f.detail = "original " + original;
    for (Record& r : d.records) r.code = d.s.code;
  };
  auto recheck = [&] {  // make positions 17-18 consistent with the rest
    d.s.code[17] = UsccCheckCharacter(d.s.code);
  };
  switch (kind) {
    case FaultKind::kDuplicateCode: {
      Draft other = NewSubject(d.kind, d.region);
      other.has_id = true;
      other.s.code = d.s.code;
      other.s.region = d.s.region;
      other.s.org_code.clear();
      other.s.reg_no.clear();
      for (Record& r : other.records) r.code = d.s.code;
      f.codes = {d.s.code};
      f.detail = "different subjects share one code";
      SetPartner(std::move(other), std::move(f), false);
      return;
    }
    case FaultKind::kMultiCodeSameName:
    case FaultKind::kMultiCodeSameOrgCode: {
      Draft other = d;
      other.records.clear();
      other.s.id = NewSubjectId();
      other.s.former_names.clear();
      other.s.reg_no.clear();
      other.s.source = "税务";  // re-reported by another department
      if (kind == FaultKind::kMultiCodeSameName) {
        other.s.code =
            MakeCode(d.authority, d.type, d.code_region, Body(d.kind, false));
        other.s.org_code.clear();
        f.detail = "same name and region under two codes";
      } else {
        // Same organisation code, registered again under another division.
        const Region* moved = &PickRegion();
        while (moved->county == d.code_region) moved = &PickRegion();
        other.s.code = MakeCode(d.authority, d.type, moved->county,
                                std::string_view(d.s.code).substr(8, 8));
        other.s.region = Code6(moved->county);
        other.s.org_code = d.s.code.substr(8, 9);
        f.detail = "same organisation code " + d.s.code.substr(8, 9);
      }
      f.codes = {d.s.code, other.s.code};
      SetPartner(std::move(other), std::move(f), false);
      return;
    }
    case FaultKind::kCheckCharacter: {
      const char good = d.s.code[17];
      char bad = kUsccAlphabet[rng_.Below(31)];
      while (bad == good) bad = kUsccAlphabet[rng_.Below(31)];
      d.s.code[17] = bad;
      single("check_character");
      break;
    }
    case FaultKind::kOrgCodeCheck: {
      static constexpr std::string_view kOrgChecks = "0123456789X";
      const char good = d.s.code[16];
      char bad = kOrgChecks[rng_.Below(11)];
      while (bad == good) bad = kOrgChecks[rng_.Below(11)];
      d.s.code[16] = bad;
      recheck();
      d.s.org_code.clear();
      single("org_code_check");
      break;
    }
    case FaultKind::kUnknownAuthorityType: {
      const auto [a, t] = rng_.Pick(unknown_pairs_);
      d.s.code[0] = a;
      d.s.code[1] = t;
      recheck();
      single("unknown_authority_type");
      break;
    }
    case FaultKind::kExcelTruncated: {
      // Only all-digit codes survive a spreadsheet as numbers: re-issue the
      // subject a digit body whose two check characters are digits too.
      std::string code;
      for (;;) {
        const bool digit = d.authority >= '0' && d.authority <= '9';
        code = MakeCode(digit ? d.authority : '9', digit ? d.type : '3',
                        d.code_region, Body(d.kind, true));
        if (code.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string zeros = code.substr(0, 15) + "000";
        if (zeros == code || ValidateUscc(zeros).ok()) continue;
        break;
      }
      f.detail = "original " + code;
      if (rng_.Chance(0.75)) {
        d.s.code = code.substr(0, 15) + "000";
      } else {  // as shown in the cell: 9.16201055811843E+17
        std::string mantissa = code.substr(1, 14);
        while (!mantissa.empty() && mantissa.back() == '0') mantissa.pop_back();
        d.s.code = code.substr(0, 1) + (mantissa.empty() ? "" : ".") +
                   mantissa + "E+17";
      }
      d.s.org_code.clear();
      f.expected_uscc_fault = "excel_truncated";
      f.codes = {d.s.code};
      for (Record& r : d.records) r.code = d.s.code;
      break;
    }
    case FaultKind::kLegacyNumber: {
      if (rng_.Chance(0.5)) {
        if (d.s.reg_no.empty()) d.s.reg_no = RegNo(d.code_region);
        d.s.code = d.s.reg_no;
        single("legacy_registration_number");
      } else {
        std::string org = d.s.code.substr(8, 8);
        if (rng_.Chance(0.5)) org.push_back('-');
        org.push_back(d.s.code[16]);
        d.s.code = org;
        single("legacy_org_code");
      }
      break;
    }
    case FaultKind::kPlaceholder: {
      static constexpr std::string_view kWords[] = {"无", "暂无", "N/A",
                                                    "000000000000000000"};
      const double x = rng_.Uniform();
      if (x < 0.4) {
        d.s.code = std::string(rng_.Pick(kWords));
      } else {
        d.s.code =
            d.s.code.substr(0, 8) + (x < 0.7 ? "XXXXXXXXXX" : "XXXXXXXX");
      }
      d.s.org_code.clear();
      single("placeholder");
      break;
    }
    case FaultKind::kOrgCodeMismatch: {
      const std::string body = Body(SubjectKind::kEnterprise, true);
      d.s.org_code = body + "-" + OrgCodeCheckCharacter(body);
      f.codes = {d.s.code};
      f.detail = "org_code " + d.s.org_code + " differs from code body " +
                 d.s.code.substr(8, 9);
      break;
    }
    case FaultKind::kRegNoRegionMismatch: {
      const Region* other = &PickRegion();
      while (other->county == d.code_region) other = &PickRegion();
      d.s.reg_no = RegNo(other->county);
      f.codes = {d.s.code};
      f.detail = "reg_no division " + Code6(other->county) +
                 " differs from code region " + d.s.region;
      break;
    }
    case FaultKind::kRepeatedLine: {
      Draft copy;
      copy.s = d.s;
      copy.has_id = d.has_id;
      copy.kind = d.kind;
      copy.region = d.region;
      f.codes = {d.s.code};
      f.detail = "the same subject line reported twice";
      SetPartner(std::move(copy), std::move(f), false);
      return;
    }
    case FaultKind::kRepeatedRecord: {
      if (d.records.empty()) {
        d.records.push_back(MakeRecord(
            d, static_cast<int>(
                   rng_.Weighted(kListWeights[static_cast<int>(d.kind)]))));
      }
      Draft copy;
      copy.kind = d.kind;
      copy.region = d.region;
      partner_record_index_ = rng_.Below(d.records.size());
      copy.records.push_back(d.records[partner_record_index_]);
      f.codes = {d.s.code};
      if (rng_.Chance(0.4)) {
        f.detail = "same decision reported again under a new record id";
        f.record_ids.push_back(copy.records[0].id);
        copy.records[0].id = NewRecordId();
      } else {
        f.detail = "the same record line reported twice";
        f.record_ids.push_back(copy.records[0].id);
      }
      SetPartner(std::move(copy), std::move(f), true);
      return;
    }
    case FaultKind::kBranchOffice:
    case FaultKind::kCount:
      return;
  }
  // A single-line fault completes with this subject's own line.
  self_fault_ = std::move(f);
}

void DataGenerator::Impl::MakeBranch(Draft& d) {
  const size_t pick = rng_.Below(parents_.size());
  Parent parent = std::move(parents_[pick]);
  parents_[pick] = std::move(parents_.back());
  parents_.pop_back();
  // A branch sits in a county of the parent's city (table order keeps a
  // city's counties together).
  const uint32_t city = regions_[parent.region_index].city;
  size_t lo = parent.region_index, hi = parent.region_index + 1;
  while (lo > 0 && regions_[lo - 1].city == city) --lo;
  while (hi < regions_.size() && regions_[hi].city == city) ++hi;
  const Region& where = regions_[lo + rng_.Below(hi - lo)];
  d = NewSubject(SubjectKind::kEnterprise, &where);
  d.s.name =
      parent.name +
      (where.county_is_district ? where.county_short : where.county_full) +
      "分公司";
  d.s.former_names.clear();
  for (Record& r : d.records) r.name = d.s.name;
  d.parts.variantable = false;
  d.has_id = true;
  Fault f;
  f.kind = FaultKind::kBranchOffice;
  f.is_fault = false;
  f.codes = {parent.code, d.s.code};
  f.subject_ids = {parent.id};
  f.subject_lines = {parent.line};
  f.detail = "branch office sharing its parent's name: not a duplicate";
  self_fault_ = std::move(f);
}

bool DataGenerator::Impl::MakeVariant(const Draft& d, VariantKind kind,
                                      std::string& query) {
  const NameParts& p = d.parts;
  std::vector<std::string> trade = SplitChars(p.trade);
  std::vector<std::string> core = SplitChars(p.trade + p.industry);
  auto with_core = [&](const std::string& c) {
    if (p.bracket) return c + "（" + p.prefix + "）" + p.form;
    return p.prefix + c + p.form;
  };
  auto with_trade = [&](const std::vector<std::string>& t) {
    NameParts q = p;
    q.trade = Join(t);
    return ComposeName(q);
  };
  switch (kind) {
    case VariantKind::kTypo: {
      const size_t pos = rng_.Below(trade.size());
      auto it = trade_index_.find(trade[pos]);
      if (it == trade_index_.end()) return false;
      const std::vector<std::string>& same_sound = homophones_[it->second];
      size_t c;
      do {
        c = rng_.Below(trade_chars_.size());
      } while (sound_class_[c] == sound_class_[it->second] ||
               std::find(same_sound.begin(), same_sound.end(),
                         trade_chars_[c]) != same_sound.end());
      trade[pos] = trade_chars_[c];
      query = with_trade(trade);
      break;
    }
    case VariantKind::kHomophone: {
      std::vector<size_t> candidates;
      for (size_t i = 0; i < trade.size(); ++i) {
        auto it = trade_index_.find(trade[i]);
        if (it != trade_index_.end() && !homophones_[it->second].empty())
          candidates.push_back(i);
      }
      if (candidates.empty()) return false;
      const size_t pos = rng_.Pick(candidates);
      trade[pos] =
          rng_.Pick(homophones_[trade_index_.find(trade[pos])->second]);
      query = with_trade(trade);
      break;
    }
    case VariantKind::kTraditional: {
      if (s2t_ == nullptr && !s2t_failed_) {
        try {
          s2t_ = std::make_unique<opencc::SimpleConverter>("s2t.json");
        } catch (const std::exception&) {
          s2t_failed_ = true;  // no OpenCC data installed: skip this kind
        }
      }
      if (s2t_ == nullptr) return false;
      try {
        query = s2t_->Convert(d.s.name);
      } catch (const std::exception&) {
        return false;
      }
      break;
    }
    case VariantKind::kWidthSpace: {
      const std::string_view space = rng_.Chance(0.5) ? " " : "\u3000";
      if (p.bracket) {
        query = p.trade + p.industry + std::string(space) + "(" + p.prefix +
                ")" + p.form;
      } else {
        query = p.prefix + std::string(space) + p.trade + p.industry +
                (rng_.Chance(0.5) ? std::string(space) : std::string()) +
                p.form;
      }
      break;
    }
    case VariantKind::kSuffixVariant: {
      NameParts q = p;
      if (p.form == "有限公司") {
        q.form = "有限责任公司";
      } else if (p.form == "有限责任公司") {
        q.form = "有限公司";
      } else if (p.form == "股份有限公司") {
        q.form = "股份公司";
      } else if (p.form == "集团有限公司") {
        q.form = "集团公司";
      } else {
        return false;
      }
      query = ComposeName(q);
      break;
    }
    case VariantKind::kRegionMoved:
      if (p.prefix.empty()) return false;
      query = p.bracket ? p.prefix + p.trade + p.industry + p.form
                        : p.trade + p.industry + "(" + p.prefix + ")" + p.form;
      break;
    case VariantKind::kRegionDropped:
      if (p.prefix.empty()) return false;
      query = p.trade + p.industry + p.form;
      break;
    case VariantKind::kCharDropped: {
      std::vector<size_t> candidates;
      if (trade.size() >= 3) {
        for (size_t i = 0; i < trade.size(); ++i) candidates.push_back(i);
      }
      if (core.size() - trade.size() >= 2) {
        for (size_t i = trade.size(); i < core.size(); ++i)
          candidates.push_back(i);
      }
      if (candidates.empty()) return false;
      core.erase(core.begin() + static_cast<ptrdiff_t>(rng_.Pick(candidates)));
      query = with_core(Join(core));
      break;
    }
    case VariantKind::kCharsTransposed: {
      // Within the trade name, or across its end into the industry word.
      std::vector<size_t> candidates;
      for (size_t i = 0; i + 1 < core.size() && i < trade.size(); ++i) {
        if (core[i] != core[i + 1]) candidates.push_back(i);
      }
      if (candidates.empty()) return false;
      const size_t i = rng_.Pick(candidates);
      std::swap(core[i], core[i + 1]);
      query = with_core(Join(core));
      break;
    }
    case VariantKind::kShortForm:
      query = p.trade + p.industry;
      break;
    case VariantKind::kCount:
      return false;
  }
  return query != d.s.name;
}

void DataGenerator::Impl::MaybeVariant(Draft& d) {
  if (!d.parts.variantable || d.parts.prefix.empty()) return;
  ++eligible_seen_;
  if (variants_made_ >= options_.variants) return;
  // Spread the variants over the whole run: draw with probability
  // need / (expected eligible subjects still to come).
  const double share = static_cast<double>(eligible_seen_) /
                       static_cast<double>(std::max<uint64_t>(base_done_, 1));
  const double remaining =
      static_cast<double>(options_.subjects - base_done_ + 1) *
      std::max(share, 0.05);
  const double need = static_cast<double>(options_.variants - variants_made_);
  if (!rng_.Chance(need / std::max(remaining, 1.0))) return;
  constexpr int kKinds = static_cast<int>(VariantKind::kCount);
  const int first = static_cast<int>(variants_made_ % kKinds);
  for (int k = 0; k < kKinds; ++k) {
    const auto kind = static_cast<VariantKind>((first + k) % kKinds);
    std::string query;
    if (!MakeVariant(d, kind, query)) continue;
    NameVariant v;
    v.kind = kind;
    v.query = std::move(query);
    v.original = d.s.name;
    v.expected_id = d.s.id;
    v.expected_code = d.s.code;
    d.has_id = true;
    ++variants_made_;
    ++stats_.variants;
    ++stats_.by_variant[static_cast<int>(kind)];
    current_.variants.push_back(std::move(v));
    return;
  }
}

void DataGenerator::Impl::GenerateBase() {
  Draft d;
  const bool branch = parents_.size() >= 8 && rng_.Chance(kBranchShare * 0.55);
  if (branch) {
    MakeBranch(d);
  } else {
    d = NewSubject(std::nullopt, nullptr);
  }
  ++base_done_;
  bool faulted = false;
  if (!branch && rng_.Chance(options_.fault_rate)) {
    faulted = true;
    PlantFault(d, static_cast<FaultKind>(rng_.Weighted(kFaultWeights)));
  } else if (!branch) {
    MaybeVariant(d);
  }
  const bool parent =
      !faulted && !branch && d.kind == SubjectKind::kEnterprise && d.has_id &&
      d.parts.form != "商行" && d.parts.form != "经营部" && rng_.Chance(0.05);
  const size_t region_index = static_cast<size_t>(d.region - regions_.data());
  Emit(std::move(d), std::move(self_fault_));
  self_fault_.reset();
  if (parent) {
    Parent p{current_.subject.name, current_.subject.id, current_.subject.code,
             current_.subject_line, region_index};
    if (parents_.size() < 64) {
      parents_.push_back(std::move(p));
    } else {
      parents_[rng_.Below(parents_.size())] = std::move(p);
    }
  }
  if (partner_) {
    Fault& f = *partner_->fault;
    f.subject_ids.insert(f.subject_ids.begin(), current_.subject.id);
    f.subject_lines.insert(f.subject_lines.begin(), current_.subject_line);
    if (partner_->is_record) {
      f.record_lines.push_back(current_.first_record_line +
                               partner_record_index_);
    }
    pending_.push_back(std::move(*partner_));
    std::push_heap(pending_.begin(), pending_.end(), PendingLater());
    partner_.reset();
  }
}

const Emission* DataGenerator::Impl::Next() {
  current_.subject = Subject();
  current_.has_subject = true;
  current_.records.clear();
  current_.faults.clear();
  current_.variants.clear();
  current_.first_record_line = options_.header_lines + stats_.record_lines + 1;
  for (;;) {
    const bool flushing = base_done_ >= options_.subjects;
    if (!pending_.empty() && (pending_.front().due <= base_done_ || flushing)) {
      std::pop_heap(pending_.begin(), pending_.end(), PendingLater());
      Pending p = std::move(pending_.back());
      pending_.pop_back();
      if (p.is_record) {
        held_records_.push_back(std::move(p));
        continue;
      }
      if (p.fault && p.fault->kind == FaultKind::kRepeatedLine) {
        // The repeated line is the same line, record-less: its records were
        // reported once.
        p.draft.records.clear();
      }
      Emit(std::move(p.draft), std::move(p.fault));
      break;
    }
    if (!flushing) {
      GenerateBase();
      break;
    }
    if (!held_records_.empty()) {
      current_.has_subject = false;  // only records left to write
      break;
    }
    return nullptr;
  }
  for (Pending& p : held_records_) {
    Record& rec = p.draft.records[0];
    Fault& f = *p.fault;
    ++stats_.record_lines;
    for (size_t i = 0; i < std::size(kBuiltinLists); ++i) {
      if (rec.list == kBuiltinLists[i]) ++stats_.by_list[i];
    }
    f.record_ids.push_back(rec.id);
    f.record_lines.push_back(options_.header_lines + stats_.record_lines);
    ++stats_.by_fault[static_cast<int>(f.kind)];
    current_.records.push_back(std::move(rec));
    current_.faults.push_back(std::move(f));
  }
  held_records_.clear();
  return &current_;
}

DataGenerator::DataGenerator(const DatagenOptions& options)
    : impl_(std::make_unique<Impl>(options)) {}
DataGenerator::~DataGenerator() = default;
const Emission* DataGenerator::Next() { return impl_->Next(); }
const DatagenStats& DataGenerator::stats() const { return impl_->stats(); }
const DatagenOptions& DataGenerator::options() const {
  return impl_->options();
}

}  // namespace creditd::datagen
