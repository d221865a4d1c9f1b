#!/usr/bin/env bash
# Relay benchmark (issue #5, engineering.md §6): customer -> agent chat
# messages over WebSocket, stored in Redis and delivered across workers,
# against nchan with its Redis store doing the same publish -> subscriber
# delivery, on the same Redis, in alternating rounds of one run so that
# the machine's noise hits both alike.
#
#   bench/relay.sh [seconds per run] [pairs] [rounds]    (5, 50, 3)
#
# For each server: <pairs> sender sockets (csq: customers; nchan: a
# WebSocket publisher each) and <pairs> receiver sockets (csq: the
# conversations' agents; nchan: subscribers), at most 8 messages in
# flight per sender (not yet acknowledged: csq's ack, nchan's channel
# info).  Each round runs each server as fast as that allows (the max),
# then rate-limited at half of that max (FRACTIONS="0.5" by default, e.g.
# "0.5,0.25").  Latency: from the send to the receiver's socket, both in
# the one load client (relay-load.c, built here; relay-setup.js makes
# csq's tenant, agents and conversations through the API).  The CPU
# columns tell where the machine's 2 cores went, "rest" whether something
# else ran meanwhile.  The medians of the rounds make the verdict.
# Beside them, two references: nchan with its memory store (no Redis: what
# an in-process relay does here), and redis-benchmark calling csq's send
# function (ws_send) straight on the same Redis, with as many connections
# as there are pairs: the most one Redis core allows.
# Goals (#10 §3): csq >= 3x nchan (Redis store) messages/s; csq >= 0.5x
# the redis-benchmark ceiling; csq p99 at half load < 5 ms; nothing lost.
#
# WORKERS (2): nginx workers of each server.  NCHAN=0: csq alone (and no
# memory-store reference).
# RELAY_DEBUG=1: the client also prints p90, p99.9, max and the worst
# latency of each 100 ms, and Redis its busiest commands.

set -euo pipefail

secs=${1:-5}
pairs=${2:-50}
rounds=${3:-3}
workers=${WORKERS:-2}
fractions=${FRACTIONS:-0.5}
secret=bench-secret-0123456789

source "$(dirname "$0")/lib.sh"

bench_install libnginx-mod-nchan gcc
bench_node
nchan_so=$(dpkg -L libnginx-mod-nchan | grep 'ngx_nchan_module\.so$')
ulimit -n "$(ulimit -Hn)"

# the load client, in C: on 2 cores the client's CPU is the server's loss
gcc -O2 -Wall -o "$dir/relay-load" "$root/bench/relay-load.c"

nginx_main="worker_processes $workers;
worker_rlimit_nofile 20000;"
nginx_events="worker_connections 10000;"

bench_redis_start
redis_pid=$(redis-cli -p "$redis_port" info server \
            | awk -F: '/^process_id/ { print $2 + 0 }')

# --- csq, and its tenant: one queue, an agent per conversation

# the load client is trusted past the message rate (csq_trusted)
bench_csq_api "csq_trusted 127.0.0.1;"
node "$root/bench/relay-setup.js" "http://127.0.0.1:$http_port" "$secret" \
    "$pairs" > "$dir/plan"

# --- nchan publishing over WebSocket: NAME PORT, with its Redis store
# ("redis") or its memory store (a reference: shared memory, no Redis)

nchan_start() {
    local name=$1 port=$2 store=$3 http='' pass=''
    if [ "$store" = redis ]; then
        http="upstream nchan_redis {
        nchan_redis_server redis://127.0.0.1:$redis_port; }"
        pass="nchan_redis_pass nchan_redis;"
    else
        http="nchan_shared_memory_size 256M;"
    fi
    bench_nginx_conf "$name" "$port" "
load_module $nchan_so;
$nginx_main
error_log logs/error.log warn;
pid logs/nginx.pid;
events { $nginx_events }
http {
    access_log off;
    $http
    server {
        listen 127.0.0.1:$port backlog=4096;
        location = /up { return 200; }
        location ~ ^/pub/(\w+)\$ {
            nchan_publisher websocket http;
            nchan_channel_id \$1;
            $pass
        }
        location ~ ^/sub/(\w+)\$ {
            nchan_subscriber websocket;
            nchan_channel_id \$1;
            $pass
        }
    }
}" /up /usr/sbin/nginx
}

nchan_port=$(free_port)
nchanm_port=$(free_port)
if [ "${NCHAN:-1}" != 0 ]; then
    nchan_start nchan "$nchan_port" redis
    nchan_start nchanm "$nchanm_port" memory
fi

# nchan takes its Redis connection after starting: ready once it publishes
if [ "${NCHAN:-1}" != 0 ]; then
    for _ in $(seq 100); do
        curl -sf -X POST -d ready "http://127.0.0.1:$nchan_port/pub/ready" \
            >/dev/null 2>&1 && break
        sleep 0.1
    done
fi

# one sweep of the client against one server: its RESULT lines, as
# "<server> <round> <load> ..." (with RELAY_DEBUG, Redis' busiest
# commands on stderr)
sweep() {
    local name=$1 round=$2 port=$3 what=$4 pids
    pids=$(bench_nginx_workers "$([ "$name" = csq ] && echo "$dir" \
                                  || echo "$dir/$name")")
    redis-cli -p "$redis_port" config resetstat >/dev/null
    NGINX_PIDS="$pids" REDIS_PIDS="$redis_pid" \
        "$dir/relay-load" "$name" "$port" "$what" "$secs" "$fractions" \
        > "$dir/sweep.out" || echo "  $name: the client failed" >&2
    awk -v n="$name" -v r="$round" '$1 == "RESULT" { $1 = n " " r; print }' \
        "$dir/sweep.out"
    if [ -n "${RELAY_DEBUG:-}" ]; then
        redis-cli -p "$redis_port" info commandstats \
            | sort -t= -k3 -rn | head -8 | cut -d, -f1-3 >&2
    fi
}

echo "relay: $workers nginx workers each, $pairs sender/receiver pairs," \
     "${secs}s per run, $rounds rounds"
results=""
for r in $(seq "$rounds"); do
    echo "  round $r: csq"
    results+=$(sweep csq "$r" "$http_port" "$dir/plan")$'\n'
    if [ "${NCHAN:-1}" != 0 ]; then
        echo "  round $r: nchan"
        results+=$(sweep nchan "$r" "$nchan_port" "$pairs")$'\n'
        echo "  round $r: nchanm (memory store)"
        results+=$(sweep nchanm "$r" "$nchanm_port" "$pairs")$'\n'
    fi
done

# --- the ceiling: csq's send function straight on Redis, by
# redis-benchmark, as the first conversation's agent (its message goes to
# the log and both channels, as through nginx)

lib=$(head -1 "$root/build/nginx/objs/addon/csq/ngx_csq_library.lua")
lib=${lib#\#!lua name=}
read -r conv _ agent _ < "$dir/plan"
rb_n=$(( ${RB_SECONDS:-5} * 40000 ))
echo "  redis-benchmark: FCALL ${lib}_ws_send x $rb_n, -c $pairs"
rb=$(redis-benchmark -p "$redis_port" -c "$pairs" -n "$rb_n" -q \
     FCALL "${lib}_ws_send" 1 'csq:{bench}:tenant' "$(date +%s)000" \
     "$agent" agent "$conv" \
     '{"type":"message","text":"b 1 1.000 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","ref":"r"}' \
     '' '' '' r 2>/dev/null | tr '\r' '\n' | tail -1)
rb_rate=$(echo "$rb" | awk '{ for (i = 1; i <= NF; i++)
    if ($i ~ /requests/) print $(i-1) }')

# --- the table: every run, then the medians

fmt='%-6s %-6s %-5s %9s %11s %7s %7s %8s %5s %4s %6s %6s %6s %7s %5s\n'
printf "\n$fmt" server round load "target/s" "delivered/s" "p50 ms" \
    "p99 ms" sent lost dup errors nginx% redis% client% rest%
printf '%s' "$results" | sort -s -k1,1 | awk -v fmt="$fmt" 'NF {
    printf fmt, $1, $2, $3, ($4 == 0 ? "-" : $4), $5, $6, $7, $8, $9, $15,
        $10, $11, $12, $13, $14 }'
echo "(CPU, 100 = one core of $(nproc): nginx workers, redis-server, the load"
echo " client, and the rest of the machine: other processes, interrupts)"
printf '%s' "$results" | awk '$14 > 25 { n++ } END { if (n)
    printf "note: %d run(s) shared the machine with other work (rest%% > 25)\n", n }'

# the median of column $2 over the rounds of server $1 at load $3
median() {
    printf '%s' "$results" | awk -v s="$1" -v l="$3" -v c="$2" \
        '$1 == s && $3 == l { print $c }' | sort -n \
        | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}

printf '\n%-28s %12s %8s %8s\n' "median of $rounds rounds" "delivered/s" \
    "p50 ms" "p99 ms"
for s in csq nchan nchanm; do
    for l in max ${fractions//,/ }; do
        [ -n "$(median $s 5 "$l")" ] || continue
        printf '%-28s %12s %8s %8s\n' "$s at $l" "$(median $s 5 "$l")" \
            "$(median $s 6 "$l")" "$(median $s 7 "$l")"
    done
done

printf '%-28s %12s\n' "redis-benchmark, ws_send" "${rb_rate:-?}"

c=$(median csq 5 max); n=$(median nchan 5 max); h=$(median csq 7 0.5)
m=$(median nchanm 5 max)
echo
[ -n "$n" ] && awk -v c="$c" -v n="$n" 'BEGIN {
    printf "ratio csq / nchan (Redis store) messages/s at max: %.2f" \
           " (goal >= 3)\n", c / n }'
[ -n "$m" ] && awk -v c="$c" -v n="$m" 'BEGIN {
    printf "ratio csq / nchan (memory store, a reference): %.2f\n", c / n }'
[ -n "$rb_rate" ] && awk -v c="$c" -v r="$rb_rate" 'BEGIN {
    printf "ratio csq / redis-benchmark of ws_send: %.2f (goal >= 0.5)\n",
           c / r }'
[ -n "$h" ] && echo "csq p99 at half load: $h ms (goal < 5)"
printf '%s' "$results" | awk '$1 == "csq" { lost += $9; dup += $15 } END {
    printf "csq over all runs: %d messages lost, %d duplicated\n", lost, dup }'

# what the servers complained about
for log in "$dir/logs/error.log" "$dir/nchan/logs/error.log" \
           "$dir/nchanm/logs/error.log"; do
    [ -f "$log" ] || continue
    name=$(basename "$(dirname "$(dirname "$log")")")
    [ "$log" = "$dir/logs/error.log" ] && name=csq
    echo "$name error.log: $(grep -cE '\[(error|crit|alert|emerg)\]' "$log" \
        || true) lines at error or worse"
    grep -E '\[(error|crit|alert|emerg)\]' "$log" \
        | sed -E 's/^[0-9\/: ]+//; s/, client:.*//' | sort | uniq -c \
        | sort -rn | head -5 || true
done
