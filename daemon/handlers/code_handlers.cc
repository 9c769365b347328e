// validate, extract.
#include "daemon/error_codes.h"
#include "daemon/handlers/handlers.h"
#include "index/display.h"
#include "index/uscc.h"

#include "absl/strings/str_format.h"
#include "re2/re2.h"

namespace creditd::handlers {
namespace {

void Describe(std::string_view input, pb::CodeValidation* out) {
  const UsccResult v = ValidateUscc(input);
  out->set_input(EscapeForDisplay(input, 64));
  out->set_valid(v.ok());
  out->set_canonical(std::string(v.canonical()));
  if (!v.ok()) {
    out->set_fault(std::string(UsccFaultName(v.fault())));
    out->set_detail(v.Describe());
  }
  out->set_folds(FoldNames(v.folds()));
  out->set_warnings(WarningNames(v.warnings()));
  out->set_legacy_exception(v.known_legacy_exception());
}

}  // namespace

absl::StatusOr<pb::ValidateResponse> Validate(const pb::ValidateRequest& req,
                                              const RequestContext&) {
  pb::ValidateResponse r;
  for (const std::string& code : req.codes()) Describe(code, r.add_results());
  return r;
}

absl::StatusOr<pb::ExtractResponse> Extract(const pb::ExtractRequest& req,
                                            const RequestContext& ctx) {
  // Code-like tokens: 15-20 ASCII letters/digits standing alone (not inside a
  // longer alphanumeric run), so near-misses of 18 are found and reported by
  // the validator instead of silently skipped. RE2: linear time on any text.
  static const RE2* const kToken =
      new RE2("(?:^|[^0-9A-Za-z])([0-9A-Za-z]{15,20})(?:[^0-9A-Za-z]|$)");
  const auto cfg = ctx.state->config();
  const size_t max_tokens = static_cast<size_t>(cfg->max_batch);
  pb::ExtractResponse r;
  re2::StringPiece input(req.text().data(), req.text().size());
  const char* const base = req.text().data();
  re2::StringPiece token;
  while (RE2::FindAndConsume(&input, *kToken, &token)) {
    // The trailing delimiter was consumed; step back so that two tokens
    // separated by one character are both found.
    if (token.data() + token.size() < base + req.text().size()) {
      const char* next = token.data() + token.size();
      input = re2::StringPiece(next, base + req.text().size() - next);
    }
    if (static_cast<size_t>(r.codes_size()) >= max_tokens) {
      r.set_truncated(true);
      break;
    }
    pb::ExtractedCode* c = r.add_codes();
    const std::string_view tok(token.data(), token.size());
    c->set_token(EscapeForDisplay(tok, 64));
    c->set_offset(static_cast<uint32_t>(token.data() - base));
    Describe(tok, c->mutable_validation());
    if (req.check() && c->validation().valid()) {
      pb::CheckRequest check;
      check.set_code(c->validation().canonical());
      check.set_scenario(req.scenario());
      check.set_date(req.date());
      pb::CheckResponse cr;
      const absl::Status st = Check(check, ctx, &cr);
      if (st.ok()) {
        *c->mutable_check() = std::move(cr);
      } else {
        pb::ErrorReply* e = c->mutable_check_error();
        const WireError code = WireErrorFromStatus(st);
        e->set_code(static_cast<uint32_t>(code));
        e->set_name(std::string(WireErrorName(code)));
        e->set_message(SafeMessage(std::string(st.message())));
      }
    }
  }
  return r;
}

}  // namespace creditd::handlers
