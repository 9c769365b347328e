// loadgen: socket load generator for creditd (issue 7, STYLE 18 macro tier).
// Speaks the binary protocol (docs/protocol.md) directly: no client library
// on the hot path, request bodies serialised once at start-up, so the
// generator costs little CPU next to the daemon (like redis-benchmark).
//
// Usage:
//   loadgen --port PORT --token TOKEN --workload NAME [flags]
//
// Flags:
//   --host H          daemon address (default 127.0.0.1; loopback only)
//   --port P          daemon port (required)
//   --token T         auth token with the roles the workload needs (required)
//   --workload W      check_hit | check_miss | batch_check_50 | match_typo |
//                     mixed (80% check_hit, 10% check_miss, 5% match_typo,
//                     5% batch_check_50)
//   --connections N   TCP connections, each authenticated once (default 50)
//   --pipeline P      requests in flight per connection (default 1)
//   --mode M          window: keep P in flight, send one as each reply
//                     arrives (default); batch: send P in one write, wait for
//                     all P replies, repeat (redis-benchmark -P semantics)
//   --duration S      measured seconds (default 10)
//   --warmup S        seconds run before measuring, not recorded (default 2)
//   --threads T       event-loop threads, connections spread over them
//                     (default 1, like redis-benchmark)
//   --codes-file F    codes that exist: one per line, or JSONL with "code"
//                     (subjects.jsonl); needed by check_hit, batch, mixed
//   --miss-file F     valid codes that do not exist (same format); needed by
//                     check_miss and mixed
//   --names-file F    match queries: name_variants.jsonl (kind "typo" only)
//                     or one name per line; needed by match_typo and mixed
//   --max-items N     use at most N codes / names from each file (default
//                     1000000); bodies are serialised up front
//   --scenario S      check scenario (default "bidding")
//   --date D          check date YYYY-MM-DD (default "": the daemon's today)
//   --top-k K         match top_k (default 10)
//   --verify N        parse 1 reply in N and check it (check_hit: identity
//                     "found" or "duplicate_code"; check_miss:
//                     "unknown_code"; batch: 50 entries without error);
//                     1 = every reply, 0 = none (default 16)
//   --seed S          random seed (default 1)
//   --csv             also print one CSV line (for scripts)
//
// Output: throughput (req/s; a batch_check_50 request counts once, codes/s is
// printed beside it), latency p50/p99/p999/max from a log-linear histogram
// (1/64 relative precision), errors by wire error code. Latency is the time
// from the write that carried a request to the read that completed its reply.
// Exit status: 0 on success; 1 if any request got an error reply or a
// verified reply was wrong; 2 on a usage or connection error.
#include "bench/latency_histogram.h"
#include "daemon/protocol/creditd.pb.h"
#include "daemon/protocol/frame.h"
#include "daemon/protocol/frame_codec.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace proto = creditd::protocol;
namespace pb = creditd::proto;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "loadgen: %s\n", msg.c_str());
  std::exit(2);
}

using creditd::bench::Histogram;  // bench/latency_histogram.h

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
    switch (n) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
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
        break;
      }
      default:
        out += n;
    }
  }
  return out;
}

// Lines of `path` (plain) or the `field` of each JSONL line; with
// `kind_filter`, only JSONL lines whose "kind" equals it.
std::vector<std::string> ReadItems(const std::string& path,
                                   std::string_view field,
                                   std::string_view kind_filter, size_t max) {
  std::ifstream in(path);
  if (!in) Die("cannot open " + path);
  std::vector<std::string> items;
  std::string line;
  while (items.size() < max && std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '{') {
      if (!kind_filter.empty() && JsonField(line, "kind") != kind_filter) {
        continue;
      }
      std::string v = JsonField(line, field);
      if (!v.empty()) items.push_back(std::move(v));
    } else {
      items.push_back(line);
    }
  }
  if (items.empty()) Die("no usable lines in " + path);
  return items;
}

// ---- workloads ----
enum class Kind : uint8_t { kCheckHit, kCheckMiss, kBatch, kMatch };
constexpr int kKinds = 4;
constexpr std::array<const char*, kKinds> kKindNames = {
    "check_hit", "check_miss", "batch_check_50", "match_typo"};

struct Pool {
  uint16_t opcode = 0;
  std::vector<std::string> bodies;
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string token;
  std::string workload;
  int connections = 50;
  int pipeline = 1;
  bool batch_mode = false;
  double duration = 10;
  double warmup = 2;
  int threads = 1;
  std::string codes_file, miss_file, names_file;
  size_t max_items = 1000000;
  std::string scenario = "bidding";
  std::string date;
  uint32_t top_k = 10;
  int verify = 16;
  uint64_t seed = 1;
  bool csv = false;
};

struct Workload {
  std::array<Pool, kKinds> pools;
  // Cumulative mix over kinds, out of 1000.
  std::array<int, kKinds> mix_cum = {};
};

std::string CheckBody(const Options& o, const std::string& code) {
  pb::CheckRequest r;
  r.set_code(code);
  r.set_scenario(o.scenario);
  r.set_date(o.date);
  return r.SerializeAsString();
}

Workload BuildWorkload(const Options& o) {
  Workload w;
  std::array<int, kKinds> mix = {};
  if (o.workload == "check_hit") {
    mix = {1000, 0, 0, 0};
  } else if (o.workload == "check_miss") {
    mix = {0, 1000, 0, 0};
  } else if (o.workload == "batch_check_50") {
    mix = {0, 0, 1000, 0};
  } else if (o.workload == "match_typo") {
    mix = {0, 0, 0, 1000};
  } else if (o.workload == "mixed") {
    mix = {800, 100, 50, 50};
  } else {
    Die("unknown --workload '" + o.workload +
        "' (allowed: check_hit, check_miss, batch_check_50, match_typo, "
        "mixed)");
  }
  int cum = 0;
  for (int k = 0; k < kKinds; ++k) w.mix_cum[k] = cum += mix[k];

  std::vector<std::string> codes;
  if (mix[0] > 0 || mix[2] > 0) {
    if (o.codes_file.empty()) Die("--codes-file is required for this workload");
    codes = ReadItems(o.codes_file, "code", "", o.max_items);
  }
  std::mt19937_64 rng(o.seed);
  if (mix[0] > 0) {
    w.pools[0].opcode = static_cast<uint16_t>(proto::Opcode::kCheck);
    for (const auto& c : codes) w.pools[0].bodies.push_back(CheckBody(o, c));
  }
  if (mix[1] > 0) {
    if (o.miss_file.empty()) Die("--miss-file is required for this workload");
    w.pools[1].opcode = static_cast<uint16_t>(proto::Opcode::kCheck);
    for (const auto& c : ReadItems(o.miss_file, "code", "", o.max_items)) {
      w.pools[1].bodies.push_back(CheckBody(o, c));
    }
  }
  if (mix[2] > 0) {
    w.pools[2].opcode = static_cast<uint16_t>(proto::Opcode::kBatchCheck);
    size_t n = std::min<size_t>(10000, codes.size());
    for (size_t i = 0; i < n; ++i) {
      pb::BatchCheckRequest b;
      for (int j = 0; j < 50; ++j) {
        auto* c = b.add_checks();
        c->set_code(codes[rng() % codes.size()]);
        c->set_scenario(o.scenario);
        c->set_date(o.date);
      }
      w.pools[2].bodies.push_back(b.SerializeAsString());
    }
  }
  if (mix[3] > 0) {
    if (o.names_file.empty()) Die("--names-file is required for this workload");
    w.pools[3].opcode = static_cast<uint16_t>(proto::Opcode::kMatch);
    for (const auto& n :
         ReadItems(o.names_file, "query", "typo", o.max_items)) {
      pb::MatchRequest m;
      m.set_name(n);
      m.set_top_k(o.top_k);
      w.pools[3].bodies.push_back(m.SerializeAsString());
    }
  }
  return w;
}

// ---- connections ----
void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die(std::string("write: ") + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads one whole frame (blocking); returns header, fills body.
proto::FrameHeader ReadFrame(int fd, std::string* body) {
  std::array<std::byte, proto::kHeaderSize> hdr;
  size_t got = 0;
  while (got < hdr.size()) {
    ssize_t n = ::read(fd, hdr.data() + got, hdr.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die("connection closed during auth");
    got += static_cast<size_t>(n);
  }
  auto d = proto::DecodeFrameHeader(hdr, 1 << 30, "max_frame_bytes", true);
  if (d.state != proto::DecodeResult::State::kComplete) Die(d.reason);
  body->resize(d.header.body_length);
  got = 0;
  while (got < body->size()) {
    ssize_t n = ::read(fd, body->data() + got, body->size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die("connection closed during auth");
    got += static_cast<size_t>(n);
  }
  return d.header;
}

int Connect(const Options& o) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &a.sin_addr) != 1) Die("bad --host");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    Die("connect " + o.host + ":" + std::to_string(o.port) + ": " +
        std::strerror(errno));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  pb::AuthRequest auth;
  auth.set_token(o.token);
  WriteAll(fd, proto::EncodeFrame(static_cast<uint16_t>(proto::Opcode::kAuth),
                                  1, 0, auth.SerializeAsString()));
  std::string body;
  proto::FrameHeader h = ReadFrame(fd, &body);
  if (h.flags & proto::kFlagError) {
    pb::ErrorReply e;
    e.ParseFromString(body);
    Die("auth refused: " + e.name() + ": " + e.message());
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

struct Sent {
  uint64_t id;
  Kind kind;
  Clock::time_point t;
};

struct Conn {
  int fd = -1;
  uint64_t next_id = 2;
  std::deque<Sent> inflight;
  std::string out;  // pending bytes to write
  size_t out_off = 0;
  std::string in;  // unparsed bytes read
  size_t in_off = 0;
  std::vector<Sent> staged;  // requests in `out` not yet written
};

struct Stats {
  Histogram hist;
  std::array<uint64_t, kKinds> done = {};
  std::map<std::string, uint64_t> errors;  // "check_hit/rate_limited" -> n
  uint64_t bad_replies = 0;
  std::string first_bad;
};

std::atomic<bool> g_stop{false};
std::atomic<bool> g_measuring{false};

class Loop {
 public:
  Loop(const Options& o, const Workload& w, int nconn, uint64_t seed)
      : o_(o), w_(w), rng_(seed) {
    ep_ = epoll_create1(0);
    for (int i = 0; i < nconn; ++i) {
      auto c = std::make_unique<Conn>();
      c->fd = Connect(o);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = c.get();
      epoll_ctl(ep_, EPOLL_CTL_ADD, c->fd, &ev);
      conns_.push_back(std::move(c));
    }
  }
  ~Loop() {
    for (auto& c : conns_) ::close(c->fd);
    ::close(ep_);
  }

  void Run() {
    for (auto& c : conns_) Refill(*c);
    std::vector<epoll_event> evs(64);
    while (!g_stop.load(std::memory_order_relaxed)) {
      int n = epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), 100);
      for (int i = 0; i < n; ++i) {
        Conn& c = *static_cast<Conn*>(evs[i].data.ptr);
        if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) OnReadable(c);
        if (evs[i].events & EPOLLOUT) Flush(c);
      }
    }
  }

  Stats& stats() { return stats_; }

 private:
  Kind Pick() {
    int r = static_cast<int>(rng_() % 1000);
    for (int k = 0; k < kKinds; ++k) {
      if (r < w_.mix_cum[k]) return static_cast<Kind>(k);
    }
    return Kind::kCheckHit;
  }

  void Enqueue(Conn& c) {
    Kind k = Pick();
    const Pool& p = w_.pools[static_cast<int>(k)];
    const std::string& body = p.bodies[rng_() % p.bodies.size()];
    proto::FrameHeader h;
    h.opcode = p.opcode;
    h.request_id = c.next_id++;
    h.body_length = static_cast<uint32_t>(body.size());
    proto::EncodeFrame(h, body, &c.out);
    c.staged.push_back({h.request_id, k, {}});
  }

  void Refill(Conn& c) {
    if (o_.batch_mode) {
      if (!c.inflight.empty()) return;
      for (int i = 0; i < o_.pipeline; ++i) Enqueue(c);
    } else {
      while (static_cast<int>(c.inflight.size() + c.staged.size()) <
             o_.pipeline) {
        Enqueue(c);
      }
    }
    Flush(c);
  }

  void Flush(Conn& c) {
    while (c.out_off < c.out.size()) {
      ssize_t n =
          ::write(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n <= 0) Die(std::string("write: ") + std::strerror(errno));
      c.out_off += static_cast<size_t>(n);
    }
    // Stamp the staged requests at the write that carried them (on a short
    // write, the first part of them).
    bool done = c.out_off == c.out.size();
    Clock::time_point now = Clock::now();
    for (auto& s : c.staged) {
      s.t = now;
      c.inflight.push_back(s);
    }
    c.staged.clear();
    epoll_event ev{};
    ev.data.ptr = &c;
    ev.events = EPOLLIN | (done ? 0u : static_cast<uint32_t>(EPOLLOUT));
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    if (done) {
      c.out.clear();
      c.out_off = 0;
    }
  }

  void OnReadable(Conn& c) {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(c.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n == 0) Die("daemon closed a connection");
      if (n < 0) Die(std::string("read: ") + std::strerror(errno));
      c.in.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf) break;
    }
    Clock::time_point now = Clock::now();
    bool measuring = g_measuring.load(std::memory_order_relaxed);
    for (;;) {
      std::span<const std::byte> avail(
          reinterpret_cast<const std::byte*>(c.in.data()) + c.in_off,
          c.in.size() - c.in_off);
      auto d =
          proto::DecodeFrameHeader(avail, 1u << 30, "max_frame_bytes", true);
      if (d.state == proto::DecodeResult::State::kNeedMore) break;
      if (d.state == proto::DecodeResult::State::kBad) Die(d.reason);
      size_t total = proto::kHeaderSize + d.header.body_length;
      if (avail.size() < total) break;
      std::string_view body(c.in.data() + c.in_off + proto::kHeaderSize,
                            d.header.body_length);
      OnReply(c, d.header, body, now, measuring);
      c.in_off += total;
    }
    if (c.in_off == c.in.size()) {
      c.in.clear();
      c.in_off = 0;
    } else if (c.in_off > (1u << 20)) {
      c.in.erase(0, c.in_off);
      c.in_off = 0;
    }
    Refill(c);
  }

  void OnReply(Conn& c, const proto::FrameHeader& h, std::string_view body,
               Clock::time_point now, bool measuring) {
    auto it = c.inflight.begin();
    while (it != c.inflight.end() && it->id != h.request_id) ++it;
    if (it == c.inflight.end()) {
      Die("reply with unknown request id " + std::to_string(h.request_id));
    }
    Sent s = *it;
    c.inflight.erase(it);
    if (!measuring) return;
    stats_.hist.Record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.t)
            .count()));
    ++stats_.done[static_cast<int>(s.kind)];
    const char* kname = kKindNames[static_cast<int>(s.kind)];
    if (h.flags & proto::kFlagError) {
      pb::ErrorReply e;
      e.ParseFromArray(body.data(), static_cast<int>(body.size()));
      std::string key = std::string(kname) + "/" + e.name();
      if (stats_.errors[key]++ == 0) {
        std::fprintf(stderr, "loadgen: first %s error: %s\n", key.c_str(),
                     e.message().c_str());
      }
      return;
    }
    if (o_.verify <= 0 || ++verify_tick_ % o_.verify != 0) return;
    std::string bad;
    switch (s.kind) {
      case Kind::kCheckHit:
      case Kind::kCheckMiss: {
        pb::CheckResponse r;
        if (!r.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
          bad = "unparsable CheckResponse";
        } else if (s.kind == Kind::kCheckHit
                       ? r.identity() != "found" &&
                             r.identity() != "duplicate_code"
                       : r.identity() != "unknown_code") {
          bad = std::string(kname) + ": code " + r.code() + " identity " +
                r.identity();
        }
        break;
      }
      case Kind::kBatch: {
        pb::BatchCheckResponse r;
        if (!r.ParseFromArray(body.data(), static_cast<int>(body.size())) ||
            r.entries_size() != 50) {
          bad = "batch reply without 50 entries";
        } else {
          for (const auto& e : r.entries()) {
            if (e.has_error()) bad = "batch entry error " + e.error().name();
          }
        }
        break;
      }
      case Kind::kMatch: {
        pb::MatchResponse r;
        if (!r.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
          bad = "unparsable MatchResponse";
        }
        break;
      }
    }
    if (!bad.empty() && stats_.bad_replies++ == 0) stats_.first_bad = bad;
  }

  const Options& o_;
  const Workload& w_;
  std::mt19937_64 rng_;
  int ep_ = -1;
  std::vector<std::unique_ptr<Conn>> conns_;
  Stats stats_;
  uint64_t verify_tick_ = 0;
};

double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

Options ParseFlags(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--csv") {
      o.csv = true;
      continue;
    }
    if (i + 1 >= argc)
      Die("flag " + a + " needs a value (see bench/loadgen.cc)");
    std::string v = argv[++i];
    auto num = [&](double lo, double hi) {
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || d < lo || d > hi) {
        Die(a + ": bad value '" + v + "'");
      }
      return d;
    };
    if (a == "--host") {
      o.host = v;
    } else if (a == "--port") {
      o.port = static_cast<int>(num(1, 65535));
    } else if (a == "--token") {
      o.token = v;
    } else if (a == "--workload") {
      o.workload = v;
    } else if (a == "--connections") {
      o.connections = static_cast<int>(num(1, 10000));
    } else if (a == "--pipeline") {
      o.pipeline = static_cast<int>(num(1, 100000));
    } else if (a == "--mode") {
      if (v != "window" && v != "batch") Die("--mode: window or batch");
      o.batch_mode = v == "batch";
    } else if (a == "--duration") {
      o.duration = num(0.1, 3600);
    } else if (a == "--warmup") {
      o.warmup = num(0, 3600);
    } else if (a == "--threads") {
      o.threads = static_cast<int>(num(1, 256));
    } else if (a == "--codes-file") {
      o.codes_file = v;
    } else if (a == "--miss-file") {
      o.miss_file = v;
    } else if (a == "--names-file") {
      o.names_file = v;
    } else if (a == "--max-items") {
      o.max_items = static_cast<size_t>(num(1, 1e9));
    } else if (a == "--scenario") {
      o.scenario = v;
    } else if (a == "--date") {
      o.date = v;
    } else if (a == "--top-k") {
      o.top_k = static_cast<uint32_t>(num(0, 1000));
    } else if (a == "--verify") {
      o.verify = static_cast<int>(num(0, 1e9));
    } else if (a == "--seed") {
      o.seed = static_cast<uint64_t>(num(0, 1e18));
    } else {
      Die("unknown flag " + a + " (see the top of bench/loadgen.cc)");
    }
  }
  if (o.port == 0 || o.token.empty() || o.workload.empty()) {
    Die("--port, --token and --workload are required");
  }
  o.threads = std::min(o.threads, o.connections);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
#if !defined(__OPTIMIZE__)
  std::fprintf(stderr,
               "WARNING: loadgen built without optimisation; figures are "
               "not comparable\n");
#endif
#if !defined(NDEBUG)
  std::fprintf(stderr, "WARNING: loadgen built with assertions on\n");
#endif
  Options o = ParseFlags(argc, argv);
  Workload w = BuildWorkload(o);

  std::vector<std::unique_ptr<Loop>> loops;
  for (int t = 0; t < o.threads; ++t) {
    int n = o.connections / o.threads + (t < o.connections % o.threads);
    loops.push_back(std::make_unique<Loop>(o, w, n, o.seed * 1000 + t));
  }
  std::vector<std::thread> threads;
  for (auto& l : loops) threads.emplace_back([&l] { l->Run(); });

  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  g_measuring = true;
  Clock::time_point t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
  g_measuring = false;
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  g_stop = true;
  for (auto& t : threads) t.join();

  Stats all;
  for (auto& l : loops) {
    Stats& s = l->stats();
    all.hist.Merge(s.hist);
    for (int k = 0; k < kKinds; ++k) all.done[k] += s.done[k];
    for (auto& [k, v] : s.errors) all.errors[k] += v;
    if (s.bad_replies > 0 && all.first_bad.empty()) all.first_bad = s.first_bad;
    all.bad_replies += s.bad_replies;
  }
  uint64_t total = all.hist.total();
  uint64_t errors = 0;
  for (auto& [k, v] : all.errors) errors += v;
  double rps = static_cast<double>(total) / secs;
  std::printf(
      "workload %s  connections %d  pipeline %d (%s)  threads %d  %.1f s\n",
      o.workload.c_str(), o.connections, o.pipeline,
      o.batch_mode ? "batch" : "window", o.threads, secs);
  std::printf(
      "  %llu requests  %.0f req/s  p50 %.3f ms  p99 %.3f ms  p999 %.3f ms  "
      "max %.3f ms\n",
      static_cast<unsigned long long>(total), rps, Ms(all.hist.Quantile(0.5)),
      Ms(all.hist.Quantile(0.99)), Ms(all.hist.Quantile(0.999)),
      Ms(all.hist.max()));
  for (int k = 0; k < kKinds; ++k) {
    if (all.done[k] == 0) continue;
    std::printf("  %-15s %llu", kKindNames[k],
                static_cast<unsigned long long>(all.done[k]));
    if (k == static_cast<int>(Kind::kBatch)) {
      std::printf("  (%.0f codes/s)",
                  50.0 * static_cast<double>(all.done[k]) / secs);
    }
    std::printf("\n");
  }
  for (auto& [k, v] : all.errors) {
    std::printf("  error %s: %llu\n", k.c_str(),
                static_cast<unsigned long long>(v));
  }
  if (all.bad_replies > 0) {
    std::printf("  wrong replies (verified 1 in %d): %llu, first: %s\n",
                o.verify, static_cast<unsigned long long>(all.bad_replies),
                all.first_bad.c_str());
  }
  if (o.csv) {
    std::printf("csv,%s,%d,%d,%.0f,%.3f,%.3f,%.3f,%llu\n", o.workload.c_str(),
                o.connections, o.pipeline, rps, Ms(all.hist.Quantile(0.5)),
                Ms(all.hist.Quantile(0.99)), Ms(all.hist.Quantile(0.999)),
                static_cast<unsigned long long>(errors + all.bad_replies));
  }
  if (total == 0) {
    std::fprintf(stderr, "loadgen: no reply in the measured window\n");
    return 1;
  }
  return errors + all.bad_replies > 0 ? 1 : 0;
}
