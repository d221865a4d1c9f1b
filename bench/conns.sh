#!/usr/bin/env bash
# Connections benchmark (engineering.md §6): how many idle customer
# sockets one nginx holds, and the user-space memory each costs.
#
#   bench/conns.sh [count]     (default 100000; WORKERS=8, LIMIT=600 s)
#
# Each socket has its own conversation, waiting in a queue no agent
# serves, made through the API.  Open files are capped at 20,000 per
# process here, so the sockets are spread over WORKERS nginx workers
# (reuseport) and over client processes of at most 16,000 sockets, each
# from its own source address (127.0.0.2, 127.0.0.3, ...), every socket
# binding a port of its own there (see conns-client.js: letting bind()
# pick one costs time linear in the ports in use, minutes at 100k).
# Memory: the workers' Private_Dirty and RSS (smaps_rollup)
# and Redis' used_memory just before the sockets open and once they are
# all open and idle, the difference divided by the sockets held.
# Goal: 100,000 sockets at < 4 KiB each.  The whole run stops after LIMIT.

set -euo pipefail

count=${1:-100000}
workers=${WORKERS:-8}
limit=${LIMIT:-600}
per_client=16000      # conns-client.js PORT_BASES fit 16k per address
secret=bench-secret-0123456789

source "$(dirname "$0")/lib.sh"

bench_node
ulimit -n "$(ulimit -Hn)"
client="node $root/bench/conns-client.js"
left() { echo $(( limit - SECONDS > 1 ? limit - SECONDS : 1 )); }

nginx_main="worker_processes $workers;
worker_rlimit_nofile 20000;"
nginx_events="worker_connections 20000;"
nginx_listen=reuseport

bench_redis_start
# thousands of arrivals from one address
bench_csq_api "csq_trusted 127.0.0.1;"
base="http://127.0.0.1:$http_port"

# the workers' user-space memory, kB: "<Private_Dirty> <Rss>"
nginx_mem() {
    local p
    for p in $(bench_nginx_workers); do cat "/proc/$p/smaps_rollup"; done \
        | awk '/^Private_Dirty:/ { d += $2 } /^Rss:/ { r += $2 }
               END { print d, r }'
}
redis_mem() {
    redis-cli -p "$redis_port" info memory \
        | awk -F: '/^used_memory:/ { printf "%d\n", $2 / 1024 }'
}
tcp_mem() {     # kernel TCP buffers, both ends, kB
    awk -v pg="$(getconf PAGESIZE)" '/^TCP:/ {
        for (i = 1; i <= NF; i++) if ($i == "mem") print $(i + 1) * pg / 1024 }' \
        /proc/net/sockstat
}

echo "conns: $count customer sockets, $workers nginx workers, limit ${limit}s"

t=$SECONDS
timeout "$(left)" $client setup "$base" "$secret" "$count" 128 \
    > "$dir/convs" || { echo "conversations not all made in time" >&2; exit 1; }
setup_s=$(( SECONDS - t ))
echo "  $count conversations waiting, made in ${setup_s}s"

sleep 2
read -r pd0 rss0 <<< "$(nginx_mem)"
redis0=$(redis_mem); tcp0=$(tcp_mem)

# the clients, each from its own 127.0.0.x
t=$SECONDS
nclients=$(( (count + per_client - 1) / per_client ))
for i in $(seq 0 $(( nclients - 1 ))); do
    from=$(( i * per_client ))
    to=$(( from + per_client < count ? from + per_client : count ))
    $client open "$base" "$dir/convs" "$from" "$to" "127.0.0.$(( i + 2 ))" \
        > "$dir/client$i.out" 2> "$dir/client$i.err" &
done

# progress until every client is READY, or out of time
status() {
    local i f
    for i in $(seq 0 $(( nclients - 1 ))); do
        f="$dir/client$i.out"
        grep -E '^(READY|opened)' "$f" 2>/dev/null | tail -1 || echo "opened 0 failed 0"
    done | awk '{ if ($1 == "READY") { o += $2; f += $3; r++ }
                  else { o += $2; f += $4 } }
                END { print o + 0, f + 0, r + 0 }'
}
while :; do
    read -r opened failed ready <<< "$(status)"
    [ "$ready" -ge "$nclients" ] && break
    if [ "$SECONDS" -ge "$limit" ]; then
        echo "  out of time: stopping with what is open" >&2; break
    fi
    # a client that died is not coming back
    if [ "$(jobs -rp | wc -l)" -lt "$nclients" ]; then
        echo "  a client process ended early:" >&2
        cat "$dir"/client*.err >&2; break
    fi
    echo "  $((SECONDS - t))s: $opened open, $failed failed"
    sleep 5
done
open_s=$(( SECONDS - t ))

sleep 5    # idle
read -r opened failed ready <<< "$(status)"
held=$(ss -Htn state established "( sport = :$http_port and not dst 127.0.0.1 )" | wc -l)
read -r pd1 rss1 <<< "$(nginx_mem)"
redis1=$(redis_mem); tcp1=$(tcp_mem)
cat "$dir"/client*.err >&2

per() { awk -v a="$1" -v b="$2" -v n="$held" \
            'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1024 / n; else print "-" }'; }
row() { printf '%-34s %12s %12s %12s %10s\n' "$@"; }

echo
printf '%-34s %12s\n' "sockets asked" "$count" \
    "sockets open (hello received)" "$opened" \
    "failed or dropped" "$failed" \
    "established at nginx (ss, clients)" "$held" \
    "seconds to open them" "$open_s"
echo
row memory "before kB" "after kB" "delta kB" "B/socket"
row "nginx workers Private_Dirty" "$pd0" "$pd1" $(( pd1 - pd0 )) "$(per "$pd0" "$pd1")"
row "nginx workers RSS" "$rss0" "$rss1" $(( rss1 - rss0 )) "$(per "$rss0" "$rss1")"
row "redis used_memory" "$redis0" "$redis1" $(( redis1 - redis0 )) "$(per "$redis0" "$redis1")"
row "kernel TCP buffer pages (both ends)" "$tcp0" "$tcp1" $(( tcp1 - tcp0 )) "$(per "$tcp0" "$tcp1")"
echo
echo "per worker, sockets held: $(for p in $(bench_nginx_workers); do
    ls "/proc/$p/fd" | wc -l; done | tr '\n' ' ')(open files, incl. Redis links)"
awk -v n="$held" -v c="$count" -v b="$(per "$pd0" "$pd1")" 'BEGIN {
    printf "goal: %d sockets at < 4096 B each: held %d at %s B (Private_Dirty)\n",
        c, n, b }'

n=$(grep -cE '\[(error|crit|alert|emerg)\]' "$dir/logs/error.log" || true)
echo "nginx error.log: $n lines at error or worse"
grep -E '\[(error|crit|alert|emerg)\]' "$dir/logs/error.log" \
    | sed -E 's/^[0-9\/: ]+//; s/, client:.*//' | sort | uniq -c | sort -rn \
    | head -5 || true
