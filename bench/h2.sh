#!/usr/bin/env bash
# HTTP/2 peer comparison, cleartext (h2c prior knowledge): strait-sidecar vs nghttpx vs HAProxy
# vs nginx, each with one worker, HTTP/1.1 to the same origin; the client is h2load.
# See bench/README.md ("HTTP/2 (h2c)"). Everything listens on 127.0.0.1 only; every process
# started here is stopped by PID on exit. TLS h2 rows are not here yet (they come with TLS).
#
#   ./bench/h2.sh                     # STRAIT_BUILD_DIR=build by default
#   H2_SECONDS=5 PROXIES="strait nghttpx" ./bench/h2.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUILD_DIR=${STRAIT_BUILD_DIR:-$REPO/build}
SECONDS_PER_ROW=${H2_SECONDS:-10}      # target length of the measured run
WARMUP_REQS=${H2_WARMUP_REQS:-20000}   # warm-up run; its rate sizes the measured run's -n
CONNS=${H2_CONNS:-10}                  # h2load -c
STREAMS=${H2_STREAMS:-10}              # h2load -m (concurrent streams per connection)
MAX_REQS=${H2_MAX_REQS:-3000000}       # upper bound on -n whatever the warm-up rate
SIZE=${H2_SIZE:-1024}                  # origin body bytes
PROXIES=${PROXIES:-"direct strait nghttpx haproxy nginx"}
H2LOAD_TIMEOUT=$((SECONDS_PER_ROW * 4 + 30))  # a stuck proxy must not hang the script

# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init

# ----- proxies: each start_X ORIGIN_PORT LISTEN_PORT sets PROXY_PID -----
# start_strait (bench/lib.sh): h2c prior knowledge is detected from the preface on any listener.

# "direct" is not a proxy row: h2load --h1 straight to the origin with as many connections as
# the other rows have streams in flight, as the ceiling of the origin and the client.
start_direct() { PROXY_PID=""; }

start_nghttpx() {
  local origin=$1 port=$2 dir=$WORK/nghttpx
  rm -rf "$dir"
  mkdir -p "$dir"
  sed -e "s/@PORT@/$port/" -e "s/@ORIGIN@/$origin/" -e "s#@DIR@#$dir#g" \
    bench/nghttpx.h2.conf.in >"$dir/nghttpx.conf"
  start nghttpx nghttpx --conf="$dir/nghttpx.conf"
  PROXY_PID=$LAST_PID
}

start_haproxy() {
  local origin=$1 port=$2 dir=$WORK/haproxy
  rm -rf "$dir"
  mkdir -p "$dir"
  sed -e "s/@PORT@/$port/" -e "s/@ORIGIN@/$origin/" -e "s/@MAXCONN@/$MAXCONN/" \
    bench/haproxy.h2.cfg.in >"$dir/haproxy.cfg"
  start haproxy haproxy -db -f "$dir/haproxy.cfg"
  PROXY_PID=$LAST_PID
}

start_nginx() {
  local origin=$1 port=$2 dir=$WORK/nginx
  rm -rf "$dir"
  mkdir -p "$dir/tmp"
  sed -e "s/@PORT@/$port/" -e "s/@ORIGIN@/$origin/" -e "s#@DIR@#$dir#g" \
    -e "s/@MAXCONN@/$MAXCONN/" bench/nginx.h2.conf.in >"$dir/nginx.conf"
  start nginx nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
  PROXY_PID=$LAST_PID
}

# ----- one measurement -----

# h2load_args PROXY: connection/stream flags (direct: HTTP/1.1, one request per connection).
h2load_args() {
  if [ "$1" = direct ]; then echo "--h1 -c $((CONNS * STREAMS)) -m 1 -t 1"
  else echo "-c $CONNS -m $STREAMS -t 1"; fi
}

# h2_ready URL: one request answered 200 over h2c prior knowledge (nghttp's default for http).
h2_ready() { [ "$(h2load -n 1 -c 1 "$1" 2>/dev/null | awk '/^status codes:/ {print $3}')" = 1 ]; }

# p99_ms LOGFILE: 99th percentile of h2load --log-file's third column (µs), in ms.
p99_ms() {
  awk -F'\t' '{print $3}' "$1" | sort -n |
    awk '{v[NR] = $1} END { if (NR == 0) { print "-"; exit }
         i = int(NR * 0.99 + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR
         printf "%.2fms\n", v[i] / 1000 }'
}

# h2load_run NAME ARGS...: h2load in the background (in PIDS, bounded by timeout), waited for
# with the `wait` builtin so an INT/TERM trap runs at once (not from a $(...) subshell, whose
# end the shell would wait for first); output in $WORK/h2load-NAME.log.
h2load_run() {
  local name=$1; shift
  start "h2load-$name" timeout "$H2LOAD_TIMEOUT" h2load "$@"
  wait "$LAST_PID"
}

# run_h2load PROXY ORIGIN_PID PORT: prints "req_s p99 proxy_cpu_us_per_req origin_cpu_us_per_req n"
run_h2load() {
  local proxy=$1 origin_pid=$2 url="http://127.0.0.1:$3/" args out warm_rps n
  # shellcheck disable=SC2207
  args=($(h2load_args "$proxy"))
  if [ "$proxy" = direct ]; then wait_for "origin on :$3" curl -sf -o /dev/null "$url"
  else wait_for "$proxy on :$3 (h2c)" h2_ready "$url"; fi
  h2load_run warmup -n "$WARMUP_REQS" "${args[@]}" "$url"
  out=$(cat "$WORK/h2load-warmup.log")
  warm_rps=$(echo "$out" | awk '/^finished in/ {print $4}')
  n=$(awk -v r="${warm_rps:-0}" -v s="$SECONDS_PER_ROW" -v w="$WARMUP_REQS" -v m="$MAX_REQS" \
    'BEGIN { n = int(r * s); if (n < w) n = w; if (n > m) n = m; print n }')
  local p0 o0 p1 o1
  p0=$([ -n "$PROXY_PID" ] && cpu_ticks "$PROXY_PID" || echo 0)
  o0=$(cpu_ticks "$origin_pid")
  h2load_run "$proxy" -n "$n" "${args[@]}" --log-file "$WORK/latency-$proxy.tsv" "$url"
  out=$(cat "$WORK/h2load-$proxy.log")
  p1=$([ -n "$PROXY_PID" ] && cpu_ticks "$PROXY_PID" || echo 0)
  o1=$(cpu_ticks "$origin_pid")
  local done_reqs rps p99 failed
  done_reqs=$(echo "$out" | awk '/^requests:/ {print $8}')  # "succeeded"
  rps=$(echo "$out" | awk '/^finished in/ {print $4}')
  failed=$(echo "$out" | awk '/^requests:/ {print $10 + $12 + $14}')  # failed+errored+timeout
  [ "${failed:-0}" = 0 ] || log "$proxy: $(echo "$out" | grep -E '^(requests|status codes):' | tr '\n' ' ')"
  p99=$(p99_ms "$WORK/latency-$proxy.tsv")
  awk -v r="$done_reqs" -v dp=$((p1 - p0)) -v dorig=$((o1 - o0)) -v hz="$CLK_TCK" -v rps="$rps" \
    -v p99="$p99" -v n="$n" \
    'BEGIN { if (r < 1) r = 1; printf "%s %s %.2f %.2f %d\n", rps, p99, dp * 1e6 / hz / r, dorig * 1e6 / hz / r, n }'
}

for bin in "$BUILD_DIR/tests/upstream/strait-test-upstream" "$BUILD_DIR/sidecar/strait-sidecar" \
           "$BUILD_DIR/control/strait-control"; do
  [ -x "$bin" ] || { log "missing $bin (build first)"; exit 1; }
done
for tool in h2load nghttpx nginx haproxy curl; do
  command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }
done
raise_nofile
MAXCONN=$(( $(ulimit -n) / 2 - 100 ))
log "work dir $WORK, $(nproc) CPUs, h2load -c$CONNS -m$STREAMS -t1, ~${SECONDS_PER_ROW}s per row"

RESULTS=()
for proxy in $PROXIES; do
  origin_port=$(free_port)
  start_origin "$SIZE" "$origin_port"
  origin_pid=$LAST_PID
  port=$origin_port
  [ "$proxy" = direct ] || port=$(free_port)
  "start_$proxy" "$origin_port" "$port"
  log "$proxy, ${SIZE}-byte responses"
  run_h2load "$proxy" "$origin_pid" "$port" >"$WORK/result"
  read -r rps p99 pcpu ocpu n <"$WORK/result"
  ratio=$(awk -v p="$pcpu" -v o="$ocpu" 'BEGIN { if (o > 0) printf "%.2f", p / o; else print "-" }')
  label=$proxy
  [ "$proxy" = direct ] && { pcpu="-"; ratio="-"; label="direct (h1, no proxy)"; }
  RESULTS+=("| $label | $SIZE | $n | $rps | $p99 | $pcpu | $ocpu | $ratio |")
  stop_all
done

echo
echo "h2load -c$CONNS -m$STREAMS -t1 (h2c prior knowledge), -n sized for ~${SECONDS_PER_ROW}s; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| proxy | body bytes | requests | req/s | p99 | proxy CPU µs/req | origin CPU µs/req | proxy/origin CPU |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${RESULTS[@]}"
