#!/usr/bin/env bash
# Redis GET baseline for the creditd check_hit workload (issue 7, STYLE 18).
#
# Starts a real redis-server (Debian package redis-server) on 127.0.0.1 on a
# free port, no persistence, pinned with taskset; loads KEYS keys of the same
# shape as a check (an 18-character code -> a small value) with
# `redis-cli --pipe`; runs `redis-benchmark GET` on random existing keys with
# the given connection count and pipelining, pinned; prints one CSV line per
# run; stops the server by its PID.
#
#   bench/compare/redis.sh --keys N --connections C --pipeline P \
#       --server-cpu 0 --client-cpu 1 [--seconds S] [--label L]
#
# Output lines: `redis,LABEL,C,P,RPS,P50_MS,P99_MS,MAX_MS` (redis-benchmark
# does not print p999). Note redis-benchmark -P semantics: it writes P
# requests, waits for all P replies, and records for each request the time to
# the FIRST reply of its batch; loadgen --mode batch records each request's
# own reply time, so at P > 1 Redis's latency is the more flattering one.
# Keys are "913501" + a 12-digit number (redis-benchmark -r fills
# __rand_int__ with 12 digits), i.e. the length of a USCC.
set -euo pipefail
keys=1000000 conns=50 pipeline=1 scpu=0 ccpu=1 seconds=10 label=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --keys) keys=$2; shift 2 ;;
    --connections) conns=$2; shift 2 ;;
    --pipeline) pipeline=$2; shift 2 ;;
    --server-cpu) scpu=$2; shift 2 ;;
    --client-cpu) ccpu=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --label) label=$2; shift 2 ;;
    *) echo "redis.sh: unknown flag $1" >&2; exit 2 ;;
  esac
done
for b in redis-server redis-cli redis-benchmark; do
  command -v $b >/dev/null || {
    echo "redis.sh: $b missing: apt-get install -y redis-server redis-tools" >&2
    exit 2
  }
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d /tmp/creditd-redis.XXXXXX)
taskset -c "$scpu" redis-server --bind 127.0.0.1 --port "$port" --save '' \
  --appendonly no --dir "$dir" --daemonize no --protected-mode yes \
  --logfile "$dir/redis.log" &
rpid=$!
trap 'kill -TERM $rpid 2>/dev/null; wait $rpid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

# Load: SET 913501%012d v:%012d (RESP, so --pipe does no parsing of ours).
awk -v n="$keys" 'BEGIN {
  for (i = 0; i < n; i++) {
    k = sprintf("913501%012d", i); v = sprintf("clear:%012d", i);
    printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
  }
}' | redis-cli -p "$port" --pipe >/dev/null
got=$(redis-cli -p "$port" dbsize)
[[ "$got" == "$keys" ]] || { echo "redis.sh: loaded $got keys, want $keys" >&2; exit 1; }

bench() {  # bench N -> redis-benchmark CSV line
  taskset -c "$ccpu" redis-benchmark -h 127.0.0.1 -p "$port" -c "$conns" \
    -P "$pipeline" -n "$1" -r "$keys" --csv GET 913501__rand_int__ | tail -1
}
# Calibrate -n so the run lasts about $seconds (redis-benchmark counts requests).
cal=$(bench 200000)
rps=$(echo "$cal" | tr -d '"' | cut -d, -f2)
n=$(python3 -c "print(max(200000, int(float('$rps') * $seconds)))")
line=$(bench "$n" | tr -d '"')
# "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
IFS=, read -r _ rps _avg _min p50 _p95 p99 max <<<"$line"
echo "redis,$label,$conns,$pipeline,$rps,$p50,$p99,$max"
