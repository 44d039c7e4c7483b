#!/usr/bin/env bash
# Apply time: how long from a config file change until a big generation is live on a sidecar,
# and where the time goes. One origin, strait-control and one sidecar (2 workers), all on
# 127.0.0.1; for each size a first apply (from the small start-up config: everything new),
# then REPEAT changes of one cluster's connect timeout and REPEAT changes of one endpoint's
# weight (bench/fleet/gen_config.py). Each row: seconds from the file's rename to the new
# version live on every worker (bench/fleet/apply_probe.py polls the sidecar's /version every
# 2 ms; this includes strait-control's 100 ms debounce of file changes), then the sidecar's
# own phases from /stats (strait_config_apply_last_*_seconds, if this build exports them)
# and strait-control's load phases from its log. Every process stopped by PID at the end.
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
for bin in "$BUILD_DIR/tests/upstream/strait-test-upstream" "$BUILD_DIR/sidecar/strait-sidecar" \
           "$BUILD_DIR/control/strait-control"; do
  [ -x "$bin" ] || { log "missing $bin (build first)"; exit 1; }
done
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
  done
  sleep 1
fi

# The sidecar's phase gauges, in ms: "validate build publish total" (or "- - - -").
sidecar_phases() {
  curl -sf "$admin/stats?filter=strait_config_apply_last_" | awk '
    $1 ~ /_validate_seconds$/ {v = $2} $1 ~ /_build_seconds$/ {b = $2}
    $1 ~ /_publish_seconds$/ {p = $2} $1 ~ /_total_seconds$/ {t = $2}
    END { if (t == "") print "- - - -"; else printf "%.1f %.1f %.1f %.1f\n", v*1000, b*1000, p*1000, t*1000 }'
}
# strait-control's phases of the version VERSION, in ms: "load compare hash" (or "- - -"),
# from its "config accepted" log line when it has one.
control_phases() {
  local line
  line=$(grep "serving version $1 " "$WORK/control.log" | tail -n 1 || true)
  echo "$line" | awk '{
    l = c = h = "-"
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^load=/) l = substr($i, 6); if ($i ~ /^compare=/) c = substr($i, 9); if ($i ~ /^hash=/) h = substr($i, 6)
    }
    print l, c, h }'
}

rows=()
variant=0
measure() {  # measure LABEL CLUSTERS ROUTES ENDPOINTS CHANGE [quiet: not a row]
  local label=$1 clusters=$2 routes=$3 eps=$4 change=$5 out secs version
  variant=$((variant + 1))
  out=$(python3 bench/fleet/apply_probe.py "$admin" "$config" "$TIMEOUT_S" -- \
        "$port" "$origin_port" "$clusters" "$routes" "$variant" "$eps" "$change")
  read -r secs version <<<"$out"
  [ "$secs" != timeout ] || { log "no new version within ${TIMEOUT_S}s"; tail -n 5 "$WORK"/*.log >&2; exit 1; }
  [ -z "${6:-}" ] || return 0
  rows+=("| $routes | $clusters | $((clusters * eps)) | $label | $(awk -v s="$secs" 'BEGIN {printf "%.0f", s*1000}') | \
$(sidecar_phases | tr ' ' '|' | sed 's/|/ | /g') | $(control_phases "$version" | sed 's/ / | /g') |")
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
echo "file→live includes strait-control's 100 ms debounce; sidecar and control phases in ms"
echo
echo "| routes | clusters | endpoints | change | file→live ms | sidecar validate | build | publish | received→live | control load | compare | hash |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
