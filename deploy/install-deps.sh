#!/usr/bin/env bash
# Installs every Debian 12 package Strait needs to build, test, benchmark and run the demo,
# and the npm packages of the Kubernetes manifests' schema check (tests/k8s-schema).
# Idempotent: packages already present are skipped; safe to run on every demo/test start.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config ccache clang-14
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libnghttp2-dev libssl-dev libre2-dev zlib1g-dev libbrotli-dev libzstd-dev libyaml-cpp-dev rapidjson-dev
  libmodsecurity-dev modsecurity-crs
  libjemalloc-dev  # the proxies' allocator (CMake option STRAIT_JEMALLOC)
  # tests
  libgtest-dev libgmock-dev libbenchmark-dev
  curl nghttp2-client openssl python3
  python3-yaml  # reads the Kubernetes manifests (tests/integration/test_k8s_manifests.py)
  brotli zstd  # decoders of the compression tests (tests/integration/test_compression.py)
  stress-ng    # keeps the cores busy for ./tests/run.sh --busy (STRAIT_BUSY=1)
  nftables iproute2 util-linux  # interception: strait-init's nft, network namespaces as pods, setpriv
  # benchmarks (peers run in the same session)
  wrk nginx-light haproxy nghttp2-proxy procps
  libnginx-mod-http-modsecurity  # the WAF benchmark's peer: nginx with the same libmodsecurity and CRS
)

# Node.js runs the Kubernetes manifests' schema check (tests/k8s-schema): Debian's, unless a
# node and npm are already on PATH (another source's nodejs package, which Debian's npm would
# conflict with).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # nginx/haproxy packages may start system services; benchmarks start their own instances.
  for svc in nginx haproxy; do
    $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
    [ -x "/etc/init.d/$svc" ] && $SUDO "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
  done
fi

# The schema check's npm packages, at the exact versions of its package-lock.json, into its
# (gitignored) node_modules; skipped while node_modules holds what that lock file lists.
schema_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/k8s-schema"
lock_sum=$(sha256sum "$schema_dir/package-lock.json" | cut -d' ' -f1)
stamp="$schema_dir/node_modules/.installed-lock.sha256"
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
  echo "install-deps: npm ci in tests/k8s-schema" >&2
  (cd "$schema_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock_sum" >"$stamp"
fi
