#!/usr/bin/env bash
# The pg_trgm baseline for the name matcher (issue 5 item 6): loads the same
# generated names into PostgreSQL 15 with a GIN trigram index, runs the same
# labelled queries, and prints recall@1/@10 per variant kind and latency
# p50/p99 for pg_trgm next to creditd's (bench/match_eval) in one run.
#
#   bench/compare/pg_trgm.sh [--subjects N] [--variants M] [--seed S]
#                            [--build DIR] [--threshold T]
#
#   --subjects N   base subjects (default 100000)
#   --variants M   labelled queries (default 2000)
#   --seed S       generator seed (default 1)
#   --build DIR    build directory holding bench/match_eval (default build)
#   --threshold T  pg_trgm.similarity_threshold for the % operator
#                  (default 0.3, PostgreSQL's own default)
#
# PostgreSQL runs from Debian's postgresql-15 (scripts/bootstrap --bench) in a
# temporary directory, on a unix socket only (listen_addresses=''), and is
# stopped by its PID on exit. The cluster is initialised with
# --locale=C.UTF-8: pg_trgm needs a UTF-8 ctype to form trigrams from Chinese
# characters (under the C locale they are not "alphanumeric" and every name
# yields no trigrams). When run as root, the server runs as user postgres.
#
# What is measured for pg_trgm: the wall time of each query as psql's \timing
# reports it (client on the same host, unix socket), query:
#   SELECT subject_id FROM (SELECT subject_id, max(similarity(name, q)) s
#     FROM names WHERE name % q GROUP BY subject_id) t
#   ORDER BY s DESC, subject_id LIMIT 10
# names holds every current and former name (one row each), as creditd
# indexes them. For creditd: Match top-10 in process (bench/match_eval.cc).
set -euo pipefail

SUBJECTS=100000
VARIANTS=2000
SEED=1
BUILD=build
THRESHOLD=0.3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --subjects) SUBJECTS="$2"; shift 2 ;;
    --variants) VARIANTS="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --build) BUILD="$2"; shift 2 ;;
    --threshold) THRESHOLD="$2"; shift 2 ;;
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "pg_trgm.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MATCH_EVAL="$ROOT/$BUILD/bench/match_eval"
PGBIN=/usr/lib/postgresql/15/bin
if [[ ! -x "$MATCH_EVAL" ]]; then
  echo "pg_trgm.sh: $MATCH_EVAL not built (ninja -C $BUILD match_eval)" >&2
  exit 2
fi
if [[ ! -x "$PGBIN/initdb" ]]; then
  echo "pg_trgm.sh: PostgreSQL 15 not installed (scripts/bootstrap --bench," \
       "or apt-get install -y postgresql postgresql-contrib)" >&2
  exit 2
fi

WORK="$(mktemp -d /tmp/creditd-pgtrgm.XXXXXX)"
PG_PID=""
cleanup() {
  if [[ -n "$PG_PID" ]] && kill -0 "$PG_PID" 2>/dev/null; then
    kill -INT "$PG_PID"  # fast shutdown
    for _ in $(seq 1 100); do
      kill -0 "$PG_PID" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

AS_PG=()
if [[ "$(id -u)" == 0 ]]; then
  chown postgres "$WORK"
  AS_PG=(runuser -u postgres --)
fi

echo "== creditd (bench/match_eval, in process) =="
"$MATCH_EVAL" --subjects "$SUBJECTS" --variants "$VARIANTS" --seed "$SEED" \
  --dump "$WORK/data" --summary "$WORK/creditd.tsv"
chmod -R a+rX "$WORK/data"

echo
echo "== PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') pg_trgm =="
"${AS_PG[@]}" "$PGBIN/initdb" -D "$WORK/pg" --locale=C.UTF-8 -E UTF8 \
  -A trust -U postgres >/dev/null
mkdir -p "$WORK/sock" && chown --reference="$WORK/pg" "$WORK/sock"
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
  -o "-k $WORK/sock -c listen_addresses='' -c shared_buffers=512MB -c work_mem=64MB -c max_parallel_workers_per_gather=0" \
  start >/dev/null
PG_PID="$(head -1 "$WORK/pg/postmaster.pid")"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$WORK/sock" -U postgres -d postgres)

start=$(date +%s.%N)
"${PSQL[@]}" <<SQL
CREATE EXTENSION pg_trgm;
CREATE TABLE names (subject_id text NOT NULL, name text NOT NULL);
\copy names FROM '$WORK/data/names.tsv'
SQL
loaded=$(date +%s.%N)
"${PSQL[@]}" <<SQL
CREATE INDEX names_trgm ON names USING gin (name gin_trgm_ops);
ANALYZE names;
SQL
indexed=$(date +%s.%N)
"${PSQL[@]}" -t -A <<SQL
SELECT format('pg_trgm: %s names; load %s s, GIN build %s s; table %s MB, index %s MB = %s bytes/subject',
  (SELECT count(*) FROM names),
  round(($loaded - $start)::numeric, 1), round(($indexed - $loaded)::numeric, 1),
  pg_relation_size('names') / 1000000, pg_relation_size('names_trgm') / 1000000,
  round(pg_relation_size('names_trgm')::numeric / (SELECT count(DISTINCT subject_id) FROM names)));
SQL

python3 "$HERE/pg_trgm_eval.py" --queries "$WORK/data/queries.tsv" \
  --creditd "$WORK/creditd.tsv" --threshold "$THRESHOLD" -- "${PSQL[@]}"
