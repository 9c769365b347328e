#!/usr/bin/env python3
"""The Python client against the real daemon: every operation once, plus error replies.

Run by ctest: python_client_test.py CREDITD CREDITCTL PROTO_DIR CLIENT_DIR.
Needs only /usr/bin/python3 with python3-protobuf and protoc (scripts/bootstrap installs both).
"""

import hashlib
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

CREDITD, CREDITCTL, PROTO_DIR, CLIENT_DIR = sys.argv[1:5]
TMP = tempfile.mkdtemp(prefix="creditd-pytest-")
subprocess.run(["protoc", "--python_out=" + TMP, "-I", PROTO_DIR,
                os.path.join(PROTO_DIR, "creditd.proto")], check=True)
shutil.copy(os.path.join(CLIENT_DIR, "creditd_client.py"), TMP)
sys.path.insert(0, TMP)
from creditd_client import Client, CreditdError  # noqa: E402

TOKEN = "py-secret"
SUBJECTS = """\
{"id":"S1","code":"91350100M000100Y43","name":"福州鑫盛达科技有限公司","former_names":["福州鑫盛达贸易有限公司"]}
{"id":"S2","code":"914403001922038216","name":"华为技术有限公司"}
{"id":"S3","code":"91110108551385082Q","name":"小米科技有限责任公司","status":"revoked"}
"""
RECORDS = """\
{"id":"R1","code":"91350100M000100Y43","list":"serious_dishonesty","authority":"福州市市场监督管理局","valid_from":"2020-01-01"}
{"id":"R2","code":"914403001922038216","list":"red_list","valid_from":"2020-01-01"}
"""


class PythonClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        data = os.path.join(TMP, "db")
        for name, text in (("s.jsonl", SUBJECTS), ("r.jsonl", RECORDS)):
            with open(os.path.join(TMP, name), "w", encoding="utf-8") as f:
                f.write(text)
        subprocess.run([CREDITCTL, "load", "--quiet", "--data", data,
                        os.path.join(TMP, "s.jsonl"), os.path.join(TMP, "r.jsonl")],
                       check=True, stdout=subprocess.DEVNULL)
        sha = hashlib.sha256(TOKEN.encode()).hexdigest()
        config = os.path.join(TMP, "creditd.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write('[server]\naddress = "127.0.0.1"\nport = 0\ndata_dir = "%s"\n'
                    '[metrics]\nport = 0\n[audit]\ndir = "%s/audit"\n'
                    '[[auth.tokens]]\nname = "py"\nsha256 = "%s"\n'
                    'roles = ["check", "match", "dups", "write", "admin"]\n'
                    '[[auth.tokens]]\nname = "reader"\nsha256 = "%s"\nroles = ["check"]\n'
                    % (data, TMP, sha, hashlib.sha256(b"reader-secret").hexdigest()))
        cls.log = open(os.path.join(TMP, "creditd.log"), "w+")
        cls.proc = subprocess.Popen([CREDITD, "--config", config], stdout=cls.log,
                                    stderr=subprocess.STDOUT)
        cls.port = None
        for _ in range(300):
            cls.log.seek(0)
            for line in cls.log.read().splitlines():
                if line.startswith("listening 127.0.0.1:"):
                    cls.port = int(line.rsplit(":", 1)[1])
            if cls.port or cls.proc.poll() is not None:
                break
            time.sleep(0.1)
        if not cls.port:
            raise RuntimeError("creditd did not start")

    @classmethod
    def tearDownClass(cls):
        cls.proc.send_signal(signal.SIGTERM)
        cls.proc.wait(timeout=20)
        cls.log.close()
        shutil.rmtree(TMP, ignore_errors=True)

    def client(self, token=TOKEN):
        return Client("127.0.0.1", self.port, token=token)

    def test_check_verdicts_and_receipt(self):
        with self.client() as c:
            blocked = c.check("91350100M000100Y43", scenario="government_procurement")
            self.assertEqual(blocked.verdict, "block")
            self.assertEqual(blocked.records[0].record.list, "serious_dishonesty")
            self.assertTrue(c.receipt(blocked.receipt).line.startswith("{"))
            red = c.check("914403001922038216", scenario="honours")
            self.assertIn(red.verdict, ("incentive", "clear"))
            revoked = c.check("91110108551385082Q", scenario="bidding")
            self.assertEqual(revoked.verdict, "warn")
            invalid = c.check("91350100M000100Y44", scenario="bidding")
            self.assertEqual(invalid.code_fault, "check_character")
            mismatch = c.check("914403001922038216", name="福州鑫盛达科技有限公司",
                               scenario="bidding")
            self.assertIn("name_mismatch", [i.kind for i in mismatch.issues])
            batch = c.batch_check([("91350100M000100Y43", ""), ("", "")],
                                  scenario="bidding")
            self.assertEqual(len(batch.entries), 2)
            self.assertEqual(batch.entries[0].result.verdict, "block")
            self.assertTrue(batch.entries[1].HasField("error"))

    def test_names_codes_and_lookup(self):
        with self.client() as c:
            v = c.validate(["91350100M000100Y43", "91350100M000100Y44"]).results
            self.assertEqual([x.valid for x in v], [True, False])
            m = c.match("福州鑫盛达贸易有限公司", top_k=3)
            self.assertEqual(m.candidates[0].subject.id, "S1")
            self.assertTrue(m.candidates[0].via_former_name)
            self.assertTrue(c.compare_names("鑫盛达科技(福州)有限公司",
                                            "福州鑫盛达科技有限公司").same_subject_likely)
            self.assertEqual(c.subject(code="914403001922038216").subjects[0].name, "华为技术有限公司")
            x = c.extract("中标候选人：91350100M000100Y43、9135010OM000100Y43", check=True)
            self.assertEqual([e.validation.valid for e in x.codes], [True, False])
            self.assertIn("codes", c.duplicate_report().summary)
            self.assertGreaterEqual(c.stats().subjects, 3)
            self.assertEqual(c.ping(b"hi").payload, b"hi")

    def test_writes_are_visible_on_another_connection(self):
        with self.client() as w, self.client() as r:
            res = w.upsert_subjects([{"id": "S9", "code": "91440300192317458F",
                                      "name": "比亚迪股份有限公司"}])
            self.assertEqual(res.subjects_new, 1)
            self.assertEqual(len(res.flags), 0)
            self.assertEqual(r.subject(id="S9").subjects[0].code, "91440300192317458F")
            w.put_records([{"id": "R9", "code": "91440300192317458F",
                            "list": "abnormal_operation", "valid_from": "2021-01-01"}])
            self.assertEqual(r.check("91440300192317458F", scenario="bidding").verdict, "warn")
            w.repair_record("R9", "2022-01-01")
            self.assertEqual(r.check("91440300192317458F", scenario="bidding").verdict, "clear")
            # A second subject under an existing code, and an erroneous code: the
            # writes land and the writer is told (重码 / 错码 flags), stats count them.
            flagged = w.upsert_subjects([
                {"id": "S10", "code": "91440300192317458F", "name": "另一家公司"},
                {"id": "S11", "code": "91440300192317458X", "name": "错码公司"}])
            self.assertEqual(flagged.subjects_new, 2)
            self.assertEqual(sorted(f.kind for f in flagged.flags),
                             ["code_shared", "erroneous_code"])
            shared = [f for f in flagged.flags if f.kind == "code_shared"][0]
            self.assertEqual(list(shared.other_ids), ["S9"])
            self.assertGreaterEqual(r.stats().write_flags, 2)

    def test_duplicate_report_by_region(self):
        # Subjects of their own in two divisions no other test writes to (620102,
        # 530102): a code carried by two different subjects (重码) in 620102, and an
        # erroneous code (check character) in 530102.
        with self.client() as c:
            c.upsert_subjects([
                {"id": "G1", "code": "91620102MA7Y2DEX6F", "name": "兰州甲商贸有限公司",
                 "region": "620102"},
                {"id": "G2", "code": "91620102MA7Y2DEX6F", "name": "兰州乙建材有限公司",
                 "region": "620102"},
                {"id": "Y1", "code": "91530102MA6K0L9X00", "name": "昆明丙科技有限公司",
                 "region": "530102"}])

            def ids(findings):
                return {i for f in findings for i in f.subject_ids}

            lanzhou = c.duplicate_report(region_prefix="62")
            self.assertIn("in region 62*", lanzhou.summary)
            self.assertEqual(lanzhou.total_findings, len(lanzhou.findings))
            self.assertIn("G1", ids(lanzhou.findings))
            self.assertNotIn("Y1", ids(lanzhou.findings))
            self.assertTrue(all(str(f.region).startswith("62") for f in lanzhou.findings))
            kunming = c.duplicate_report(region_prefix="530102")
            self.assertEqual(ids(kunming.findings), {"Y1"})
            self.assertEqual(kunming.findings[0].kind, "erroneous_code")
            # Paged one finding at a time: the same findings as one page.
            paged = list(c.duplicate_findings(region_prefix="6201", limit=1))
            self.assertEqual([(f.kind, list(f.codes)) for f in paged],
                             [(f.kind, list(f.codes)) for f in
                              c.duplicate_report(region_prefix="6201").findings])
            # No filter: every finding, including both regions'.
            everything = list(c.duplicate_findings())
            self.assertTrue({"G1", "G2", "Y1"} <= ids(everything))
            self.assertGreater(len(everything), len(lanzhou.findings))
            # A bad prefix is a request error naming the field and the value; the
            # connection stays usable.
            for bad in ("6x", "6201021", "-1"):
                with self.assertRaises(CreditdError) as e:
                    c.duplicate_report(region_prefix=bad)
                self.assertEqual(e.exception.name, "invalid_argument")
                self.assertIn("region_prefix: '%s' is not 1-6 digits" % bad,
                              e.exception.message)
            self.assertEqual(c.ping(b"still").payload, b"still")

    def test_errors(self):
        with self.client(token="reader-secret") as c:
            with self.assertRaises(CreditdError) as e:
                c.check("91350100M000100Y43", scenario="bidding", admin_view=True)
            self.assertEqual(e.exception.name, "permission_denied")
            with self.assertRaises(CreditdError) as e:
                c.match("华为")
            self.assertEqual(e.exception.name, "permission_denied")
        with self.assertRaises(CreditdError):
            Client("127.0.0.1", self.port, token="wrong")



def start_daemon(tmp, extra_config):
    """Loads SUBJECTS/RECORDS into tmp/db and starts creditd; returns (proc, log, port)."""
    data = os.path.join(tmp, "db")
    for name, text in (("s.jsonl", SUBJECTS), ("r.jsonl", RECORDS)):
        with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
            f.write(text)
    subprocess.run([CREDITCTL, "load", "--quiet", "--data", data,
                    os.path.join(tmp, "s.jsonl"), os.path.join(tmp, "r.jsonl")],
                   check=True, stdout=subprocess.DEVNULL)
    config = os.path.join(tmp, "creditd.toml")
    with open(config, "w", encoding="utf-8") as f:
        f.write('[server]\naddress = "127.0.0.1"\nport = 0\ndata_dir = "%s"\n'
                '[metrics]\nport = 0\n[audit]\ndir = "%s/audit"\n'
                '[[auth.tokens]]\nname = "py"\nsha256 = "%s"\n'
                'roles = ["check", "match", "dups", "write", "admin"]\n%s'
                % (data, tmp, hashlib.sha256(TOKEN.encode()).hexdigest(), extra_config))
    log = open(os.path.join(tmp, "creditd.log"), "w+")
    proc = subprocess.Popen([CREDITD, "--config", config], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        log.seek(0)
        for line in log.read().splitlines():
            if line.startswith("listening 127.0.0.1:"):
                return proc, log, int(line.rsplit(":", 1)[1])
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    log.seek(0)
    raise RuntimeError("creditd did not start:\n" + log.read())


class TlsClientTest(unittest.TestCase):
    """The tls/cafile options against a daemon with [tls]; certificates made at run time."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="creditd-pytls-")
        t = cls.tmp
        cls.ca = os.path.join(t, "ca.pem")
        with open(os.path.join(t, "san.ext"), "w") as f:
            f.write("subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                    "extendedKeyUsage = serverAuth\n")
        for argv in (
                ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", t + "/ca_key.pem",
                 "-out", cls.ca, "-days", "2", "-subj", "/CN=creditd test CA"],
                ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", t + "/key.pem",
                 "-out", t + "/cert.csr", "-subj", "/CN=127.0.0.1"],
                ["x509", "-req", "-in", t + "/cert.csr", "-CA", cls.ca, "-CAkey",
                 t + "/ca_key.pem", "-CAcreateserial", "-out", t + "/cert.pem", "-days", "2",
                 "-extfile", t + "/san.ext"]):
            subprocess.run(["openssl"] + argv, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        cls.proc, cls.log, cls.port = start_daemon(
            t, '[tls]\nenabled = true\ncert_file = "%s/cert.pem"\nkey_file = "%s/key.pem"\n'
            % (t, t))

    @classmethod
    def tearDownClass(cls):
        cls.proc.send_signal(signal.SIGTERM)
        cls.proc.wait(timeout=20)
        cls.log.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_check_and_match_over_tls(self):
        with Client("127.0.0.1", self.port, token=TOKEN, tls=True, cafile=self.ca) as c:
            r = c.check("91350100M000100Y43", scenario="bidding", date="2024-06-01")
            self.assertEqual(r.verdict, "block")
            m = c.match("华为技术有限公司")
            self.assertEqual(m.candidates[0].subject.id, "S2")
        with Client("localhost", self.port, token=TOKEN, tls=True, cafile=self.ca) as c:
            self.assertEqual(c.ping(b"x").payload, b"x")

    def test_untrusted_certificate_is_refused(self):
        with self.assertRaises(ssl.SSLCertVerificationError):
            Client("127.0.0.1", self.port, token=TOKEN, tls=True)

    def test_plain_client_fails_cleanly_and_daemon_keeps_serving(self):
        with self.assertRaises((ConnectionError, OSError)):
            Client("127.0.0.1", self.port, token=TOKEN, timeout=5.0)
        with Client("127.0.0.1", self.port, token=TOKEN, tls=True, cafile=self.ca) as c:
            self.assertEqual(c.ping(b"alive").payload, b"alive")
        self.assertIsNone(self.proc.poll())

    def test_cafile_without_tls_is_an_error(self):
        with self.assertRaises(ValueError):
            Client("127.0.0.1", self.port, cafile=self.ca)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=1)
