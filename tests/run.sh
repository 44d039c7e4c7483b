#!/usr/bin/env bash
# Builds Strait and runs every test (unit + integration with the real binaries on loopback).
#   ./tests/run.sh             build into build/ and run all tests
#   ./tests/run.sh --sanitize  same, with ASan+UBSan, into build-asan/
# Extra arguments after -- go to ctest (e.g. ./tests/run.sh -- -R integration).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=build
CMAKE_EXTRA=()
CTEST_EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) BUILD_DIR=build-asan; CMAKE_EXTRA+=(-DSTRAIT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
    --) shift; CTEST_EXTRA=("$@"); break ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

./deploy/install-deps.sh

CXX_COMPILER=g++
command -v clang++-14 >/dev/null && CXX_COMPILER=clang++-14
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER="$CXX_COMPILER" -DSTRAIT_WERROR=ON "${CMAKE_EXTRA[@]}" >/dev/null
ninja -C "$BUILD_DIR" -j"${STRAIT_JOBS:-2}"

# Listening on many sockets in the integration tests.
ulimit -n 65536 2>/dev/null || true
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 600 "${CTEST_EXTRA[@]}"
