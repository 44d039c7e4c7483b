#!/usr/bin/env bash
# WAF cost: CPU per request of strait-sidecar with the waf filter (OWASP CRS, paranoia 1) and
# without it, next to nginx with and without ModSecurity (the libnginx-mod-http-modsecurity
# connector, the same libmodsecurity and the same rule set: `strait-sidecar waf-rules`), on
# small GETs and on 8 KiB form POSTs. One worker each, the same origin and client (wrk), one
# run. See bench/README.md ("WAF"). Everything listens on 127.0.0.1; every process started
# here is stopped by PID on exit.
#
#   ./bench/waf.sh                           # STRAIT_BUILD_DIR=build by default
#   BENCH_PIN=1 BENCH_DURATION=5s ./bench/waf.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUILD_DIR=${STRAIT_BUILD_DIR:-$REPO/build}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
CONNS=${BENCH_CONNS:-20}
ROWS=${WAF_ROWS:-"strait strait+waf nginx nginx+modsecurity"}
LOADS=${WAF_LOADS:-"get post8k"}
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init

start_nginx_conf() {  # ORIGIN PORT TEMPLATE
  local dir=$WORK/nginx
  rm -rf "$dir"
  mkdir -p "$dir/tmp"
  "$BUILD_DIR/sidecar/strait-sidecar" waf-rules <(echo '{}') >"$dir/waf.conf"
  sed -e "s/@PORT@/$2/" -e "s/@ORIGIN@/$1/" -e "s#@DIR@#$dir#g" -e "s/@MAXCONN@/4096/" "$3" >"$dir/nginx.conf"
  start nginx nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
  PROXY_PID=$LAST_PID
}

start_row() {  # ROW ORIGIN PORT
  case $1 in
    strait) start_strait "$2" "$3" ;;
    strait+waf) start_strait "$2" "$3" bench/strait.waf.yaml.in ;;
    nginx) start_nginx_conf "$2" "$3" bench/nginx.conf.in ;;
    nginx+modsecurity) start_nginx_conf "$2" "$3" bench/nginx.waf.conf.in ;;
    *) log "unknown row $1"; exit 1 ;;
  esac
}

# The loads: a GET with a query string and browser-like headers, and an 8 KiB
# application/x-www-form-urlencoded POST (wrk Lua scripts).
make_scripts() {
  local common='wrk.headers["Host"] = "shop.example"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"'
  local body="name=Jane+Doe&email=jane%40example.com&subject=Order+question&comment="
  while [ ${#body} -lt 8192 ]; do body+="The+parcel+arrived+on+time+and+the+shoes+fit+well.+"; done
  printf '%s\n' 'wrk.method = "GET"' 'wrk.path = "/search?q=blue+running+shoes&page=2&sort=price"' "$common" \
    'wrk.headers["Accept-Language"] = "en-GB,en;q=0.9"' \
    'wrk.headers["Cookie"] = "session=6f1c2b7e9a0d4e2f8b3c5a7d9e1f3a5b; theme=dark"' >"$WORK/get.lua"
  printf '%s\n' 'wrk.method = "POST"' 'wrk.path = "/contact"' "wrk.body = \"${body:0:8192}\"" "$common" \
    'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"' >"$WORK/post8k.lua"
}

# run_load ROW LOAD ORIGIN_PID PORT: prints "req_s p99 proxy_cpu origin_cpu"; refuses to print
# numbers for a run with non-2xx answers (a WAF refusing the load measures nothing).
run_load() {
  local url="http://127.0.0.1:$4/"
  wait_for "$1 on :$4" curl -sf -o /dev/null "$url"
  measure_wrk "$1-$2" "$3" "$url" -s "$WORK/$2.lua" >"$WORK/measured"
  local errors
  errors=$(wrk_errors "$1-$2")
  if [ -n "$errors" ]; then
    log "$1 $2: $errors"
    exit 1
  fi
  cat "$WORK/measured"
}

require_binaries
for tool in wrk nginx curl; do command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }; done
[ -f /usr/lib/nginx/modules/ngx_http_modsecurity_module.so ] ||
  { log "missing libnginx-mod-http-modsecurity (./deploy/install-deps.sh)"; exit 1; }
raise_nofile
make_scripts
log "work dir $WORK, $(nproc) CPUs, wrk -t1 -c$CONNS -d$DURATION"

RESULTS=()
for load in $LOADS; do
  for row in $ROWS; do
    origin_port=$(free_port)
    start_origin 1024 "$origin_port"
    origin_pid=$LAST_PID
    port=$(free_port)
    start_row "$row" "$origin_port" "$port"
    log "$row, $load"
    run_load "$row" "$load" "$origin_pid" "$port" >"$WORK/result"
    read -r rps p99 pcpu ocpu <"$WORK/result"
    ratio=$(awk -v p="$pcpu" -v o="$ocpu" 'BEGIN { if (o > 0) printf "%.2f", p / o; else print "-" }')
    RESULTS+=("| $row | $load | $rps | $p99 | $pcpu | $ocpu | $ratio |")
    stop_all
  done
done

echo
echo "wrk -t1 -c$CONNS -d$DURATION --latency; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| proxy | load | req/s | p99 | proxy CPU µs/req | origin CPU µs/req | proxy/origin CPU |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${RESULTS[@]}"
