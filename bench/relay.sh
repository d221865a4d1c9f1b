#!/usr/bin/env bash
# Relay benchmark (issue #5, engineering.md §6): customer -> agent chat
# messages over WebSocket, stored in Redis and delivered across workers,
# against nchan with its Redis store doing the same publish -> subscriber
# delivery, in the same run, on the same Redis.
#
#   bench/relay.sh [seconds per run] [pairs]     (WORKERS=2 by default)
#
# For each server: <pairs> sender sockets (csq: customers; nchan: a
# WebSocket publisher each) and <pairs> receiver sockets (csq: the
# conversations' agents; nchan: subscribers), at most 8 messages in
# flight per sender (not yet acknowledged: csq's ack, nchan's channel
# info).  First as fast as that allows (the max), then rate-limited at
# half of that max (FRACTIONS="0.5" by default, e.g. "0.5,0.25").
# Latency: from the send to the receiver's socket, both in the one load
# client (relay-load.c, built here; relay-setup.js makes csq's tenant,
# agents and conversations through the API).  The CPU columns tell where
# the machine's 2 cores went, and "rest" whether something else ran.
# Goals: csq / nchan messages/s >= 1.5; csq p99 at half load < 5 ms.
# NCHAN=0 skips the baseline (to look at csq alone; no ratio then).
# RELAY_DEBUG=1: the client also prints p90, p99.9, max and the worst
# latency of each 100 ms, and Redis its busiest commands.

set -euo pipefail

secs=${1:-10}
pairs=${2:-50}
workers=${WORKERS:-2}
fractions=${FRACTIONS:-0.5}
secret=bench-secret-0123456789

source "$(dirname "$0")/lib.sh"

bench_install libnginx-mod-nchan
bench_node
nchan_so=$(dpkg -L libnginx-mod-nchan | grep 'ngx_nchan_module\.so$')
ulimit -n "$(ulimit -Hn)"

# the load client, in C: on 2 cores the client's CPU is the server's loss
bench_install gcc
gcc -O2 -Wall -o "$dir/relay-load" "$root/bench/relay-load.c"
client=$dir/relay-load
nginx_main="worker_processes $workers;
worker_rlimit_nofile 20000;"
nginx_events="worker_connections 10000;"

bench_redis_start
redis_pid=$(redis-cli -p "$redis_port" info server \
            | awk -F: '/^process_id/ { print $2 + 0 }')

# a run of the client against one server: its RESULT lines, renamed
# (with RELAY_DEBUG, what Redis spent its time on, on stderr)
run_client() {
    local name=$1; shift
    redis-cli -p "$redis_port" config resetstat >/dev/null
    NGINX_PIDS="$nginx_pids" REDIS_PIDS="$redis_pid" $client "$@" \
        | awk -v n="$name" '$1 == "RESULT" { $1 = n; print }'
    [ -n "${RELAY_DEBUG:-}" ] && redis-cli -p "$redis_port" info commandstats \
        | sort -t= -k3 -rn | head -8 | cut -d, -f1-3 >&2
    return 0
}

# the error log's complaints, for the report
log_check() {
    local name=$1 log=$2 n
    n=$(grep -cE '\[(error|crit|alert|emerg)\]' "$log" || true)
    echo "$name error.log: $n lines at error or worse"
    grep -E '\[(error|crit|alert|emerg)\]' "$log" | sed 's/^/    /' \
        | sort | uniq -c | sort -rn | head -5 || true
}

# --- csq

bench_nginx_start "
    csq_secret $secret;" '
        location /api/ { csq_api; }' /api/

echo "csq: $workers workers, $pairs customer/agent pairs, ${secs}s per run"
node "$root/bench/relay-setup.js" "http://127.0.0.1:$http_port" "$secret" \
    "$pairs" > "$dir/plan"
nginx_pids=$(bench_nginx_workers)
csq=$(run_client csq csq "$http_port" "$dir/plan" "$secs" "$fractions")
log_check csq "$dir/logs/error.log"
bench_nginx_stop

# --- nchan, its Redis store, publishing over WebSocket

run_nchan() {
    local port
    port=$(free_port)
    bench_nginx_conf nchan "$port" "load_module $nchan_so;
$nginx_main
error_log logs/error.log warn;
pid logs/nginx.pid;
events { $nginx_events }
http {
    access_log off;
    upstream nchan_redis { nchan_redis_server redis://127.0.0.1:$redis_port; }
    server {
        listen 127.0.0.1:$port backlog=4096;
        location = /up { return 200; }
        location ~ ^/pub/(\w+)\$ {
            nchan_publisher websocket http;
            nchan_channel_id \$1;
            nchan_redis_pass nchan_redis;
        }
        location ~ ^/sub/(\w+)\$ {
            nchan_subscriber websocket;
            nchan_channel_id \$1;
            nchan_redis_pass nchan_redis;
        }
    }
}" /up /usr/sbin/nginx

    echo "nchan: $workers workers, $pairs publisher/subscriber pairs, ${secs}s per run"
    nginx_pids=$(bench_nginx_workers "$dir/nchan")
    nchan=$(run_client nchan nchan "$port" "$pairs" "$secs" "$fractions")
    log_check nchan "$dir/nchan/logs/error.log"
}

nchan=""
[ "${NCHAN:-1}" = 0 ] || run_nchan

# --- the table

fmt='%-6s %-5s %9s %11s %7s %7s %8s %5s %6s %6s %6s %7s %5s\n'
printf "\n$fmt" server load "target/s" "delivered/s" "p50 ms" "p99 ms" \
    sent lost errors nginx% redis% client% rest%
printf '%s\n%s\n' "$csq" "$nchan" | awk -v fmt="$fmt" 'NF {
    printf fmt, $1, $2, ($3 == 0 ? "-" : $3), $4, $5, $6, $7, $8, $9,
        $10, $11, $12, $13 }'
echo "(CPU, 100 = one core of $(nproc): nginx workers, redis-server, the load"
echo " client, and the rest of the machine: other processes, interrupts)"
printf '%s\n%s\n' "$csq" "$nchan" | awk '$13 > 25 { n++ } END { if (n)
    printf "warning: %d run(s) shared the machine with other work (rest%% > 25):" \
           " their figures are not to be trusted\n", n }'

awk -v c="$(echo "$csq" | awk '$2 == "max" { print $4 }')" \
    -v n="$(echo "$nchan" | awk '$2 == "max" { print $4 }')" \
    -v h="$(echo "$csq" | awk '$2 == "0.5" { print $6 }')" 'BEGIN {
    print ""
    if (n > 0) printf "ratio csq / nchan messages/s at max: %.2f (goal >= 1.5)\n", c / n
    if (h != "") printf "csq p99 at half load: %s ms (goal < 5)\n", h }'
