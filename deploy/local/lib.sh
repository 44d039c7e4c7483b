# Shared by demo.sh and mesh-demo.sh (sourced, not run): log lines, waiting for a condition,
# building the binaries. The caller sets DEMO_NAME (the log prefix), LOG_DIR (where the
# processes' logs are) and BUILD_DIR.

log() { echo "$DEMO_NAME: $*" >&2; }

# wait_for WHAT TIMEOUT_S CMD...: polls CMD until it succeeds; fails the demo on timeout.
wait_for() {
  local what=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      log "timed out waiting for $what; last log lines:"
      tail -n 20 "$LOG_DIR"/*.log >&2
      exit 1
    fi
    sleep 0.1
  done
}

# build TARGET...: installs the packages and builds the targets into $BUILD_DIR, unless
# STRAIT_SKIP_BUILD is set (then the binaries already there are used).
build() {
  [ -n "${STRAIT_SKIP_BUILD:-}" ] && return 0
  ./deploy/install-deps.sh
  local compiler=g++
  command -v clang++-14 >/dev/null && compiler=clang++-14
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER="$compiler" >/dev/null
  ninja -C "$BUILD_DIR" -j2 "$@"
}
