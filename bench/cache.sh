#!/usr/bin/env bash
# Cache hits: wrk through strait-sidecar with the cache filter vs the origin direct vs nginx
# proxy_cache, same origin (strait-test-upstream, 4 KiB body, cache-control: max-age=3600 via
# its x-upstream-header-* knob), same client, same run.
#   BENCH_DURATION=5s CONNS=50 ./bench/cache.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
DURATION=${BENCH_DURATION:-5s}
WARMUP=${BENCH_WARMUP:-1s}
CONNS=${CONNS:-50}
MAXCONN=4096
SIZE=${SIZE:-4096}
. bench/lib.sh
bench_init
for tool in wrk nginx curl; do command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }; done
raise_nofile

origin=$(free_port)
start_origin "$SIZE" "$origin"
wait_for origin curl -sf "http://127.0.0.1:$origin/__count"

HDR="x-upstream-header-cache-control: max-age=3600"
# run_wrk NAME PORT: prints "req_s p99"
run_wrk() {
  local url="http://127.0.0.1:$2/obj"
  curl -sf -H "$HDR" "$url" -o /dev/null  # fill the cache
  # The measured requests must be hits (strait: x-cache: hit, nginx: X-Cache: HIT).
  if [ "$1" != direct ] && ! curl -sf -D - -o /dev/null -H "$HDR" "$url" | grep -qi '^x-cache: hit'; then
    log "$1: not a cache hit"; return 1
  fi
  wrk -t1 -c"$CONNS" -d"$WARMUP" -H "$HDR" "$url" >/dev/null
  local out
  out=$(wrk -t1 -c"$CONNS" -d"$DURATION" --latency -H "$HDR" "$url")
  echo "$out" >"$WORK/wrk-$1.txt"
  echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '$1 == "99%" {print $2}')"
}

echo "wrk -t1 -c$CONNS -d$DURATION --latency, ${SIZE}-byte object; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
printf "%-14s %12s %10s %16s\n" target req/s p99 origin_requests
for target in direct strait nginx; do
  port=$(free_port)
  before=$(curl -s "http://127.0.0.1:$origin/__count")
  case $target in
    direct) port=$origin ;;
    strait) start_strait "$origin" "$port" bench/strait.cache.yaml.in ;;
    nginx)
      dir=$WORK/nginx; mkdir -p "$dir/tmp" "$dir/cache"
      sed -e "s/@PORT@/$port/" -e "s/@ORIGIN@/$origin/" -e "s#@DIR@#$dir#g" -e "s/@MAXCONN@/$MAXCONN/" \
        bench/nginx.cache.conf.in >"$dir/nginx.conf"
      # Run as root, nginx's workers switch to nobody, who cannot open the cache files under
      # the private work dir: every request was a 500 (the hit rows measured errors).
      globals='daemon off;'
      [ "$(id -u)" = 0 ] && globals="$globals user root;"
      start nginx nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" -g "$globals"
      wait_for nginx curl -s "http://127.0.0.1:$port/__count" ;;
  esac
  [ "$target" = strait ] && wait_for "strait route" curl -sf -H "$HDR" "http://127.0.0.1:$port/obj"
  result=$(run_wrk "$target" "$port" || true)
  read -r rps p99 <<<"${result:-failed -}"
  after=$(curl -s "http://127.0.0.1:$origin/__count")
  printf "%-14s %12s %10s %16s\n" "$target" "$rps" "$p99" "$((after - before))"
  [ "$target" = direct ] || stop_pid "${PIDS[-1]}"
done
