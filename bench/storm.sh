#!/usr/bin/env bash
# Reconnect storm (issue #11 section 6): <count> customer sockets dropped
# at once and back within <spread> ms.
#
#   bench/storm.sh [count] [spread ms]                        (10000, 5000)
#
# A private Redis and an nginx with 2 workers (reuseport) and csq_api
# (the client is csq_trusted); bench/storm.js makes the conversations,
# opens every customer socket, drops them all without a close frame and
# brings each back at a random moment within the spread, resuming from
# its last id, then sends one message on it.  It prints how soon all were
# back, the p50/p99 of reconnect-to-hello and of that first message, and
# each worker's RSS idle and at its peak in the storm; "STORM ok" when
# every socket is back, no worker is gone and none went over twice its
# idle RSS plus 64 MB.

set -euo pipefail

count=${1:-10000}
spread=${2:-5000}
secret=bench-secret-0123456789

source "$(dirname "$0")/lib.sh"

bench_node
ulimit -n "$(ulimit -Hn)"

nginx_main="worker_processes 2;
worker_rlimit_nofile 40000;"
nginx_events="worker_connections 20000;"
nginx_listen=reuseport

bench_redis_start
bench_csq_api "csq_trusted 127.0.0.1;"
base="http://127.0.0.1:$http_port"

echo "storm: $count customer sockets, back within $spread ms; nginx 2 workers"
(cd "$root/bench" && node storm.js "$base" "$secret" "$count" "$spread" \
    "$(cat "$dir/logs/nginx.pid")")
