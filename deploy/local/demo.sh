#!/usr/bin/env bash
# Local demo mesh on loopback. strait-control on 127.0.0.1:18000 (TLS; it is also the mesh CA,
# its root and the bootstrap tokens live in this run's temp dir) serves deploy/local/config/
# to two services, each behind its own sidecar:
#   web: sidecar web-1 listens on 127.0.0.1:10000 (admin :9901) in front of backend-a (:8081)
#        and backend-b (:8082), and calls api over mTLS for /api/...
#   api: sidecar api-1 listens on 127.0.0.1:10443, mTLS only (admin :9902), in front of
#        api-backend (:8083)
# Both sidecars get their identities (spiffe://strait.local/ns/demo/sa/web|api) from the
# control plane with a bootstrap token. Runs until Ctrl-C, then stops exactly the processes
# it started (by PID).
#
#   ./deploy/local/demo.sh            install packages, build into build/, run
#   STRAIT_SKIP_BUILD=1 ./deploy/...  use the binaries already in build/
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
BUILD_DIR=${STRAIT_BUILD_DIR:-$REPO/build}
LOG_DIR=$(mktemp -d /tmp/strait-demo.XXXXXX)
PIDS=()

DEMO_NAME=demo
# shellcheck source=deploy/local/lib.sh
source "$REPO/deploy/local/lib.sh"

stop_all() {
  trap - INT TERM EXIT
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  log "stopped ${#PIDS[@]} processes; logs kept in $LOG_DIR"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# start NAME CMD...: runs CMD in the background, output to $LOG_DIR/NAME.log.
start() {
  local name=$1; shift
  "$@" >"$LOG_DIR/$name.log" 2>&1 &
  PIDS+=($!)
  log "started $name (pid $!), log $LOG_DIR/$name.log"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

build strait-control straitctl strait-sidecar strait-test-upstream

for port in 8081 8082 8083 18000 10000 10443 9901 9902; do
  port_free "$port" || { log "port 127.0.0.1:$port is in use; stop whatever holds it"; exit 1; }
done

UPSTREAM=$BUILD_DIR/tests/upstream/strait-test-upstream
start backend-a "$UPSTREAM" --listen 127.0.0.1:8081 --name backend-a --threads 1
start backend-b "$UPSTREAM" --listen 127.0.0.1:8082 --name backend-b --threads 1
start api-backend "$UPSTREAM" --listen 127.0.0.1:8083 --name api-backend --threads 1

# The mesh CA's root and the bootstrap tokens (one per service account), for this run only.
CA_DIR=$LOG_DIR/ca
ROOT=$CA_DIR/root.pem
echo "tokens:" >"$LOG_DIR/tokens.yaml"
for sa in web api; do
  token="demo-$sa-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
  echo "- {token: $token, namespace: demo, service_account: $sa}" >>"$LOG_DIR/tokens.yaml"
  echo "$token" >"$LOG_DIR/$sa.token"
done
start control "$BUILD_DIR/control/strait-control" --config-dir "$REPO/deploy/local/config" \
  --listen 127.0.0.1:18000 --ca-dir "$CA_DIR" --tokens "$LOG_DIR/tokens.yaml"
# TLS, verified with the CA root; the operator token strait-control created in its CA dir.
STRAITCTL=("$BUILD_DIR/control/straitctl" --ca-file "$ROOT" --token-file "$CA_DIR/operator.token")
wait_for "strait-control" 15 "${STRAITCTL[@]}" status

# bootstrap SA ADMIN_PORT: the bootstrap of the sidecar of service account SA.
bootstrap() {
  {
    echo "node: {id: $1-1, service: $1, namespace: demo}"
    echo "control_plane: {address: \"127.0.0.1:18000\", ca_file: $ROOT}"
    echo "identity: {token_file: $LOG_DIR/$1.token}"
    echo "admin: {address: 127.0.0.1, port: $2}"
    echo "workers: 2"
  } >"$LOG_DIR/$1.yaml"
}
bootstrap api 9902
bootstrap web 9901
start sidecar-api "$BUILD_DIR/sidecar/strait-sidecar" --bootstrap "$LOG_DIR/api.yaml"
start sidecar-web "$BUILD_DIR/sidecar/strait-sidecar" --bootstrap "$LOG_DIR/web.yaml"
wait_for "api sidecar /ready" 20 curl -sf http://127.0.0.1:9902/ready
wait_for "web sidecar /ready" 20 curl -sf http://127.0.0.1:9901/ready

cat <<EOF

Strait demo is up. Try:

  curl -si localhost:10000/             # round robin: x-upstream-name alternates backend-a/-b
  curl -si localhost:10000/a/hello      # backend-a only, path rewritten to /hello
  curl -s localhost:10000/api/hello     # web -> mTLS -> api: the api backend echoes the request,
                                        #   the verified caller included:
                                        #   x-strait-peer-identity: spiffe://strait.local/ns/demo/sa/web
  curl -si localhost:10000/api/admin/x  # 403 from api's policy (x-strait-local-reply names the rule)
  curl -s localhost:9901/config_dump    # the generation live on the web sidecar (api: 9902)
  curl -s localhost:9901/stats          # Prometheus counters
  ${STRAITCTL[*]} status
      # per sidecar: version sent, ACKed, NACKed (TLS to the control plane, checked with its root)

Edit a file in deploy/local/config/ to push a new version. Logs: $LOG_DIR
Ctrl-C stops everything.
EOF

# Exit (and clean up) as soon as any started process dies, or on Ctrl-C.
while true; do
  for pid in "${PIDS[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "process $pid exited; stopping the demo"
      exit 1
    fi
  done
  sleep 1
done
