#!/usr/bin/env bash
# Load-balancing policies side by side: strait-sidecar (workers: 1) in front of one cluster of
# 100 endpoints (100 strait-test-upstream processes, one port each), the same wrk load for
# every policy, reporting requests/s, p99 and the sidecar's CPU per request (and its ratio to
# round robin's). See bench/README.md ("Load-balancing policies"). Everything listens on
# 127.0.0.1 only; every process started here is stopped by PID on exit.
#
#   ./bench/lb.sh                     # STRAIT_BUILD_DIR=build by default
#   BENCH_DURATION=5s LB_ROUNDS=2 POLICIES="ROUND_ROBIN MAGLEV" ./bench/lb.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUILD_DIR=${STRAIT_BUILD_DIR:-$REPO/build}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
CONNS=${BENCH_CONNS:-50}
ENDPOINTS=${LB_ENDPOINTS:-100}
SIZE=${LB_SIZE:-1024}
KEYS=${LB_KEYS:-100000}            # distinct x-user values the client sends (hash key)
POLICIES=${POLICIES:-"ROUND_ROBIN RANDOM LEAST_REQUEST RING_HASH MAGLEV"}
ROUNDS=${LB_ROUNDS:-1}             # every policy once per round, rounds one after the other
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init

# Every request carries x-user: user-<random 1..KEYS>, whatever the policy, so the client's
# work is the same in every row; only RING_HASH and MAGLEV hash it.
write_client_script() {
  cat >"$WORK/keys.lua" <<EOL
math.randomseed(1)
request = function()
  return wrk.format(nil, nil, {["x-user"] = "user-" .. math.random(1, $KEYS)})
end
EOL
}

# start_origins: ENDPOINTS test upstreams on port 0; ORIGIN_PORTS and ORIGIN_PIDS.
ORIGIN_PORTS=()
ORIGIN_PIDS=()
start_origins() {
  local i
  for ((i = 0; i < ENDPOINTS; i++)); do
    start "origin-$i" "$BUILD_DIR/tests/upstream/strait-test-upstream" --listen 127.0.0.1:0 \
      --port-file "$WORK/origin-$i.port" --name "origin-$i" --threads 1 --size "$SIZE"
    ORIGIN_PIDS+=("$LAST_PID")
  done
  for ((i = 0; i < ENDPOINTS; i++)); do
    wait_for "origin-$i" test -s "$WORK/origin-$i.port"
    ORIGIN_PORTS+=("$(cat "$WORK/origin-$i.port")")
  done
}

# write_template POLICY: a start_strait template (@PORT@ left for it) with the cluster of
# every origin under POLICY.
write_template() {
  local policy=$1 out=$WORK/strait.$1.yaml.in lb_config="" port
  case $policy in
    RING_HASH|MAGLEV) lb_config="  lb_config: {hash_policy: {header_name: x-user}}" ;;
  esac
  {
    sed -n '/^listeners:/,/^clusters:/p' bench/strait.yaml.in
    echo "- name: origin"
    echo "  connect_timeout: 1s"
    echo "  lb_policy: $policy"
    [ -z "$lb_config" ] || echo "$lb_config"
    echo "load_assignments:"
    echo "- cluster_name: origin"
    echo "  endpoints:"
    for port in "${ORIGIN_PORTS[@]}"; do echo "  - {address: 127.0.0.1, port: $port}"; done
  } >"$out"
  echo "$out"
}

origins_cpu_ticks() {
  local total=0 pid
  for pid in "${ORIGIN_PIDS[@]}"; do total=$((total + $(cpu_ticks "$pid"))); done
  echo "$total"
}

# run_wrk PORT: prints "req_s p99 proxy_cpu_us_per_req origins_cpu_us_per_req"
run_wrk() {
  local url="http://127.0.0.1:$1/"
  wait_for "strait on :$1" curl -sf -o /dev/null "$url"
  wrk -t1 -c"$CONNS" -d"$WARMUP" -s "$WORK/keys.lua" "$url" >/dev/null
  local p0 o0 p1 o1 out
  p0=$(cpu_ticks "$PROXY_PID")
  o0=$(origins_cpu_ticks)
  out=$(wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$WORK/keys.lua" "$url")
  p1=$(cpu_ticks "$PROXY_PID")
  o1=$(origins_cpu_ticks)
  local reqs rps p99 errors
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {printf "%s ", $0}')
  [ -z "$errors" ] || log "$policy: $errors"
  awk -v r="$reqs" -v dp=$((p1 - p0)) -v dorig=$((o1 - o0)) -v hz="$CLK_TCK" -v rps="$rps" \
    -v p99="$p99" 'BEGIN { printf "%s %s %.2f %.2f\n", rps, p99, dp * 1e6 / hz / r, dorig * 1e6 / hz / r }'
}

# stop_since N: stops the processes started after the first N (newest first).
stop_since() {
  local keep=$1 i
  for ((i = ${#PIDS[@]} - 1; i >= keep; i--)); do stop_pid "${PIDS[$i]}"; done
  PIDS=("${PIDS[@]:0:$keep}")
}

require_binaries
for tool in wrk curl; do command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }; done
raise_nofile
log "work dir $WORK, $(nproc) CPUs, $ENDPOINTS endpoints, wrk -t1 -c$CONNS -d$DURATION"
write_client_script
start_origins

RESULTS=()
for ((round = 1; round <= ROUNDS; round++)); do
  RR_CPU=""  # the ratio compares with this round's ROUND_ROBIN row
  for policy in $POLICIES; do
    keep=${#PIDS[@]}
    port=$(free_port)
    start_strait "" "$port" "$(write_template "$policy")"
    log "round $round: $policy"
    run_wrk "$port" >"$WORK/result"
    read -r rps p99 pcpu ocpu <"$WORK/result"
    [ "$policy" != ROUND_ROBIN ] || RR_CPU=$pcpu
    ratio=$(awk -v p="$pcpu" -v r="$RR_CPU" 'BEGIN { if (r > 0) printf "%.2f", p / r; else print "-" }')
    RESULTS+=("| $round | $policy | $rps | $p99 | $pcpu | $ocpu | $ratio |")
    stop_since "$keep"
  done
done

echo
echo "$ENDPOINTS endpoints; wrk -t1 -c$CONNS -d$DURATION --latency; ${SIZE}-byte responses; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| round | policy | req/s | p99 | sidecar CPU µs/req | origins CPU µs/req | sidecar CPU vs ROUND_ROBIN |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${RESULTS[@]}"
