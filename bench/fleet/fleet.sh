#!/usr/bin/env bash
# Fleet probe: how strait-control copes with many sidecars. One strait-control (plaintext, a
# config dir in a temp dir) per scenario, and strait-fleet-sim (bench/fleet/fleet_sim.cc) as
# the fleet: N ADS streams that ACK like sidecars. Scenarios:
#   small-N   for N in SIZES: connect N streams, then PUSHES small changes (one cluster's
#             connect timeout in a 10-cluster, 20-route generation)
#   big       BIG_SIDECARS streams on a BIG_ROUTES-route / BIG_CLUSTERS-cluster generation,
#             BIG_PUSHES changes of one cluster
#   churn     CHURN_SIDECARS streams on the small generation (CHURN_CLUSTERS clusters,
#             CHURN_ROUTES routes), one push (for comparison),
#             then CHURN_RATE endpoint changes per second for CHURN_DURATION (workloads of a
#             SERVICE cluster's service arriving and draining)
# Each push's time runs from just before the config file is replaced (a rename of a file
# generated beforehand) until every stream ACKed the new version; the control plane's CPU
# (utime+stime) and memory (VmRSS, VmHWM) come from /proc. Everything on 127.0.0.1, ports
# chosen at run time, every process stopped by PID at the end, every run bounded by
# SIM_TIMEOUT. See bench/README.md.
#
#   ./bench/fleet/fleet.sh
#   SIZES="1000" SCENARIOS="small churn" ./bench/fleet/fleet.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
BUILD_DIR=${STRAIT_BUILD_DIR:-$REPO/build}
SCENARIOS=${SCENARIOS:-"small big churn"}
SIZES=${SIZES:-"1000 5000 10000"}
PUSHES=${PUSHES:-3}
CHANNELS=${CHANNELS:-0}                # 0: one connection per sidecar
BIG_SIDECARS=${BIG_SIDECARS:-1000}
BIG_ROUTES=${BIG_ROUTES:-10000}
BIG_CLUSTERS=${BIG_CLUSTERS:-1000}
BIG_PUSHES=${BIG_PUSHES:-2}
CHURN_SIDECARS=${CHURN_SIDECARS:-1000}
CHURN_RATE=${CHURN_RATE:-100}
CHURN_DURATION=${CHURN_DURATION:-10s}
CHURN_CLUSTERS=${CHURN_CLUSTERS:-10}
CHURN_ROUTES=${CHURN_ROUTES:-20}
SIM_TIMEOUT=${SIM_TIMEOUT:-180}        # seconds, per scenario
SIM_ARGS=${SIM_ARGS:-}                 # extra strait-fleet-sim flags, e.g. --no-delta
FLEET_OUT=${FLEET_OUT:-}               # a directory to keep the raw JSON lines in
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init
SIM=${FLEET_SIM:-$BUILD_DIR/bench/fleet/strait-fleet-sim}  # FLEET_SIM: another build's simulator
CONTROL=$BUILD_DIR/control/strait-control
require_binaries "$SIM" "$CONTROL"
raise_nofile
RESULTS=$WORK/results.jsonl
: >"$RESULTS"

# gen OUT CLUSTERS ROUTES VARIANT: a generation with two SERVICE clusters (svc0, svc1); the
# listener's port is never bound (no sidecar applies it).
# The listener (and so everything) goes to the fleet's sidecars (service web) only: the
# churning workloads (service svc0) are endpoints, and their own sidecars' generation is empty,
# so the churn measures what endpoint changes cost, not what the arriving pods' full
# generations cost.
gen() { LISTENER_SERVICES=web python3 bench/fleet/gen_config.py "$1" 15001 15002 "$2" "$3" "$4" 1 cluster 2; }

# start_control CLUSTERS ROUTES PUSHES: a fresh strait-control serving variant 0, with
# variants 1..PUSHES generated beside it; sets CONTROL_PID, CONTROL_ADDR, CONFIG.
start_control() {
  local dir=$WORK/control v
  rm -rf "$dir"
  mkdir -p "$dir/config" "$dir/variants"
  gen "$dir/config/fleet.yaml" "$1" "$2" 0
  for ((v = 1; v <= $3; v++)); do gen "$dir/variants/v$v.yaml" "$1" "$2" "$v"; done
  start control "$CONTROL" --config-dir "$dir/config" --listen 127.0.0.1:0 --port-file "$dir/control.port" \
    --plaintext --ca-dir "$dir/ca"
  CONTROL_PID=$LAST_PID
  wait_for "strait-control" test -s "$dir/control.port"
  CONTROL_ADDR=127.0.0.1:$(cat "$dir/control.port")
  CONFIG=$dir/config/fleet.yaml
  # A push: copy the variant beside the config dir, then rename it in (one inotify event).
  TRIGGER="cp $dir/variants/v{n}.yaml $dir/next.yaml && mv -f $dir/next.yaml $CONFIG"
}

# run_sim LABEL ARGS...: strait-fleet-sim against the running control plane; its JSON lines,
# tagged with LABEL, go to $RESULTS. The control plane is stopped afterwards.
run_sim() {
  local label=$1; shift
  log "$label: strait-fleet-sim $* (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  # Bounded twice: the simulator's own --timeout, and timeout(1) in case it hangs anyway; in
  # the background (and in PIDS) so that an interrupted script stops it too.
  # shellcheck disable=SC2086  # SIM_ARGS is meant to split into flags
  timeout -k 5 $((SIM_TIMEOUT + 30)) "$SIM" --target "$CONTROL_ADDR" --control-pid "$CONTROL_PID" \
    --channels "$CHANNELS" --timeout "$SIM_TIMEOUT" $SIM_ARGS "$@" >"$WORK/sim.out" 2>"$WORK/sim.err" &
  PIDS+=("$!")
  local rc=0
  wait "$!" || rc=$?
  [ "$rc" = 0 ] || log "$label: strait-fleet-sim exited with $rc ($(tail -n 2 "$WORK/sim.err" | tr '\n' ' '))"
  if ! kill -0 "$CONTROL_PID" 2>/dev/null; then
    log "$label: strait-control DIED: $(tail -n 3 "$WORK/control.log" | tr '\n' ' ')"
    echo "{\"phase\":\"control_died\",\"label\":\"$label\"}" >>"$RESULTS"
  fi
  sed "s/^{/{\"label\":\"$label\",/" "$WORK/sim.out" >>"$RESULTS"
  stop_all
}

for scenario in $SCENARIOS; do
  case $scenario in
    small)
      for n in $SIZES; do
        start_control 10 20 "$PUSHES"
        run_sim "small-$n" --sidecars "$n" --pushes "$PUSHES" --trigger-cmd "$TRIGGER"
      done ;;
    big)
      start_control "$BIG_CLUSTERS" "$BIG_ROUTES" "$BIG_PUSHES"
      run_sim "big-$BIG_SIDECARS ($BIG_CLUSTERS clusters, $BIG_ROUTES routes)" --sidecars "$BIG_SIDECARS" --pushes "$BIG_PUSHES" --trigger-cmd "$TRIGGER" ;;
    churn)
      start_control "$CHURN_CLUSTERS" "$CHURN_ROUTES" 1
      run_sim "churn-$CHURN_SIDECARS ($CHURN_CLUSTERS clusters, $CHURN_ROUTES routes)" --sidecars "$CHURN_SIDECARS" --pushes 1 --trigger-cmd "$TRIGGER" \
        --churn-rate "$CHURN_RATE" --duration "$CHURN_DURATION" --churn-service svc0 ;;
    *) log "unknown scenario $scenario"; exit 2 ;;
  esac
done

[ -z "$FLEET_OUT" ] || { mkdir -p "$FLEET_OUT"; cp "$RESULTS" "$FLEET_OUT/fleet-$(date -u +%Y%m%dT%H%M%SZ).jsonl"; }
echo
echo "strait-fleet-sim; channels: ${CHANNELS/#0/one per sidecar}; $(nproc) CPUs shared by control plane, simulator"\
  "and any other work (its CPU: 'other work'); $(date -u +%Y-%m-%dT%H:%MZ)"
python3 bench/fleet/fleet_table.py "$RESULTS"
