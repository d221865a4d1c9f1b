#!/usr/bin/env bash
# Overload (issue #11 section 6): the chat relay at twice the most it
# takes, for a minute, then back to a normal load.
#
#   bench/overload.sh [seconds of overload] [pairs]             (60, 50)
#   RCVBUF=64k RELAY_SNDBUF=65536 bench/overload.sh ...
#       (nginx's listen rcvbuf=, the client's SO_SNDBUF: smaller socket
#       buffers, so that TCP pushes back sooner)
#
# A private Redis and an nginx with 2 workers and csq_api (the load client
# is csq_trusted), 50 pairs (relay-setup.js: a customer socket sending, an
# agent socket receiving).  The C load client (relay-load.c) measures the
# most the relay takes (closed loop: 8 messages in flight a sender, 10 s),
# runs at a quarter of that (10 s: the normal latency), then at twice it
# in open loop for the overload (senders do not wait for acks; a sender
# whose own unwritten backlog passes 1 MB skips its turn, as TCP pushes
# back), waits for the backlog to be delivered, then runs at a quarter
# again for 20 s.  nginx's workers' RSS and Redis' used_memory are read
# every second meanwhile.  It prints each run's figures (rate, p50/p99,
# lost, errors), how long the backlog took after the overload, the worst
# latency of each second after it, the peaks of memory, and "OVERLOAD ok"
# when no acknowledged message was lost, no worker died, and latency was
# back within 10 s of the end of the overload (no second's worst over
# twice the normal run's worst second).  What the server does not take
# it refuses clearly: an error frame "overloaded" while its deliveries
# lag (csq_relay_lag_max), and a socket that does not read its answers is
# closed (its sends then fail: "write: Broken pipe").

set -euo pipefail

secs=${1:-60}
pairs=${2:-50}
secret=bench-secret-0123456789

source "$(dirname "$0")/lib.sh"

bench_install gcc
bench_node
ulimit -n "$(ulimit -Hn)"
gcc -O2 -Wall -o "$dir/relay-load" "$root/bench/relay-load.c"

nginx_main="worker_processes 2;
worker_rlimit_nofile 20000;"
nginx_events="worker_connections 10000;"
nginx_listen=${RCVBUF:+rcvbuf=$RCVBUF}

bench_redis_start
bench_csq_api "csq_trusted 127.0.0.1;"
node "$root/bench/relay-setup.js" "http://127.0.0.1:$http_port" "$secret" \
    "$pairs" > "$dir/plan"

workers0=$(bench_nginx_workers)
redis_pid=$(redis-cli -p "$redis_port" info server \
            | awk -F: '/^process_id/ { print $2 + 0 }')

# the memory sampler: the peak of the workers' RSS (kB, summed) and of
# Redis' used_memory (kB)
(
    peak_rss=0 peak_redis=0
    while :; do
        r=0
        for p in $workers0; do
            r=$(( r + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" \
                         2>/dev/null || echo 0) ))
        done
        m=$(redis-cli -p "$redis_port" info memory \
            | awk -F: '/^used_memory:/ { printf "%d", $2 / 1024 }')
        [ "$r" -gt "$peak_rss" ] && peak_rss=$r
        [ "${m:-0}" -gt "$peak_redis" ] && peak_redis=$m
        echo "$peak_rss $peak_redis" > "$dir/peaks"
        sleep 1
    done
) &
sampler=$!

echo "overload: $pairs pairs, twice the most for ${secs}s; nginx 2 workers"
NGINX_PIDS="$workers0" REDIS_PIDS="$redis_pid" \
    "$dir/relay-load" csq "$http_port" "$dir/plan" 10 \
    "0.25@10,2@$secs,0.25@20" > "$dir/out" 2> "$dir/err" ||
    echo "relay-load: exit $?" >&2
kill "$sampler" 2>/dev/null || true
cat "$dir/err" >&2
grep -h '\[\(warn\|error\|crit\|alert\)\]' "$dir"/logs/error.log 2>/dev/null \
    | sed 's/^[^]]*\] [0-9#]*: //' | sort | uniq -c | sort -rn | head -5 >&2 || true

awk '$1 == "RESULT" {
        printf "%-8s target %7.0f/s  delivered %7.0f/s  p50 %8.2f ms  " \
               "p99 %8.2f ms  sent %8d  lost %d  errors %d  dup %d\n",
               $2, $3, $4, $5, $6, $7, $8, $9, $14 }' "$dir/out"
grep -E '^(HELD|DRAIN|ACKED|REFUSED)' "$dir/out"

read -r peak_rss peak_redis < "$dir/peaks"
dead=0
for p in $workers0; do kill -0 "$p" 2>/dev/null || dead=$(( dead + 1 )); done

# normal: the worst latency of any second of the first quarter-load run;
# after: the worst latency of each second of the last run, after the
# backlog's drain; back: once no second is over twice normal (10 ms at
# least)
normal=$(awk '$1 == "SLOW" && $2 == "0.25@10" {
                m = 0; for (i = 3; i <= NF; i++) if ($i > m) m = $i
                print m; exit }' "$dir/out")
drain=$(awk '$1 == "DRAIN" { print $3 }' "$dir/out")
after=$(awk '$1 == "SLOW" && $2 == "0.25@20" { $1 = $2 = ""; print }' "$dir/out")
lost=$(awk '$1 == "RESULT" { l += $8 } END { print l + 0 }' "$dir/out")
back=$(awk -v n="$normal" -v d="$drain" -v a="$after" 'BEGIN {
    k = split(a, w, " "); s = 0
    for (i = 1; i <= k; i++) if (w[i] > 2 * n && w[i] > 10) s = i
    printf "%.1f", d / 1000 + s }')

echo "backlog delivered ${drain} ms after the overload; worst latency of" \
     "each second after it (ms):$after"
echo "latency back under twice the worst second of the normal run" \
     "($normal ms) ${back} s after the overload"
echo "peaks: nginx workers RSS $(( peak_rss / 1024 )) MB, Redis used_memory" \
     "$(( peak_redis / 1024 )) MB; workers died: $dead"
if [ "$dead" -eq 0 ] && [ "$lost" -eq 0 ] \
   && awk -v b="$back" 'BEGIN { exit !(b <= 10) }'; then
    echo "OVERLOAD ok"
else
    echo "OVERLOAD FAIL"
    exit 1
fi
