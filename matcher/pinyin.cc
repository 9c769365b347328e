#include "matcher/pinyin.h"

#include "matcher/internal/utf8.h"

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace creditd {
namespace {

constexpr char32_t kFirst = 0x3400;
constexpr char32_t kLast = 0x9FFF;
constexpr size_t kCoverage = kLast - kFirst + 1;
// Toneless Mandarin has about 410 syllables; ICU may add a few odd spellings.
// Ids past the table are not handed out (the character then has no reading).
constexpr size_t kMaxSyllables = 2048;
// Marks a cached "no reading" so that it is not transliterated again.
constexpr uint16_t kNoReading = 0xFFFF;

class PinyinCache {
 public:
  static PinyinCache& Get() {
    static PinyinCache* cache = new PinyinCache();
    return *cache;
  }

  SyllableId Lookup(char32_t cp) {
    if (!HasPinyinCoverage(cp)) return 0;
    uint16_t v = slots_[cp - kFirst].load(std::memory_order_acquire);
    if (v == 0) {
      const char32_t one[1] = {cp};
      Fill(std::u32string_view(one, 1));
      v = slots_[cp - kFirst].load(std::memory_order_acquire);
    }
    return v == kNoReading ? 0 : v;
  }

  std::string_view Text(SyllableId id) const {
    if (id == 0 || id >= count_.load(std::memory_order_acquire)) return {};
    return syllables_[id];
  }

  // Transliterates every uncached covered character of `text` in one call.
  void Fill(std::u32string_view text) {
    absl::MutexLock lock(&mu_);
    std::vector<char32_t> todo;
    absl::flat_hash_set<char32_t> seen;
    icu::UnicodeString batch;
    for (char32_t cp : text) {
      if (!HasPinyinCoverage(cp)) continue;
      if (slots_[cp - kFirst].load(std::memory_order_relaxed) != 0) continue;
      // Slots are only written at the end, so a concurrent reader never sees
      // a half-done state; `seen` keeps duplicates in `text` to one line.
      if (!seen.insert(cp).second) continue;
      todo.push_back(cp);
      batch.append(static_cast<UChar32>(cp));
      batch.append(static_cast<UChar>(u'\n'));
    }
    if (todo.empty()) return;
    if (!EnsureTransliterator()) {
      for (char32_t cp : todo) {
        slots_[cp - kFirst].store(kNoReading, std::memory_order_release);
      }
      return;
    }
    translit_->transliterate(batch);
    std::string out;
    batch.toUTF8String(out);
    // One line per character, in order. Spaces inside a line (rare
    // multi-syllable readings) are dropped.
    size_t line_start = 0;
    for (char32_t cp : todo) {
      size_t end = out.find('\n', line_start);
      if (end == std::string::npos) end = out.size();
      std::string syllable;
      for (size_t i = line_start; i < end; ++i) {
        const char c = out[i];
        if (c >= 'a' && c <= 'z') syllable.push_back(c);
        if (c >= 'A' && c <= 'Z') syllable.push_back(static_cast<char>(c + 32));
      }
      line_start = end < out.size() ? end + 1 : out.size();
      uint16_t id = kNoReading;
      if (!syllable.empty()) id = Intern(syllable);
      slots_[cp - kFirst].store(id, std::memory_order_release);
    }
  }

 private:
  PinyinCache() : syllables_(kMaxSyllables) {
    for (auto& s : slots_) s.store(0, std::memory_order_relaxed);
    count_.store(1, std::memory_order_relaxed);  // id 0 = no reading
  }

  bool EnsureTransliterator() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (translit_ != nullptr) return true;
    if (translit_failed_) return false;
    UErrorCode status = U_ZERO_ERROR;
    translit_.reset(icu::Transliterator::createInstance(
        "Han-Latin; Latin-ASCII", UTRANS_FORWARD, status));
    if (U_FAILURE(status) || translit_ == nullptr) {
      translit_.reset();
      translit_failed_ = true;
      return false;
    }
    return true;
  }

  uint16_t Intern(const std::string& syllable)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = ids_.find(syllable);
    if (it != ids_.end()) return it->second;
    const uint32_t id = count_.load(std::memory_order_relaxed);
    if (id >= kMaxSyllables) return kNoReading;
    // Written before count_ is published, so Text() never sees a half-built
    // string; the vector never reallocates (sized once in the constructor).
    syllables_[id] = syllable;
    count_.store(id + 1, std::memory_order_release);
    ids_.emplace(syllable, static_cast<uint16_t>(id));
    return static_cast<uint16_t>(id);
  }

  std::array<std::atomic<uint16_t>, kCoverage> slots_;
  std::vector<std::string> syllables_;
  std::atomic<uint32_t> count_;
  absl::Mutex mu_;
  std::unique_ptr<icu::Transliterator> translit_ ABSL_GUARDED_BY(mu_);
  bool translit_failed_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, uint16_t> ids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

bool HasPinyinCoverage(char32_t cp) { return cp >= kFirst && cp <= kLast; }

SyllableId PinyinOf(char32_t cp) { return PinyinCache::Get().Lookup(cp); }

std::string_view SyllableText(SyllableId id) {
  return PinyinCache::Get().Text(id);
}

void PrefetchPinyin(std::u32string_view text) { PinyinCache::Get().Fill(text); }

}  // namespace creditd
