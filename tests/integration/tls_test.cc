// TLS on the client port (daemon/tls.h) against the real daemon. The test
// makes a throwaway CA and a server certificate for 127.0.0.1 with the
// openssl CLI at run time, starts creditd with [tls], and talks to it with
// the C++ client and creditctl; a plain-TCP client on the TLS port fails
// cleanly and the daemon keeps serving. Bad certificate or key files stop the
// daemon at start with file:line of the key and OpenSSL's reason. SIGHUP
// reloads the pair: new connections get a renewed certificate, open ones
// keep theirs, and a bad pair keeps the old one. (The Python client's TLS is
// tested in python_client_test.py.)
#include "tests/integration/daemon_harness.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace creditd::testing {
namespace {

using protocol::Opcode;

// CA + server certificate (SAN IP:127.0.0.1, DNS:localhost) in `dir`.
struct Certs {
  std::string ca, cert, key, other_key;
};

Certs MakeCerts(const TempDir& dir,
                const std::string& san = "IP:127.0.0.1, DNS:localhost") {
  Certs c;
  const std::string d = dir.path();
  c.ca = d + "/ca.pem";
  c.cert = d + "/cert.pem";
  c.key = d + "/key.pem";
  c.other_key = d + "/other_key.pem";
  const std::string ext = dir.WriteFile(
      "san.ext", "subjectAltName = " + san +
                     "\n"
                     "basicConstraints = CA:FALSE\n"
                     "keyUsage = digitalSignature, keyEncipherment\n"
                     "extendedKeyUsage = serverAuth\n");
  auto run = [](std::vector<std::string> argv) {
    ProcessResult r = RunProcess(argv);
    EXPECT_EQ(r.exit_code, 0) << argv[1] << ": " << r.err;
  };
  run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
       "-keyout", d + "/ca_key.pem", "-out", c.ca, "-days", "2", "-subj",
       "/CN=creditd test CA"});
  run({"/usr/bin/openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
       c.key, "-out", d + "/cert.csr", "-subj", "/CN=127.0.0.1"});
  run({"/usr/bin/openssl", "x509", "-req", "-in", d + "/cert.csr", "-CA", c.ca,
       "-CAkey", d + "/ca_key.pem", "-CAcreateserial", "-out", c.cert, "-days",
       "2", "-extfile", ext});
  run({"/usr/bin/openssl", "genpkey", "-algorithm", "RSA", "-out",
       c.other_key});
  return c;
}

std::string TlsConfig(const std::string& cert, const std::string& key) {
  return absl::StrFormat(
      "[tls]\nenabled = true\ncert_file = \"%s\"\nkey_file = \"%s\"\n", cert,
      key);
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_ = MakeCerts(certs_dir_);
    daemon_.set_extra_config(TlsConfig(certs_.cert, certs_.key));
    daemon_.Start();
  }
  ClientOptions Tls() const {
    ClientOptions o;
    o.tls = true;
    o.tls_ca_file = certs_.ca;
    return o;
  }

  TempDir certs_dir_;
  Certs certs_;
  DaemonProcess daemon_;
};

TEST_F(TlsTest, CheckAndMatchOverTls) {
  auto client = daemon_.ConnectWith(Tls());
  ASSERT_TRUE(client.ok()) << client.status() << daemon_.Log();
  proto::CheckRequest c;
  c.set_code(daemon_.code1);
  c.set_scenario("bidding");
  c.set_date("2024-06-01");
  auto r = (*client)->Check(c);
  if (r.ok()) {
    EXPECT_EQ(r->code(), daemon_.code1);
    EXPECT_EQ(r->subjects_size(), 1);
  } else {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  }
  proto::MatchRequest m;
  m.set_name("福州鑫盛达贸易有限公司");
  auto got = (*client)->Match(m);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_GE(got->candidates_size(), 1);
  EXPECT_EQ(got->candidates(0).subject().id(), "s1");
  // Pipelined replies (many in one TLS record) arrive intact.
  std::vector<uint64_t> ids;
  for (int i = 0; i < 20; ++i) {
    proto::PingRequest p;
    p.set_payload(std::string(1000 + i, 'x'));
    auto id = (*client)->Send(Opcode::kPing, p);
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  for (int i = 19; i >= 0; --i) {
    proto::PingResponse p;
    ASSERT_TRUE((*client)->Receive(ids[i], &p).ok());
    EXPECT_EQ(p.payload().size(), 1000u + i);
  }
  // A write (on the writer thread) answered over TLS.
  proto::UpsertSubjectsRequest u;
  proto::Subject* s = u.add_subjects();
  s->set_id("t1");
  s->set_code(MakeCode("T0000001"));
  s->set_name("三明绿源林业有限公司");
  auto w = (*client)->UpsertSubjects(u);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->subjects_new(), 1u);
}

TEST_F(TlsTest, CreditctlWithTls) {
  const std::string token = certs_dir_.WriteFile("token", kAdminToken);
  ProcessResult r = RunProcess({CREDITCTL_PATH, "match", "福州海峡科技有限公司",
                                "--connect", daemon_.endpoint(), "--token-file",
                                token, "--tls", "--tls-ca", certs_.ca});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"s2\""), std::string::npos) << r.out;
  // Without the CA the certificate is not trusted.
  r = RunProcess({CREDITCTL_PATH, "ping", "--connect", daemon_.endpoint(),
                  "--token-file", token, "--tls"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("certificate verification failed"), std::string::npos)
      << r.err;
  r = RunProcess({CREDITCTL_PATH, "ping", "--connect", daemon_.endpoint(),
                  "--token-file", token, "--tls-ca", certs_.ca});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--tls-ca needs --tls"), std::string::npos) << r.err;
}

TEST_F(TlsTest, HostNamesAreVerified) {
  // "localhost" is a DNS name in the certificate.
  ClientOptions o = Tls();
  o.endpoints = {absl::StrFormat("localhost:%d", daemon_.port())};
  auto client = daemon_.ConnectWith(o);
  ASSERT_TRUE(client.ok()) << client.status();

  // A daemon whose certificate names another host is refused.
  TempDir other_dir;
  Certs other = MakeCerts(other_dir, "DNS:other.example");
  DaemonProcess wrong;
  wrong.set_extra_config(TlsConfig(other.cert, other.key));
  wrong.Start();
  ClientOptions w;
  w.tls = true;
  w.tls_ca_file = other.ca;
  auto refused = wrong.ConnectWith(w);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find(
                "TLS handshake failed: certificate verification failed"),
            std::string::npos)
      << refused.status();
}

TEST_F(TlsTest, PlainTcpClientFailsCleanlyAndTheDaemonKeepsServing) {
  for (int i = 0; i < 3; ++i) {
    RawConnection raw(daemon_.port());
    ASSERT_TRUE(raw.connected());
    proto::HelloRequest h;
    h.set_client("plain");
    ASSERT_TRUE(raw.SendFrame(Opcode::kHello, 1, h));
    // No creditd frame comes back (a TLS alert at most), then the close.
    RawConnection::Reply r = raw.Read(std::chrono::seconds(5));
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(raw.Closed());
  }
  // The plain C++ client gets a clean error, not a hang.
  ClientOptions plain;
  plain.request_timeout = std::chrono::seconds(5);
  auto bad = daemon_.ConnectWith(plain);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnavailable)
      << bad.status();
  // And TLS clients are still served.
  auto client = daemon_.ConnectWith(Tls());
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Ping("still here").ok());
  EXPECT_TRUE(daemon_.Alive());
  EXPECT_NE(daemon_.Log().find("event=tls_handshake_failed"),
            std::string::npos);
}

// Occurrences of `needle` in `text`.
size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// Sends SIGHUP and waits (up to 20 s, a bound, not a measurement) for the
// daemon to log `event` once more than before.
void ReloadAndWaitFor(DaemonProcess& daemon, const std::string& event) {
  const size_t before = Count(daemon.Log(), event);
  ASSERT_EQ(daemon.Signal(SIGHUP), 0);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (Count(daemon.Log(), event) == before) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "no " << event << " after SIGHUP:\n"
        << daemon.Log();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

TEST_F(TlsTest, SighupReloadsARenewedCertificateAndKeepsTheOldOnError) {
  // A connection made with the first certificate.
  auto before = daemon_.ConnectWith(Tls());
  ASSERT_TRUE(before.ok()) << before.status();

  // The pair is renewed in place: same paths, a new CA and key.
  TempDir renewed_dir;
  Certs renewed = MakeCerts(renewed_dir);
  std::filesystem::copy_file(renewed.cert, certs_.cert,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(renewed.key, certs_.key,
                             std::filesystem::copy_options::overwrite_existing);
  ReloadAndWaitFor(daemon_, "event=tls_reloaded");

  // New connections get the renewed certificate: trusted with the new CA,
  // refused with the old one.
  ClientOptions with_new = Tls();
  with_new.tls_ca_file = renewed.ca;
  auto after = daemon_.ConnectWith(with_new);
  ASSERT_TRUE(after.ok()) << after.status() << daemon_.Log();
  ASSERT_TRUE((*after)->Ping("renewed").ok());
  auto old_ca = daemon_.ConnectWith(Tls());
  ASSERT_FALSE(old_ca.ok());
  EXPECT_NE(old_ca.status().message().find("certificate verification failed"),
            std::string::npos)
      << old_ca.status();
  // The connection made before the reload goes on with its session.
  ASSERT_TRUE((*before)->Ping("still the old session").ok());

  // A bad pair (the key does not match the certificate) is refused with a
  // logged reason; the renewed pair stays in use.
  std::filesystem::copy_file(certs_.other_key, certs_.key,
                             std::filesystem::copy_options::overwrite_existing);
  ReloadAndWaitFor(daemon_, "event=tls_reload_failed");
  EXPECT_NE(daemon_.Log().find("does not match the certificate in "
                               "tls.cert_file"),
            std::string::npos)
      << daemon_.Log();
  auto still = daemon_.ConnectWith(with_new);
  ASSERT_TRUE(still.ok()) << still.status() << daemon_.Log();
  ASSERT_TRUE((*still)->Ping("kept").ok());
  EXPECT_TRUE(daemon_.Alive());
}

TEST_F(TlsTest, TlsClientAgainstAPlainPortFailsCleanly) {
  DaemonProcess plain;
  plain.Start();
  auto client = plain.ConnectWith(Tls());
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(client.status().message().find("TLS handshake failed"),
            std::string::npos)
      << client.status();
  EXPECT_TRUE(plain.Alive());
}

// Start-up errors: file:line of the key, the file, and OpenSSL's reason.
class TlsStartTest : public ::testing::Test {
 protected:
  ProcessResult StartWith(const std::string& tls_toml) {
    const std::string config = dir_.WriteFile(
        "creditd.toml",
        absl::StrFormat("[server]\nport = 0\ndata_dir = \"%s/data\"\n"
                        "[metrics]\nenabled = false\n"
                        "[audit]\ndir = \"%s/audit\"\n%s",
                        dir_.path(), dir_.path(), tls_toml));
    return RunProcess({CREDITD_PATH, "--config", config});
  }
  TempDir dir_;
  TempDir certs_dir_;
};

TEST_F(TlsStartTest, MissingCertificate) {
  Certs c = MakeCerts(certs_dir_);
  ProcessResult r =
      StartWith(TlsConfig(certs_dir_.path() + "/nope.pem", c.key));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(
      r.err.find("creditd.toml:10: tls.cert_file: cannot read '" +
                 certs_dir_.path() + "/nope.pem': No such file or directory"),
      std::string::npos)
      << r.err;
}

TEST_F(TlsStartTest, CertificateFileIsNotPem) {
  Certs c = MakeCerts(certs_dir_);
  const std::string junk = certs_dir_.WriteFile("junk.pem", "not a cert\n");
  ProcessResult r = StartWith(TlsConfig(junk, c.key));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("creditd.toml:10: tls.cert_file: cannot load '" + junk +
                       "' as a PEM certificate chain: error:"),
            std::string::npos)
      << r.err;
}

TEST_F(TlsStartTest, KeyFileIsNotAKey) {
  Certs c = MakeCerts(certs_dir_);
  ProcessResult r = StartWith(TlsConfig(c.cert, c.cert));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("creditd.toml:11: tls.key_file: cannot load '" + c.cert +
                       "' as a PEM private key: error:"),
            std::string::npos)
      << r.err;
}

TEST_F(TlsStartTest, KeyDoesNotMatchTheCertificate) {
  Certs c = MakeCerts(certs_dir_);
  ProcessResult r = StartWith(TlsConfig(c.cert, c.other_key));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("creditd.toml:11: tls.key_file: '" + c.other_key +
                       "' does not match the certificate in tls.cert_file"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace creditd::testing
