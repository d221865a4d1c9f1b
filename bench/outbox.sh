#!/usr/bin/env bash
# Outbox benchmark (issue #14 §3, R1.4): agents' replies to channel
# conversations, stored with their outbox entry in one call and posted by
# nginx (2 workers) to the channel's url through its own upstream
# machinery (the csq_outbox location, proxy_pass to an upstream with
# keepalive), against the baseline of the same POSTs sent to the same
# receiver straight through a proxy_pass location of the same nginx, in
# alternating runs of one sweep, rounds of sweeps, medians at the end.
#
#   bench/outbox.sh [seconds per run] [conversations] [rounds]   (5, 200, 3)
#
# The receiver (bench/outbox-load.js rx, a Node process) answers 200 at
# once and notes each post's arrival, its Idempotency-Key and the send
# time the text carries, on the machine's monotonic clock, which the
# senders use too.  Each sweep (outbox-load.js sweep): "direct", wrk
# (outbox-direct.lua) as fast as DIRECT_CONNS (64) connections go;
# "outbox", agents' sockets as fast as WINDOW (2) replies a conversation
# not yet reported sent (the socket's delivery frame "sent") allow; then
# both at FRACTIONS ("0.5") of the outbox's max, rate-limited.  Latency:
# the send to the receiver's arrival; the outbox's minus direct's at the
# same rate is what the outbox adds; beside it the agent's send to its
# "sent" frame (what the agent sees).  CPU of nginx, Redis, the clients
# (load and receiver) and the rest of the machine, and of nginx and Redis
# a message.  Then the Redis side alone, nginx stopped (outbox-load.js
# redis): Redis' CPU for ws_send and for outbox_claim + outbox_done a
# message, the most one Redis core would carry.  Nothing lost: the
# receiver's distinct Idempotency-Keys against the acknowledged replies,
# duplicates (retries under one key) counted.  Redis calls of 5 ms or
# more (SLOWLOG) are listed at the end.
#
# CONCURRENCY: csq_outbox_concurrency values to sweep (default "32", e.g.
# "8 32 128": nginx restarted for each).  WORKERS (2), AGENTS (4).  TICK:
# csq_tick (default 1s; 0: no tick, so no indexing for search, whose steps
# hold Redis for milliseconds: the slow calls at the end say how long).
# OUTBOX_DEBUG=1: each run's counts of the load client.

set -euo pipefail

secs=${1:-5}
convs=${2:-200}
rounds=${3:-3}
workers=${WORKERS:-2}
agents=${AGENTS:-4}
window=${WINDOW:-2}
dconns=${DIRECT_CONNS:-64}
fractions=${FRACTIONS:-0.5}
concs=${CONCURRENCY:-32}
tick=${TICK:-1s}
secret=bench-secret-0123456789

source "$(dirname "$0")/lib.sh"

bench_node
load=$root/bench/outbox-load.js
nginx_main="worker_processes $workers;"

bench_redis_start
# calls that hold Redis 5 ms or more (a wait for every other call)
redis-cli -p "$redis_port" config set slowlog-log-slower-than 5000 >/dev/null
redis-cli -p "$redis_port" config set slowlog-max-len 10000 >/dev/null
redis_pid=$(redis-cli -p "$redis_port" info server \
            | awk -F: '/^process_id/ { print $2 + 0 }')

rx_port=$(free_port)
node "$load" rx "$rx_port" > "$dir/rx.out" 2>&1 &
rx_pid=$!
for _ in $(seq 50); do
    grep -q ready "$dir/rx.out" 2>/dev/null && break; sleep 0.1
done

# csq with the outbox's location and the baseline's, one upstream
csq_start() {
    bench_nginx_start "
    csq_secret $secret;
    csq_trusted 127.0.0.1;
    csq_tick $tick;
    csq_conversation_max_messages 1000000;
    csq_outbox_allow http://rx/;
    csq_outbox_concurrency $1;
    upstream rx { server 127.0.0.1:$rx_port; keepalive 256; }" '
        location /api/ { csq_api; }
        location = /_csq_outbox {
            internal;
            csq_outbox;
            proxy_pass $csq_outbox_url;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout 1s;
            proxy_read_timeout 5s;
        }
        location = /direct {
            proxy_pass http://rx/h;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout 1s;
            proxy_read_timeout 5s;
        }' /api/
}

first=${concs%% *}
csq_start "$first"
node "$load" setup "http://127.0.0.1:$http_port" "$secret" "http://rx/h" \
    "$convs" "$agents" > "$dir/plan"

echo "outbox: $workers nginx workers, $convs channel conversations of" \
     "$agents agents, window $window, direct $dconns connections," \
     "${secs}s per run, $rounds rounds, csq_outbox_concurrency $concs"

redis-cli -p "$redis_port" slowlog reset >/dev/null

# one sweep: its RESULT lines as "<conc> <round> <what> <load> ...", and
# "<conc> <FCALLs a message>"
results=""
fcalls=""
for conc in $concs; do
    if [ "$conc" != "$first" ]; then
        bench_nginx_stop
        csq_start "$conc"
        first=""
    fi
    pids=$(bench_nginx_workers)
    for r in $(seq "$rounds"); do
        echo "  concurrency $conc, round $r"
        redis-cli -p "$redis_port" config resetstat >/dev/null
        NGINX_PIDS="$pids" REDIS_PIDS="$redis_pid" RX_PID="$rx_pid" \
            node "$load" sweep "http://127.0.0.1:$http_port" "$rx_port" \
            "$dir/plan" "$secs" "$fractions" "$window" "$dconns" \
            "c${conc}r$r" > "$dir/sweep.out" 2> "$dir/sweep.err" \
            || { echo "  the load failed:" >&2; cat "$dir/sweep.err" >&2; }
        [ -z "${OUTBOX_DEBUG:-}" ] || cat "$dir/sweep.err" >&2
        results+=$(awk -v c="$conc" -v r="$r" \
            '$1 == "RESULT" { $1 = c " " r; print }' "$dir/sweep.out")$'\n'
        # Redis calls (FCALL: ws_send, claims, reports, the tick's) over
        # the outbox's messages of the sweep
        calls=$(redis-cli -p "$redis_port" info commandstats \
                | awk -F'[=,:]' '/^cmdstat_fcall:/ { print $3 }')
        fcalls+="$conc $(awk -v c="${calls:-0}" '$1 == "RESULT" &&
            $2 == "outbox" { n += $10 } END { printf "%.2f", n ? c / n : 0 }' \
            "$dir/sweep.out")"$'\n'
    done
done

all=$(curl -s "http://127.0.0.1:$rx_port/_ctl/all")

# Redis' slow calls in the sweeps: "<count> <function> <worst ms>" (an
# entry: 3 integers, the third its us, then the command, the function's
# name on the line after FCALL)
slow=$(redis-cli -p "$redis_port" --no-raw slowlog get 10000 | awk '
    /integer/ { n++; if (n % 3 == 0) us = $3 }
    tolower($0) ~ /"fcall"/ {
        getline; f = $NF; gsub(/"|csq_[0-9a-f]+_/, "", f)
        c[f]++; if (us > m[f]) m[f] = us }
    END { for (f in c) printf "%d %s %.1f\n", c[f], f, m[f] / 1000 }' \
    | sort -rn)

# --- the Redis side alone (nginx stopped, so that no worker claims):
# REDIS_PER replies to each conversation by ws_send, then claim + done
# in a loop of one client, pipelined

bench_nginx_stop
lib=$(head -1 "$root/build/nginx/objs/addon/csq/ngx_csq_library.lua")
lib=${lib#\#!lua name=}
echo "  Redis alone: ws_send, then outbox_claim + outbox_done"
read -r _ rs_send rs_loop rs_rate rs_done rs_n < <(REDIS_PIDS="$redis_pid" \
    node "$load" redis \
    "$redis_port" "$dir/plan" "$lib" "${REDIS_PER:-50}" | grep '^REDIS')

# --- the table: every run, then the medians

fmt='%-5s %-5s %-7s %-5s %8s %10s %7s %7s %7s %8s %7s %4s %4s %4s'
fmt+=' %6s %6s %6s %5s %7s %7s\n'
printf "\n$fmt" conc round what load "target/s" "arrived/s" "p50 ms" \
    "p90 ms" "p99 ms" "max ms" sent lost dup err nginx% redis% client% \
    rest% "sent50" "sent99"
printf '%s' "$results" | awk -v fmt="$fmt" 'NF {
    printf fmt, $1, $2, $3, $4, ($5 == 0 ? "-" : $5), $6, $7, $8, $9, $10,
        $11, $12, $13, $14, $15, $16, $17, $18, $19, $20 }'
echo "(latency: send -> the receiver's arrival; sent50/99: the agent's"
echo " send -> its \"sent\" frame, ms; CPU, 100 = one core of $(nproc):"
echo " nginx workers, redis-server, the load and the receiver, the rest;"
echo " below, nginx us and redis us: their CPU a message, which a busy"
echo " machine skews less than the rates)"
printf '%s' "$results" | awk '$18 > 25 { n++ } END { if (n) printf \
    "note: %d run(s) shared the machine with other work (rest%% > 25)\n",
    n }'

# the median of column $2 over the rounds of (conc $1, what $3, load $4);
# a column "15/6" is column 15 (a CPU %) a message of column 6, in us
median() {
    printf '%s' "$results" | awk -v c="$1" -v k="$2" -v w="$3" -v l="$4" \
        '$1 == c && $3 == w && $4 == l { split(k, q, "/")
            if (q[2] == "") print $k
            else if ($q[2] > 0) printf "%.0f\n", $q[1] * 1e4 / $q[2] }' \
        | sort -n \
        | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}

printf '\n%-34s %10s %8s %8s %9s %9s\n' "median of $rounds rounds" \
    "arrived/s" "p50 ms" "p99 ms" "nginx us" "redis us"
for conc in $concs; do
    for l in max ${fractions//,/ }; do
        for w in direct outbox; do
            [ -n "$(median "$conc" 6 "$w" "$l")" ] || continue
            printf '%-34s %10s %8s %8s %9s %9s\n' \
                "$w at $l (concurrency $conc)" \
                "$(median "$conc" 6 "$w" "$l")" \
                "$(median "$conc" 7 "$w" "$l")" \
                "$(median "$conc" 9 "$w" "$l")" \
                "$(median "$conc" 15/6 "$w" "$l")" \
                "$(median "$conc" 16/6 "$w" "$l")"
        done
    done
    us=$(median "$conc" 16/6 outbox max)
    fc=$(printf '%s' "$fcalls" | awk -v c="$conc" '$1 == c { print $2 }' \
         | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    awk -v u="${us:-0}" -v c="$conc" -v f="$fc" 'BEGIN { if (u > 0) printf \
        "%-34s %10d   (Redis CPU %.1f us, %s FCALLs a message)\n", \
        "Redis at that cost (conc. " c ")", 1e6 / u, u, f }'
done
awk -v s="$rs_send" -v l="$rs_loop" -v r="$rs_rate" -v d="$rs_done" \
    -v n="$rs_n" 'BEGIN {
    printf "%-34s %10d   (ws_send %.1f + claim/done %.1f us of CPU)\n",
        "Redis ceiling, one core", 1e6 / (s + l), s, l
    printf "%-34s %10d   (one client, pipelined; %d of %d sent)\n",
        "claim + done loop alone", r, d, n }'

# --- the verdict
echo
for conc in $concs; do
    o=$(median "$conc" 6 outbox max); d=$(median "$conc" 6 direct max)
    h=${fractions%%,*}
    op=$(median "$conc" 9 outbox "$h"); dp=$(median "$conc" 9 direct "$h")
    o5=$(median "$conc" 7 outbox "$h"); d5=$(median "$conc" 7 direct "$h")
    on=$(median "$conc" 15/6 outbox max); dn=$(median "$conc" 15/6 direct max)
    orr=$(median "$conc" 16/6 outbox max)
    awk -v o="$o" -v d="$d" -v c="$conc" -v h="$h" -v op="$op" -v dp="$dp" \
        -v o5="$o5" -v d5="$d5" -v on="$on" -v dn="$dn" -v or="$orr" 'BEGIN {
        printf "concurrency %s: outbox %d messages/s at max, %.2f of the" \
               " direct proxied POSTs (%d/s); at %s of it the outbox adds" \
               " p50 %.2f ms, p99 %.2f ms over a direct POST at that" \
               " rate; a message costs nginx %d us and Redis %d us of" \
               " CPU, a direct POST nginx %d us\n", c, o, d ? o / d : 0, d,
               h, o5 - d5, op - dp, on, or, dn }'
done
printf '%s' "$results" | awk '{ sent += $11; lost += $12; dup += $13;
    err += $14 } END { printf "over all runs: %d sent, %d lost, %d" \
    " duplicated (retries under one Idempotency-Key), %d errors\n",
    sent, lost, dup, err }'
echo "receiver: $all (keys: distinct Idempotency-Keys; other: posts" \
     "that are not the load's)"

if [ -n "$slow" ]; then
    echo "Redis calls of 5 ms or more in the sweeps (count, function," \
         "worst ms):"
    printf '%s\n' "$slow" | head -5 | sed 's/^/  /'
else
    echo "Redis calls of 5 ms or more in the sweeps: none"
fi
log=$dir/logs/error.log
echo "csq error.log: $(grep -cE '\[(error|crit|alert|emerg)\]' "$log" \
    || true) lines at error or worse"
grep -E '\[(error|crit|alert|emerg)\]' "$log" \
    | sed -E 's/^[0-9\/: ]+//; s/, client:.*//' | sort | uniq -c \
    | sort -rn | head -5 || true
