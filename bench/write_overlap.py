#!/usr/bin/env python3
"""Reads during a write commit: how long a read waits while a big write commits.

Starts creditd (built binary) on a fresh data directory, then, ROUNDS times:
connection W sends one upsert_subjects of BATCH new subjects with a subject_lookup
pipelined behind it; connection R sends subject_lookups one after another until W's
write is acknowledged. Prints the commit time (write sent -> its reply), when the
pipelined lookup on W was answered, and R's lookup latencies during the commit.
Before issue 7 item 1 a write ran on the I/O thread that read it, so the lookup
behind it waited for the whole commit.

usage: bench/write_overlap.py CREDITD PROTO_DIR [--batch 5000] [--rounds 5] [--cpu N]
  --cpu N   pin the daemon to CPU N (taskset); the script itself is not pinned.
Needs /usr/bin/python3 with python3-protobuf and protoc.
"""

import argparse
import hashlib
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HEADER = struct.Struct("<4sBBHQI")
OP_AUTH, OP_LOOKUP, OP_UPSERT = 2, 22, 40


ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_code(body):
    """A valid USCC "91350100" + 8-character org body + the two check characters."""
    value = lambda c: int(c) if c.isdigit() else ord(c) - ord("A") + 10
    s = sum(value(c) * w for c, w in zip(body, [3, 7, 9, 10, 5, 8, 4, 2]))
    org = {10: "X", 11: "0"}.get(11 - s % 11, str(11 - s % 11))
    code = "91350100" + body + org
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    s = sum(ALPHABET.index(c) * w for c, w in zip(code, weights))
    return code + ALPHABET[(31 - s % 31) % 31]


def frame(op, rid, msg):
    body = msg.SerializeToString()
    return HEADER.pack(b"CRDT", 1, 0, op, rid, len(body)) + body


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf.extend(chunk)
    return bytes(buf)


def read_reply(s):
    _, _, flags, _, rid, length = HEADER.unpack(recv_exact(s, HEADER.size))
    recv_exact(s, length)
    if flags & 0x02:
        raise RuntimeError("error reply to %d" % rid)
    return rid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("creditd")
    ap.add_argument("proto_dir")
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cpu", type=int, default=None)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="creditd-overlap-")
    subprocess.run(["protoc", "--python_out=" + tmp, "-I", a.proto_dir,
                    os.path.join(a.proto_dir, "creditd.proto")], check=True)
    sys.path.insert(0, tmp)
    import creditd_pb2 as pb
    token = "bench"
    config = os.path.join(tmp, "c.toml")
    with open(config, "w") as f:
        f.write('[server]\nport = 0\nio_threads = 2\ndata_dir = "%s/data"\n[metrics]\nenabled = false\n'
                '[audit]\ndir = "%s/audit"\n[limits]\nmax_batch = 10000\nmax_frame_bytes = 16777216\n'
                '[[auth.tokens]]\nname = "b"\nsha256 = "%s"\nroles = ["match", "write"]\n'
                'rate_limit_per_second = 1000000\n'
                % (tmp, tmp, hashlib.sha256(token.encode()).hexdigest()))
    argv = [a.creditd, "--config", config]
    if a.cpu is not None:
        argv = ["taskset", "-c", str(a.cpu)] + argv
    log = open(os.path.join(tmp, "log"), "w+")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    port = None
    for _ in range(600):
        log.seek(0)
        for line in log.read().splitlines():
            if line.startswith("listening "):
                port = int(line.rsplit(":", 1)[1])
        if port:
            break
        time.sleep(0.05)

    def connect():
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(frame(OP_AUTH, 1, pb.AuthRequest(token=token)))
        read_reply(s)
        return s

    w, r = connect(), connect()
    w.sendall(frame(OP_UPSERT, 2, pb.UpsertSubjectsRequest(subjects=[
        pb.Subject(id="probe", code="91350100M000100Y43", name="福州探针有限公司")])))
    read_reply(w)
    lookup = pb.SubjectLookupRequest(id="probe")
    print("creditd %s, batch %d, load average %s" % (
        a.creditd, a.batch, open("/proc/loadavg").read().split()[:3]))
    for rnd in range(a.rounds):
        req = pb.UpsertSubjectsRequest()
        for i in range(a.batch):
            req.subjects.add(id="r%d-%d" % (rnd, i), code=make_code("W%07d" % (rnd * a.batch + i)),
                             name="福州测试%d号贸易有限公司" % (rnd * a.batch + i))
        data = frame(OP_UPSERT, 10, req) + frame(OP_LOOKUP, 11, lookup)
        t0 = time.perf_counter()
        w.sendall(data)
        w.setblocking(False)
        got = {}
        lat = []
        buf = b""
        while 10 not in got:
            t = time.perf_counter()
            r.sendall(frame(OP_LOOKUP, 99, lookup))
            read_reply(r)
            lat.append(time.perf_counter() - t)
            try:
                buf += w.recv(1 << 20)
            except BlockingIOError:
                pass
            while len(buf) >= HEADER.size:
                _, _, flags, _, rid, length = HEADER.unpack(buf[:HEADER.size])
                if len(buf) < HEADER.size + length:
                    break
                buf = buf[HEADER.size + length:]
                got[rid] = time.perf_counter() - t0
        w.setblocking(True)
        print("round %d: write acked %.1f ms; lookup pipelined behind it answered %.1f ms "
              "(%s); other connection: %d lookups during the commit, p50 %.2f ms, max %.2f ms"
              % (rnd, got[10] * 1e3, got.get(11, float("nan")) * 1e3,
                 "before the write" if got.get(11, 1e9) < got[10] else "after the write",
                 len(lat), statistics.median(lat) * 1e3, max(lat) * 1e3))
    print("load average after: %s" % open("/proc/loadavg").read().split()[:3])
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
