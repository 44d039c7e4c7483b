#!/usr/bin/env bash
# Builds Strait and runs every test: unit tests and integration tests (the real binaries on
# 127.0.0.1 with ports chosen at run time), first in the regular build (build/), then again
# in an ASan+UBSan build (build-asan/).
#   ./tests/run.sh                       everything (what CI runs)
#   STRAIT_SANITIZE_SUITE=0 ./tests/run.sh   the regular build only
#   ./tests/run.sh -- -R integration     extra arguments after -- go to ctest
#   ./tests/run.sh --busy                everything while `stress-ng --cpu <cores>` keeps every
#                                        core busy (also STRAIT_BUSY=1): the suite must pass on
#                                        a loaded machine too, as CI's may be. stress-ng runs from
#                                        before the first build to the end, bounded by
#                                        STRAIT_BUSY_TIMEOUT (default 3h), and is stopped by its
#                                        PID when this script exits, also on failure or Ctrl-C.
# Integration tests scale their hang deadlines by STRAIT_TEST_TIME_SCALE (default 2, or 4 in
# the ASan build; see tests/integration/harness.py); no deadline decides a pass.
set -euo pipefail
cd "$(dirname "$0")/.."

CTEST_EXTRA=()
BUSY=${STRAIT_BUSY:-0}
while [ $# -gt 0 ]; do
  case "$1" in
    --busy) BUSY=1 ;;
    --) shift; CTEST_EXTRA=("$@"); break ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

./deploy/install-deps.sh

if [ "$BUSY" != 0 ]; then
  cores=$(nproc)
  stress-ng --cpu "$cores" --timeout "${STRAIT_BUSY_TIMEOUT:-3h}" --quiet &
  STRESS_PID=$!
  stop_stress() {
    kill "$STRESS_PID" 2>/dev/null || true
    wait "$STRESS_PID" 2>/dev/null || true
  }
  trap stop_stress EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  echo "== busy: stress-ng --cpu $cores running (PID $STRESS_PID)" >&2
fi

# Let ccache reuse objects across clones (CI builds in a fresh clone each time).
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true

CXX_COMPILER=g++
command -v clang++-14 >/dev/null && CXX_COMPILER=clang++-14
# Integration tests open many sockets.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# run_suite BUILD_DIR [cmake args...]: configure, build, run every test.
run_suite() {
  local dir=$1; shift
  echo "== $dir: build" >&2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$CXX_COMPILER" -DSTRAIT_WERROR=ON "$@" >/dev/null
  ninja -C "$dir" -j"${STRAIT_JOBS:-2}"
  echo "== $dir: test" >&2
  (cd "$dir" && ctest --output-on-failure --timeout 600 "${CTEST_EXTRA[@]}")
}

run_suite build
if [ "${STRAIT_SANITIZE_SUITE:-1}" != 0 ]; then
  run_suite build-asan -DSTRAIT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
fi
