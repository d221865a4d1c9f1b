#!/usr/bin/env bash
# Search benchmark (issue #12 §3, R6.4; and the transcripts of R5.3): the
# time of a global search query over a large tenant, through nginx, and
# the Redis memory of the index; the time of a transcript page of a long
# conversation.
#
#   bench/search.sh [messages] [customers] [queries a kind] [long]
#                   (1000000, 100000, 40, 10000: 2-5 minutes on 2
#                   cores; "20000 2000 10 2000" for a check in 15 s)
#
# A private Redis (no config file: Redis' defaults) and one nginx worker
# with csq_api (csq_tick 0: the script runs the tick itself), the tenant
# "s" with one queue and 5 agents made through the API.
#
# 1. Messages.  bench/search.js writes <messages> text messages straight
#    into Redis (redis-cli --pipe), as the send path leaves them: each
#    conversation's log stream (5-35 messages each, one of <long>, with
#    its "assigned" and "ended" entries), its hash, and its mark for the
#    indexer in sx:dirty.  The texts are 3-8 words drawn Zipf-like from
#    about 2,000 Chinese words (the help desk's own first, then made of
#    common characters) and 1,000 English ones: 60% mostly Chinese
#    (written without spaces, so bigrams cross words), 25% mostly
#    English, 15% both; 5% carry a 10-digit order number.
# 2. Indexing.  The tick function (FCALL csq_<version>_tick, what nginx
#    runs every csq_tick) over and over until nothing is left to index:
#    messages a second, the Redis time of a tick (commandstats), and
#    used_memory before and after.  Index bytes = the growth, plus the
#    sx:dirty set it emptied (the send path's marks, not the index);
#    against the bytes of the texts it indexed.  Also the index's own
#    keys by MEMORY USAGE, and their STRLEN (postings are APPENDed, so
#    a string has room to grow beyond its length, and each term is a
#    key of its own).  nginx runs the tick once a csq_tick on one
#    worker, and up to 10 more steps of 300 while a step is full: the
#    Redis time of a tick of 300 is what each costs.
# 3. Customers: <customers> rows through POST .../customers/import
#    (10,000 a call), each indexed as it is written.
# 4. Queries, one at a time on one kept-alive connection after a warm-up,
#    through nginx with a platform token (sees everything): <queries a
#    kind> of each kind, drawn from the stored messages (so they find
#    something) or from the customers, shuffled; plus as many of any kind
#    with in=all (the search box's default).  Each query runs again as
#    the same FCALL_RO straight on Redis (where the time goes), then the
#    baselines, in turn, so the machine's noise hits all alike: nginx
#    `return 200` and `csq_status` (nginx + a Redis round trip) through
#    the same client, and a Redis PING.  The six slowest queries are
#    listed with their terms.
# 5. Transcripts: pages of 50 of the long conversation (GET
#    .../conversations/c1/messages), before= and after= a random
#    message, and the newest page, 5x <queries a kind> of each, with the
#    same baselines.
#
# Goals (issue #12): p99 < 20 ms through nginx; index < 3x the text it
# indexes.  With 40 a kind, a kind's p99 is its slowest query; the
# overall p99 is over all of them (with 440, the fifth slowest).

set -euo pipefail

msgs=${1:-1000000}
custs=${2:-100000}
per=${3:-40}
long=${4:-10000}
secret=bench-secret-0123456789
tenant=s

source "$(dirname "$0")/lib.sh"

bench_install redis-tools
bench_node
bench_redis_start
bench_nginx_start "
    csq_secret $secret;
    csq_tick 0;
    csq_trusted 127.0.0.1;" '
        location /api/ { csq_api; csq_max_body 4m; }
        location = /status { csq_status; }
        location = /return200 { return 200 "ok\n"; }' /status -f
base="http://127.0.0.1:$http_port"

token=$(cd "$root/bench" && node -e '
    console.log(require("./csq.js").token(process.argv[1], "*", "", "platform"))' \
    "$secret")
lib=$(head -1 "$root/build/nginx/objs/addon/csq/ngx_csq_library.lua")
lib=${lib#\#!lua name=}
K="csq:{$tenant}:"

api() {
    curl -sf -X "$1" -H "Authorization: Bearer $token" \
        "$base/api/$2" -d "$3" >/dev/null
}
rcli() { redis-cli -p "$redis_port" "$@"; }
used_memory() {
    sleep 1
    rcli info memory | awk -F: '/^used_memory:/ { printf "%d\n", $2 }'
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }
per_of() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%.1f", a / n }'; }

# "<keys> <STRLEN sum> <MEMORY USAGE sum>" of the keys matching a pattern
# (an EVAL a SCAN step, so none holds Redis for long)
keys_sum() {
    local cur=0 n=0 len=0 mem=0 r
    while :; do
        r=$(rcli eval '
            local r = redis.call("SCAN", ARGV[1], "MATCH", ARGV[2],
                                 "COUNT", 2000)
            local n, len, mem = 0, 0, 0
            for _, k in ipairs(r[2]) do
                n = n + 1
                if redis.call("TYPE", k).ok == "string" then
                    len = len + redis.call("STRLEN", k)
                end
                mem = mem + redis.call("MEMORY", "USAGE", k, "SAMPLES", "0")
            end
            return { r[1], n, len, mem }' 0 "$cur" "$1" | tr '\n' ' ')
        set -- "$1" $r
        cur=$2; n=$(( n + $3 )); len=$(( len + $4 )); mem=$(( mem + $5 ))
        [ "$cur" = 0 ] && break
    done
    echo "$n $len $mem"
}

echo "search: $msgs messages, $custs customers, tenant $tenant;" \
     "redis $(redis-server --version | awk '{ print $3 }' | cut -d= -f2)," \
     "nginx 1 worker, $(nproc) cores"

api PUT "tenants/$tenant" '{}'
api PUT "tenants/$tenant/queues/q1" '{}'
for i in 1 2 3 4 5; do
    api PUT "tenants/$tenant/agents/a$i" \
        "{\"password\":\"bench-password-$i\",\"queues\":[\"q1\"]}"
done

# --- 1. the messages

m0=$(used_memory)
t=$(date +%s.%N)
(cd "$root/bench" && node search.js load "$tenant" "$msgs" "$custs" "$long" \
    "$dir/meta.json") | rcli --pipe > "$dir/pipe.log" \
    || { cat "$dir/pipe.log"; exit 1; }
grep -q 'errors: 0' "$dir/pipe.log" || { cat "$dir/pipe.log"; exit 1; }
load_s=$(awk -v t="$t" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - t }')
m1=$(used_memory)
read -r convs entries text_bytes < <(node -e '
    const m = require(process.argv[1]);
    console.log(m.conversations, m.entries, m.textBytes)' "$dir/meta.json")
dirty=$(rcli scard "${K}sx:dirty")
dirty_mem=$(rcli memory usage "${K}sx:dirty" samples 0)
echo "loaded $msgs messages ($entries log entries) in $convs conversations" \
     "in ${load_s}s; text $(mb "$text_bytes")," \
     "$(per_of "$text_bytes" "$msgs") B a message; $dirty conversations marked"

# --- 2. indexing, by the tick, as nginx runs it

tick() {
    local n=$1 now
    now=$(( $(date +%s) * 1000 ))
    for _ in $(seq "$n"); do
        echo "FCALL ${lib}_tick 1 ${K}tenant $now '' platform '' '' ''"
    done | rcli | awk 'NR % 4 == 0 { s += $1 } END { print s + 0 }'
}

rcli config resetstat >/dev/null
t=$(date +%s.%N)
indexed=0 ticks=0 idle=0
while :; do
    got=$(tick 100)
    indexed=$(( indexed + got )); ticks=$(( ticks + 100 ))
    [ "$got" -eq 0 ] && idle=$(( idle + 1 ))
    [ "$got" -eq 0 ] && [ "$(rcli scard "${K}sx:dirty")" -eq 0 ] && break
    if [ "$idle" -gt 2 ]; then
        echo "the tick indexes nothing, with conversations marked" >&2
        exit 1
    fi
done
index_s=$(awk -v t="$t" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - t }')
tick_us=$(rcli info commandstats \
    | awk -F'[:=,]' '/^cmdstat_fcall:/ { print $7 }')
docs=$(rcli hget "${K}tenant" sxm)
m2=$(used_memory)
read -r tkeys tlen tmem < <(keys_sum "${K}sx:m:t:*")
dlen=$(rcli strlen "${K}sx:m:docs")
dmem=$(rcli memory usage "${K}sx:m:docs" samples 0)
index_bytes=$(( m2 - m1 + dirty_mem ))

rate=$(awk -v n="$docs" -v s="$index_s" 'BEGIN { printf "%d", n / s }')
tick_ms=$(awk -v u="$tick_us" 'BEGIN { printf "%.1f", u / 1000 }')
echo "indexed: $indexed log entries read, $docs messages indexed, in" \
     "${index_s}s ($rate messages/s), $ticks ticks of at most 300 entries;" \
     "$tick_ms ms of Redis a tick"
echo "(nginx ticks once a csq_tick, 1 s by default, on its first worker, and" \
     "runs up to 10 more steps while a step is full: about 3,300 messages/s" \
     "a tenant a node)"

row() { printf '%-46s %14s %10s %8s\n' "$@"; }
echo
echo "redis memory of the messages' index ($docs messages," \
     "$(mb "$text_bytes") of text)"
row "" bytes "B/message" "x text"
row "used_memory: messages and conversations" "$(( m1 - m0 ))" \
    "$(per_of "$(( m1 - m0 ))" "$msgs")" \
    "$(per_of "$(( m1 - m0 ))" "$text_bytes")"
row "used_memory growth by indexing + sx:dirty" "$index_bytes" \
    "$(per_of "$index_bytes" "$docs")" "$(per_of "$index_bytes" "$text_bytes")"
row "  of which sx:dirty it emptied" "$dirty_mem" "" ""
row "MEMORY USAGE of $tkeys terms' postings" "$tmem" \
    "$(per_of "$tmem" "$docs")" "$(per_of "$tmem" "$text_bytes")"
row "  their STRLEN (4 B a document a term)" "$tlen" \
    "$(per_of "$tlen" "$docs")" "$(per_of "$tlen" "$text_bytes")"
row "MEMORY USAGE of sx:m:docs (STRLEN $dlen)" "$dmem" \
    "$(per_of "$dmem" "$docs")" "$(per_of "$dmem" "$text_bytes")"
echo "terms a message: $(per_of "$(( tlen / 4 ))" "$docs");" \
     "goal: index < 3x the text: $(per_of "$index_bytes" "$text_bytes")x" \
     "($(awk -v i="$index_bytes" -v t="$text_bytes" \
         'BEGIN { print (i < 3 * t) ? "met" : "NOT met" }'))"

# --- 3. customers

echo
m3=$(used_memory)
(cd "$root/bench" && node search.js import "$base" "$tenant" "$token" "$custs")
m4=$(used_memory)
read -r ukeys ulen umem < <(keys_sum "${K}sx:u:*")
echo "customers: used_memory $(mb "$(( m4 - m3 ))")" \
     "($(per_of "$(( m4 - m3 ))" "$custs") B each, records and index);" \
     "their index: $ukeys keys, MEMORY USAGE $(mb "$umem")" \
     "($(per_of "$umem" "$custs") B a customer)"

# --- 4. and 5. the queries, the transcripts

(cd "$root/bench" && node search.js query "$base" "$tenant" "$token" \
    "$redis_port" "$lib" "$dir/meta.json" "$per" "$custs")

n=$(grep -cE '\[(error|crit|alert|emerg)\]' "$dir/logs/error.log" || true)
echo
echo "nginx error.log: $n lines at error or worse"
grep -E '\[(error|crit|alert|emerg)\]' "$dir/logs/error.log" \
    | sed -E 's/^[0-9\/: ]+//; s/, client:.*//' | sort | uniq -c | sort -rn \
    | head -5 || true
