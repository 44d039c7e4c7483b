# Shared by the benchmark scripts (bench/run.sh, h2.sh, waf.sh, observe.sh); sourced, not run.
# The sourcing script sets BUILD_DIR and calls bench_init, which makes $WORK and installs the
# traps that stop, by PID, every process started with start() (newest first) and remove $WORK.

log() { echo "bench: $*" >&2; }

# bench_init: temp dir, PID list, clock ticks, EXIT/INT/TERM traps.
bench_init() {
  WORK=$(mktemp -d /tmp/strait-bench.XXXXXX)
  PIDS=()
  CLK_TCK=$(getconf CLK_TCK)
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

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

# pin_for NAME: with BENCH_PIN=1 (2 CPUs or more), the CPU a process runs on: the proxy under
# test alone on CPU 1; the origin, the control plane and the load generator on CPU 0. Without
# pinning, where the scheduler puts the proxy next to the client moves its CPU per request by
# a few per cent from run to run on a 2-CPU machine. Prints a command prefix (or nothing).
pin_for() {
  [ -n "${BENCH_PIN:-}" ] || return 0
  case $1 in
    origin | control | h2load-* | wrk) echo "taskset -c 0" ;;
    *) echo "taskset -c 1" ;;
  esac
}

# start NAME CMD...: background process (pinned as pin_for NAME says), log in $WORK/NAME.log,
# pid in $LAST_PID.
start() {
  local name=$1; shift
  # shellcheck disable=SC2046  # the prefix is meant to split into words
  $(pin_for "$name") "$@" >"$WORK/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# require_binaries [PATH...]: exits naming the first that is not built (default: the test
# upstream, strait-sidecar and strait-control of $BUILD_DIR).
require_binaries() {
  [ $# -gt 0 ] || set -- "$BUILD_DIR/tests/upstream/strait-test-upstream" "$BUILD_DIR/sidecar/strait-sidecar" \
    "$BUILD_DIR/control/strait-control"
  local bin
  for bin in "$@"; do
    [ -x "$bin" ] || { log "missing $bin (build first)"; exit 1; }
  done
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

# measure_wrk NAME ORIGIN_PID URL [WRK_ARGS...]: a warm-up, then wrk -t1 -c$CONNS for
# $DURATION while the CPU time of the proxy ($PROXY_PID, if set) and of the origin is taken;
# prints "req_s p99 proxy_cpu_us_per_req origin_cpu_us_per_req" and leaves wrk's output in
# $WORK/wrk-NAME.txt.
measure_wrk() {
  local name=$1 origin_pid=$2 url=$3; shift 3
  # shellcheck disable=SC2046
  $(pin_for wrk) wrk -t1 -c"$CONNS" -d"$WARMUP" "$@" "$url" >/dev/null
  local p0 o0 p1 o1 out
  p0=$([ -n "$PROXY_PID" ] && cpu_ticks "$PROXY_PID" || echo 0)
  o0=$(cpu_ticks "$origin_pid")
  # shellcheck disable=SC2046
  out=$($(pin_for wrk) wrk -t1 -c"$CONNS" -d"$DURATION" --latency "$@" "$url")
  p1=$([ -n "$PROXY_PID" ] && cpu_ticks "$PROXY_PID" || echo 0)
  o1=$(cpu_ticks "$origin_pid")
  echo "$out" >"$WORK/wrk-$name.txt"
  local reqs rps p99
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  awk -v r="$reqs" -v dp=$((p1 - p0)) -v dorig=$((o1 - o0)) -v hz="$CLK_TCK" -v rps="$rps" \
    -v p99="$p99" 'BEGIN { printf "%s %s %.2f %.2f\n", rps, p99, dp * 1e6 / hz / r, dorig * 1e6 / hz / r }'
}

# wrk_errors NAME: the non-2xx and socket-error lines of the last measure_wrk NAME ("" if none).
wrk_errors() { grep "Non-2xx\|Socket errors" "$WORK/wrk-$1.txt" | tr '\n' ' ' || true; }

# start_origin SIZE PORT: strait-test-upstream with one thread and a SIZE-byte body; pid in
# $LAST_PID.
start_origin() {
  start origin "$BUILD_DIR/tests/upstream/strait-test-upstream" --listen "127.0.0.1:$2" \
    --name origin --threads 1 --size "$1"
}

# start_strait ORIGIN_PORT LISTEN_PORT [TEMPLATE]: strait-control + strait-sidecar (workers:
# $STRAIT_WORKERS, default 1) serving TEMPLATE (default bench/strait.yaml.in; @PORT@ and
# @ORIGIN@ substituted) from $WORK/strait/config/bench.yaml; sets PROXY_PID (the sidecar) and
# STRAIT_ADMIN (its admin URL) once /ready answers.
start_strait() {
  local origin=$1 port=$2 template=${3:-bench/strait.yaml.in} dir=$WORK/strait
  rm -rf "$dir"  # no stale port files from an earlier row
  mkdir -p "$dir/config"
  sed -e "s/@PORT@/$port/" -e "s/@ORIGIN@/$origin/" "$template" >"$dir/config/bench.yaml"
  # Plaintext (strait-control serves TLS by default since the mesh CA); its CA files go to
  # the temp dir, not the current directory.
  # CONTROL_NICE (default 0): the control plane's nice value. In a mesh it runs on other
  # nodes than the sidecars; a probe of the sidecar alone on shared CPUs (stall.sh) lowers it
  # so that its reloads do not take the sidecar's CPU time as they would not in production.
  start control nice -n "${CONTROL_NICE:-0}" "$BUILD_DIR/control/strait-control" --config-dir "$dir/config" \
    --listen 127.0.0.1:0 --port-file "$dir/control.port" --plaintext --ca-dir "$dir/ca"
  wait_for "strait-control" test -s "$dir/control.port"
  cat >"$dir/bootstrap.yaml" <<EOB
node: {id: bench-1, service: bench}
control_plane: {address: "127.0.0.1:$(cat "$dir/control.port")", plaintext: true}
admin: {address: 127.0.0.1, port: 0, port_file: $dir/admin.port}
workers: ${STRAIT_WORKERS:-1}
EOB
  start strait "$BUILD_DIR/sidecar/strait-sidecar" --bootstrap "$dir/bootstrap.yaml"
  PROXY_PID=$LAST_PID
  wait_for "strait admin" test -s "$dir/admin.port"
  STRAIT_ADMIN="http://127.0.0.1:$(cat "$dir/admin.port")"
  wait_for "strait /ready" curl -sf "$STRAIT_ADMIN/ready"
}
