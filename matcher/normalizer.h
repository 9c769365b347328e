// Name normalisation: the single place where a company name typed by a person
// becomes the canonical code-point string the rest of the matcher works on.
//
// Steps, in order (each explained in normalizer.cc):
//   1. bound the input (kMaxInputBytes) and validate UTF-8;
//   2. ICU NFKC: full-width letters, digits and brackets become narrow;
//   3. OpenCC t2s: traditional characters become simplified;
//   4. brackets unified to ASCII ( ), every other punctuation, symbol, space
//      and control character removed, case folded;
//   5. bound the output (kMaxCodePoints).
//
// Thread safety: a Normalizer is immutable after Create() and Normalize() may
// be called from any number of threads at once (ICU's Normalizer2 instances
// and OpenCC's converter are const after construction).
#ifndef CREDITD_MATCHER_NORMALIZER_H_
#define CREDITD_MATCHER_NORMALIZER_H_

#include "absl/status/statusor.h"
#include <unicode/uversion.h>

#include <memory>
#include <string>
#include <string_view>

namespace opencc {
class SimpleConverter;
}  // namespace opencc

U_NAMESPACE_BEGIN  // icu is an alias of a versioned namespace (icu_72)
    class Normalizer2;
U_NAMESPACE_END

namespace creditd {

class Normalizer {
 public:
  // Inputs longer than this are refused before any work is done. Real names
  // are under 100 characters; this leaves room for padding and punctuation.
  static constexpr size_t kMaxInputBytes = 1024;
  // Normalised names longer than this are refused.
  static constexpr size_t kMaxCodePoints = 256;

  // Loads OpenCC's t2s.json (from the system data directory) and ICU's NFKC
  // data. Internal if either is missing; OpenCC exceptions stop here.
  static absl::StatusOr<std::unique_ptr<const Normalizer>> Create();

  // A process-wide instance, created on first use. Returns the same error on
  // every call if creation failed.
  static absl::StatusOr<const Normalizer*> Shared();

  ~Normalizer();
  Normalizer(const Normalizer&) = delete;
  Normalizer& operator=(const Normalizer&) = delete;

  // Returns the normalised name as code points, e.g. "腾讯科技（深圳）有限公司"
  // -> U"腾讯科技(深圳)有限公司", "ＡＢＣ 貿易" -> U"abc贸易".
  // InvalidArgument, naming the reason:
  //   "name: 10000 bytes exceeds the limit of 1024 bytes"
  //   "name: invalid UTF-8 at byte 3"
  //   "name: empty after normalisation (only spaces or punctuation)"
  //   "name: 300 characters after normalisation exceeds the limit of 256"
  absl::StatusOr<std::u32string> Normalize(std::string_view name) const;

  // Normalize() as UTF-8.
  absl::StatusOr<std::string> NormalizeUtf8(std::string_view name) const;

 private:
  Normalizer(const icu::Normalizer2* nfkc,
             std::unique_ptr<opencc::SimpleConverter> t2s);

  const icu::Normalizer2* nfkc_;  // owned by ICU
  std::unique_ptr<opencc::SimpleConverter> t2s_;
};

}  // namespace creditd

#endif  // CREDITD_MATCHER_NORMALIZER_H_
