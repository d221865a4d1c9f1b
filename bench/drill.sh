#!/usr/bin/env bash
# Fault drills (issue #11 section 6, R5.1): nothing acknowledged is lost
# or delivered twice when a worker is killed, nginx reloads or Redis
# restarts in the middle of chat load.
#
#   bench/drill.sh [pairs] [seconds a drill] [messages a second a pair]
#                                                         (50, 10, 360)
#
# 50 pairs at 360 a second is about 18,000 messages a second, half the
# most bench/relay.sh measures on a 2-core machine.
#
# A private Redis with AOF on (appendfsync everysec, as
# conf-examples/redis.conf; a restart is SHUTDOWN, which writes the AOF
# out, then a new redis-server on the same files) and an nginx with 2
# workers and csq_api (the load client is csq_trusted: the drills are
# about faults, not limits).  relay-setup.js makes <pairs> conversations,
# each with its own agent; bench/drill.js keeps a customer socket and an
# agent socket a pair sending <rate> messages a second, and in the middle
# of each drill asks for its fault, which this script does:
#   kill-9-worker   kill -9 of the nginx worker with the most sockets (the
#                   master starts another)
#   reload          SIGHUP to the master (old workers close their sockets
#                   with 1001 and exit)
#   redis-restart   Redis stops and starts again (sockets get 1013, calls
#                   503 or error frames meanwhile)
#   pubsub-kill     Redis drops the workers' pub/sub connections (CLIENT
#                   KILL TYPE pubsub): what is published until they are
#                   back must be read back from the logs
# Then every acknowledged message must be in its log once and every
# socket side must have every entry once, in order; one DRILL line each.

set -euo pipefail

pairs=${1:-50}
secs=${2:-10}
rate=${3:-360}
secret=bench-secret-0123456789

source "$(dirname "$0")/lib.sh"

bench_node

start_redis() {
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
        --appendonly yes --appendfsync everysec --dir "$dir" \
        --daemonize yes >/dev/null
    for _ in $(seq 50); do
        redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "drill: redis did not start" >&2
    return 1
}

start_redis
nginx_main="worker_processes 2;"
bench_csq_api "csq_trusted 127.0.0.1;"
base="http://127.0.0.1:$http_port"

(cd "$root/bench" && node relay-setup.js "$base" "$secret" "$pairs") \
    > "$dir/plan"

echo "drills: $pairs pairs, $secs s each, $rate messages a second a pair"
echo "(redis $(redis-server --version | awk '{print $3}'), AOF everysec;" \
     "nginx 2 workers)"

coproc DRILL {
    cd "$root/bench" && exec node drill.js "$base" "$dir/plan" \
        "$redis_port" bench "$secs" "$rate" kill-9-worker reload \
        redis-restart pubsub-kill
}
drill_pid=$DRILL_PID

while IFS= read -r line <&"${DRILL[0]}"; do
    case $line in
    "FAULT kill-9-worker")
        # the worker that holds the most sockets
        w=$(for p in $(bench_nginx_workers); do
                echo "$(ss -tnpH state established "( sport = :$http_port )" \
                        | grep -c "pid=$p,") $p"
            done | sort -rn | awk 'NR == 1 { print $2 }')
        kill -9 "$w"
        echo "worker $w killed" >&"${DRILL[1]}" ;;
    "FAULT reload")
        kill -HUP "$(cat "$dir/logs/nginx.pid")"
        echo "SIGHUP" >&"${DRILL[1]}" ;;
    "FAULT redis-restart")
        redis-cli -p "$redis_port" shutdown >/dev/null 2>&1 || true
        sleep 0.5
        start_redis
        echo "redis restarted" >&"${DRILL[1]}" ;;
    "FAULT pubsub-kill")
        n=$(redis-cli -p "$redis_port" client kill type pubsub)
        echo "$n pub/sub connections killed" >&"${DRILL[1]}" ;;
    *)
        echo "$line" ;;
    esac
done

wait "$drill_pid"
