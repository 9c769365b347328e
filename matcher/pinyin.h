// Toneless pinyin keys for homophone matching (鑫盛达 ~ 新胜达: "xin sheng
// da").
//
// The readings come from ICU's "Han-Latin; Latin-ASCII" transliterator, never
// from a hand-typed table. The transliterator is slow (about 20 µs per call,
// 170 ms to create), so readings are cached per code point: the first lookup
// of a character transliterates it, every later lookup is one atomic load.
// Prefetch() fills the cache for many characters in one transliterator call
// (index build does this for every character of the registry).
//
// A polyphonic character gets ICU's single default reading (重 -> "zhong"),
// which is what homophone typos of company names need in practice.
//
// Thread safety: every function may be called concurrently. Lookups of cached
// characters are lock-free; a miss takes one mutex.
#ifndef CREDITD_MATCHER_PINYIN_H_
#define CREDITD_MATCHER_PINYIN_H_

#include <cstdint>
#include <string_view>

namespace creditd {

// A small integer naming one toneless syllable ("xin"); 0 = no reading (not a
// CJK ideograph, or ICU gave none). Equal ids mean equal syllables.
using SyllableId = uint16_t;

// Code points covered: CJK Extension A (U+3400..U+4DBF) and the CJK Unified
// Ideographs block (U+4E00..U+9FFF). Others have no reading.
bool HasPinyinCoverage(char32_t cp);

// The syllable id of `cp`, transliterating it on first use.
SyllableId PinyinOf(char32_t cp);

// The syllable spelled out ("xin"); empty for 0 or an unknown id.
std::string_view SyllableText(SyllableId id);

// Caches the readings of every covered character of `text` with one
// transliterator call. Optional: PinyinOf() works without it.
void PrefetchPinyin(std::u32string_view text);

}  // namespace creditd

#endif  // CREDITD_MATCHER_PINYIN_H_
