#!/usr/bin/env bash
# HTTP/2 peer comparison: strait-sidecar vs nghttpx vs HAProxy vs nginx, each with one worker,
# HTTP/1.1 to the same origin; the client is h2load. Two modes (H2_MODES): "h2c" (cleartext,
# prior knowledge) and "tls" (h2 over TLS 1.3 by ALPN, one self-signed EC P-256 certificate
# made with the openssl CLI in the temp dir). See bench/README.md ("HTTP/2 (h2c and h2 over
# TLS)"). Everything listens on 127.0.0.1 only; every process started here is stopped by PID
# on exit.
#
#   ./bench/h2.sh                     # STRAIT_BUILD_DIR=build by default
#   H2_SECONDS=5 PROXIES="strait nghttpx" H2_MODES=tls ./bench/h2.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUILD_DIR=${STRAIT_BUILD_DIR:-$REPO/build}
SECONDS_PER_ROW=${H2_SECONDS:-10}      # target length of the measured run
WARMUP_REQS=${H2_WARMUP_REQS:-20000}   # warm-up run; its rate sizes the measured run's -n
CONNS=${H2_CONNS:-10}                  # h2load -c
STREAMS=${H2_STREAMS:-10}              # h2load -m (concurrent streams per connection)
MAX_REQS=${H2_MAX_REQS:-3000000}       # upper bound on -n whatever the warm-up rate
SIZE=${H2_SIZE:-1024}                  # origin body bytes
PROXIES=${PROXIES:-"direct strait nghttpx haproxy nginx"}
MODES=${H2_MODES:-"h2c tls"}          # h2c rows, then h2-over-TLS rows ("direct" has no TLS row)
TLS13_CIPHER=${H2_TLS13_CIPHER:-TLS_AES_128_GCM_SHA256}  # the only suite h2load offers
H2LOAD_TIMEOUT=$((SECONDS_PER_ROW * 4 + 30))  # a stuck proxy must not hang the script

# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init

# ----- TLS material (mode "tls") -----

# make_cert: one self-signed EC P-256 certificate for 127.0.0.1/localhost in $WORK/tls:
# cert.pem, key.pem, cert+key.pem (HAProxy's crt), and strait.h2tls.yaml.in with the PEM
# embedded in the Secret's block scalars (still a template for @PORT@/@ORIGIN@).
TLS_DIR=""
make_cert() {
  TLS_DIR=$WORK/tls
  mkdir -p "$TLS_DIR"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/cert.pem" 2>"$TLS_DIR/openssl.log" ||
    { log "openssl req failed"; cat "$TLS_DIR/openssl.log" >&2; exit 1; }
  cat "$TLS_DIR/cert.pem" "$TLS_DIR/key.pem" >"$TLS_DIR/cert+key.pem"
  # "@CERT@"/"@KEY@" lines become the file's lines with the placeholder's indentation.
  awk -v cert="$TLS_DIR/cert.pem" -v key="$TLS_DIR/key.pem" '
    /^ *@(CERT|KEY)@$/ {
      ind = $0; sub(/@.*/, "", ind); f = ($0 ~ /@CERT@/) ? cert : key
      while ((getline line < f) > 0) print ind line
      close(f); next
    }
    { print }' bench/strait.h2tls.yaml.in >"$TLS_DIR/strait.h2tls.yaml.in"
}

# ----- proxies: each start_X ORIGIN_PORT LISTEN_PORT MODE sets PROXY_PID -----
# MODE h2c: the bench/*.h2.* templates; MODE tls: bench/*.h2tls.*, with $TLS_DIR's files.

# start_strait (bench/lib.sh): h2c prior knowledge is detected from the preface on any listener;
# over TLS, ALPN h2 selects HTTP/2.
start_strait_mode() {
  if [ "$3" = tls ]; then start_strait "$1" "$2" "$TLS_DIR/strait.h2tls.yaml.in"
  else start_strait "$1" "$2"; fi
}

# "direct" is not a proxy row: h2load --h1 straight to the origin with as many connections as
# the other rows have streams in flight, as the ceiling of the origin and the client.
start_direct_mode() { PROXY_PID=""; }

# render TEMPLATE_BASE MODE OUT [SED ARGS...]: bench/BASE.h2.* or bench/BASE.h2tls.*
# (TEMPLATE_BASE is e.g. nghttpx.@.conf.in) with @CERT@/@KEY@/@PEM@ and the given substitutions.
render() {
  local base=$1 mode=$2 out=$3; shift 3
  local kind=h2
  [ "$mode" = tls ] && kind=h2tls
  sed -e "s#@CERT@#$TLS_DIR/cert.pem#g" -e "s#@KEY@#$TLS_DIR/key.pem#g" \
    -e "s#@PEM@#$TLS_DIR/cert+key.pem#g" "$@" "bench/${base/@/$kind}" >"$out"
}

start_nghttpx_mode() {
  local origin=$1 port=$2 mode=$3 dir=$WORK/nghttpx
  rm -rf "$dir"
  mkdir -p "$dir"
  render nghttpx.@.conf.in "$mode" "$dir/nghttpx.conf" \
    -e "s/@PORT@/$port/" -e "s/@ORIGIN@/$origin/" -e "s#@DIR@#$dir#g"
  start nghttpx nghttpx --conf="$dir/nghttpx.conf"
  PROXY_PID=$LAST_PID
}

start_haproxy_mode() {
  local origin=$1 port=$2 mode=$3 dir=$WORK/haproxy
  rm -rf "$dir"
  mkdir -p "$dir"
  render haproxy.@.cfg.in "$mode" "$dir/haproxy.cfg" \
    -e "s/@PORT@/$port/" -e "s/@ORIGIN@/$origin/" -e "s/@MAXCONN@/$MAXCONN/"
  start haproxy haproxy -db -f "$dir/haproxy.cfg"
  PROXY_PID=$LAST_PID
}

start_nginx_mode() {
  local origin=$1 port=$2 mode=$3 dir=$WORK/nginx
  rm -rf "$dir"
  mkdir -p "$dir/tmp"
  render nginx.@.conf.in "$mode" "$dir/nginx.conf" \
    -e "s/@PORT@/$port/" -e "s/@ORIGIN@/$origin/" -e "s#@DIR@#$dir#g" -e "s/@MAXCONN@/$MAXCONN/"
  start nginx nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
  PROXY_PID=$LAST_PID
}

# ----- one measurement -----

# tls_args MODE: over TLS, ALPN offers only h2 and TLS 1.3 only $TLS13_CIPHER.
tls_args() { [ "$1" != tls ] || echo "--npn-list=h2 --tls13-ciphers=$TLS13_CIPHER"; }

# h2load_args PROXY MODE: connection/stream flags (direct: HTTP/1.1, one request per
# connection) and tls_args.
h2load_args() {
  if [ "$1" = direct ]; then echo "--h1 -c $((CONNS * STREAMS)) -m 1 -t 1"
  else echo "-c $CONNS -m $STREAMS -t 1"; fi
  tls_args "$2"
}

# h2_ready URL ARGS...: one request answered 200 (h2c prior knowledge for http, ALPN for https).
h2_ready() {
  local url=$1; shift
  [ "$(h2load -n 1 -c 1 "$@" "$url" 2>/dev/null | awk '/^status codes:/ {print $3}')" = 1 ]
}

# p99_ms LOGFILE: 99th percentile of h2load --log-file's third column (µs), in ms.
p99_ms() {
  awk -F'\t' '{print $3}' "$1" | sort -n |
    awk '{v[NR] = $1} END { if (NR == 0) { print "-"; exit }
         i = int(NR * 0.99 + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR
         printf "%.2fms\n", v[i] / 1000 }'
}

# h2load_run NAME ARGS...: h2load in the background (in PIDS, bounded by timeout), waited for
# with the `wait` builtin so an INT/TERM trap runs at once (not from a $(...) subshell, whose
# end the shell would wait for first); output in $WORK/h2load-NAME.log.
h2load_run() {
  local name=$1; shift
  start "h2load-$name" timeout "$H2LOAD_TIMEOUT" h2load "$@"
  wait "$LAST_PID"
}

# run_h2load PROXY ORIGIN_PID PORT MODE: prints
# "req_s p99 proxy_cpu_us_per_req origin_cpu_us_per_req n"
run_h2load() {
  local proxy=$1 origin_pid=$2 mode=$4 url="http://127.0.0.1:$3/" args targs out warm_rps n
  [ "$mode" = tls ] && url="https://127.0.0.1:$3/"
  # shellcheck disable=SC2207
  args=($(h2load_args "$proxy" "$mode"))
  # shellcheck disable=SC2207
  targs=($(tls_args "$mode"))
  if [ "$proxy" = direct ]; then wait_for "origin on :$3" curl -sf -o /dev/null "$url"
  else wait_for "$proxy on :$3 ($mode)" h2_ready "$url" "${targs[@]}"; fi
  h2load_run "warmup-$mode" -n "$WARMUP_REQS" "${args[@]}" "$url"
  out=$(cat "$WORK/h2load-warmup-$mode.log")
  warm_rps=$(echo "$out" | awk '/^finished in/ {print $4}')
  n=$(awk -v r="${warm_rps:-0}" -v s="$SECONDS_PER_ROW" -v w="$WARMUP_REQS" -v m="$MAX_REQS" \
    'BEGIN { n = int(r * s); if (n < w) n = w; if (n > m) n = m; print n }')
  local p0 o0 p1 o1
  p0=$([ -n "$PROXY_PID" ] && cpu_ticks "$PROXY_PID" || echo 0)
  o0=$(cpu_ticks "$origin_pid")
  h2load_run "$proxy-$mode" -n "$n" "${args[@]}" --log-file "$WORK/latency-$proxy-$mode.tsv" "$url"
  out=$(cat "$WORK/h2load-$proxy-$mode.log")
  if [ "$mode" = tls ]; then  # what was negotiated, as h2load reports it
    local want="TLSv1.3 $TLS13_CIPHER h2" got
    got=$(echo "$out" | awk -F': ' '/^TLS Protocol:/ {p = $2} /^Cipher:/ {c = $2}
                                    /^Application protocol:/ {a = $2} END {print p, c, a}')
    log "$proxy (h2 TLS): $got, $(echo "$out" | grep '^Server Temp Key:' || echo 'no temp key line')"
    [ "$got" = "$want" ] || { log "$proxy: negotiated '$got', expected '$want'"; exit 1; }
  fi
  p1=$([ -n "$PROXY_PID" ] && cpu_ticks "$PROXY_PID" || echo 0)
  o1=$(cpu_ticks "$origin_pid")
  local done_reqs rps p99 failed
  done_reqs=$(echo "$out" | awk '/^requests:/ {print $8}')  # "succeeded"
  rps=$(echo "$out" | awk '/^finished in/ {print $4}')
  failed=$(echo "$out" | awk '/^requests:/ {print $10 + $12 + $14}')  # failed+errored+timeout
  [ "${failed:-0}" = 0 ] || log "$proxy: $(echo "$out" | grep -E '^(requests|status codes):' | tr '\n' ' ')"
  p99=$(p99_ms "$WORK/latency-$proxy-$mode.tsv")
  awk -v r="$done_reqs" -v dp=$((p1 - p0)) -v dorig=$((o1 - o0)) -v hz="$CLK_TCK" -v rps="$rps" \
    -v p99="$p99" -v n="$n" \
    'BEGIN { if (r < 1) r = 1; printf "%s %s %.2f %.2f %d\n", rps, p99, dp * 1e6 / hz / r, dorig * 1e6 / hz / r, n }'
}

require_binaries
for tool in h2load nghttpx nginx haproxy curl; do
  command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }
done
for mode in $MODES; do
  case $mode in h2c|tls) ;; *) log "H2_MODES: unknown mode '$mode' (h2c, tls)"; exit 1 ;; esac
done
case " $MODES " in *" tls "*) command -v openssl >/dev/null || { log "missing openssl"; exit 1; } ;; esac
raise_nofile
MAXCONN=$(( $(ulimit -n) / 2 - 100 ))
log "work dir $WORK, $(nproc) CPUs, h2load -c$CONNS -m$STREAMS -t1, ~${SECONDS_PER_ROW}s per row, modes: $MODES"
case " $MODES " in *" tls "*) make_cert ;; esac

RESULTS=()
for mode in $MODES; do
  for proxy in $PROXIES; do
    [ "$mode" = tls ] && [ "$proxy" = direct ] && continue  # the origin speaks no TLS
    origin_port=$(free_port)
    start_origin "$SIZE" "$origin_port"
    origin_pid=$LAST_PID
    port=$origin_port
    [ "$proxy" = direct ] || port=$(free_port)
    "start_${proxy}_mode" "$origin_port" "$port" "$mode"
    log "$proxy ($mode), ${SIZE}-byte responses"
    run_h2load "$proxy" "$origin_pid" "$port" "$mode" >"$WORK/result"
    read -r rps p99 pcpu ocpu n <"$WORK/result"
    ratio=$(awk -v p="$pcpu" -v o="$ocpu" 'BEGIN { if (o > 0) printf "%.2f", p / o; else print "-" }')
    label=$proxy
    [ "$mode" = tls ] && label="$proxy (h2 TLS)"
    [ "$proxy" = direct ] && { pcpu="-"; ratio="-"; label="direct (h1, no proxy)"; }
    RESULTS+=("| $label | $SIZE | $n | $rps | $p99 | $pcpu | $ocpu | $ratio |")
    stop_all
  done
done

describe=""
case " $MODES " in *" h2c "*) describe="h2c prior knowledge" ;; esac
case " $MODES " in *" tls "*)
  describe="${describe:+$describe; }h2 TLS: TLS 1.3 $TLS13_CIPHER, ALPN h2, EC P-256 self-signed" ;;
esac
echo
echo "h2load -c$CONNS -m$STREAMS -t1 ($describe), -n sized for ~${SECONDS_PER_ROW}s; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| proxy | body bytes | requests | req/s | p99 | proxy CPU µs/req | origin CPU µs/req | proxy/origin CPU |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${RESULTS[@]}"
