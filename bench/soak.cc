// soak: a bounded soak run against a running creditd (issue 8 item 4).
// bench/soak.sh prepares the data, the daemon and its config and calls this
// tool; run it by hand only against a daemon you started for it (it rewrites
// the measures file and sends SIGHUP to --pid).
//
// What runs at the same time, for --seconds:
//   steady       --connections connections over --threads epoll threads,
//                --pipeline requests in flight each: 70% check (codes in the
//                registry), 10% check of valid codes not in it, 6% match of
//                typo variants, 5% batch_check of 20, 5% subject_lookup with
//                records, 3% validate of 10 codes, and 1% deliberately bad
//                requests that must get one exact error and keep the
//                connection open: unknown opcode (unknown_opcode), a body
//                that is not protobuf (bad_body), max_batch + 1 entries
//                (batch_too_large), an unknown scenario (invalid_argument).
//   slow         --slow-readers connections with a 4 KiB receive buffer that
//                pipeline --slow-burst checks in one write, read nothing
//                for --slow-pause-ms, then read --slow-read-bytes every 10
//                ms, so the daemon's replies queue up in its write path;
//                every reply must arrive, in order, and be right.
//   storms       every --storm-every s, --storm-size clients connect at once,
//                HELLO + AUTH + check + match + ping pipelined in one write;
//                1 in 10 uses --check-token (role check only) and must get
//                permission_denied for match; 1 in 5 resets the connection
//                (SO_LINGER 0) without reading its replies.
//   writes       one writer (C++ client): every --write-every-ms an
//                upsert_subjects of a new subject (bench/datagen, seed
//                --write-seed), put_records of its records, and every third
//                time a repair_record of an earlier record; each
//                acknowledged write is read back (subject_lookup) and the
//                written code is checked; data_version must rise.
//   reloads      every --reload-every s (or as soon as the previous reload
//                has logged event=reloaded, if that takes longer) the
//                measures file is rewritten with a new version and the
//                daemon gets SIGHUP; the new version must show in stats. Once,
//                at the first reload past the middle of the run, the file is
//                made invalid (unknown action): the daemon must log
//                event=reload_failed and keep the old version; then the file is
//                restored.
//   monitor      every --interval s: requests/s, p50/p99/max of the steady
//                requests that completed in the interval, the daemon's
//                connections (stats) and VmRSS (/proc/PID/status).
//
// Fails (exit 1) on: any error reply other than the expected ones above, a
// wrong reply, a connection the daemon closes or resets, a refused connect,
// new measures not in stats 15 s after SIGHUP or no event=reloaded 120 s
// after it, a bad measures file applied, the daemon process gone, connections
// still open 10 s after the load stops, or RSS growth beyond the bound: end RSS
// - RSS after the first (warm-up) interval > max(--rss-growth-mib MiB,
// --rss-growth-pct % of the warm-up RSS).
//
// Flags (required: --port, --token, --check-token, --pid, --log,
// --measures-file, --measures-template, --codes-file, --names-file):
//   --host H              daemon address (default 127.0.0.1)
//   --port P              daemon port
//   --token T             token with roles check, match, write, admin
//   --check-token T       token with role check only
//   --pid PID             daemon process (RSS, CPU time, SIGHUP, liveness)
//   --log F               daemon log (counts event=reloaded/reload_failed)
//   --measures-file F     the daemon's server.measures_file (rewritten)
//   --measures-template F a valid measures file to copy (its version line is
//                         replaced)
//   --codes-file F        subjects.jsonl of the loaded registry
//   --names-file F        name_variants.jsonl (kind "typo")
//   --seconds S           run time (default 180)
//   --interval S          report interval (default 10)
//   --connections N       steady connections (default 300)
//   --threads T           steady event-loop threads (default 2)
//   --pipeline P          requests in flight per steady connection (default 2)
//   --slow-readers N      (default 16)  --slow-burst B (default 512)
//   --slow-read-bytes N   bytes a slow reader reads per 10 ms (default 4096)
//   --slow-pause-ms M     no read for M ms after each burst (default 3000)
//   --storm-every S       (default 5)   --storm-size W (default 100)
//   --reload-every S      (default 5)
//   --write-every-ms M    (default 100) --write-seed S (default 77)
//   --rss-growth-pct P    (default 25)  --rss-growth-mib M (default 64)
//   --max-items N         codes / names read from the files (default 200000)
//   --seed S              (default 1)
#include "bench/datagen.h"
#include "bench/latency_histogram.h"
#include "client/client.h"
#include "daemon/protocol/creditd.pb.h"
#include "daemon/protocol/frame.h"
#include "daemon/protocol/frame_codec.h"
#include "index/subject.h"
#include "index/uscc.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

namespace proto = creditd::protocol;
namespace pb = creditd::proto;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "soak: %s\n", msg.c_str());
  std::exit(2);
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

using creditd::bench::Histogram;  // bench/latency_histogram.h

double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

// ---- failures: counted, the first few kept for the report ----
class Failures {
 public:
  void Add(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
    if (first_.size() < 25) {
      first_.push_back(what);
      std::fprintf(stderr, "soak: FAIL %s\n", what.c_str());
    }
  }
  uint64_t count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  std::vector<std::string> first() const {
    std::lock_guard<std::mutex> lock(mu_);
    return first_;
  }

 private:
  mutable std::mutex mu_;
  uint64_t count_ = 0;
  std::vector<std::string> first_;
};

Failures g_fail;
std::atomic<bool> g_stop{false};

// ---- options ----
struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string token, check_token;
  int pid = 0;
  std::string log, measures_file, measures_template, codes_file, names_file;
  double seconds = 180;
  double interval = 10;
  int connections = 300;
  int threads = 2;
  int pipeline = 2;
  int slow_readers = 16;
  int slow_burst = 512;
  int slow_read_bytes = 4096;
  int slow_pause_ms = 3000;
  double storm_every = 5;
  int storm_size = 100;
  double reload_every = 5;
  int write_every_ms = 100;
  uint64_t write_seed = 77;
  double rss_growth_pct = 25;
  double rss_growth_mib = 64;
  size_t max_items = 200000;
  uint64_t seed = 1;
};

Options ParseFlags(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) Die(f + ": missing value");
      return argv[++i];
    };
    auto num = [&]() { return std::stod(val()); };
    if (f == "--host")
      o.host = val();
    else if (f == "--port")
      o.port = static_cast<int>(num());
    else if (f == "--token")
      o.token = val();
    else if (f == "--check-token")
      o.check_token = val();
    else if (f == "--pid")
      o.pid = static_cast<int>(num());
    else if (f == "--log")
      o.log = val();
    else if (f == "--measures-file")
      o.measures_file = val();
    else if (f == "--measures-template")
      o.measures_template = val();
    else if (f == "--codes-file")
      o.codes_file = val();
    else if (f == "--names-file")
      o.names_file = val();
    else if (f == "--seconds")
      o.seconds = num();
    else if (f == "--interval")
      o.interval = num();
    else if (f == "--connections")
      o.connections = static_cast<int>(num());
    else if (f == "--threads")
      o.threads = static_cast<int>(num());
    else if (f == "--pipeline")
      o.pipeline = static_cast<int>(num());
    else if (f == "--slow-readers")
      o.slow_readers = static_cast<int>(num());
    else if (f == "--slow-burst")
      o.slow_burst = static_cast<int>(num());
    else if (f == "--slow-read-bytes") {
      o.slow_read_bytes = static_cast<int>(num());
    } else if (f == "--slow-pause-ms") {
      o.slow_pause_ms = static_cast<int>(num());
    } else if (f == "--storm-every")
      o.storm_every = num();
    else if (f == "--storm-size")
      o.storm_size = static_cast<int>(num());
    else if (f == "--reload-every")
      o.reload_every = num();
    else if (f == "--write-every-ms") {
      o.write_every_ms = static_cast<int>(num());
    } else if (f == "--write-seed")
      o.write_seed = std::stoull(val());
    else if (f == "--rss-growth-pct")
      o.rss_growth_pct = num();
    else if (f == "--rss-growth-mib")
      o.rss_growth_mib = num();
    else if (f == "--max-items")
      o.max_items = std::stoull(val());
    else if (f == "--seed")
      o.seed = std::stoull(val());
    else
      Die("unknown flag " + f + " (flags: top of bench/soak.cc)");
  }
  if (o.port <= 0 || o.token.empty() || o.check_token.empty() || o.pid <= 0 ||
      o.log.empty() || o.measures_file.empty() || o.measures_template.empty() ||
      o.codes_file.empty() || o.names_file.empty()) {
    Die("required: --port --token --check-token --pid --log --measures-file "
        "--measures-template --codes-file --names-file");
  }
  if (o.seconds <= 0 || o.interval <= 0 || o.connections < 1 || o.threads < 1 ||
      o.pipeline < 1 || o.slow_readers < 0 || o.slow_burst < 1 ||
      o.slow_read_bytes < 1 || o.storm_size < 0 || o.storm_every <= 0 ||
      o.reload_every <= 0 || o.write_every_ms < 1) {
    Die("a flag is out of range (see the top of bench/soak.cc)");
  }
  return o;
}

// ---- input files ----
// The value of "key":"..." in a JSON line (basic escapes; \uXXXX to UTF-8).
std::string JsonField(std::string_view line, std::string_view key) {
  std::string pat = "\"" + std::string(key) + "\":\"";
  size_t p = line.find(pat);
  if (p == std::string_view::npos) return "";
  std::string out;
  for (size_t i = p + pat.size(); i < line.size(); ++i) {
    char c = line[i];
    if (c == '"') return out;
    if (c != '\\' || i + 1 >= line.size()) {
      out += c;
      continue;
    }
    char n = line[++i];
    if (n == 'n') {
      out += '\n';
    } else if (n == 't') {
      out += '\t';
    } else if (n == 'u') {
      if (i + 4 >= line.size()) return out;
      unsigned cp = static_cast<unsigned>(std::strtoul(
          std::string(line.substr(i + 1, 4)).c_str(), nullptr, 16));
      i += 4;
      if (cp < 0x80) {
        out += static_cast<char>(cp);
      } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      }
    } else {
      out += n;
    }
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFileAtomically(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".soak-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << data;
    if (!out) Die("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    Die("rename " + tmp + ": " + std::strerror(errno));
  }
}

// ---- the daemon process ----
// VmRSS in KiB, or -1 when the process is gone.
int64_t RssKiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

// False when the process is gone or a zombie (it died and waits for its
// parent, bench/soak.sh).
bool Alive(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  const size_t p = stat.rfind(')');
  return p != std::string::npos && p + 2 < stat.size() && stat[p + 2] != 'Z';
}

// User + system CPU seconds of the process.
double CpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return 0;
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Lines of the daemon log that contain `needle`.
uint64_t CountInLog(const std::string& path, std::string_view needle) {
  std::ifstream in(path);
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    if (line.find(needle) != std::string::npos) ++n;
  }
  return n;
}

// ---- request catalogue ----
enum class Kind : uint8_t {
  kCheckHit,
  kCheckMiss,
  kMatch,
  kBatch,
  kLookup,
  kValidate,
  kBadOpcode,
  kBadBody,
  kBadBatch,
  kBadScenario,
  kCount,
};
constexpr int kKinds = static_cast<int>(Kind::kCount);
constexpr std::array<const char*, kKinds> kKindNames = {
    "check_hit", "check_miss",  "match_typo", "batch_check_20",
    "lookup",    "validate_10", "bad_opcode", "bad_body",
    "bad_batch", "bad_scenario"};
// Out of 1000, in Kind order.
constexpr std::array<int, kKinds> kMix = {700, 100, 60, 50, 50, 30, 3, 3, 1, 3};
// The one wire error each bad request must get (daemon/error_codes.h); 0 for
// the requests that must succeed.
constexpr std::array<uint32_t, kKinds> kExpectedError = {0, 0,  0,  0,  0,
                                                         0, 10, 11, 16, 12};
constexpr int kBatchEntries = 20;
constexpr uint16_t kUnknownOpcode = 999;

uint16_t Op(proto::Opcode op) { return static_cast<uint16_t>(op); }

struct Pool {
  uint16_t opcode = 0;
  std::vector<std::string> bodies;
};

struct Catalogue {
  std::array<Pool, kKinds> pools;
  std::vector<std::string> hit_codes;
};

std::string CheckBody(const std::string& code, const std::string& scenario) {
  pb::CheckRequest r;
  r.set_code(code);
  r.set_scenario(scenario);
  return r.SerializeAsString();
}

Catalogue BuildCatalogue(const Options& o, uint32_t max_batch) {
  Catalogue c;
  std::unordered_set<std::string> existing;
  {
    std::ifstream in(o.codes_file);
    if (!in) Die("cannot open " + o.codes_file);
    std::string line;
    while (std::getline(in, line)) {
      std::string code = JsonField(line, "code");
      if (code.empty()) continue;
      existing.insert(code);
      // Only codes that validate and are written canonically: a faulty one
      // answers invalid_code, which a hit must not.
      const creditd::UsccResult v = creditd::ValidateUscc(code);
      if (v.ok() && v.canonical() == code && c.hit_codes.size() < o.max_items) {
        c.hit_codes.push_back(code);
      }
    }
  }
  if (c.hit_codes.size() < 100)
    Die("fewer than 100 valid codes in --codes-file");
  // Misses: valid codes of another seed that the registry does not hold.
  std::vector<std::string> miss;
  {
    creditd::datagen::DatagenOptions g;
    g.seed = o.seed + 1000003;
    g.subjects = 20000;
    g.fault_rate = 0;
    g.variants = 0;
    g.records_per_subject = 0;
    creditd::datagen::DataGenerator gen(g);
    while (const auto* e = gen.Next()) {
      if (!e->has_subject) continue;
      const std::string& code = e->subject.code;
      if (creditd::ValidateUscc(code).ok() && !existing.contains(code)) {
        miss.push_back(code);
      }
    }
  }
  std::vector<std::string> names;
  {
    std::ifstream in(o.names_file);
    if (!in) Die("cannot open " + o.names_file);
    std::string line;
    while (names.size() < o.max_items && std::getline(in, line)) {
      if (JsonField(line, "kind") == "typo") {
        std::string q = JsonField(line, "query");
        if (!q.empty()) names.push_back(std::move(q));
      }
    }
  }
  if (names.empty()) Die("no typo variants in --names-file");
  std::mt19937_64 rng(o.seed);
  auto hit = [&]() -> const std::string& {
    return c.hit_codes[rng() % c.hit_codes.size()];
  };
  auto& p = c.pools;
  const size_t n = std::min<size_t>(c.hit_codes.size(), 50000);
  p[0].opcode = Op(proto::Opcode::kCheck);
  for (size_t i = 0; i < n; ++i) {
    p[0].bodies.push_back(CheckBody(c.hit_codes[i], "bidding"));
  }
  p[1].opcode = Op(proto::Opcode::kCheck);
  for (const auto& m : miss) p[1].bodies.push_back(CheckBody(m, "bidding"));
  p[2].opcode = Op(proto::Opcode::kMatch);
  for (const auto& q : names) {
    pb::MatchRequest m;
    m.set_name(q);
    m.set_top_k(10);
    p[2].bodies.push_back(m.SerializeAsString());
  }
  p[3].opcode = Op(proto::Opcode::kBatchCheck);
  p[4].opcode = Op(proto::Opcode::kSubjectLookup);
  p[5].opcode = Op(proto::Opcode::kValidate);
  for (int i = 0; i < 2000; ++i) {
    pb::BatchCheckRequest b;
    for (int j = 0; j < kBatchEntries; ++j) {
      auto* e = b.add_checks();
      e->set_code(hit());
      e->set_scenario("bidding");
    }
    p[3].bodies.push_back(b.SerializeAsString());
    pb::SubjectLookupRequest l;
    l.set_code(hit());
    l.set_with_records(true);
    p[4].bodies.push_back(l.SerializeAsString());
    pb::ValidateRequest v;
    for (int j = 0; j < 10; ++j) v.add_codes(hit());
    p[5].bodies.push_back(v.SerializeAsString());
  }
  p[6].opcode = kUnknownOpcode;
  p[6].bodies.push_back("");
  // Field 1 (length-delimited) claims 5 bytes and 2 follow: not a message.
  p[7].opcode = Op(proto::Opcode::kCheck);
  p[7].bodies.push_back(
      std::string("\x0a\x05"
                  "ab",
                  4));
  p[8].opcode = Op(proto::Opcode::kBatchCheck);
  {
    pb::BatchCheckRequest b;
    for (uint32_t j = 0; j <= max_batch; ++j) {
      auto* e = b.add_checks();
      e->set_code(hit());
      e->set_scenario("bidding");
    }
    p[8].bodies.push_back(b.SerializeAsString());
  }
  p[9].opcode = Op(proto::Opcode::kCheck);
  p[9].bodies.push_back(CheckBody(hit(), "soak_no_such_scenario"));
  return c;
}

bool HitIdentity(const std::string& identity) {
  return identity == "found" || identity == "duplicate_code";
}

// "" when the reply to a request of `kind` is what it must be; else why not.
std::string Verify(Kind kind, uint8_t flags, std::string_view body) {
  const uint32_t expected = kExpectedError[static_cast<int>(kind)];
  if (flags & proto::kFlagError) {
    pb::ErrorReply e;
    if (!e.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return "error reply that is not an ErrorReply";
    }
    if (e.code() == expected) return "";
    return "error " + std::to_string(e.code()) + " " + e.name() + ": " +
           e.message().substr(0, 200);
  }
  if (expected != 0) {
    return "success where error " + std::to_string(expected) + " was due";
  }
  auto parse = [&](google::protobuf::Message* m) {
    return m->ParseFromArray(body.data(), static_cast<int>(body.size()));
  };
  switch (kind) {
    case Kind::kCheckHit:
    case Kind::kCheckMiss: {
      pb::CheckResponse r;
      if (!parse(&r)) return "reply is not a CheckResponse";
      const bool ok = kind == Kind::kCheckHit ? HitIdentity(r.identity())
                                              : r.identity() == "unknown_code";
      if (!ok) return "code " + r.code() + ": identity " + r.identity();
      if (r.receipt().empty()) return "check without a receipt";
      if (r.measures_version().empty()) return "check without measures_version";
      return "";
    }
    case Kind::kMatch: {
      pb::MatchResponse r;
      if (!parse(&r)) return "reply is not a MatchResponse";
      if (r.data_version() == 0) return "match without data_version";
      return "";
    }
    case Kind::kBatch: {
      pb::BatchCheckResponse r;
      if (!parse(&r)) return "reply is not a BatchCheckResponse";
      if (r.entries_size() != kBatchEntries) {
        return "batch of " + std::to_string(kBatchEntries) + " answered " +
               std::to_string(r.entries_size()) + " entries";
      }
      for (const auto& e : r.entries()) {
        if (e.has_error()) return "batch entry error: " + e.error().message();
        if (!HitIdentity(e.result().identity())) {
          return "batch entry identity " + e.result().identity();
        }
      }
      return "";
    }
    case Kind::kLookup: {
      pb::SubjectLookupResponse r;
      if (!parse(&r)) return "reply is not a SubjectLookupResponse";
      if (r.subjects_size() == 0) return "lookup of a known code found none";
      return "";
    }
    case Kind::kValidate: {
      pb::ValidateResponse r;
      if (!parse(&r)) return "reply is not a ValidateResponse";
      if (r.results_size() != 10) return "validate of 10 answered otherwise";
      for (const auto& v : r.results()) {
        if (!v.valid()) return "valid code " + v.input() + " reported invalid";
      }
      return "";
    }
    default:
      return "unexpected kind";
  }
}

// ---- sockets ----
int ConnectSocket(const Options& o, int rcvbuf, std::string* error) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  if (rcvbuf > 0) {
    // Before connect, so the advertised window is small from the start.
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &a.sin_addr) != 1) Die("bad --host");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    *error = "connect " + o.host + ":" + std::to_string(o.port) + ": " +
             std::strerror(errno);
    ::close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Blocking read of one frame; false on EOF, error or a bad header.
bool ReadFrame(int fd, proto::FrameHeader* h, std::string* body,
               std::string* error) {
  std::array<std::byte, proto::kHeaderSize> hdr;
  auto read_exact = [&](char* out, size_t n) {
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd, out + got, n - got, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        *error = r == 0 ? "connection closed by the daemon"
                        : std::string("recv: ") + std::strerror(errno);
        return false;
      }
      got += static_cast<size_t>(r);
    }
    return true;
  };
  if (!read_exact(reinterpret_cast<char*>(hdr.data()), hdr.size())) {
    return false;
  }
  auto d = proto::DecodeFrameHeader(hdr, 1u << 30, "max_frame_bytes", true);
  if (d.state != proto::DecodeResult::State::kComplete) {
    *error = "bad reply header: " + d.reason;
    return false;
  }
  *h = d.header;
  body->resize(h->body_length);
  return read_exact(body->data(), body->size());
}

// Connects and authenticates (blocking); -1 with a failure recorded.
int ConnectAuthed(const Options& o, int rcvbuf, const char* who) {
  std::string error;
  int fd = ConnectSocket(o, rcvbuf, &error);
  if (fd < 0) {
    g_fail.Add(std::string(who) + ": " + error);
    return -1;
  }
  pb::AuthRequest auth;
  auth.set_token(o.token);
  proto::FrameHeader h;
  std::string body;
  if (!WriteAll(fd, proto::EncodeFrame(Op(proto::Opcode::kAuth), 1, 0,
                                       auth.SerializeAsString())) ||
      !ReadFrame(fd, &h, &body, &error) || (h.flags & proto::kFlagError)) {
    g_fail.Add(std::string(who) + ": auth failed " + error);
    ::close(fd);
    return -1;
  }
  return fd;
}

// Appends complete frames of `in` (from `*off`) to `out` as (header, body).
template <class F>
void ForEachFrame(std::string& in, size_t* off, F&& f) {
  for (;;) {
    std::span<const std::byte> avail(
        reinterpret_cast<const std::byte*>(in.data()) + *off, in.size() - *off);
    auto d = proto::DecodeFrameHeader(avail, 1u << 30, "max_frame_bytes", true);
    if (d.state == proto::DecodeResult::State::kNeedMore) break;
    if (d.state == proto::DecodeResult::State::kBad) {
      g_fail.Add("bad reply header: " + d.reason);
      *off = in.size();
      break;
    }
    const size_t total = proto::kHeaderSize + d.header.body_length;
    if (avail.size() < total) break;
    f(d.header, std::string_view(in.data() + *off + proto::kHeaderSize,
                                 d.header.body_length));
    *off += total;
  }
  if (*off == in.size()) {
    in.clear();
    *off = 0;
  } else if (*off > (1u << 20)) {
    in.erase(0, *off);
    *off = 0;
  }
}

// ---- intervals ----
struct IntervalClock {
  Clock::time_point start;
  double interval;
  size_t Of(Clock::time_point t) const {
    const double s = Seconds(t - start);
    return s <= 0 ? 0 : static_cast<size_t>(s / interval);
  }
};

// ---- steady load: one epoll loop per thread ----
class SteadyLoop {
 public:
  SteadyLoop(const Options& o, const Catalogue& cat, const IntervalClock& ic,
             size_t intervals, int nconn, uint64_t seed)
      : o_(o), cat_(cat), ic_(ic), rng_(seed), hist_(intervals + 2) {
    ep_ = epoll_create1(0);
    for (int i = 0; i < nconn; ++i) {
      int fd = ConnectAuthed(o, 0, "steady");
      if (fd < 0) continue;
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = c.get();
      epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
      conns_.push_back(std::move(c));
    }
  }
  ~SteadyLoop() {
    CloseAll();
    ::close(ep_);
  }

  // Closes every connection (after Run has returned).
  void CloseAll() {
    for (auto& c : conns_) {
      if (c->fd >= 0) ::close(c->fd);
      c->fd = -1;
    }
  }

  size_t connections() const { return conns_.size(); }

  // Sends until g_stop, then drains what is in flight (at most 10 s).
  void Run() {
    for (auto& c : conns_) Refill(*c);
    std::vector<epoll_event> evs(128);
    Clock::time_point drain_deadline{};
    for (;;) {
      if (g_stop.load(std::memory_order_relaxed)) {
        if (drain_deadline == Clock::time_point{}) {
          drain_deadline = Clock::now() + std::chrono::seconds(10);
        }
        if (InFlight() == 0) break;
        if (Clock::now() > drain_deadline) {
          g_fail.Add("steady: " + std::to_string(InFlight()) +
                     " replies missing 10 s after the load stopped");
          break;
        }
      }
      int n = epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), 100);
      for (int i = 0; i < n; ++i) {
        Conn& c = *static_cast<Conn*>(evs[i].data.ptr);
        if (c.fd < 0) continue;
        if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) OnReadable(c);
        if (c.fd >= 0 && (evs[i].events & EPOLLOUT)) Flush(c);
      }
    }
  }

  uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  uint64_t done_of(int k) const {
    return by_kind_[k].load(std::memory_order_relaxed);
  }
  // Merges the latencies of interval `i` into `out`.
  void MergeInterval(size_t i, Histogram* out) {
    std::lock_guard<std::mutex> lock(mu_);
    if (i < hist_.size()) out->Merge(hist_[i]);
  }

 private:
  struct Sent {
    uint64_t id;
    Kind kind;
    Clock::time_point t;
  };
  struct Conn {
    int fd = -1;
    uint64_t next_id = 2;
    std::vector<Sent> inflight;
    std::string out;
    size_t out_off = 0;
    std::string in;
    size_t in_off = 0;
  };

  size_t InFlight() const {
    size_t n = 0;
    for (const auto& c : conns_) {
      if (c->fd >= 0) n += c->inflight.size();
    }
    return n;
  }

  Kind Pick() {
    int r = static_cast<int>(rng_() % 1000);
    for (int k = 0; k < kKinds; ++k) {
      if (r < kMix[k]) return static_cast<Kind>(k);
      r -= kMix[k];
    }
    return Kind::kCheckHit;
  }

  void Refill(Conn& c) {
    if (g_stop.load(std::memory_order_relaxed)) return;
    const auto now = Clock::now();
    while (static_cast<int>(c.inflight.size()) < o_.pipeline) {
      const Kind k = Pick();
      const Pool& p = cat_.pools[static_cast<int>(k)];
      const std::string& body = p.bodies[rng_() % p.bodies.size()];
      proto::FrameHeader h;
      h.opcode = p.opcode;
      h.request_id = c.next_id++;
      h.body_length = static_cast<uint32_t>(body.size());
      proto::EncodeFrame(h, body, &c.out);
      c.inflight.push_back({h.request_id, k, now});
    }
    Flush(c);
  }

  void Flush(Conn& c) {
    while (c.out_off < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_off,
                         c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n <= 0) {
        Lost(c, std::string("send: ") + std::strerror(errno));
        return;
      }
      c.out_off += static_cast<size_t>(n);
    }
    const bool flushed = c.out_off == c.out.size();
    if (flushed) {
      c.out.clear();
      c.out_off = 0;
    }
    epoll_event ev{};
    ev.data.ptr = &c;
    ev.events = EPOLLIN | (flushed ? 0u : static_cast<uint32_t>(EPOLLOUT));
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void Lost(Conn& c, const std::string& why) {
    g_fail.Add("steady connection lost (" + why + ") with " +
               std::to_string(c.inflight.size()) + " requests in flight");
    epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    c.inflight.clear();
  }

  void OnReadable(Conn& c) {
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n <= 0) {
        Lost(c, n == 0 ? "closed by the daemon"
                       : std::string("recv: ") + std::strerror(errno));
        return;
      }
      c.in.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf) break;
    }
    const Clock::time_point now = Clock::now();
    const size_t interval = ic_.Of(now);
    ForEachFrame(c.in, &c.in_off,
                 [&](const proto::FrameHeader& h, std::string_view body) {
                   OnReply(c, h, body, now, interval);
                 });
    Refill(c);
  }

  void OnReply(Conn& c, const proto::FrameHeader& h, std::string_view body,
               Clock::time_point now, size_t interval) {
    auto it = std::find_if(c.inflight.begin(), c.inflight.end(),
                           [&](const Sent& s) { return s.id == h.request_id; });
    if (it == c.inflight.end()) {
      g_fail.Add("steady: reply to unknown request id " +
                 std::to_string(h.request_id));
      return;
    }
    const Sent s = *it;
    c.inflight.erase(it);
    const std::string bad = Verify(s.kind, h.flags, body);
    if (!bad.empty()) {
      g_fail.Add(std::string("steady ") + kKindNames[static_cast<int>(s.kind)] +
                 ": " + bad);
    }
    done_.fetch_add(1, std::memory_order_relaxed);
    by_kind_[static_cast<int>(s.kind)].fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu_);
    if (interval < hist_.size()) {
      hist_[interval].Record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.t)
              .count()));
    }
  }

  const Options& o_;
  const Catalogue& cat_;
  const IntervalClock& ic_;
  std::mt19937_64 rng_;
  int ep_ = -1;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::atomic<uint64_t> done_{0};
  std::array<std::atomic<uint64_t>, kKinds> by_kind_{};
  std::mutex mu_;
  std::vector<Histogram> hist_;  // per interval, guarded by mu_
};

// ---- slow readers ----
class SlowReaders {
 public:
  SlowReaders(const Options& o, const Catalogue& cat) : o_(o), cat_(cat) {}

  void Run() {
    // 4 KiB requested; the kernel doubles it for bookkeeping.
    for (int i = 0; i < o_.slow_readers; ++i) {
      int fd = ConnectAuthed(o_, 4096, "slow reader");
      if (fd < 0) continue;
      Conn c;
      c.fd = fd;
      conns_.push_back(std::move(c));
    }
    std::mt19937_64 rng(o_.seed + 7);
    std::vector<char> buf(static_cast<size_t>(o_.slow_read_bytes));
    Clock::time_point drain_deadline{};
    for (;;) {
      const bool stopping = g_stop.load(std::memory_order_relaxed);
      if (stopping && drain_deadline == Clock::time_point{}) {
        drain_deadline = Clock::now() + std::chrono::seconds(30);
      }
      size_t outstanding = 0;
      for (Conn& c : conns_) {
        if (c.fd < 0) continue;
        if (c.outstanding == 0 && !stopping) SendBurst(c, rng);
        // Not a byte read during the pause: the replies pile up behind the
        // small receive window, in the daemon's write path.
        if (c.outstanding > 0 && !stopping &&
            Clock::now() - c.burst_start <
                std::chrono::milliseconds(o_.slow_pause_ms)) {
          outstanding += c.outstanding;
          continue;
        }
        ssize_t n = ::recv(c.fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          g_fail.Add("slow reader: connection lost with " +
                     std::to_string(c.outstanding) + " replies due");
          ::close(c.fd);
          c.fd = -1;
          continue;
        }
        if (n > 0) {
          c.in.append(buf.data(), static_cast<size_t>(n));
          ForEachFrame(c.in, &c.in_off,
                       [&](const proto::FrameHeader& h, std::string_view b) {
                         const std::string bad =
                             Verify(Kind::kCheckHit, h.flags, b);
                         if (!bad.empty()) g_fail.Add("slow reader: " + bad);
                         if (h.request_id != c.next_expected++) {
                           g_fail.Add("slow reader: reply out of order");
                         }
                         --c.outstanding;
                         replies_.fetch_add(1, std::memory_order_relaxed);
                         reply_bytes_.fetch_add(proto::kHeaderSize + b.size(),
                                                std::memory_order_relaxed);
                       });
          if (c.outstanding == 0) {
            const double s = Seconds(Clock::now() - c.burst_start);
            std::lock_guard<std::mutex> lock(mu_);
            drain_.Record(static_cast<uint64_t>(s * 1e9));
            bursts_.fetch_add(1, std::memory_order_relaxed);
          }
        }
        outstanding += c.outstanding;
      }
      if (stopping && outstanding == 0) break;
      if (stopping && Clock::now() > drain_deadline) {
        g_fail.Add("slow readers: " + std::to_string(outstanding) +
                   " replies missing 30 s after the load stopped");
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (Conn& c : conns_) {
      if (c.fd >= 0) ::close(c.fd);
    }
  }

  size_t connections() const { return conns_.size(); }
  uint64_t replies() const { return replies_.load(); }
  uint64_t bursts() const { return bursts_.load(); }
  uint64_t reply_bytes() const { return reply_bytes_.load(); }
  Histogram drain() {
    std::lock_guard<std::mutex> lock(mu_);
    return drain_;
  }

 private:
  struct Conn {
    int fd = -1;
    uint64_t next_id = 2;
    uint64_t next_expected = 2;
    uint64_t outstanding = 0;
    Clock::time_point burst_start;
    std::string in;
    size_t in_off = 0;
  };

  void SendBurst(Conn& c, std::mt19937_64& rng) {
    std::string out;
    const Pool& p = cat_.pools[static_cast<int>(Kind::kCheckHit)];
    for (int i = 0; i < o_.slow_burst; ++i) {
      const std::string& body = p.bodies[rng() % p.bodies.size()];
      proto::FrameHeader h;
      h.opcode = p.opcode;
      h.request_id = c.next_id++;
      h.body_length = static_cast<uint32_t>(body.size());
      proto::EncodeFrame(h, body, &out);
    }
    c.burst_start = Clock::now();
    // Blocking send: the daemon keeps reading requests while its replies
    // wait in the write path, so this completes.
    if (!WriteAll(c.fd, out)) {
      g_fail.Add(std::string("slow reader: send: ") + std::strerror(errno));
      ::close(c.fd);
      c.fd = -1;
      return;
    }
    c.outstanding = static_cast<uint64_t>(o_.slow_burst);
  }

  const Options& o_;
  const Catalogue& cat_;
  std::vector<Conn> conns_;
  std::atomic<uint64_t> replies_{0}, bursts_{0}, reply_bytes_{0};
  std::mutex mu_;
  Histogram drain_;  // seconds to drain one burst, as ns; guarded by mu_
};

// ---- reconnect storms ----
class Storms {
 public:
  Storms(const Options& o, const Catalogue& cat) : o_(o), cat_(cat) {}

  void Run() {
    std::mt19937_64 rng(o_.seed + 11);
    auto next = Clock::now() + Dur(o_.storm_every / 2);
    while (!g_stop.load()) {
      if (Clock::now() < next) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      Wave(rng);
      next += Dur(o_.storm_every);
    }
  }

  uint64_t waves() const { return waves_.load(); }
  uint64_t clients() const { return clients_.load(); }
  uint64_t resets() const { return resets_.load(); }
  uint64_t denied() const { return denied_.load(); }
  double max_wave_seconds() const {
    std::lock_guard<std::mutex> lock(mu_);
    return max_wave_;
  }

 private:
  static Clock::duration Dur(double s) {
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(s));
  }

  void Wave(std::mt19937_64& rng) {
    const auto t0 = Clock::now();
    struct Client {
      int fd;
      bool check_only;
      bool reset;
    };
    std::vector<Client> wave;
    for (int i = 0; i < o_.storm_size; ++i) {
      std::string error;
      int fd = ConnectSocket(o_, 0, &error);
      if (fd < 0) {
        g_fail.Add("storm: " + error);
        continue;
      }
      timeval tv{15, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      wave.push_back({fd, i % 10 == 3, i % 5 == 4});
    }
    // Everything pipelined in one write per client, all clients first, so
    // the daemon holds the whole wave at once.
    const Pool& checks = cat_.pools[static_cast<int>(Kind::kCheckHit)];
    const Pool& matches = cat_.pools[static_cast<int>(Kind::kMatch)];
    for (Client& c : wave) {
      std::string out;
      pb::HelloRequest hello;
      hello.set_client("soak-storm");
      pb::AuthRequest auth;
      auth.set_token(c.check_only ? o_.check_token : o_.token);
      out += proto::EncodeFrame(Op(proto::Opcode::kHello), 1, 0,
                                hello.SerializeAsString());
      out += proto::EncodeFrame(Op(proto::Opcode::kAuth), 2, 0,
                                auth.SerializeAsString());
      out += proto::EncodeFrame(Op(proto::Opcode::kCheck), 3, 0,
                                checks.bodies[rng() % checks.bodies.size()]);
      out += proto::EncodeFrame(Op(proto::Opcode::kMatch), 4, 0,
                                matches.bodies[rng() % matches.bodies.size()]);
      out += proto::EncodeFrame(Op(proto::Opcode::kPing), 5, 0, "");
      if (!WriteAll(c.fd, out)) {
        g_fail.Add(std::string("storm: send: ") + std::strerror(errno));
        ::close(c.fd);
        c.fd = -1;
      }
    }
    for (Client& c : wave) {
      if (c.fd < 0) continue;
      clients_.fetch_add(1);
      if (c.reset) {
        // Abortive close: the daemon's replies meet a reset.
        linger l{1, 0};
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        ::close(c.fd);
        resets_.fetch_add(1);
        continue;
      }
      for (uint64_t id = 1; id <= 5; ++id) {
        proto::FrameHeader h;
        std::string body, error;
        if (!ReadFrame(c.fd, &h, &body, &error)) {
          g_fail.Add("storm: reply " + std::to_string(id) + ": " + error);
          break;
        }
        if (h.request_id != id) {
          g_fail.Add("storm: reply id " + std::to_string(h.request_id) +
                     ", want " + std::to_string(id));
          break;
        }
        std::string bad;
        if (id == 4 && c.check_only) {
          // match needs role match: permission_denied (15), and the
          // connection stays open for the ping.
          pb::ErrorReply e;
          e.ParseFromString(body);
          if (!(h.flags & proto::kFlagError) || e.code() != 15) {
            bad = "match with a check-only token was not permission_denied";
          } else {
            denied_.fetch_add(1);
          }
        } else if (h.flags & proto::kFlagError) {
          pb::ErrorReply e;
          e.ParseFromString(body);
          bad = "error " + e.name() + ": " + e.message();
        } else if (id == 3) {
          bad = Verify(Kind::kCheckHit, h.flags, body);
        } else if (id == 4) {
          bad = Verify(Kind::kMatch, h.flags, body);
        }
        if (!bad.empty())
          g_fail.Add("storm request " + std::to_string(id) + ": " + bad);
      }
      ::close(c.fd);
    }
    waves_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    max_wave_ = std::max(max_wave_, Seconds(Clock::now() - t0));
  }

  const Options& o_;
  const Catalogue& cat_;
  std::atomic<uint64_t> waves_{0}, clients_{0}, resets_{0}, denied_{0};
  mutable std::mutex mu_;
  double max_wave_ = 0;
};

// ---- live writes ----
class Writer {
 public:
  explicit Writer(const Options& o) : o_(o) {}

  void Run() {
    creditd::ClientOptions co;
    co.endpoints = {o_.host + ":" + std::to_string(o_.port)};
    co.token = o_.token;
    co.client_name = "soak-writer";
    auto client = creditd::Client::Connect(co);
    if (!client.ok()) {
      g_fail.Add("writer: " + std::string(client.status().message()));
      return;
    }
    creditd::Client& cl = **client;
    creditd::datagen::DatagenOptions g;
    g.seed = o_.write_seed;
    g.subjects = 10000000;
    g.fault_rate = 0;
    g.variants = 0;
    g.id_share = 1.0;
    g.records_per_subject = 1.5;
    creditd::datagen::DataGenerator gen(g);
    // A run tag keeps ids apart from earlier runs on the same store.
    const std::string tag =
        "soak" +
        std::to_string(static_cast<uint64_t>(
            std::chrono::system_clock::now().time_since_epoch() /
            std::chrono::seconds(1))) +
        "-";
    uint64_t last_version = 0;
    std::vector<std::pair<std::string, std::string>> records;  // id, code
    auto next = Clock::now();
    while (!g_stop.load()) {
      if (Clock::now() < next) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      next += std::chrono::milliseconds(o_.write_every_ms);
      const auto* e = gen.Next();
      if (e == nullptr || !e->has_subject) continue;
      pb::UpsertSubjectsRequest up;
      pb::Subject* s = up.add_subjects();
      ToProto(e->subject, tag, s);
      if (!Write("upsert_subjects",
                 Timed([&] { return cl.UpsertSubjects(up); }), &last_version)) {
        continue;
      }
      ++upserts_;
      // Read it back: exactly this subject, by id.
      pb::SubjectLookupRequest by_id;
      by_id.set_id(s->id());
      auto got = cl.SubjectLookup(by_id);
      if (!got.ok() || got->subjects_size() != 1 ||
          got->subjects(0).name() != s->name() ||
          got->subjects(0).code() != s->code()) {
        g_fail.Add("writer: acknowledged subject " + s->id() +
                   " not read back: " +
                   (got.ok() ? std::to_string(got->subjects_size()) + " found"
                             : std::string(got.status().message())));
      }
      // And a check of its code sees it.
      pb::CheckRequest chk;
      chk.set_code(s->code());
      chk.set_scenario("bidding");
      auto checked = cl.Check(chk);
      if (!checked.ok() || !HitIdentity(checked->identity())) {
        g_fail.Add("writer: check of written code " + s->code() + ": " +
                   (checked.ok() ? checked->identity()
                                 : std::string(checked.status().message())));
      }
      if (!e->records.empty()) {
        pb::PutRecordsRequest put;
        for (const creditd::Record& r : e->records) {
          ToProto(r, tag, put.add_records());
        }
        if (Write("put_records", Timed([&] { return cl.PutRecords(put); }),
                  &last_version)) {
          ++record_puts_;
          for (const auto& r : put.records()) {
            records.emplace_back(r.id(), r.code());
          }
          ExpectRecords(cl, put.records(0).code(), put);
        }
      }
      if (upserts_ % 3 == 0 && !records.empty()) {
        const auto [id, code] = records[repair_cursor_++ % records.size()];
        pb::RepairRecordRequest rep;
        rep.set_record_id(id);
        rep.set_repaired_on(repaired_on_[repairs_ % 2]);
        if (Write("repair_record", Timed([&] { return cl.RepairRecord(rep); }),
                  &last_version)) {
          ++repairs_;
          pb::SubjectLookupRequest l;
          l.set_code(code);
          l.set_with_records(true);
          auto back = cl.SubjectLookup(l);
          bool seen = false;
          if (back.ok()) {
            for (const auto& r : back->records()) {
              seen |= r.id() == id && r.repaired_on() == rep.repaired_on();
            }
          }
          if (!seen) {
            g_fail.Add("writer: acknowledged repair of " + id +
                       " not read back");
          }
        }
      }
    }
  }

  uint64_t upserts() const { return upserts_.load(); }
  uint64_t record_puts() const { return record_puts_.load(); }
  uint64_t repairs() const { return repairs_.load(); }
  Histogram latency() {
    std::lock_guard<std::mutex> lock(mu_);
    return latency_;
  }

 private:
  static void ToProto(const creditd::Subject& s, const std::string& tag,
                      pb::Subject* out) {
    out->set_id(tag + s.id);
    out->set_code(s.code);
    out->set_name(s.name);
    for (const auto& f : s.former_names) out->add_former_names(f);
    out->set_legal_rep(s.legal_rep);
    out->set_region(s.region);
    out->set_status(std::string(creditd::SubjectStatusName(s.status)));
    out->set_registered_on(creditd::FormatDate(s.registered_on));
    out->set_org_code(s.org_code);
    out->set_reg_no(s.reg_no);
    out->set_source("soak");
  }
  static void ToProto(const creditd::Record& r, const std::string& tag,
                      pb::Record* out) {
    out->set_id(tag + r.id);
    out->set_code(r.code);
    out->set_list(r.list);
    out->set_name(r.name);
    out->set_authority(r.authority);
    out->set_basis(r.basis);
    out->set_doc_no(r.doc_no);
    out->set_detail(r.detail);
    out->set_decided_on(creditd::FormatDate(r.decided_on));
    out->set_valid_from(creditd::FormatDate(r.valid_from));
    out->set_valid_until(creditd::FormatDate(r.valid_until));
    out->set_repaired_on(creditd::FormatDate(r.repaired_on));
    out->set_disputed(r.disputed);
    out->set_source("soak");
  }

  // Runs one write call and records its round trip (the reply comes after
  // the Xapian commit, so this is the write's durable latency).
  template <class F>
  absl::StatusOr<pb::WriteResponse> Timed(F&& call) {
    const auto t0 = Clock::now();
    absl::StatusOr<pb::WriteResponse> r = call();
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0)
            .count();
    std::lock_guard<std::mutex> lock(mu_);
    latency_.Record(static_cast<uint64_t>(ns));
    return r;
  }

  // Checks an acknowledged write: OK and a data_version above the last one
  // (this is the only writer).
  bool Write(const char* what, const absl::StatusOr<pb::WriteResponse>& r,
             uint64_t* last_version) {
    if (!r.ok()) {
      g_fail.Add(std::string("writer: ") + what + ": " + r.status().ToString());
      return false;
    }
    if (r->data_version() <= *last_version) {
      g_fail.Add(std::string("writer: ") + what + ": data_version " +
                 std::to_string(r->data_version()) + " after " +
                 std::to_string(*last_version));
    }
    *last_version = r->data_version();
    return true;
  }

  void ExpectRecords(creditd::Client& cl, const std::string& code,
                     const pb::PutRecordsRequest& put) {
    pb::SubjectLookupRequest l;
    l.set_code(code);
    l.set_with_records(true);
    auto back = cl.SubjectLookup(l);
    if (!back.ok()) {
      g_fail.Add("writer: lookup after put_records: " +
                 std::string(back.status().message()));
      return;
    }
    for (const auto& want : put.records()) {
      if (want.code() != code) continue;
      bool seen = false;
      for (const auto& r : back->records()) seen |= r.id() == want.id();
      if (!seen) {
        g_fail.Add("writer: acknowledged record " + want.id() +
                   " not read back");
      }
    }
  }

  const Options& o_;
  std::atomic<uint64_t> upserts_{0}, record_puts_{0}, repairs_{0};
  size_t repair_cursor_ = 0;
  const std::array<std::string, 2> repaired_on_ = {"2024-06-01", "2024-06-15"};
  std::mutex mu_;
  Histogram latency_;  // guarded by mu_
};

// ---- config reloads ----
class Reloader {
 public:
  explicit Reloader(const Options& o)
      : o_(o), template_(ReadFile(o.measures_template)) {
    if (template_.find("\nversion = \"") == std::string::npos &&
        template_.rfind("version = \"", 0) != 0) {
      Die("--measures-template has no version = \"...\" line");
    }
  }

  void Run() {
    creditd::ClientOptions co;
    co.endpoints = {o_.host + ":" + std::to_string(o_.port)};
    co.token = o_.token;
    co.client_name = "soak-reloader";
    auto client = creditd::Client::Connect(co);
    if (!client.ok()) {
      g_fail.Add("reloader: " + std::string(client.status().message()));
      return;
    }
    creditd::Client& cl = **client;
    const auto start = Clock::now();
    // The bad file goes in at the first reload past the middle of the run
    // (reloads can take tens of seconds each, so not by count).
    const auto bad_after = start + Dur(o_.seconds / 2);
    auto next = start + Dur(o_.reload_every);
    while (!g_stop.load()) {
      if (Clock::now() < next) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      next += Dur(o_.reload_every);
      ++n_;
      if (!bad_done_ && Clock::now() >= bad_after) {
        BadReload(cl);
        bad_done_ = true;
      }
      GoodReload(cl);
    }
  }

  int reloads() const { return reloads_.load(); }
  bool bad_done() const { return bad_done_.load(); }
  double max_in_force_seconds() const { return max_in_force_.load(); }
  double max_apply_seconds() const { return max_apply_.load(); }

 private:
  static Clock::duration Dur(double s) {
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(s));
  }

  std::string WithVersion(const std::string& version) const {
    std::string out = template_;
    size_t p =
        out.rfind("version = \"", 0) == 0 ? 0 : out.find("\nversion = \"") + 1;
    size_t end = out.find('\n', p);
    out.replace(p, end - p, "version = \"" + version + "\"");
    return out;
  }

  std::string MeasuresVersion(creditd::Client& cl) {
    auto s = cl.Stats();
    if (!s.ok()) {
      g_fail.Add("reloader: stats: " + std::string(s.status().message()));
      return "";
    }
    return s->measures_version();
  }

  void Signal() {
    if (::kill(o_.pid, SIGHUP) != 0) {
      g_fail.Add(std::string("reloader: kill -HUP: ") + std::strerror(errno));
    }
  }

  void GoodReload(creditd::Client& cl) {
    const std::string version = "soak-" + std::to_string(n_);
    WriteFileAtomically(o_.measures_file, WithVersion(version));
    const auto t0 = Clock::now();
    Signal();
    while (MeasuresVersion(cl) != version) {
      if (Clock::now() - t0 > std::chrono::seconds(15)) {
        g_fail.Add("reload " + std::to_string(n_) + ": measures version " +
                   version + " not in force 15 s after SIGHUP");
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    current_ = version;
    const double in_force = Seconds(Clock::now() - t0);
    // The new measures are in force before the daemon rebuilds its name
    // index; event=reloaded is logged after that. Wait for it, so that the
    // bad reload below counts only its own log lines.
    while (CountInLog(o_.log, "event=reloaded") < good_ + 1) {
      // Generous: the name index rebuild takes tens of seconds at 200k
      // subjects on a loaded machine (docs/reliability.md, "Soak").
      if (Clock::now() - t0 > std::chrono::seconds(120)) {
        g_fail.Add("reload " + std::to_string(n_) +
                   ": no event=reloaded 120 s after SIGHUP");
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ++good_;
    reloads_.fetch_add(1);
    const double done = Seconds(Clock::now() - t0);
    if (in_force > max_in_force_.load()) max_in_force_.store(in_force);
    if (done > max_apply_.load()) max_apply_.store(done);
  }

  // A measures file with an unknown action: the daemon must refuse it, say
  // so in its log, and keep the version in force.
  void BadReload(creditd::Client& cl) {
    const uint64_t failed_before = CountInLog(o_.log, "event=reload_failed");
    const uint64_t reloaded_before = CountInLog(o_.log, "event=reloaded");
    WriteFileAtomically(o_.measures_file,
                        WithVersion("soak-bad") +
                            "\n[[measure]]\nlist = \"serious_dishonesty\"\n"
                            "scenario = \"bidding\"\naction = \"explode\"\n"
                            "basis = \"soak\"\nwording = \"soak\"\n");
    const auto t0 = Clock::now();
    Signal();
    while (CountInLog(o_.log, "event=reload_failed") == failed_before) {
      if (Clock::now() - t0 > std::chrono::seconds(15)) {
        g_fail.Add(
            "bad measures file: no event=reload_failed 15 s after "
            "SIGHUP");
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const std::string v = MeasuresVersion(cl);
    if (v != current_) {
      g_fail.Add("bad measures file: version in force is '" + v +
                 "', want the old '" + current_ + "'");
    }
    if (CountInLog(o_.log, "event=reloaded") != reloaded_before) {
      g_fail.Add("bad measures file: the daemon logged event=reloaded");
    }
    std::printf(
        "reload: bad measures file refused in %.2f s, version '%s' "
        "kept\n",
        Seconds(Clock::now() - t0), v.c_str());
    std::fflush(stdout);
  }

  const Options& o_;
  const std::string template_;
  int n_ = 0;
  std::atomic<bool> bad_done_{false};
  std::string current_;
  uint64_t good_ = 0;  // event=reloaded lines expected so far
  std::atomic<int> reloads_{0};
  std::atomic<double> max_in_force_{0}, max_apply_{0};
};

// ---- the run ----
struct Row {
  double t;
  double rps;
  uint64_t p50, p99, max;
  int64_t connections;
  int64_t rss_kib;
};

int Main(int argc, char** argv) {
  const Options o = ParseFlags(argc, argv);
  if (!Alive(o.pid)) Die("--pid " + std::to_string(o.pid) + " is not running");

  // The monitor's own connection: HELLO gives max_batch; stats each interval.
  creditd::ClientOptions co;
  co.endpoints = {o.host + ":" + std::to_string(o.port)};
  co.token = o.token;
  co.client_name = "soak-monitor";
  auto monitor = creditd::Client::Connect(co);
  if (!monitor.ok()) Die(std::string(monitor.status().message()));
  const uint32_t max_batch = (*monitor)->hello().max_batch();

  const Catalogue cat = BuildCatalogue(o, max_batch);
  std::printf(
      "soak: %zu hit codes, %zu miss codes, %zu typo queries; "
      "max_batch %u\n",
      cat.hit_codes.size(), cat.pools[1].bodies.size(),
      cat.pools[2].bodies.size(), max_batch);

  const int64_t rss_start = RssKiB(o.pid);
  const double cpu_start = CpuSeconds(o.pid);
  const size_t intervals =
      static_cast<size_t>(std::ceil(o.seconds / o.interval));
  IntervalClock ic{Clock::now() + std::chrono::hours(24), o.interval};

  std::vector<std::unique_ptr<SteadyLoop>> loops;
  for (int t = 0; t < o.threads; ++t) {
    const int n =
        o.connections / o.threads + (t < o.connections % o.threads ? 1 : 0);
    loops.push_back(std::make_unique<SteadyLoop>(o, cat, ic, intervals, n,
                                                 o.seed * 31 + t));
  }
  size_t steady = 0;
  for (auto& l : loops) steady += l->connections();
  if (steady == 0) Die("no steady connection could be opened");

  SlowReaders slow(o, cat);
  Storms storms(o, cat);
  Writer writer(o);
  Reloader reloader(o);

  ic.start = Clock::now();
  const auto start = ic.start;
  std::vector<std::thread> threads;
  for (auto& l : loops) threads.emplace_back([&l]() { l->Run(); });
  threads.emplace_back([&]() { slow.Run(); });
  threads.emplace_back([&]() { storms.Run(); });
  threads.emplace_back([&]() { writer.Run(); });
  threads.emplace_back([&]() { reloader.Run(); });

  std::printf(
      "soak: %zu steady connections (pipeline %d) on %d threads, %d "
      "slow readers, storms of %d every %.0f s, SIGHUP every %.0f s, "
      "a write every %d ms; %.0f s\n",
      steady, o.pipeline, o.threads, o.slow_readers, o.storm_size,
      o.storm_every, o.reload_every, o.write_every_ms, o.seconds);
  std::printf("%8s %10s %9s %9s %9s %6s %9s %6s\n", "t(s)", "req/s", "p50(ms)",
              "p99(ms)", "max(ms)", "conns", "RSS(MiB)", "fails");
  std::fflush(stdout);

  std::vector<Row> rows;
  int64_t rss_warm = -1, rss_peak = rss_start;
  bool died = false;
  for (size_t i = 0; i < intervals; ++i) {
    const auto end = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(
                                     o.interval * static_cast<double>(i + 1)));
    while (Clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!Alive(o.pid)) {
        died = true;
        break;
      }
    }
    if (died) {
      g_fail.Add("daemon process " + std::to_string(o.pid) + " is gone");
      break;
    }
    Histogram h;
    // Replies stamped in interval i are complete once its end has passed.
    // Throughput comes from the same stamps, not from when this loop gets
    // here: the stats call below waits for the daemon too, so a row after a
    // stall can be printed late.
    for (auto& l : loops) l->MergeInterval(i, &h);
    Row r{};
    r.t = o.interval * static_cast<double>(i + 1);
    r.rps = static_cast<double>(h.total()) / o.interval;
    r.p50 = h.Quantile(0.50);
    r.p99 = h.Quantile(0.99);
    r.max = h.max();
    auto st = (*monitor)->Stats();
    r.connections = st.ok() ? static_cast<int64_t>(st->connections()) : -1;
    if (!st.ok()) g_fail.Add("monitor: stats: " + st.status().ToString());
    r.rss_kib = RssKiB(o.pid);
    rss_peak = std::max(rss_peak, r.rss_kib);
    if (i == 0) rss_warm = r.rss_kib;
    rows.push_back(r);
    std::printf("%8.0f %10.0f %9.2f %9.2f %9.2f %6lld %9.1f %6llu\n", r.t,
                r.rps, Ms(r.p50), Ms(r.p99), Ms(r.max),
                static_cast<long long>(r.connections),
                static_cast<double>(r.rss_kib) / 1024,
                static_cast<unsigned long long>(g_fail.count()));
    std::fflush(stdout);
  }
  const double wall = Seconds(Clock::now() - start);
  const int64_t rss_end_loaded = died ? -1 : RssKiB(o.pid);
  const double cpu_end = CpuSeconds(o.pid);
  g_stop.store(true);
  for (auto& t : threads) t.join();
  for (auto& l : loops) l->CloseAll();

  // Every connection of the run is closed: the daemon must let go of them
  // (the monitor's own stays).
  int64_t left = -1;
  if (!died) {
    const auto t0 = Clock::now();
    for (;;) {
      auto st = (*monitor)->Stats();
      left = st.ok() ? static_cast<int64_t>(st->connections()) : -1;
      if (left == 1 || Clock::now() - t0 > std::chrono::seconds(10)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (left != 1) {
      g_fail.Add("daemon still counts " + std::to_string(left) +
                 " connections 10 s after the load stopped (want 1)");
    }
  }
  const int64_t rss_end = died ? -1 : RssKiB(o.pid);
  if (!died && !Alive(o.pid)) g_fail.Add("daemon process is gone at the end");

  // ---- report ----
  uint64_t total = 0;
  std::array<uint64_t, kKinds> by_kind{};
  for (auto& l : loops) {
    total += l->done();
    for (int k = 0; k < kKinds; ++k) by_kind[k] += l->done_of(k);
  }
  Histogram all;
  for (size_t i = 0; i <= intervals; ++i) {
    for (auto& l : loops) l->MergeInterval(i, &all);
  }
  uint64_t worst_p99 = 0;
  for (const Row& r : rows) worst_p99 = std::max(worst_p99, r.p99);
  const double bound_kib =
      std::max(o.rss_growth_mib * 1024.0,
               static_cast<double>(rss_warm) * o.rss_growth_pct / 100.0);
  const double growth_kib = static_cast<double>(rss_end - rss_warm);
  const bool rss_ok = rss_warm > 0 && rss_end > 0 && growth_kib <= bound_kib;
  if (rss_warm > 0 && rss_end > 0 && !rss_ok) {
    g_fail.Add("RSS grew by " + std::to_string(growth_kib / 1024) +
               " MiB after warm-up, bound " + std::to_string(bound_kib / 1024) +
               " MiB");
  }
  uint64_t expected_errors = 0;
  for (int k = 0; k < kKinds; ++k) {
    if (kExpectedError[k] != 0) expected_errors += by_kind[k];
  }
  const Histogram drain = slow.drain();

  std::printf("\n== soak report\n");
  std::printf("duration            %.1f s (%zu intervals of %.0f s)\n", wall,
              rows.size(), o.interval);
  std::printf(
      "steady requests     %llu, %.0f req/s over %zu connections "
      "(pipeline %d)\n",
      static_cast<unsigned long long>(total), static_cast<double>(total) / wall,
      steady, o.pipeline);
  std::printf("  by kind          ");
  for (int k = 0; k < kKinds; ++k) {
    std::printf(" %s=%llu", kKindNames[k],
                static_cast<unsigned long long>(by_kind[k]));
  }
  std::printf(
      "\n  latency          p50 %.2f ms, p99 %.2f ms, p999 %.2f ms, "
      "max %.2f ms; worst interval p99 %.2f ms\n",
      Ms(all.Quantile(0.5)), Ms(all.Quantile(0.99)), Ms(all.Quantile(0.999)),
      Ms(all.max()), Ms(worst_p99));
  std::printf(
      "  expected errors   %llu (unknown_opcode, bad_body, "
      "batch_too_large, invalid_argument), each with the right code\n",
      static_cast<unsigned long long>(expected_errors));
  std::printf(
      "slow readers        %zu connections, %llu bursts of %d "
      "checks (%.0f KiB of replies each) drained in p50 %.2f s, max "
      "%.2f s; %llu replies\n",
      slow.connections(), static_cast<unsigned long long>(slow.bursts()),
      o.slow_burst,
      slow.replies()
          ? static_cast<double>(slow.reply_bytes()) /
                static_cast<double>(slow.replies()) * o.slow_burst / 1024
          : 0.0,
      Ms(drain.Quantile(0.5)) / 1000, Ms(drain.max()) / 1000,
      static_cast<unsigned long long>(slow.replies()));
  std::printf(
      "reconnect storms    %llu waves, %llu clients (%llu reset "
      "without reading, %llu permission_denied as due); slowest "
      "wave %.2f s\n",
      static_cast<unsigned long long>(storms.waves()),
      static_cast<unsigned long long>(storms.clients()),
      static_cast<unsigned long long>(storms.resets()),
      static_cast<unsigned long long>(storms.denied()),
      storms.max_wave_seconds());
  const Histogram wl = writer.latency();
  std::printf(
      "live writes         %llu upserts, %llu put_records, %llu "
      "repairs, each read back; write p50 %.2f ms, p99 %.2f ms, "
      "max %.2f ms\n",
      static_cast<unsigned long long>(writer.upserts()),
      static_cast<unsigned long long>(writer.record_puts()),
      static_cast<unsigned long long>(writer.repairs()), Ms(wl.Quantile(0.5)),
      Ms(wl.Quantile(0.99)), Ms(wl.max()));
  std::printf(
      "reloads             %d applied (slowest: %.2f s from SIGHUP to the "
      "new measures in stats, %.2f s to event=reloaded), bad measures file "
      "refused: %s\n",
      reloader.reloads(), reloader.max_in_force_seconds(),
      reloader.max_apply_seconds(),
      reloader.bad_done() ? "yes" : "not reached");
  if (!reloader.bad_done()) {
    g_fail.Add("the bad-measures reload was not reached (run longer)");
  }
  std::printf(
      "daemon CPU          %.1f s user+sys over the run (%.0f us per "
      "steady request)\n",
      cpu_end - cpu_start,
      total ? (cpu_end - cpu_start) * 1e6 / static_cast<double>(total) : 0.0);
  std::printf(
      "daemon RSS          start %.1f MiB, after warm-up %.1f MiB, "
      "peak %.1f MiB, end of load %.1f MiB, end %.1f MiB; growth "
      "%+.1f MiB, bound %.1f MiB (max(%.0f MiB, %.0f%%)): %s\n",
      static_cast<double>(rss_start) / 1024,
      static_cast<double>(rss_warm) / 1024,
      static_cast<double>(rss_peak) / 1024,
      static_cast<double>(rss_end_loaded) / 1024,
      static_cast<double>(rss_end) / 1024, growth_kib / 1024, bound_kib / 1024,
      o.rss_growth_mib, o.rss_growth_pct, rss_ok ? "ok" : "EXCEEDED");
  std::printf("connections at end  %lld (the monitor's own)\n",
              static_cast<long long>(left));
  const uint64_t fails = g_fail.count();
  std::printf("unexpected errors   %llu\n",
              static_cast<unsigned long long>(fails));
  for (const auto& f : g_fail.first()) std::printf("  %s\n", f.c_str());
  std::printf("RESULT              %s\n", fails == 0 ? "PASS" : "FAIL");
  return fails == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
