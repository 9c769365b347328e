// Every operation through the C++ client against the real daemon, plus
// pipelining, failover, reload, metrics and graceful stop.
#include "tests/integration/daemon_harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace creditd::testing {
namespace {

using protocol::Opcode;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_.Start();
    client_ = daemon_.Connect();
    ASSERT_NE(client_, nullptr);
  }
  DaemonProcess daemon_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientTest, HelloPingValidate) {
  EXPECT_EQ(client_->hello().protocol_version(), 1u);
  EXPECT_EQ(client_->hello().max_batch(), 10u);
  auto p = client_->Ping("abc");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->payload(), "abc");
  std::string bad = daemon_.code1;
  bad.back() = bad.back() == '0' ? '1' : '0';
  auto v = client_->Validate({daemon_.code1, bad});
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->results_size(), 2);
  EXPECT_TRUE(v->results(0).valid());
  EXPECT_FALSE(v->results(1).valid());
  EXPECT_EQ(v->results(1).fault(), "check_character");
}

TEST_F(ClientTest, SubjectLookupByCodeAndId) {
  proto::SubjectLookupRequest r;
  r.set_code(daemon_.code1);
  r.set_with_records(true);
  auto s = client_->SubjectLookup(r);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->subjects_size(), 1);
  EXPECT_EQ(s->subjects(0).name(), "福州鑫盛达贸易有限公司");
  ASSERT_EQ(s->records_size(), 1);
  EXPECT_EQ(s->records(0).list(), "serious_dishonesty");
  r.set_id("s2");
  s = client_->SubjectLookup(r);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->subjects(0).code(), daemon_.code2);
  r.set_id("nope");
  s = client_->SubjectLookup(r);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(WireErrorOf(s.status()), 13u);
}

TEST_F(ClientTest, MatchAndCompareNames) {
  proto::MatchRequest m;
  m.set_name("福州鑫盛达贸易有限责任公司");
  auto r = client_->Match(m);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_GE(r->candidates_size(), 1);
  EXPECT_EQ(r->candidates(0).subject().id(), "s1");
  EXPECT_FALSE(r->candidates(0).explanation().empty());
  proto::CompareNamesRequest c;
  c.set_given("鑫盛达贸易有限公司");
  c.set_registered("福州鑫盛达贸易有限公司");
  auto cr = client_->CompareNames(c);
  ASSERT_TRUE(cr.ok()) << cr.status();
  EXPECT_GT(cr->score(), 0.5);
}

TEST_F(ClientTest, WritesAreVisibleAtOnceOnAnotherConnection) {
  proto::UpsertSubjectsRequest u;
  proto::Subject* s = u.add_subjects();
  s->set_id("s9");
  s->set_code(MakeCode("M0000009"));
  s->set_name("泉州新创电子有限公司");
  auto w = client_->UpsertSubjects(u);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->subjects_new(), 1u);
  auto other = daemon_.Connect();
  proto::SubjectLookupRequest l;
  l.set_id("s9");
  auto got = other->SubjectLookup(l);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->data_version(), w->data_version());

  proto::PutRecordsRequest pr;
  proto::Record* rec = pr.add_records();
  rec->set_id("r9");
  rec->set_code(MakeCode("M0000009"));
  rec->set_list("abnormal_operation");
  rec->set_valid_from("2024-01-01");
  w = client_->PutRecords(pr);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->records_new(), 1u);
  proto::RepairRecordRequest rr;
  rr.set_record_id("r9");
  rr.set_repaired_on("2024-06-01");
  w = client_->RepairRecord(rr);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->records_replaced(), 1u);

  // A bad entry fails the whole request and nothing is applied.
  proto::PutRecordsRequest bad;
  bad.add_records()->CopyFrom(*rec);
  bad.mutable_records(0)->set_id("r10");
  bad.add_records()->set_id("r11");  // no list
  auto failed = client_->PutRecords(bad);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(failed.status().message(),
            "invalid_argument: records[1].list: empty");
  l.set_code(MakeCode("M0000009"));
  l.set_with_records(true);
  got = other->SubjectLookup(l);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->records_size(), 1);

  proto::DeleteSubjectsRequest d;
  d.add_ids("s9");
  w = client_->DeleteSubjects(d);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->subjects_deleted(), 1u);
}

TEST_F(ClientTest, CheckOrUnavailable) {
  proto::CheckRequest c;
  c.set_code(daemon_.code1);
  c.set_scenario("bidding");
  c.set_date("2024-06-01");
  auto r = client_->Check(c);
  if (!r.ok()) {
    // Builds without check/ answer "unavailable".
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
    GTEST_SKIP() << "no check engine in this build: " << r.status();
  }
  EXPECT_EQ(r->verdict(), "block");
  EXPECT_EQ(r->identity(), "found");
  EXPECT_FALSE(r->receipt().empty());
  auto receipt = client_->ReceiptLookup(r->receipt());
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_NE(receipt->line().find(r->receipt()), std::string::npos);

  c.set_code(daemon_.code2);
  auto clear = client_->Check(c);
  ASSERT_TRUE(clear.ok());
  EXPECT_EQ(clear->verdict(), "clear");

  proto::BatchCheckRequest b;
  *b.add_checks() = c;
  b.add_checks()->set_scenario("bidding");  // neither code nor name
  auto br = client_->BatchCheck(b);
  ASSERT_TRUE(br.ok()) << br.status();
  ASSERT_EQ(br->entries_size(), 2);
  EXPECT_EQ(br->entries(0).result().verdict(), "clear");
  EXPECT_EQ(br->entries(1).error().name(), "invalid_argument");

  proto::ExtractRequest e;
  e.set_text("投标人：甲公司 " + daemon_.code1 + "；乙公司 " + daemon_.code2 +
             "，丙 91350100M00000XXXX");
  e.set_check(true);
  e.set_scenario("bidding");
  e.set_date("2024-06-01");
  auto er = client_->Extract(e);
  ASSERT_TRUE(er.ok()) << er.status();
  ASSERT_EQ(er->codes_size(), 3);
  EXPECT_EQ(er->codes(0).check().verdict(), "block");
  EXPECT_EQ(er->codes(1).check().verdict(), "clear");
  EXPECT_FALSE(er->codes(2).validation().valid());
}

TEST_F(ClientTest, ExtractWithoutCheck) {
  proto::ExtractRequest e;
  e.set_text("a " + daemon_.code1 + "," + daemon_.code2 + " b");
  auto er = client_->Extract(e);
  ASSERT_TRUE(er.ok()) << er.status();
  ASSERT_EQ(er->codes_size(), 2);
  EXPECT_TRUE(er->codes(0).validation().valid());
  EXPECT_EQ(er->codes(0).offset(), 2u);
  EXPECT_TRUE(er->codes(1).validation().valid());
}

TEST_F(ClientTest, DuplicateReportPaged) {
  // Two subjects on one code: a duplicate_code finding.
  proto::UpsertSubjectsRequest u;
  proto::Subject* s = u.add_subjects();
  s->set_id("s4");
  s->set_code(daemon_.code3);
  s->set_name("厦门星光文化传媒有限公司");
  ASSERT_TRUE(client_->UpsertSubjects(u).ok());
  proto::DuplicateReportRequest req;
  req.set_limit(1);
  auto r = client_->DuplicateReport(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GE(r->total_findings(), 1u);
  ASSERT_EQ(r->findings_size(), 1);
  bool saw = false;
  uint32_t offset = 0;
  do {
    req.set_offset(offset);
    r = client_->DuplicateReport(req);
    ASSERT_TRUE(r.ok()) << r.status();
    for (const auto& f : r->findings()) {
      if (f.kind() == "duplicate_code" && f.codes(0) == daemon_.code3) {
        saw = true;
      }
    }
    offset = r->next_offset();
  } while (offset != 0);
  EXPECT_TRUE(saw);
  req.set_limit(11);
  EXPECT_EQ(client_->DuplicateReport(req).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// region_prefix over the socket (issue 6): the same rule as creditctl dups
// --region, through the C++ client and creditctl --connect.
TEST_F(ClientTest, DuplicateReportByRegion) {
  // A code carried by two different subjects in 110108 (重码 there), and one
  // more holder of the fixture's code3 in 350100 (重码 there).
  const std::string body = "MA01XK7P";
  std::string beijing = "91110108" + body;
  beijing += OrgCodeCheckCharacter(body);
  beijing += UsccCheckCharacter(beijing);
  proto::UpsertSubjectsRequest u;
  auto add = [&](std::string id, std::string code, std::string name,
                 std::string region) {
    proto::Subject* s = u.add_subjects();
    s->set_id(std::move(id));
    s->set_code(std::move(code));
    s->set_name(std::move(name));
    s->set_region(std::move(region));
  };
  add("b1", beijing, "北京甲科技有限公司", "110108");
  add("b2", beijing, "北京乙文化传媒有限公司", "110108");
  add("s4", daemon_.code3, "厦门星光文化传媒有限公司", "350100");
  ASSERT_TRUE(client_->UpsertSubjects(u).ok());

  // Every finding of every page for `prefix`, as "kind code" strings.
  auto findings = [&](const std::string& prefix, uint32_t limit) {
    std::vector<std::string> out;
    proto::DuplicateReportRequest req;
    req.set_region_prefix(prefix);
    req.set_limit(limit);
    uint32_t offset = 0;
    do {
      req.set_offset(offset);
      auto r = client_->DuplicateReport(req);
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok()) break;
      for (const auto& f : r->findings()) {
        out.push_back(f.kind() + " " + f.codes(0));
      }
      offset = r->next_offset();
    } while (offset != 0);
    return out;
  };
  const std::vector<std::string> all = findings("", 10);
  const std::vector<std::string> beijing_only = findings("11", 1);
  const std::vector<std::string> fuzhou = findings("3501", 10);
  EXPECT_EQ(beijing_only,
            std::vector<std::string>{"duplicate_code " + beijing});
  EXPECT_NE(std::find(fuzhou.begin(), fuzhou.end(),
                      "duplicate_code " + daemon_.code3),
            fuzhou.end());
  EXPECT_EQ(
      std::find(fuzhou.begin(), fuzhou.end(), "duplicate_code " + beijing),
      fuzhou.end());
  EXPECT_EQ(all.size(), beijing_only.size() + fuzhou.size());
  EXPECT_EQ(findings("110108", 10), beijing_only);
  EXPECT_TRUE(findings("12", 10).empty());

  proto::DuplicateReportRequest req;
  req.set_region_prefix("11");
  auto r = client_->DuplicateReport(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->total_findings(), 1u);
  EXPECT_EQ(r->findings(0).region(), 110108u);
  EXPECT_NE(r->summary().find("1 findings in region 11*"), std::string::npos)
      << r->summary();
  // Totals stay those of the whole registry.
  req.clear_region_prefix();
  auto whole = client_->DuplicateReport(req);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(r->codes(), whole->codes());
  EXPECT_EQ(r->flagged(), whole->flagged());

  // Bad prefixes: a request error naming field, value and reason; the
  // connection stays open.
  for (const std::string bad : {"3a", "3501021", " 35", "\x01"}) {
    req.set_region_prefix(bad);
    auto e = client_->DuplicateReport(req);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(e.status().message().find("region_prefix: '"), std::string::npos)
        << e.status();
    EXPECT_NE(e.status().message().find("is not 1-6 digits of a division code"),
              std::string::npos)
        << e.status();
  }
  EXPECT_TRUE(client_->Ping("still open").ok());

  // creditctl dups --connect: every page merged, filtered by the daemon.
  const std::string token = daemon_.dir().WriteFile("token", kAdminToken);
  ProcessResult p =
      RunProcess({CREDITCTL_PATH, "dups", "--connect", daemon_.endpoint(),
                  "--token-file", token, "--region", "11", "--limit", "1"});
  EXPECT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find(beijing), std::string::npos) << p.out;
  EXPECT_EQ(p.out.find(daemon_.code3), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("\"total_findings\": \"1\""), std::string::npos)
      << p.out;
  p = RunProcess({CREDITCTL_PATH, "dups", "--connect", daemon_.endpoint(),
                  "--token-file", token, "--region", "35"});
  EXPECT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find(daemon_.code3), std::string::npos) << p.out;
  EXPECT_EQ(p.out.find(beijing), std::string::npos) << p.out;
  p = RunProcess({CREDITCTL_PATH, "dups", "--connect", daemon_.endpoint(),
                  "--token-file", token, "--region", "3x"});
  EXPECT_EQ(p.exit_code, 1);
  EXPECT_NE(p.err.find("region_prefix: '3x' is not 1-6 digits"),
            std::string::npos)
      << p.err;
}

TEST_F(ClientTest, StatsCountOperations) {
  ASSERT_TRUE(client_->Ping().ok());
  auto s = client_->Stats();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->subjects(), 3u);
  EXPECT_EQ(s->records(), 1u);
  EXPECT_GE(s->connections(), 1u);
  bool saw_ping = false;
  for (const auto& o : s->opcodes()) {
    if (o.name() == "ping") {
      saw_ping = true;
      EXPECT_GE(o.calls(), 1u);
    }
  }
  EXPECT_TRUE(saw_ping);
}

TEST_F(ClientTest, PipelinedRequestsAnsweredById) {
  std::vector<uint64_t> ids;
  for (int i = 0; i < 50; ++i) {
    proto::PingRequest p;
    p.set_payload(absl::StrFormat("%d", i));
    auto id = client_->Send(Opcode::kPing, p);
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  // Collect in reverse order: the client keeps early replies for later.
  for (int i = 49; i >= 0; --i) {
    proto::PingResponse r;
    ASSERT_TRUE(client_->Receive(ids[i], &r).ok());
    EXPECT_EQ(r.payload(), absl::StrFormat("%d", i));
  }
}

TEST_F(ClientTest, FailoverToTheNextEndpoint) {
  ClientOptions o;
  // Port 1 on loopback: nothing listens there.
  o.endpoints = {"127.0.0.1:1", daemon_.endpoint()};
  o.token = kAdminToken;
  auto c = Client::Connect(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->endpoint(), daemon_.endpoint());
  EXPECT_TRUE((*c)->Ping().ok());
}

TEST_F(ClientTest, WrongTokenIsRefused) {
  ClientOptions o;
  o.endpoints = {daemon_.endpoint()};
  o.token = "wrong";
  auto c = Client::Connect(o);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(ClientTest, ReloadKeepsOldConfigOnErrorAndAppliesGoodOne) {
  // A broken file: the daemon logs why and keeps serving with the old one.
  daemon_.dir().WriteFile("creditd.toml", "[limits]\nmax_batch = 0\n");
  ASSERT_EQ(daemon_.Signal(SIGHUP), 0);
  for (int i = 0; i < 100 * kSanitizerSlowdown &&
                  daemon_.Log().find("reload_failed") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(daemon_.Log().find("max_batch"), std::string::npos);
  EXPECT_TRUE(client_->Ping().ok());
  std::string good = daemon_.Config();
  good.replace(good.find("max_batch = 10"), 14, "max_batch = 20");
  daemon_.dir().WriteFile("creditd.toml", good);
  ASSERT_EQ(daemon_.Signal(SIGHUP), 0);
  for (int i = 0; i < 100 * kSanitizerSlowdown &&
                  daemon_.Log().find("event=reloaded") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<std::string> codes(15, daemon_.code1);
  EXPECT_TRUE(client_->Validate(codes).ok());
}

TEST_F(ClientTest, MetricsAndHealth) {
  ASSERT_TRUE(client_->Ping().ok());
  RawConnection http(daemon_.metrics_port());
  ASSERT_TRUE(http.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string got;
  char buf[4096];
  while (true) {
    pollfd p{http.fd(), POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) break;
    const ssize_t n = ::recv(http.fd(), buf, sizeof(buf), 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(got.find("200 OK"), std::string::npos);
  EXPECT_NE(got.find("creditd_requests_total{op=\"ping\"}"), std::string::npos);
  EXPECT_NE(got.find("creditd_registry_subjects 3"), std::string::npos);
  EXPECT_NE(got.find("creditd_request_duration_seconds_bucket"),
            std::string::npos);
}

TEST_F(ClientTest, SigtermStopsGracefully) {
  ASSERT_TRUE(client_->Ping().ok());
  EXPECT_EQ(daemon_.Stop(), 0);
  EXPECT_FALSE(client_->Ping().ok());
}

TEST_F(ClientTest, CreditctlConnect) {
  const std::string token = daemon_.dir().WriteFile("token", kAdminToken);
  ProcessResult r =
      RunProcess({CREDITCTL_PATH, "ping", "--connect", "127.0.0.1:1",
                  "--connect", daemon_.endpoint(), "--token-file", token});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pong from " + daemon_.endpoint()), std::string::npos);
  r = RunProcess({CREDITCTL_PATH, "match", "鑫盛达贸易", "--connect",
                  daemon_.endpoint(), "--token-file", token});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"id\": \"s1\""), std::string::npos) << r.out;
  r = RunProcess({CREDITCTL_PATH, "stats", "--connect", daemon_.endpoint(),
                  "--token-file", token});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"subjects\": \"3\""), std::string::npos) << r.out;
  r = RunProcess({CREDITCTL_PATH, "check", daemon_.code1, "--scenario",
                  "bidding", "--date", "2024-06-01", "--connect",
                  daemon_.endpoint(), "--token-file", token});
  // 0 with a verdict, or 1 "unavailable" in builds without check/.
  EXPECT_TRUE(r.exit_code == 0 ||
              r.err.find("unavailable") != std::string::npos)
      << r.err;
  // A token without the role: the daemon's reason, exit 1.
  const std::string checker = daemon_.dir().WriteFile("checker", kCheckerToken);
  r = RunProcess({CREDITCTL_PATH, "stats", "--connect", daemon_.endpoint(),
                  "--token-file", checker});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("lacks role 'admin'"), std::string::npos) << r.err;
}

TEST(DaemonStartTest, RefusesBadConfigWithFileAndLine) {
  TempDir dir;
  const std::string path =
      dir.WriteFile("bad.toml", "[server]\nport = 70000\n");
  ProcessResult r = RunProcess({CREDITD_PATH, "--config", path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.toml:2: server.port"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace creditd::testing
