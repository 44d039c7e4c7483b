#!/usr/bin/env bash
# Apply time: how long from a config file change until a big generation is live on a sidecar,
# and where the time goes. One origin, strait-control and one sidecar (2 workers), all on
# 127.0.0.1; for each size a first apply (from the small start-up config: everything new),
# then REPEAT changes of one cluster's connect timeout and REPEAT changes of one endpoint's
# weight (bench/fleet/gen_config.py). Each row: ms from the file's rename to the new version
# live on every worker (bench/fleet/apply_probe.py polls the sidecar's /version every 2 ms),
# strait-control's phases from its log, and the sidecar's from /stats
# (strait_config_apply_last_*; dashes for a build without them). Every process is stopped by
# PID at the end.
#
#   ./bench/fleet/apply.sh                                 # 10k and 100k routes
#   SIZES="1000:10000:10" REPEAT=5 ./bench/fleet/apply.sh  # CLUSTERS:ROUTES:ENDPOINTS_PER_CLUSTER
#   STRAIT_BUILD_DIR=/path/to/other/build ./bench/fleet/apply.sh
#   PERF_DIR=/tmp/prof ./bench/fleet/apply.sh   # also perf record (DWARF call graphs) of the
#                                               # sidecar and strait-control into that directory
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
BUILD_DIR=${STRAIT_BUILD_DIR:-$REPO/build}
SIZES=${SIZES:-"1000:10000:10 1000:100000:10"}
REPEAT=${REPEAT:-3}
TIMEOUT_S=${TIMEOUT_S:-30}
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init
require_binaries
raise_nofile

origin_port=$(free_port)
start_origin 64 "$origin_port"
port=$(free_port)
python3 bench/fleet/gen_config.py "$WORK/gen.yaml" "$port" "$origin_port" 1 1 0
STRAIT_WORKERS=2 start_strait "$origin_port" "$port" "$WORK/gen.yaml"
config=$WORK/strait/config/bench.yaml  # what strait-control watches
admin=$STRAIT_ADMIN
CONTROL_PID=${PIDS[${#PIDS[@]}-2]}  # start_strait started strait-control, then the sidecar
if [ -n "${PERF_DIR:-}" ]; then
  mkdir -p "$PERF_DIR"
  for who in strait control; do
    pid=$PROXY_PID
    [ "$who" = strait ] || pid=$CONTROL_PID
    perf record -F 999 --call-graph dwarf,32768 -o "$PERF_DIR/$who.data" -p "$pid" 2>"$WORK/perf-$who.log" &
    PIDS+=("$!")
    wait_for "perf record of $who" test -s "$PERF_DIR/$who.data"  # attached: its header is written
  done
fi

# The sidecar's phase gauges: "validate build publish total switch live_at" (ms, ms, ms, ms,
# ms, Unix seconds), or dashes when this build has none.
sidecar_phases() {
  curl -sf "$admin/stats?filter=strait_config_apply_last_" | awk '
    $1 ~ /_validate_seconds$/ {v = $2} $1 ~ /_build_seconds$/ {b = $2} $1 ~ /_publish_seconds$/ {p = $2}
    $1 ~ /_total_seconds$/ {t = $2} $1 ~ /_worker_switch_seconds$/ {w = $2} $1 ~ /_live_timestamp_seconds$/ {l = $2}
    END { if (t == "") print "- - - - - -"; else printf "%.1f %.1f %.1f %.1f %.2f %s\n", v*1000, b*1000, p*1000, t*1000, w*1000, l }'
}
# strait-control's phases of version VERSION from its "config accepted" line: "parse validate
# compare hash" in ms (dashes when its log has no timings).
control_phases() {
  { grep "serving version $1 " "$WORK/control.log" || true; } | tail -n 1 | awk '
    BEGIN { p = v = c = h = "-" }
    {
      for (i = 1; i <= NF; i++) {
        f = $i; gsub(/[()]/, "", f); sub(/ms$/, "", f); split(f, kv, "=")
        if (kv[1] == "parse") p = kv[2]; if (kv[1] == "validate") v = kv[2]
        if (kv[1] == "compare") c = kv[2]; if (kv[1] == "hash") h = kv[2]
      }
    }
    END { print p, v, c, h }'
}

rows=()
variant=0
measure() {  # measure LABEL CLUSTERS ROUTES ENDPOINTS CHANGE [quiet: not a row]
  local label=$1 clusters=$2 routes=$3 eps=$4 change=$5 out secs version t0
  variant=$((variant + 1))
  out=$(python3 bench/fleet/apply_probe.py "$admin" "$config" "$TIMEOUT_S" -- \
        "$port" "$origin_port" "$clusters" "$routes" "$variant" "$eps" "$change")
  read -r secs version t0 <<<"$out"
  [ "$secs" != timeout ] || { log "no new version within ${TIMEOUT_S}s"; tail -n 5 "$WORK"/*.log >&2; exit 1; }
  [ -z "${6:-}" ] || return 0
  local sv sb sp st sw live cp cv cc ch push
  read -r sv sb sp st sw live < <(sidecar_phases)
  read -r cp cv cc ch < <(control_phases "$version")
  # The rename to the sidecar's receipt, less strait-control's own phases: its 100 ms
  # debounce, then the push (per-sidecar snapshot, serialization, gRPC, the sidecar's decode).
  push=$(awk -v l="$live" -v t="$st" -v t0="$t0" -v p="$cp" -v v="$cv" -v c="$cc" -v h="$ch" 'BEGIN {
    if (l == "-" || p == "-") { print "-"; exit }
    printf "%.0f", (l - t / 1000 - t0) * 1000 - p - v - c - h }')
  rows+=("| $routes | $clusters | $((clusters * eps)) | $label | $(awk -v s="$secs" 'BEGIN {printf "%.0f", s*1000}') \
| $cp | $cv | $cc | $ch | $push | $sv | $sb | $sp | $sw | $st |")
  log "${rows[-1]}"
}

for size in $SIZES; do
  IFS=: read -r clusters routes eps <<<"$size"
  measure "first (all new)" "$clusters" "$routes" "$eps" cluster
  for _ in $(seq "$REPEAT"); do measure "one cluster changed" "$clusters" "$routes" "$eps" cluster; done
  for _ in $(seq "$REPEAT"); do measure "one endpoint changed" "$clusters" "$routes" "$eps" endpoint; done
  # back to the small config, so that the next size's first apply is all new again
  measure "back to 1 route" 1 1 1 cluster quiet
done

echo
echo "sidecar workers: 2; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ); build: $BUILD_DIR"
echo "all in ms. debounce+push: the rename to the sidecar's receipt less strait-control's phases, i.e. its"
echo "100 ms debounce of file changes plus the push (per-sidecar snapshot, serialization, gRPC, the sidecar's decode)"
echo
echo "| routes | clusters | endpoints | change | file→live | control parse | validate | compare | hash | debounce+push | sidecar validate | build | publish | worker switch | received→live |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
