#!/usr/bin/env python3
"""Check latency and rate by audit.fsync_interval_ms (0 = fdatasync per check).

Starts creditd (built binary) once per interval given, on a small fixture, and runs
checks one after another on one connection for SECONDS, then prints checks/s and
p50/p99 latency. One sequential client: this measures what one caller waits,
not the daemon's peak throughput.

usage: bench/audit_fsync.py CREDITD CREDITCTL PROTO_DIR CLIENT_DIR [--seconds 3]
                            [--intervals 0,100] [--cpu N]
"""

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
for name in ("creditd", "creditctl", "proto_dir", "client_dir"):
    ap.add_argument(name)
ap.add_argument("--seconds", type=float, default=3.0)
ap.add_argument("--intervals", default="0,100")
ap.add_argument("--cpu", type=int, default=None)
a = ap.parse_args()
tmp = tempfile.mkdtemp(prefix="creditd-fsync-")
subprocess.run(["protoc", "--python_out=" + tmp, "-I", a.proto_dir,
                os.path.join(a.proto_dir, "creditd.proto")], check=True)
shutil.copy(os.path.join(a.client_dir, "creditd_client.py"), tmp)
sys.path.insert(0, tmp)
from creditd_client import Client  # noqa: E402

with open(os.path.join(tmp, "s.jsonl"), "w") as f:
    f.write('{"id":"S1","code":"91350100M000100Y43","name":"福州鑫盛达科技有限公司"}\n')
with open(os.path.join(tmp, "r.jsonl"), "w") as f:
    f.write('{"id":"R1","code":"91350100M000100Y43","list":"serious_dishonesty",'
            '"valid_from":"2020-01-01"}\n')
subprocess.run([a.creditctl, "load", "--quiet", "--data", tmp + "/db", tmp + "/s.jsonl",
                tmp + "/r.jsonl"], check=True, stdout=subprocess.DEVNULL)
print("load average before: %s" % open("/proc/loadavg").read().split()[:3])
for interval in [int(x) for x in a.intervals.split(",")]:
    audit = "%s/audit-%d" % (tmp, interval)
    config = "%s/c-%d.toml" % (tmp, interval)
    with open(config, "w") as f:
        f.write('[server]\nport = 0\ndata_dir = "%s/db"\n[metrics]\nenabled = false\n'
                '[audit]\ndir = "%s"\nfsync_interval_ms = %d\n'
                '[[auth.tokens]]\nname = "b"\nsha256 = "%s"\nroles = ["check"]\n'
                'rate_limit_per_second = 1000000\n'
                % (tmp, audit, interval, hashlib.sha256(b"bench").hexdigest()))
    argv = [a.creditd, "--config", config]
    if a.cpu is not None:
        argv = ["taskset", "-c", str(a.cpu)] + argv
    log = open(config + ".log", "w+")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    port = None
    while port is None and proc.poll() is None:
        time.sleep(0.05)
        log.seek(0)
        for line in log.read().splitlines():
            if line.startswith("listening "):
                port = int(line.rsplit(":", 1)[1])
    lat = []
    with Client("127.0.0.1", port, token="bench") as c:
        end = time.perf_counter() + a.seconds
        while time.perf_counter() < end:
            t = time.perf_counter()
            c.check("91350100M000100Y43", scenario="bidding", date="2024-06-01")
            lat.append(time.perf_counter() - t)
    lat.sort()
    print("fsync_interval_ms=%d: %d checks in %.1f s = %.0f checks/s; p50 %.2f ms, p99 %.2f ms"
          % (interval, len(lat), a.seconds, len(lat) / a.seconds,
             lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.99)] * 1e3))
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
print("load average after: %s" % open("/proc/loadavg").read().split()[:3])
shutil.rmtree(tmp, ignore_errors=True)
