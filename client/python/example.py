#!/usr/bin/env python3
"""Checks every code in a bidder list (one code, optionally a tab and a name, per line) and
prints one TSV line per bidder: code, verdict, receipt, and the lists that counted.

    example.py --host 127.0.0.1 --port 7411 --token TOKEN --scenario bidding bidders.tsv
"""

import argparse
import sys

from creditd_client import Client, CreditdError


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=7411)
    ap.add_argument("--token", required=True)
    ap.add_argument("--scenario", default="bidding")
    ap.add_argument("file", nargs="?", default="-")
    args = ap.parse_args()
    lines = (sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")).read().splitlines()
    entries = []
    for line in lines:
        if not line.strip():
            continue
        code, _, name = line.partition("\t")
        entries.append((code.strip(), name.strip()))
    with Client(args.host, args.port, token=args.token) as c:
        try:
            reply = c.batch_check(entries, scenario=args.scenario)
        except CreditdError as e:
            print("creditd: %s" % e, file=sys.stderr)
            return 2
    for (code, _), entry in zip(entries, reply.entries):
        if entry.HasField("error"):
            print("%s\terror\t\t%s" % (code, entry.error.message))
            continue
        r = entry.result
        lists = ",".join(sorted({x.record.list for x in r.records if x.disposition == "counted"}))
        print("%s\t%s\t%s\t%s" % (code, r.verdict, r.receipt, lists))
    return 0


if __name__ == "__main__":
    sys.exit(main())
