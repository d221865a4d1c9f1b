#!/usr/bin/env bash
# Routing benchmark (issue #4): conversations assigned per second through
# nginx (POST .../conversations, one FCALL of arrive per decision)
# with 1,000 agents in 4 queues, and in the same run redis-benchmark
# running the very same function straight on Redis: the ceiling.
#
#   bench/route.sh [seconds] [connections] [strategy, default round-robin]

set -euo pipefail

secs=${1:-5}
conns=${2:-32}
strategy=${3:-round-robin}
agents=1000
secret=bench-secret-0123456789

source "$(dirname "$0")/lib.sh"

bench_redis_start
bench_nginx_start "
    csq_secret $secret;
    csq_tick 0;" '
        location /api/ { csq_api; }' /api/

token=$(perl -MDigest::SHA=hmac_sha256 -MMIME::Base64 -e '
    sub b { my $x = encode_base64(shift, ""); $x =~ tr{+/}{-_}; $x =~ s/=+$//; $x }
    my $p = "*||platform|" . (time + 3600);
    print b($p), ".", b(hmac_sha256($p, $ARGV[0]))' "$secret")

api() {
    curl -sf -X "$1" -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$http_port/api/$2" -d "$3" >/dev/null
}

echo "setting up: 1 tenant, 4 $strategy queues, $agents agents (capacity 1000 each)"
api PUT tenants/bench '{}'
for q in 1 2 3 4; do
    api PUT "tenants/bench/queues/q$q" "{\"strategy\":\"$strategy\"}"
done
for i in $(seq "$agents"); do
    q=$(( i % 4 + 1 ))
    api PUT "tenants/bench/agents/a$i" \
        "{\"queues\":[\"q$q\"],\"capacity\":1000,\"password\":\"password1\"}"
    api POST "tenants/bench/agents/a$i/status" '{"status":"online"}'
done

echo "nginx: wrk -t1 -c$conns -d${secs}s POST /api/tenants/bench/conversations"
out=$(wrk -t1 -c"$conns" -d"${secs}s" -s "$root/bench/route-arrive.lua" \
      "http://127.0.0.1:$http_port")
nginx_rate=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
echo "$out" | grep -E "Latency|Non-2xx" || true

assigned=$(redis-cli -p "$redis_port" xlen 'csq:{bench}:events')

# the same function, straight on Redis
lib=$(head -1 "$root/build/nginx/objs/addon/csq/ngx_csq_library.lua")
fn="${lib#\#!lua name=}_arrive"
n=$(awk -v r="$nginx_rate" -v s="$secs" 'BEGIN { printf "%d", r * s }')
[ "$n" -lt 20000 ] && n=20000
echo "redis-benchmark: FCALL $fn x $n, -c $conns"
rb=$(redis-benchmark -p "$redis_port" -c "$conns" -n "$n" -r 100000000 -q \
     FCALL "$fn" 1 'csq:{bench}:tenant' 1795500000000 '' none '' \
     '{"customer":"r__rand_int__","queue":"q1"}' '' 2>/dev/null | tr '\r' '\n' | tail -1)
redis_rate=$(echo "$rb" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /requests/) print $(i-1) }')

printf '\n%-40s %12s\n' "routing decisions per second" ""
printf '%-40s %12s\n' "through nginx (csq_api, arrive)" "$nginx_rate"
printf '%-40s %12s\n' "redis-benchmark, same function" "$redis_rate"
awk -v a="$nginx_rate" -v b="$redis_rate" \
    'BEGIN { printf "ratio nginx / redis-benchmark: %.2f (goal >= 0.5)\n", a / b }'
echo "events in the tenant stream after the nginx run: $assigned"
