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
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init

# ----- proxies: each start_X ORIGIN_PORT LISTEN_PORT sets PROXY_PID -----

start_direct() { PROXY_PID=""; }

# start_strait: bench/lib.sh

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
  local proxy=$1 origin_pid=$2 url="http://127.0.0.1:$3/"
  wait_for "$proxy on :$3" curl -sf -o /dev/null "$url"
  measure_wrk "$proxy" "$origin_pid" "$url"
  local errors
  errors=$(wrk_errors "$proxy")
  [ -z "$errors" ] || log "$proxy: $errors"
}

# idle_mem PORT: prints bytes of RSS per idle keep-alive connection (proxy process tree)
idle_mem() {
  local port=$1
  [ -n "$PROXY_PID" ] || { echo "-"; return; }
  # shellcheck disable=SC2046
  timeout 90 python3 bench/idle_conns.py "$port" "$IDLE_CONNS" $(tree_pids "$PROXY_PID") |
    sed -n 's/.*per_conn_bytes=\([0-9-]*\).*/\1/p'
}

require_binaries
for tool in wrk nginx haproxy curl; do command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }; done
raise_nofile
MAXCONN=$(( $(ulimit -n) / 2 - 100 ))
log "work dir $WORK, $(nproc) CPUs, wrk -t1 -c$CONNS -d$DURATION"

RESULTS=()
for size in $SIZES; do
  for proxy in $PROXIES; do
    origin_port=$(free_port)
    start_origin "$size" "$origin_port"
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
