#!/usr/bin/env bash
# Stall probe: do generation pushes delay requests? One sidecar (2 workers) serves a big
# generation (CLUSTERS clusters, ROUTES routes) under steady load from wrk; the same load runs
# twice, without pushes and with a new version every PUSH_INTERVAL (each changes one cluster),
# and wrk's latency distribution (p99, max) is compared. Everything on 127.0.0.1, every
# process stopped by PID at the end. See bench/README.md.
#
#   ./bench/fleet/stall.sh                          # 1000 clusters, 10000 routes
#   CLUSTERS=5000 ROUTES=20000 ./bench/fleet/stall.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
BUILD_DIR=${STRAIT_BUILD_DIR:-$REPO/build}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
CONNS=${BENCH_CONNS:-20}
CLUSTERS=${CLUSTERS:-1000}
ROUTES=${ROUTES:-10000}
PUSH_INTERVAL=${PUSH_INTERVAL:-1}
# The control plane at nice 10 by default (CONTROL_NICE=0 for the same priority as the
# sidecar): in a mesh it runs on other nodes, here it shares the sidecar's 2 CPUs, and its
# reload of 10,000 routes (~100 ms of CPU a push) would otherwise be measured as the
# sidecar's stall.
export CONTROL_NICE=${CONTROL_NICE:-10}
# ACCESS_LOG=1: the listener also writes a JSON access log, and the table adds the p99 and max
# of the sidecar's own per-request durations (what a worker took, without wrk's queueing;
# whole milliseconds, as the log writes them).
ACCESS_LOG_PATH=""
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init
require_binaries
raise_nofile

origin_port=$(free_port)
start_origin 1024 "$origin_port"
port=$(free_port)
[ "${ACCESS_LOG:-0}" = 0 ] || ACCESS_LOG_PATH=$WORK/access.log
export ACCESS_LOG_PATH
python3 bench/fleet/gen_config.py "$WORK/gen.yaml" "$port" "$origin_port" "$CLUSTERS" "$ROUTES" 0
STRAIT_WORKERS=2 start_strait "$origin_port" "$port" "$WORK/gen.yaml"
config=$WORK/strait/config/bench.yaml  # what strait-control watches
admin=$STRAIT_ADMIN
applied() { curl -sf "$admin/stats" | awk '$1 == "strait_config_applied_total" {print $2}'; }

# probe NAME: wrk's p99 and max latency (and req/s) for $DURATION; with ACCESS_LOG=1 also
# the p99 and max of the sidecar's own per-request durations (its access log's duration_ms,
# the lines written during the measured run), else "- -".
# settled_lines FILE: its line count once the access log's writer thread has caught up (two
# reads 0.1 s apart agree), at most 5 s.
settled_lines() {
  local prev=-1 n=0 tries=0
  while n=$(wc -l <"$1") && [ "$n" != "$prev" ] && [ $tries -lt 50 ]; do
    prev=$n
    tries=$((tries + 1))
    sleep 0.1
  done
  echo "$n"
}

probe() {
  $(pin_for wrk) wrk -t1 -c"$CONNS" -d"$WARMUP" "http://127.0.0.1:$port/" >/dev/null
  local from=0
  [ -z "$ACCESS_LOG_PATH" ] || from=$(settled_lines "$ACCESS_LOG_PATH")
  $(pin_for wrk) wrk -t1 -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$port/" >"$WORK/wrk-$1.txt"
  local p99 max rps logged="- -"
  p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk-$1.txt")
  max=$(awk '$1 == "Latency" {print $4}' "$WORK/wrk-$1.txt")
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk-$1.txt")
  if [ -n "$ACCESS_LOG_PATH" ]; then
    local to
    to=$(settled_lines "$ACCESS_LOG_PATH")
    logged=$(sed -n "$((from + 1)),${to}p" "$ACCESS_LOG_PATH" | python3 -c '
import json, sys
d = sorted(float(json.loads(l)["duration_ms"]) for l in sys.stdin if l.strip())
print("%gms %gms" % (d[int(len(d) * 0.99) - 1], d[-1]) if d else "- -")')
  fi
  echo "$rps $p99 $max $logged"
}

# The versions to push, generated before any load: the pusher below only renames a file
# (what a deploy tool's atomic write does), so the measurement window has no generator
# (python3 writing 10,000 routes takes ~70 ms of CPU a push) competing with the sidecar.
mkdir -p "$WORK/variants"
VARIANTS=30
for ((v = 1; v <= VARIANTS; v++)); do
  python3 bench/fleet/gen_config.py "$WORK/variants/v$v.yaml" "$port" "$origin_port" "$CLUSTERS" "$ROUTES" "$v"
done

log "$CLUSTERS clusters, $ROUTES routes: load without pushes"
read -r rps0 p990 max0 lp990 lmax0 < <(probe quiet)
before=$(applied)
log "the same load with a new version every ${PUSH_INTERVAL}s"
(
  v=1
  while [ "$v" -le "$VARIANTS" ]; do
    sleep "$PUSH_INTERVAL"
    mv -f "$WORK/variants/v$v.yaml" "$config"
    v=$((v + 1))
  done
) &
PUSHER=$!
PIDS+=("$PUSHER")
read -r rps1 p991 max1 lp991 lmax1 < <(probe pushes)
kill "$PUSHER" 2>/dev/null || true
pushes=$(( $(applied) - before ))

echo
echo "wrk -t1 -c$CONNS -d$DURATION --latency; sidecar workers: 2; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| clusters | routes | load | req/s | p99 | max | sidecar p99 (access log) | sidecar max (access log) | generations applied |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
echo "| $CLUSTERS | $ROUTES | no pushes | $rps0 | $p990 | $max0 | $lp990 | $lmax0 | - |"
echo "| $CLUSTERS | $ROUTES | a push every ${PUSH_INTERVAL}s | $rps1 | $p991 | $max1 | $lp991 | $lmax1 | $pushes |"
