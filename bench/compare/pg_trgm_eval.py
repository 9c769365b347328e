#!/usr/bin/env python3
"""Runs the labelled queries against pg_trgm through psql and prints recall
and latency next to creditd's figures (helper of bench/compare/pg_trgm.sh).

usage: pg_trgm_eval.py --queries FILE --creditd FILE [--threshold T] -- PSQL...
  FILE formats: queries.tsv (kind, expected id, query) and the
  "key<TAB>value" summary written by match_eval --summary.
"""
import argparse
import re
import subprocess
import sys

KINDS = ["typo", "homophone", "traditional", "width_space", "suffix_variant",
         "region_moved", "region_dropped", "char_dropped", "chars_transposed",
         "short_form"]


def quote(s):
    return "'" + s.replace("'", "''") + "'"


def percentile(values, p):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(p * len(v)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", required=True)
    ap.add_argument("--creditd", required=True)
    ap.add_argument("--threshold", default="0.3")
    ap.add_argument("psql", nargs="+")
    a = ap.parse_args()

    queries = []
    with open(a.queries, encoding="utf-8") as f:
        for line in f:
            kind, expected, query = line.rstrip("\n").split("\t", 2)
            queries.append((kind, expected, query))

    # One script: markers around each query so that rows and \timing lines
    # can be attributed. A warm-up pass over the first queries comes first.
    script = ["SET pg_trgm.similarity_threshold = %s;" % float(a.threshold)]
    body = []
    for i, (_, _, q) in enumerate(queries):
        body.append("\\echo @@Q %d" % i)
        body.append(
            "SELECT subject_id FROM (SELECT subject_id, "
            "max(similarity(name, %s)) s FROM names WHERE name %% %s "
            "GROUP BY subject_id) t ORDER BY s DESC, subject_id LIMIT 10;"
            % (quote(q), quote(q)))
    warm = [l.replace("@@Q", "@@W") for l in body[:400]]
    script += warm + ["\\timing on"] + body
    out = subprocess.run(a.psql + ["-t", "-A"], input="\n".join(script) + "\n",
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        sys.exit(1)

    rows = {}
    times = {}
    current = None
    for line in out.stdout.splitlines():
        if line.startswith("@@W"):
            current = None
        elif line.startswith("@@Q "):
            current = int(line[4:])
            rows[current] = []
        elif current is not None:
            m = re.match(r"Time: ([0-9.]+) ms", line)
            if m:
                times[current] = float(m.group(1)) * 1000.0
            elif line:
                rows[current].append(line)

    n = {k: 0 for k in KINDS}
    h1 = {k: 0 for k in KINDS}
    h10 = {k: 0 for k in KINDS}
    for i, (kind, expected, _) in enumerate(queries):
        n[kind] = n.get(kind, 0) + 1
        r = rows.get(i, [])
        if r[:1] == [expected]:
            h1[kind] = h1.get(kind, 0) + 1
        if expected in r[:10]:
            h10[kind] = h10.get(kind, 0) + 1

    c = {}
    with open(a.creditd, encoding="utf-8") as f:
        for line in f:
            k, v = line.rstrip("\n").split("\t")
            c[k] = float(v)

    def rate(x, y):
        return x / y if y else 0.0

    print("\n%-18s %7s | %-19s | %-19s" % ("", "", "creditd", "pg_trgm (GIN, %)"))
    print("%-18s %7s | %9s %9s | %9s %9s" % ("kind", "queries", "recall@1",
                                              "recall@10", "recall@1",
                                              "recall@10"))
    tn = t1 = t10 = 0
    for k in KINDS:
        print("%-18s %7d | %9.4f %9.4f | %9.4f %9.4f" % (
            k, n[k], c.get("recall1." + k, 0), c.get("recall10." + k, 0),
            rate(h1[k], n[k]), rate(h10[k], n[k])))
        tn += n[k]
        t1 += h1[k]
        t10 += h10[k]
    print("%-18s %7d | %9.4f %9.4f | %9.4f %9.4f" % (
        "all", tn, c.get("recall1.all", 0), c.get("recall10.all", 0),
        rate(t1, tn), rate(t10, tn)))
    lat = list(times.values())
    print("%-18s %7s | %9.1f %9.1f | %9.1f %9.1f" % (
        "latency us p50/p99", "", c.get("p50_us", 0), c.get("p99_us", 0),
        percentile(lat, 0.5), percentile(lat, 0.99)))
    print("(creditd: Match top-10 in process; pg_trgm: psql \\timing over a "
          "unix socket, similarity_threshold %s, %d timed queries)"
          % (a.threshold, len(lat)))


if __name__ == "__main__":
    main()
