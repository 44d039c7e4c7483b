#!/usr/bin/env bash
# What observability costs: strait-sidecar's CPU per request with access logging (JSON to a
# file) and tracing (1% and 100% of requests sampled, spans exported over OTLP/HTTP to a
# collector), against the same sidecar with neither, in the same run. See bench/README.md.
# Everything listens on 127.0.0.1; every process started here is stopped by PID on exit.
#
#   ./bench/observe.sh                       # STRAIT_BUILD_DIR=build by default
#   BENCH_PIN=1 ROUNDS=3 ./bench/observe.sh  # the sidecar alone on CPU 1, three rounds
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUILD_DIR=${STRAIT_BUILD_DIR:-$REPO/build}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
CONNS=${BENCH_CONNS:-50}
SIZE=${BENCH_SIZE:-1024}
ROUNDS=${ROUNDS:-1}
MODES=${MODES:-"off log trace1 trace100 log+trace100"}
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init

require_binaries
for tool in wrk curl; do command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }; done
raise_nofile

# config MODE ORIGIN_PORT LISTEN_PORT COLLECTOR_PORT: the sidecar's configuration.
config() {
  local mode=$1 observe=""
  case $mode in *log*) observe+="
  access_logs: [{path: $WORK/access.log}]" ;; esac
  case $mode in
    *trace100*) observe+="
  tracing: {collector_cluster: collector, sample_rate: 1}" ;;
    *trace1*) observe+="
  tracing: {collector_cluster: collector, sample_rate: 0.01}" ;;
  esac
  cat <<EOC
listeners:
- name: bench
  address: 127.0.0.1
  port: $3
  route_config: bench$observe
route_configs:
- name: bench
  virtual_hosts:
  - name: all
    domains: ["*"]
    routes:
    - name: bench
      match: {prefix: "/"}
      route: {cluster: origin}
clusters:
- {name: origin, connect_timeout: 1s}
- {name: collector, connect_timeout: 1s}
load_assignments:
- cluster_name: origin
  endpoints: [{address: 127.0.0.1, port: $2}]
- cluster_name: collector
  endpoints: [{address: 127.0.0.1, port: $4}]
EOC
}

stat_of() {  # stat_of NAME: a counter from the sidecar's /stats
  curl -sf "http://127.0.0.1:$(cat "$WORK/strait/admin.port")/stats" | awk -v n="$1" '$1 == n {print $2}'
}

RESULTS=()
declare -A OFF
for round in $(seq "$ROUNDS"); do
  for mode in $MODES; do
    origin_port=$(free_port)
    start_origin "$SIZE" "$origin_port"
    origin_pid=$LAST_PID
    # The collector: the test upstream answering every POST /v1/traces with 200 "ok" (its
    # CPU is not measured; the sidecar's cost of building, encoding and sending spans is).
    collector_port=$(free_port)
    start collector "$BUILD_DIR/tests/upstream/strait-test-upstream" --listen "127.0.0.1:$collector_port" \
      --name collector --threads 1 --reply ok
    port=$(free_port)
    rm -f "$WORK/access.log"
    config "$mode" "$origin_port" "$port" "$collector_port" >"$WORK/observe.yaml.in"
    start_strait "$origin_port" "$port" "$WORK/observe.yaml.in"
    log "round $round: $mode"
    url="http://127.0.0.1:$port/"
    wait_for "strait on :$port" curl -sf -o /dev/null "$url"
    measure_wrk "$mode" "$origin_pid" "$url" >"$WORK/result"
    read -r rps p99 pcpu _ <"$WORK/result"  # the origin's CPU is not reported here
    errors=$(wrk_errors "$mode")
    [ -z "$errors" ] || { log "$mode: $errors"; exit 1; }
    lines=$( [ -f "$WORK/access.log" ] && wc -l <"$WORK/access.log" || echo 0)
    spans="$(stat_of strait_tracing_spans_exported_total)/$(stat_of strait_tracing_spans_dropped_total)"
    [ "$mode" = off ] && OFF[$round]=$pcpu
    vs=$(awk -v p="$pcpu" -v o="${OFF[$round]:-0}" 'BEGIN { if (o > 0) printf "%+.1f%%", (p / o - 1) * 100; else print "-" }')
    RESULTS+=("| $round | $mode | $rps | $p99 | $pcpu | $vs | $lines | $spans |")
    stop_all
  done
done

echo
echo "wrk -t1 -c$CONNS -d$DURATION --latency; ${SIZE}-byte responses; $(nproc) CPUs; pinned: ${BENCH_PIN:-no}; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| round | mode | req/s | p99 | proxy CPU µs/req | vs off | log lines | spans exported/dropped |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${RESULTS[@]}"
