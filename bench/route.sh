#!/usr/bin/env bash
# Routing benchmark (issue #10 §2): conversations assigned per second
# through nginx (POST .../conversations, one FCALL of arrive per decision),
# for every strategy, with 1,000 agents in 4 queues and with 10,000 agents
# in one queue; and in the same run redis-benchmark calling the very same
# function straight on Redis (the ceiling of one Redis core).
#
#   bench/route.sh [seconds] [connections] [strategies]
#                  (5, 32, "round-robin sequential least-busy longest-idle
#                   weighted")
#
# Agents are made by FCALLs of agent_put and agent_status straight on Redis
# (with a stand-in password hash: nobody logs in here), since 10,000
# password hashes through the API would take minutes.  A shape's queues
# change strategy between runs (PUT .../queues, which rebuilds the index);
# capacity is 1,000 each, so no agent fills up.  Goals: every strategy at
# least 0.8x round-robin's decisions/s with 10,000 agents; round-robin
# through nginx at least 0.5x redis-benchmark's.

set -euo pipefail

secs=${1:-5}
conns=${2:-32}
strategies=${3:-round-robin sequential least-busy longest-idle weighted}
secret=bench-secret-0123456789

source "$(dirname "$0")/lib.sh"

bench_install wrk redis-tools
bench_node
bench_redis_start
bench_csq_api "csq_tick 0; csq_trusted 127.0.0.1;"

token=$(cd "$root/bench" && node -e '
    console.log(require("./csq.js").token(process.argv[1], "*", "", "platform"))' \
    "$secret")
lib=$(head -1 "$root/build/nginx/objs/addon/csq/ngx_csq_library.lua")
lib=${lib#\#!lua name=}
now=$(( $(date +%s) * 1000 ))

api() {
    curl -sf -X "$1" -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$http_port/api/$2" -d "$3" >/dev/null
}

# shape TENANT QUEUES AGENTS: the tenant, its queues and online agents
shape() {
    local t=$1 nq=$2 na=$3 i
    api PUT "tenants/$t" '{}'
    for i in $(seq "$nq"); do api PUT "tenants/$t/queues/q$i" '{}'; done
    for i in $(seq "$na"); do
        printf "FCALL %s_agent_put 1 csq:{%s}:tenant %s '' platform a%d " \
            "$lib" "$t" "$now" "$i"
        printf "'{\"queues\":[\"q%d\"],\"capacity\":1000}' stand-in\n" \
            $(( i % nq + 1 ))
        printf "FCALL %s_agent_status 1 csq:{%s}:tenant %s '' platform a%d " \
            "$lib" "$t" "$now" "$i"
        printf "'{\"status\":\"online\"}' ''\n"
    done | redis-cli -p "$redis_port" | grep -c '^201$' \
        | xargs echo "  agents made:"
}

# run TENANT QUEUES STRATEGY: prints "nginx/s redis-benchmark/s"
run() {
    local t=$1 nq=$2 s=$3 i out rate n rb rrate
    for i in $(seq "$nq"); do
        api PUT "tenants/$t/queues/q$i" "{\"strategy\":\"$s\"}"
    done
    out=$(QUEUES=$nq TENANT=$t wrk -t1 -c"$conns" -d"${secs}s" \
          -s "$root/bench/route-arrive.lua" "http://127.0.0.1:$http_port")
    rate=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
    if echo "$out" | grep -q Non-2xx; then
        echo "$s: $(echo "$out" | grep Non-2xx)" >&2
    fi
    n=$(awk -v r="$rate" -v s="$secs" 'BEGIN { n = r * s;
        printf "%d", n < 20000 ? 20000 : n }')
    rb=$(redis-benchmark -p "$redis_port" -c "$conns" -n "$n" \
         -r 100000000 -q FCALL "${lib}_arrive" 1 "csq:{$t}:tenant" "$now" \
         '' none '' '{"customer":"r__rand_int__","queue":"q1"}' '' \
         2>/dev/null | tr '\r' '\n' | tail -1)
    rrate=$(echo "$rb" | awk '{ for (i = 1; i <= NF; i++)
        if ($i ~ /requests/) print $(i-1) }')
    echo "$rate $rrate"
}

declare -A got
echo "setting up: tenant s4 (4 queues, 1,000 agents), s1 (1 queue, 10,000)"
shape s4 4 1000
shape s1 1 10000

for t in s4 s1; do
    nq=4; [ "$t" = s1 ] && nq=1
    for s in $strategies; do
        echo "running $t $s"
        got[$t/$s]=$(run "$t" "$nq" "$s")
    done
done

printf '\nrouting decisions per second (%ss, %s connections, 1 worker)\n' \
    "$secs" "$conns"
printf '%-14s %-22s %9s %9s %8s %8s\n' strategy agents nginx redis-b \
    "ngx/rb" "/rr"
for t in s4 s1; do
    shape_name="1,000 in 4 queues"; [ "$t" = s1 ] && shape_name="10,000 in 1 queue"
    rr=${got[$t/round-robin]:-}
    rr=${rr%% *}
    for s in $strategies; do
        set -- ${got[$t/$s]}
        awk -v s="$s" -v sh="$shape_name" -v a="$1" -v b="$2" -v rr="$rr" \
            'BEGIN { printf "%-14s %-22s %9.0f %9.0f %8.2f %8s\n", s, sh,
                     a, b, a / b, rr ? sprintf("%.2f", a / rr) : "-" }'
    done
done
echo "goals: /rr >= 0.8 with 10,000 agents; ngx/rb >= 0.5 for round-robin"
