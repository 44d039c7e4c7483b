#!/usr/bin/env bash
# Peer comparison: strait-sidecar vs nginx vs HAProxy, same origin, same client, same run.
# See bench/README.md for what is measured. Everything listens on 127.0.0.1 only; every
# process started here is stopped by PID on exit.
#
#   ./bench/run.sh                    # STRAIT_BUILD_DIR=build by default
#   BENCH_DURATION=5s BENCH_IDLE_CONNS=2000 PROXIES="strait nginx" ./bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUILD_DIR=${STRAIT_BUILD_DIR:-$REPO/build}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
CONNS=${BENCH_CONNS:-50}
IDLE_CONNS=${BENCH_IDLE_CONNS:-9000}
SIZES=${SIZES:-"1024 65536"}
PROXIES=${PROXIES:-"direct strait nginx haproxy"}
WORK=$(mktemp -d /tmp/strait-bench.XXXXXX)
PIDS=()
CLK_TCK=$(getconf CLK_TCK)

log() { echo "bench: $*" >&2; }

stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_all() {  # newest first: a sidecar stops before its control plane
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done
  PIDS=()
}
cleanup() { stop_all; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD...: background process, log in $WORK/NAME.log, pid in $LAST_PID.
start() {
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for() {  # wait_for WHAT CMD...: polls CMD for up to 15 s
  local what=$1; shift
  local deadline=$((SECONDS + 15))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { log "timed out waiting for $what"; tail -n 20 "$WORK"/*.log >&2; exit 1; }
    sleep 0.1
  done
}

# Process and its direct children (nginx master + worker).
tree_pids() { echo "$1"; pgrep -P "$1" || true; }

cpu_ticks() {  # utime+stime of a process tree, in clock ticks
  local total=0 pid t
  for pid in $(tree_pids "$1"); do
    t=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

raise_nofile() {
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  log "RLIMIT_NOFILE $(ulimit -n)"
}

# ----- proxies: each start_X ORIGIN_PORT LISTEN_PORT sets PROXY_PID -----

start_direct() { PROXY_PID=""; }

start_strait() {
  local origin=$1 port=$2 dir=$WORK/strait
  rm -rf "$dir"  # no stale port files from an earlier row
  mkdir -p "$dir/config"
  sed -e "s/@PORT@/$port/" -e "s/@ORIGIN@/$origin/" bench/strait.yaml.in >"$dir/config/bench.yaml"
  start control "$BUILD_DIR/control/strait-control" --config-dir "$dir/config" \
    --listen 127.0.0.1:0 --port-file "$dir/control.port"
  wait_for "strait-control" test -s "$dir/control.port"
  cat >"$dir/bootstrap.yaml" <<EOF
node: {id: bench-1, service: bench}
control_plane: {address: "127.0.0.1:$(cat "$dir/control.port")", plaintext: true}
admin: {address: 127.0.0.1, port: 0, port_file: $dir/admin.port}
workers: 1
EOF
  start strait "$BUILD_DIR/sidecar/strait-sidecar" --bootstrap "$dir/bootstrap.yaml"
  PROXY_PID=$LAST_PID
  wait_for "strait admin" test -s "$dir/admin.port"
  wait_for "strait /ready" curl -sf "http://127.0.0.1:$(cat "$dir/admin.port")/ready"
}

start_nginx() {
  local origin=$1 port=$2 dir=$WORK/nginx
  rm -rf "$dir"  # no stale port files from an earlier row
  mkdir -p "$dir/tmp"
  sed -e "s/@PORT@/$port/" -e "s/@ORIGIN@/$origin/" -e "s#@DIR@#$dir#g" \
    -e "s/@MAXCONN@/$MAXCONN/" bench/nginx.conf.in >"$dir/nginx.conf"
  start nginx nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
  PROXY_PID=$LAST_PID
}

start_haproxy() {
  local origin=$1 port=$2 dir=$WORK/haproxy
  rm -rf "$dir"  # no stale port files from an earlier row
  mkdir -p "$dir"
  sed -e "s/@PORT@/$port/" -e "s/@ORIGIN@/$origin/" -e "s/@MAXCONN@/$MAXCONN/" \
    bench/haproxy.cfg.in >"$dir/haproxy.cfg"
  start haproxy haproxy -db -f "$dir/haproxy.cfg"
  PROXY_PID=$LAST_PID
}

# ----- one measurement -----

# run_wrk PROXY ORIGIN_PID PORT: prints "req_s p99 proxy_cpu_us_per_req origin_cpu_us_per_req"
run_wrk() {
  local proxy=$1 origin_pid=$2 port=$3 url="http://127.0.0.1:$3/"
  wait_for "$proxy on :$port" curl -sf -o /dev/null "$url"
  wrk -t1 -c"$CONNS" -d"$WARMUP" "$url" >/dev/null
  local p0 o0 p1 o1 out
  p0=$([ -n "$PROXY_PID" ] && cpu_ticks "$PROXY_PID" || echo 0)
  o0=$(cpu_ticks "$origin_pid")
  out=$(wrk -t1 -c"$CONNS" -d"$DURATION" --latency "$url")
  p1=$([ -n "$PROXY_PID" ] && cpu_ticks "$PROXY_PID" || echo 0)
  o1=$(cpu_ticks "$origin_pid")
  echo "$out" >"$WORK/wrk-$proxy.txt"
  local reqs rps p99 errors
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {printf "%s ", $0}')
  [ -z "$errors" ] || log "$proxy: $errors"
  awk -v r="$reqs" -v dp=$((p1 - p0)) -v dorig=$((o1 - o0)) -v hz="$CLK_TCK" -v rps="$rps" \
    -v p99="$p99" 'BEGIN { printf "%s %s %.2f %.2f\n", rps, p99, dp * 1e6 / hz / r, dorig * 1e6 / hz / r }'
}

# idle_mem PORT: prints bytes of RSS per idle keep-alive connection (proxy process tree)
idle_mem() {
  local port=$1
  [ -n "$PROXY_PID" ] || { echo "-"; return; }
  # shellcheck disable=SC2046
  timeout 90 python3 bench/idle_conns.py "$port" "$IDLE_CONNS" $(tree_pids "$PROXY_PID") |
    sed -n 's/.*per_conn_bytes=\([0-9-]*\).*/\1/p'
}

for bin in "$BUILD_DIR/tests/upstream/strait-test-upstream" "$BUILD_DIR/sidecar/strait-sidecar" \
           "$BUILD_DIR/control/strait-control"; do
  [ -x "$bin" ] || { log "missing $bin (build first)"; exit 1; }
done
for tool in wrk nginx haproxy curl; do command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }; done
raise_nofile
MAXCONN=$(( $(ulimit -n) / 2 - 100 ))
log "work dir $WORK, $(nproc) CPUs, wrk -t1 -c$CONNS -d$DURATION"

RESULTS=()
for size in $SIZES; do
  for proxy in $PROXIES; do
    origin_port=$(free_port)
    start origin "$BUILD_DIR/tests/upstream/strait-test-upstream" --listen "127.0.0.1:$origin_port" \
      --name origin --threads 1 --size "$size"
    origin_pid=$LAST_PID
    port=$origin_port
    [ "$proxy" = direct ] || port=$(free_port)
    "start_$proxy" "$origin_port" "$port"
    log "$proxy, ${size}-byte responses"
    run_wrk "$proxy" "$origin_pid" "$port" >"$WORK/result"
    read -r rps p99 pcpu ocpu <"$WORK/result"
    mem="-"
    if [ "$proxy" != direct ] && [ "$size" = "$(echo "$SIZES" | awk '{print $1}')" ]; then
      log "$proxy, $IDLE_CONNS idle connections"
      mem=$(idle_mem "$port")
    fi
    ratio=$(awk -v p="$pcpu" -v o="$ocpu" 'BEGIN { if (o > 0) printf "%.2f", p / o; else print "-" }')
    [ "$proxy" = direct ] && { pcpu="-"; ratio="-"; }
    RESULTS+=("| $proxy | $size | $rps | $p99 | $pcpu | $ocpu | $ratio | $mem |")
    stop_all
  done
done

echo
echo "wrk -t1 -c$CONNS -d$DURATION --latency; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| proxy | body bytes | req/s | p99 | proxy CPU µs/req | origin CPU µs/req | proxy/origin CPU | idle conn bytes |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${RESULTS[@]}"
