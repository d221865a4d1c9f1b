#!/usr/bin/env bash
# Fragment reassembly benchmark (issue #11 §3): a customer socket sends
# one message whole, then the same message in 1-byte fragments, at sizes
# doubling up to csq_ws_max_message (512k here); the time until the
# server answers, and the worst ping round trip of another socket of the
# same worker meanwhile.  The fragment time is mostly the client's own
# cost of half a million frames; the ping tells whether the worker was
# blocked (a copy of the whole message so far per fragment: 2.3 s at
# 256 KiB before issue #11; now a few ms).  The whole message is the
# baseline in the same run.
#
#   bench/frag.sh [largest size]     (default 524288)

set -euo pipefail

max=${1:-524288}
secret=bench-secret-0123456789

source "$(dirname "$0")/lib.sh"

bench_node
bench_redis_start
bench_csq_api "csq_ws_max_message $max;"

sizes=""
for (( n = max / 8; n <= max; n *= 2 )); do
    sizes+="${sizes:+,}$n"
done

echo "fragments: 1 worker, csq_ws_max_message $max"
node "$root/bench/frag.js" "http://127.0.0.1:$http_port" "$secret" "$sizes"
