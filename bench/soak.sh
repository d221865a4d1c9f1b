#!/usr/bin/env bash
# Soak: Redis memory under anonymous visitors at the limits (R9.6).
#
#   bench/soak.sh [seconds] [addresses] [messages a visitor]    (600, 20, 4)
#
# A private Redis and one nginx worker with csq_api at its default limits
# (csq_arrival_limit 30 a minute an address, csq_message_rate 5 a second
# a socket: nobody is trusted).  The tenant "soak" keeps what is over for
# a minute (retention_minutes 1, visitor_retention_minutes 1) and sends
# every arrival to a robot queue.  bench/soak.js runs visitors from
# <addresses> loopback addresses, each as fast as the limits let it
# (entry, arrival, socket, <messages> messages of 1 KB, gone: with 4, a
# visitor takes under a second, so each address meets its arrival limit
# and waits out its Retry-After), and prints
# Redis' used_memory and key count every 30 s: once the retention has
# come round, memory stays flat (the last third of the run against the
# middle third).

set -euo pipefail

seconds=${1:-600}
addrs=${2:-20}
msgs=${3:-4}
secret=bench-secret-0123456789

source "$(dirname "$0")/lib.sh"

bench_node
bench_redis_start
bench_csq_api
base="http://127.0.0.1:$http_port"

token=$(cd "$root/bench" && node -e '
    console.log(require("./csq.js").token(process.argv[1], "*", "", "platform"))' \
    "$secret")

api() {
    curl -sf -X "$1" -H "Authorization: Bearer $token" \
        "$base/api/$2" -d "$3" >/dev/null
}

api PUT tenants/soak '{"retention_minutes":1,"visitor_retention_minutes":1}'
api PUT tenants/soak/queues/bot '{"mode":"robot","welcome_text":"Hello!"}'
api PUT tenants/soak/rules '{"rules":[],"fallback_queue":"bot"}'

echo "soak: $seconds s, $addrs addresses, $msgs messages of 1 KB a visitor"
echo "redis $(redis-server --version | awk '{print $3}'), nginx 1 worker"
(cd "$root/bench" && node soak.js "$base" "$seconds" "$addrs" "$msgs" \
    "$redis_port")
