// Scores how likely two split names (name_parts.h) denote the same subject,
// and explains the score in words a clerk can read.
//
// The score is the trade-name similarity times one factor per other part:
//   trade name   weighted edit similarity on code points: a homophone
//                (same toneless pinyin) costs 0.3 of a character, a
//                transposition 0.4, a dropped or added character 0.6, any
//                other substitution 0.8; a different word scores near 0.
//   industry     equal 1, dropped/added or one inside the other 0.95,
//                related (a character in common: 商贸 / 贸易) 0.85,
//                different word 0.55 (below one typo in a two-character
//                trade name: a typo costs less than a different word)
//   org form     same class 1 (0.99 for a different spelling), dropped 0.97,
//                compatible company forms 0.92, branch vs non-branch 0.7,
//                otherwise 0.8
//   region       same 1, moved (front <-> brackets) 0.99, nested 0.97,
//                dropped/added 0.97, matching the registered region 1,
//                different (from the name's or the registered region) 0.55,
//                more than one typo in a two-character trade name
// A name that is only generic words (no trade name) scores at most 0.3, so
// 科技有限公司 never matches confidently.
//
// Pure; safe from any thread.
#ifndef CREDITD_MATCHER_SCORER_H_
#define CREDITD_MATCHER_SCORER_H_

#include "matcher/name_parts.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace creditd {

// Scores at or above this say "same subject likely" (Comparison, Candidate).
inline constexpr double kSameSubjectThreshold = 0.8;
// The most a generic-only name (no trade name) can score.
inline constexpr double kGenericOnlyCap = 0.3;

enum class PartVerdict : uint8_t {
  kEqual,  // written the same
  kEquivalent,  // written differently, same meaning (有限公司 ~ 有限责任公司)
  kSimilar,     // close: typo, homophone, transposition, dropped character
  kNested,      // one region inside the other (福建 ⊃ 福州)
  kMoved,       // same region, other position (front vs brackets)
  kDropped,     // the first name lacks what the second has
  kAdded,       // the first name has what the second lacks
  kRegistered,  // the first name's region matches the second's registered one
  kDifferent,   // a real difference
  kGeneric,     // no trade name: generic words only
};
// "equal", "equivalent", "similar", ... (for JSON output and logs).
std::string_view PartVerdictName(PartVerdict verdict);

struct PartComparison {
  std::string part;  // 字号, 行业, 组织形式, 地区, 分支机构
  PartVerdict verdict = PartVerdict::kEqual;
  std::string a;       // as in the first name (UTF-8)
  std::string b;       // as in the second name
  std::string detail;  // "homophone 鑫→新", "equivalent", ...
  double factor = 1.0;

  // "字号 鑫盛达 ≈ 新盛达 (homophone 鑫→新)"
  std::string ToString() const;
};

struct Explanation {
  std::vector<PartComparison> parts;
  // "字号 鑫盛达 = 鑫盛达; 组织形式 有限公司 ~ 有限责任公司 (equivalent); 地区
  // 福州 dropped"
  std::string ToString() const;
};

struct ScoreResult {
  double score = 0;  // in [0, 1]
  Explanation explanation;
};

// Scores `a` (the name a caller typed) against `b` (a registered name).
// `b_region_code` is b's registered six-digit division (a USCC's positions
// 3-8) or 0 when unknown; it lets a region in `a` that b's name lacks count
// as consistent rather than added.
ScoreResult ScoreNames(const NameParts& a, const NameParts& b,
                       uint32_t b_region_code = 0);

// ScoreNames(a, b, code).score without building the explanation (no
// strings are formatted): for ranking many candidates.
double ScoreValue(const NameParts& a, const NameParts& b,
                  uint32_t b_region_code = 0);

// The trade-name similarity in [0, 1] alone (see above), with a description
// of the differences ("typo 胜→盛").
struct TradeSimilarity {
  double similarity = 0;
  std::string detail;
};
TradeSimilarity CompareTrade(std::u32string_view a, std::u32string_view b);

}  // namespace creditd

#endif  // CREDITD_MATCHER_SCORER_H_
