#!/usr/bin/env python3
"""The README demo: against a running creditd on generated data, show a check that blocks, one
that clears, a fuzzy name match with its explanation, and the duplicate report summary.

    demo.py --port PORT --token TOKEN --data GENERATED_DIR
"""

import argparse
import datetime
import json
import os

from creditd_client import Client

BLACKLISTS = ("serious_dishonesty", "dishonest_judgment_debtor", "major_tax_violation",
              "procurement_violation")


def in_force(rec, today):
    if rec.get("repaired_on") and rec["repaired_on"] <= today:
        return False
    if rec.get("valid_from") and rec["valid_from"] > today:
        return False
    return not rec.get("valid_until") or rec["valid_until"] >= today


def pick(data_dir):
    """A blacklisted code in force, a code without records, and a labelled typo query."""
    today = datetime.date.today().isoformat()
    blocked, with_records = None, set()
    with open(os.path.join(data_dir, "records.jsonl"), encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            with_records.add(rec["code"])
            if blocked is None and rec["list"] in BLACKLISTS and in_force(rec, today) \
                    and not rec.get("disputed"):
                blocked = rec
    clear = None
    with open(os.path.join(data_dir, "subjects.jsonl"), encoding="utf-8") as f:
        for line in f:
            s = json.loads(line)
            if s["code"] not in with_records and s["code"].startswith("91") and \
                    s.get("status", "active") == "active" and len(s["code"]) == 18:
                clear = s
                break
    query = None
    with open(os.path.join(data_dir, "name_variants.jsonl"), encoding="utf-8") as f:
        for line in f:
            v = json.loads(line)
            if v["kind"] in ("typo", "homophone", "region_moved"):
                query = v
                break
    return blocked, clear, query


def show_check(c, title, code, name=""):
    r = c.check(code, name=name, scenario="government_procurement")
    print("\n== %s: check %s (scenario government_procurement)" % (title, code))
    print("   verdict %s  identity %s  receipt %s  data version %d" %
          (r.verdict.upper(), r.identity, r.receipt, r.data_version))
    for s in r.subjects:
        print("   subject %s  %s  %s  region %s" % (s.name, s.kind, s.status, s.region))
    for x in r.records:
        rec = x.record
        print("   record %-26s %-9s %s  %s  %s" % (rec.list, x.action or "-", rec.doc_no,
                                                   rec.authority, x.disposition))
    if r.fired_basis:
        print("   legal basis: %s" % r.fired_basis)
    if r.fired_wording:
        print("   measure: %s" % r.fired_wording)
    for issue in r.issues:
        print("   note %s: %s" % (issue.kind, issue.message))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--data", required=True, help="the creditd-datagen output directory")
    args = ap.parse_args()
    blocked, clear, query = pick(args.data)
    with Client(args.host, args.port, token=args.token, client="creditd-demo") as c:
        print("connected to %s as %s (roles %s); %d subjects" %
              (c.server.server, c.identity.name, ",".join(c.identity.roles), c.stats().subjects))
        if blocked:
            show_check(c, "a blacklisted company", blocked["code"])
        if clear:
            show_check(c, "a clean company", clear["code"], clear["name"])
            show_check(c, "a bidder quoting another company's code", clear["code"],
                       "福州某某建设工程有限公司")
        if query:
            m = c.match(query["query"], top_k=3)
            print("\n== name match: %r (a %s of %s)" % (query["query"], query["kind"],
                                                       query["original"]))
            for i, cand in enumerate(m.candidates, 1):
                print("   %d. %.3f %s %s" % (i, cand.score, cand.subject.code, cand.subject.name))
                print("      %s" % cand.explanation)
        print("\n== duplicate and erroneous codes (重错码)")
        print("   " + c.duplicate_report().summary)


if __name__ == "__main__":
    main()
