#!/usr/bin/env bash
# The mesh on one machine, with pods: network namespaces on a bridge (addresses from
# 198.18.0.0/15, nothing attached to the host's interfaces), the way the integration tests
# build them (tests/integration/netns.py):
#   ctl    198.18.0.10  strait-control (TLS, the mesh CA, bootstrap tokens)
#   web    198.18.0.2   an app with no mesh code (curl, a gRPC client) + its sidecar
#   api-1  198.18.0.3   the api app (HTTP on 8080, gRPC on 50051) + its sidecar
#   api-2  198.18.0.4   the same
# In each pod strait-init installs the interception rules and the sidecar runs as uid 1337;
# api pods' sidecars report their workload, so web's sidecar finds api's endpoints itself
# and speaks mTLS to them. The walkthrough calls http://api/ and api:50051 from web, shows
# the caller identity the api pod verified, refuses a caller outside the mesh, then drains
# api-1 (SIGTERM) and shows the traffic staying on api-2. Then it stops everything it
# started and deletes the pods, also on failure or Ctrl-C.
#
#   sudo ./deploy/local/mesh-demo.sh          install packages, build into build/, run
#   sudo ./deploy/local/mesh-demo.sh --hold   ... and keep the mesh up until Ctrl-C
#   STRAIT_SKIP_BUILD=1 sudo -E ./deploy/...  use the binaries already in build/
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
BUILD_DIR=${STRAIT_BUILD_DIR:-$REPO/build}
HOLD=0
[ "${1:-}" = "--hold" ] && HOLD=1
if [ "$(id -u)" -ne 0 ]; then
  echo "mesh-demo: needs root (network namespaces, nftables)" >&2
  exit 1
fi
LOG_DIR=$(mktemp -d /tmp/strait-mesh-demo.XXXXXX)
chmod 0755 "$LOG_DIR"
PREFIX="smd$$"
PODS=()
PIDS=()
declare -A PID_OF

DEMO_NAME=mesh-demo
# shellcheck source=deploy/local/lib.sh
source "$REPO/deploy/local/lib.sh"

cleanup() {
  trap - INT TERM EXIT
  local pid ns
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for ns in "${PODS[@]}" "$PREFIX-br"; do
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "/etc/netns/$ns"
  done
  log "stopped ${#PIDS[@]} processes, deleted the pods; logs kept in $LOG_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build strait-control strait-sidecar strait-init strait-test-upstream strait-grpc-echo-server \
  strait-grpc-echo-client

in_pod() { local pod=$1; shift; ip netns exec "$PREFIX-$pod" "$@"; }

# start POD NAME [--as-proxy] CMD...: runs CMD in POD in the background, output to $LOG_DIR/NAME.log.
start() {
  local pod=$1 name=$2; shift 2
  local as=()
  if [ "$1" = "--as-proxy" ]; then as=(setpriv --reuid=1337 --regid=1337 --clear-groups); shift; fi
  ip netns exec "$PREFIX-$pod" "${as[@]}" "$@" >"$LOG_DIR/$name.log" 2>&1 &
  PIDS+=($!)
  PID_OF[$name]=$!
}

# The network: a bridge in a namespace of its own, one veth per pod.
ip netns add "$PREFIX-br"
ip -n "$PREFIX-br" link add br0 type bridge
ip -n "$PREFIX-br" link set br0 up
add_pod() {
  local pod=$1 host=$2 ns="$PREFIX-$1"
  ip netns add "$ns"
  PODS+=("$ns")
  mkdir -p "/etc/netns/$ns"
  printf '127.0.0.1 localhost\n' >"/etc/netns/$ns/hosts"  # mesh names added once the control plane runs
  ip -n "$PREFIX-br" link add "v$host" type veth peer name eth0 netns "$ns"
  ip -n "$PREFIX-br" link set "v$host" master br0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "198.18.0.$host/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add 198.19.0.0/16 dev eth0  # service addresses: redirected before they leave
}
add_pod ctl 10
add_pod web 2
add_pod api-1 3
add_pod api-2 4
log "pods: ctl 198.18.0.10, web 198.18.0.2, api-1 198.18.0.3, api-2 198.18.0.4"

# The control plane and its configuration.
mkdir -p "$LOG_DIR/config"
cat >"$LOG_DIR/config/mesh.yaml" <<'EOF'
listeners:
  - {name: outbound, address: 0.0.0.0, port: 15001, route_config: outbound, services: [web], use_original_dst: true}
  - name: inbound
    address: 0.0.0.0
    port: 15006
    route_config: inbound
    services: [api]
    use_original_dst: true
    tls: {use_mesh_certificate: true, mtls_mode: MTLS_STRICT}
    authorization: {rules: [{name: web-only, action: ALLOW, principals: ["spiffe://strait.local/ns/demo/sa/web"]}]}
route_configs:
  - name: outbound
    virtual_hosts:
      - name: api
        domains: [api]
        routes:
          - {match: {prefix: /, destination_port: 50051}, route: {cluster: api-grpc}}
          - {match: {prefix: /}, route: {cluster: api}}
  - name: inbound
    virtual_hosts:
      - name: local-app
        domains: ["*"]
        routes:
          - {match: {prefix: /, headers: [{name: content-type, safe_regex_match: "application/grpc.*"}]}, route: {cluster: inbound-h2}}
          - {match: {prefix: /}, route: {cluster: inbound}}
clusters:
  - {name: api, type: SERVICE, service: api, service_port: 8080}
  - {name: api-grpc, type: SERVICE, service: api, service_port: 50051, protocol: HTTP2}
  - {name: inbound, type: ORIGINAL_DST}
  - {name: inbound-h2, type: ORIGINAL_DST, protocol: HTTP2}
EOF
cat >"$LOG_DIR/tokens.yaml" <<'EOF'
tokens:
  - {token: demo-web-token, namespace: demo, service_account: web}
  - {token: demo-api-token, namespace: demo, service_account: api}
EOF
start ctl control "$BUILD_DIR/control/strait-control" --config-dir "$LOG_DIR/config" \
  --listen 198.18.0.10:18000 --ca-dir "$LOG_DIR/ca" --tokens "$LOG_DIR/tokens.yaml" --endpoint-grace 2s \
  --service-cidr 198.19.0.0/16
wait_for "the control plane" 20 test -f "$LOG_DIR/ca/root.pem"
chmod 0755 "$LOG_DIR/ca"
chmod 0644 "$LOG_DIR/ca/root.pem"
# The services' names and addresses (assigned from --service-cidr) in web's /etc/hosts, as
# an operator would put them there (a DNS server is not part of the mesh: see the README).
straitctl() {
  in_pod ctl "$BUILD_DIR/control/straitctl" --control 198.18.0.10:18000 --ca-file "$LOG_DIR/ca/root.pem" \
    --token-file "$LOG_DIR/ca/operator.token" "$@"
}
wait_for "the management API" 20 straitctl hosts
straitctl hosts >>"/etc/netns/$PREFIX-web/hosts"
log "web's /etc/hosts: $(grep ' api' "/etc/netns/$PREFIX-web/hosts")"

# sidecar POD SERVICE TOKEN [WORKLOAD_IP]: strait-init, then the sidecar as uid 1337.
sidecar() {
  local pod=$1 service=$2 token=$3 workload=${4:-}
  in_pod "$pod" "$BUILD_DIR/sidecar/strait-init" 2>>"$LOG_DIR/init.log"
  echo "$token" >"$LOG_DIR/$pod.token"
  chmod 0644 "$LOG_DIR/$pod.token"
  local node="{id: $pod, service: $service, namespace: demo}"
  [ -n "$workload" ] && node="{id: $pod, service: $service, namespace: demo, workload: {address: $workload}}"
  cat >"$LOG_DIR/$pod.yaml" <<EOF
node: $node
control_plane: {address: "198.18.0.10:18000", ca_file: $LOG_DIR/ca/root.pem}
identity: {token_file: $LOG_DIR/$pod.token}
admin: {address: 127.0.0.1, port: 9901}
workers: 1
drain_time: 10s
EOF
  start "$pod" "sidecar-$pod" --as-proxy "$BUILD_DIR/sidecar/strait-sidecar" --bootstrap "$LOG_DIR/$pod.yaml"
  wait_for "$pod's sidecar" 30 in_pod "$pod" curl -sf http://127.0.0.1:9901/ready
}
for n in 1 2; do
  start "api-$n" "app-api-$n" "$BUILD_DIR/tests/upstream/strait-test-upstream" --listen 0.0.0.0:8080 --name "api-$n"
  start "api-$n" "grpc-api-$n" "$BUILD_DIR/tests/grpc/strait-grpc-echo-server" --listen 0.0.0.0:50051
  sidecar "api-$n" api demo-api-token "198.18.0.$((n + 2))"
done
sidecar web web demo-web-token
wait_for "api's endpoints at web" 20 sh -c \
  "ip netns exec $PREFIX-web curl -s http://127.0.0.1:9901/config_dump | grep -o '\"port\": *8080' | wc -l | grep -qx 2"

echo
echo "== web calls http://api/ four times (curl, no mesh code; answered by x-upstream-name):"
for _ in 1 2 3 4; do in_pod web curl -s -D - -o /dev/null http://api/hello | grep -i '^x-upstream-name' || true; done
echo "== the caller identity api's sidecar verified (mTLS, as the app sees it):"
in_pod web curl -s http://api/who | grep -i '^x-strait-peer-identity' || true
echo "== a gRPC client in web calls api:50051:"
in_pod web "$BUILD_DIR/tests/grpc/strait-grpc-echo-client" --target api:50051 --call unary || true
echo "== a caller outside the mesh (the control plane's pod, no sidecar) straight at api-1:8080:"
in_pod ctl curl -sS --max-time 5 http://198.18.0.3:8080/ 2>&1 | head -1 || true
echo "== api-1's sidecar gets SIGTERM: its endpoint is withdrawn before it stops accepting"
kill -TERM "${PID_OF[sidecar-api-1]}"
wait_for "api-1's sidecar to exit" 30 sh -c "! kill -0 ${PID_OF[sidecar-api-1]}"
grep -h "draining\|withdr" "$LOG_DIR/control.log" "$LOG_DIR/sidecar-api-1.log" | sed 's/^/   /'
echo "== web calls http://api/ four times again:"
for _ in 1 2 3 4; do in_pod web curl -s -D - -o /dev/null http://api/hello | grep -i '^x-upstream-name' || true; done
echo
if [ "$HOLD" = 1 ]; then
  log "the mesh is up; try: sudo ip netns exec $PREFIX-web curl -s http://api/   (Ctrl-C to stop)"
  while true; do sleep 1; done
fi
