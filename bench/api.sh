#!/usr/bin/env bash
# API benchmark (issue #3): wrk against csq_status (a Redis round trip
# through FCALL_RO) and against `return 200` in the same nginx, alternating
# rounds in one run, so the machine's noise hits both alike.
#
#   bench/api.sh [seconds per round] [rounds] [connections]
#
# Prints each round and the medians, and the ratio status / return 200
# (goal, issue #10: >= 0.8).

set -euo pipefail

secs=${1:-5}
rounds=${2:-3}
conns=${3:-64}

source "$(dirname "$0")/lib.sh"

bench_redis_start
bench_nginx_start "" '
        location = /status { csq_status; }
        location = /return { return 200 "ok\n"; }' /status -f

rate() {
    wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$http_port/$1" \
        | awk '/Requests\/sec/ { print $2 } /Non-2xx/ { print "ERR " $0 > "/dev/stderr" }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "csq API benchmark: 1 worker, wrk -t1 -c$conns, ${secs}s x $rounds rounds"
printf '%-8s %14s %14s\n' round "csq_status/s" "return200/s"

s_all=""; r_all=""
for i in $(seq "$rounds"); do
    s=$(rate status); r=$(rate return)
    printf '%-8s %14s %14s\n' "$i" "$s" "$r"
    s_all="$s_all $s"; r_all="$r_all $r"
done

s_med=$(echo $s_all | tr ' ' '\n' | median)
r_med=$(echo $r_all | tr ' ' '\n' | median)
printf '%-8s %14s %14s\n' median "$s_med" "$r_med"
awk -v s="$s_med" -v r="$r_med" \
    'BEGIN { printf "ratio csq_status / return 200: %.2f (goal >= 0.8)\n", s / r }'
