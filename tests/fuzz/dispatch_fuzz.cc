// libFuzzer target: arbitrary (opcode, body) pairs through the dispatcher to
// every request handler, as an authenticated token holding every role
// (admin included), over a small real registry (Xapian on disk in a temp
// dir) and a real audit log. Writes are included.
//
// Input: up to 8 requests, each
//   selector: 1 byte. < 0xf0: row (selector % rows) of the command table;
//             >= 0xf0: the next 2 bytes (LE) are a raw opcode (unknown ones
//             too)
//   length:   2 bytes LE, the body length (cut to what is left)
//   body:     that many bytes
// Invariants (abort when broken): a success carries no error flag and does
// not close; an error always carries an ErrorReply whose code is
// the DispatchResult's and whose message is non-empty and free of control
// bytes (SafeMessage escapes them); only unauthenticated closes.
//
// Bounded: the world (registry, audit log, state) is rebuilt in a fresh temp
// dir every kRequestsPerWorld requests, so the store and the audit log do not
// grow without end over a long run.
#include "config/daemon_config.h"
#include "config/measures.h"
#include "daemon/command_table.h"
#include "daemon/dispatcher.h"
#include "daemon/protocol/creditd.pb.h"
#include "daemon/state.h"
#include "index/registry.h"

#include "spdlog/spdlog.h"
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace creditd {
namespace {

constexpr uint64_t kRequestsPerWorld = 4000;
constexpr char kToken[] = "fuzz-admin-token";

void Check(bool ok) {
  if (!ok) std::abort();
}

struct World {
  std::string dir;
  std::unique_ptr<RegistryHolder> holder;
  std::unique_ptr<DaemonState> state;
  std::unique_ptr<Dispatcher> dispatcher;
  SessionAuth admin;  // the session after a successful auth
  uint64_t requests = 0;

  ~World() {
    dispatcher.reset();
    state.reset();
    holder.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

DispatchResult Send(World& w, uint16_t opcode, std::string_view body,
                    SessionAuth& session) {
  RequestContext ctx;
  ctx.state = w.state.get();
  ctx.session = &session;
  ctx.request_id = ++w.requests;
  ctx.peer = "fuzz";
  protocol::FrameHeader h;
  h.opcode = opcode;
  h.request_id = ctx.request_id;
  h.body_length = static_cast<uint32_t>(body.size());
  return w.dispatcher->Dispatch(h, body, ctx);
}

DispatchResult Send(World& w, protocol::Opcode op,
                    const google::protobuf::Message& m) {
  return Send(w, static_cast<uint16_t>(op), m.SerializeAsString(), w.admin);
}

std::unique_ptr<World> NewWorld() {
  auto w = std::make_unique<World>();
  // On tmpfs when there is one: each write commits a flushed Xapian
  // transaction, and an fsync to a real disk would be most of the run.
  std::error_code ec;
  const std::filesystem::path base =
      std::filesystem::is_directory("/dev/shm", ec)
          ? std::filesystem::path("/dev/shm")
          : std::filesystem::temp_directory_path();
  std::string tmpl = (base / "dispatch_fuzz.XXXXXX").string();
  Check(mkdtemp(tmpl.data()) != nullptr);
  w->dir = tmpl;
  auto holder = RegistryHolder::Open(w->dir + "/data");
  Check(holder.ok());
  w->holder = std::move(*holder);
  DaemonConfig config;
  config.data_dir = w->dir + "/data";
  config.audit_dir = w->dir + "/audit";
  config.audit_rotate_bytes = 64 * 1024;  // rotations happen in a run
  config.max_batch = 16;
  config.tokens.push_back(
      {"fuzz", Authenticator::Sha256Hex(kToken),
       kRoleCheck | kRoleMatch | kRoleDups | kRoleWrite | kRoleAdmin, 1000000});
  auto measures = MeasuresList::BuiltinDefault();
  Check(measures.ok());
  w->state = std::make_unique<DaemonState>(
      w->holder.get(), config,
      std::make_shared<const MeasuresList>(std::move(*measures)));
  auto names = NameIndexSnapshot::Build(*w->state->snapshot());
  Check(names.ok());
  w->state->set_names(std::move(*names));
#ifdef CREDITD_HAVE_CHECK
  Check(w->state->StartCheckEngine().ok());
#endif
  w->dispatcher = std::make_unique<Dispatcher>(w->state.get());
  proto::AuthRequest auth;
  auth.set_token(kToken);
  Check(Send(*w, static_cast<uint16_t>(protocol::Opcode::kAuth),
             auth.SerializeAsString(), w->admin)
            .error == WireError::kOk);
  Check(w->admin.authenticated);

  // A few subjects and records, so lookups, checks and matches find
  // something: one company, one individual business with a legal rep, one
  // subject whose code is shared (a duplicate for the report).
  proto::UpsertSubjectsRequest up;
  const char* const codes[] = {"91350100M000100Y43", "92330100799655058B",
                               "91120222MA05JK1Q9P", "91120222MA05JK1Q9P"};
  const char* const names_[] = {"福州鑫盛达贸易有限公司", "杭州市张三小吃店",
                                "天津华信科技有限公司", "天津华信科技公司"};
  for (int i = 0; i < 4; ++i) {
    proto::Subject* s = up.add_subjects();
    s->set_id("s" + std::to_string(i));
    s->set_code(codes[i]);
    s->set_name(names_[i]);
    s->set_legal_rep("张三");
    s->set_region(std::string(codes[i]).substr(2, 6));
    s->set_status("active");
  }
  Check(Send(*w, protocol::Opcode::kUpsertSubjects, up).error ==
        WireError::kOk);
  proto::PutRecordsRequest pr;
  for (int i = 0; i < 3; ++i) {
    proto::Record* r = pr.add_records();
    r->set_id("r" + std::to_string(i));
    r->set_code(codes[i]);
    r->set_list(i == 0 ? "serious_illegal" : "abnormal_operation");
    r->set_name(names_[i]);
    r->set_detail("法定代表人张三，身份证号330102199001011234");
    r->set_decided_on("2024-01-0" + std::to_string(i + 1));
  }
  (void)Send(*w, protocol::Opcode::kPutRecords, pr);
  return w;
}

std::unique_ptr<World>& TheWorld() {
  static std::unique_ptr<World> world;
  // Denials and write events would flood the fuzzer's output.
  spdlog::set_level(spdlog::level::off);
  if (!world || world->requests >= kRequestsPerWorld) {
    world.reset();
    world = NewWorld();
  }
  return world;
}

void CheckResult(const DispatchResult& r) {
  if (r.error == WireError::kOk) {
    Check((r.flags & protocol::kFlagError) == 0);
    Check(!r.close_after);
    return;
  }
  Check((r.flags & protocol::kFlagError) != 0);
  proto::ErrorReply e;
  Check(e.ParseFromString(r.body));
  Check(e.code() == static_cast<uint32_t>(r.error));
  Check(!e.message().empty());
  for (const char c : e.message()) {
    const auto u = static_cast<unsigned char>(c);
    Check(u >= 0x20 && u != 0x7f);
  }
  if (r.close_after) Check(r.error == WireError::kUnauthenticated);
}

}  // namespace
}  // namespace creditd

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace creditd;
  std::unique_ptr<World>& w = TheWorld();
  const auto rows = CommandTable();
  size_t pos = 0;
  for (int n = 0; n < 8 && pos < size; ++n) {
    const uint8_t selector = data[pos++];
    uint16_t opcode = 0;
    if (selector < 0xf0) {
      opcode = static_cast<uint16_t>(rows[selector % rows.size()].opcode);
    } else {
      if (size - pos < 2) return 0;
      opcode = static_cast<uint16_t>(data[pos] | (data[pos + 1] << 8));
      pos += 2;
    }
    size_t length = 0;
    if (size - pos >= 2) {
      length = data[pos] | (data[pos + 1] << 8);
      pos += 2;
    }
    if (length > size - pos) length = size - pos;
    const std::string_view body(reinterpret_cast<const char*>(data + pos),
                                length);
    pos += length;
    // Every request runs as the admin session; an `auth` in the input may
    // change this copy only.
    SessionAuth session = w->admin;
    CheckResult(Send(*w, opcode, body, session));
  }
  return 0;
}
