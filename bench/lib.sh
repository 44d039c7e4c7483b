# Shared by the benchmark scripts (bench/run.sh, bench/h2.sh); sourced, not run.
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

# start_origin SIZE PORT: strait-test-upstream with one thread and a SIZE-byte body; pid in
# $LAST_PID.
start_origin() {
  start origin "$BUILD_DIR/tests/upstream/strait-test-upstream" --listen "127.0.0.1:$2" \
    --name origin --threads 1 --size "$1"
}

# start_strait ORIGIN_PORT LISTEN_PORT [TEMPLATE]: strait-control + strait-sidecar (workers: 1)
# serving TEMPLATE (default bench/strait.yaml.in; @PORT@ and @ORIGIN@ substituted); sets
# PROXY_PID (the sidecar) once /ready answers.
start_strait() {
  local origin=$1 port=$2 template=${3:-bench/strait.yaml.in} dir=$WORK/strait
  rm -rf "$dir"  # no stale port files from an earlier row
  mkdir -p "$dir/config"
  sed -e "s/@PORT@/$port/" -e "s/@ORIGIN@/$origin/" "$template" >"$dir/config/bench.yaml"
  # Plaintext (strait-control serves TLS by default since the mesh CA); its CA files go to
  # the temp dir, not the current directory.
  start control "$BUILD_DIR/control/strait-control" --config-dir "$dir/config" \
    --listen 127.0.0.1:0 --port-file "$dir/control.port" --plaintext --ca-dir "$dir/ca"
  wait_for "strait-control" test -s "$dir/control.port"
  cat >"$dir/bootstrap.yaml" <<EOB
node: {id: bench-1, service: bench}
control_plane: {address: "127.0.0.1:$(cat "$dir/control.port")", plaintext: true}
admin: {address: 127.0.0.1, port: 0, port_file: $dir/admin.port}
workers: 1
EOB
  start strait "$BUILD_DIR/sidecar/strait-sidecar" --bootstrap "$dir/bootstrap.yaml"
  PROXY_PID=$LAST_PID
  wait_for "strait admin" test -s "$dir/admin.port"
  wait_for "strait /ready" curl -sf "http://127.0.0.1:$(cat "$dir/admin.port")/ready"
}
