# Sourced by the bench scripts that start creditd (loadgen_run.sh, cpu_ab.sh):
#   bench_daemon_config FILE DATA_DIR AUDIT_DIR IO_THREADS TOKEN_SHA256
# writes the daemon configuration they share: loopback on a free port, metrics on, audit in
# AUDIT_DIR (flushed every 100 ms, the default), one token with the check and match roles and
# no practical rate limit.
bench_daemon_config() {
  cat >"$1" <<TOML
[server]
address = "127.0.0.1"
port = 0
io_threads = $4
data_dir = "$2"
[metrics]
enabled = true
address = "127.0.0.1"
port = 0
[audit]
dir = "$3"
fsync_interval_ms = 100
[[auth.tokens]]
name = "bench"
sha256 = "$5"
roles = ["check", "match"]
rate_limit_per_second = 1000000
TOML
}
