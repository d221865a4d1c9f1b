#!/usr/bin/env bash
# Memory benchmark: the Redis memory a waiting conversation costs, and a
# stored chat message.
#
#   bench/memory.sh [conversations] [messages] [message bytes]
#                                               (10000, 10000, 100)
#
# A private Redis (bench/lib.sh: no config file, so Redis' defaults, e.g.
# stream-node-max-bytes 4096, printed below) and one nginx worker with
# csq_api (csq_tick 0: nothing runs between the measurements).  The tenant
# "mem" has one queue and no agent, so every arrival waits.
#
# 1. Waiting conversations.  A first arrival (and a first message) warms
#    up the server side; the keys a second one adds are its own keys,
#    listed with their MEMORY USAGE.  Then <conversations> more arrive
#    through POST /api/tenants/mem/conversations (32 at once): Redis'
#    used_memory before and after, divided by their number, and the
#    growth of the keys they share (the queue's list, the tenant's event
#    stream, which is capped, ...).
# 2. Stored messages.  The first conversation's customer opens its socket
#    (GET .../chat/ws) and sends <messages> text messages of <message
#    bytes> each (32 not yet acknowledged at most, each with a `ref` as the
#    chat page sends): used_memory and the MEMORY USAGE of the
#    conversation's log stream before and after, per message.
#
# Only nginx's API and sockets and redis-cli's INFO, KEYS, TYPE and MEMORY
# USAGE are used, whatever the Redis side of the module is made of.

set -euo pipefail

convs=${1:-10000}
msgs=${2:-10000}
bytes=${3:-100}
secret=bench-secret-0123456789
tenant=mem

source "$(dirname "$0")/lib.sh"

bench_node
bench_redis_start
bench_csq_api "csq_tick 0; csq_trusted 127.0.0.1;"
base="http://127.0.0.1:$http_port"

token=$(perl -MDigest::SHA=hmac_sha256 -MMIME::Base64 -e '
    sub b { my $x = encode_base64(shift, ""); $x =~ tr{+/}{-_}; $x =~ s/=+$//; $x }
    my $p = "*||platform|" . (time + 3600);
    print b($p), ".", b(hmac_sha256($p, $ARGV[0]))' "$secret")

api() {
    curl -sf -X "$1" -H "Authorization: Bearer $token" \
        "$base/api/$2" -d "$3"
}

rcli() { redis-cli -p "$redis_port" "$@"; }

# used_memory, bytes, once the connections' buffers have settled
used_memory() {
    sleep 1
    rcli info memory | awk -F: '/^used_memory:/ { printf "%d\n", $2 }'
}

# "<key> <type> <MEMORY USAGE>" of the tenant's keys (its hash tag), sorted
tenant_keys() {
    rcli --scan --pattern "csq:{$tenant}:*" | sort > "$dir/keys"
    [ -s "$dir/keys" ] || return 0
    paste -d' ' "$dir/keys" \
        <(sed 's/^/TYPE /' "$dir/keys" | rcli) \
        <(sed 's/^/MEMORY USAGE /; s/$/ SAMPLES 0/' "$dir/keys" | rcli)
}

# the client: arrivals through the API, then one customer's messages
cat > "$dir/client.js" <<EOT
'use strict';
const { api, parallel, open } = require('$root/bench/csq.js');
const readline = require('readline');
const base = '$base', tenant = '$tenant';
const [mode, a1, a2, a3, a4] = process.argv.slice(2);

// arrive <from> <count>: customers u<from>..; prints "<id> <token>" of each
async function arrive(from, n) {
    const out = await parallel(n, 32, async (i) => {
        const c = await api(base, 'POST', \`tenants/\${tenant}/conversations\`,
                            { customer: 'u' + (from + i), queue: 'wait' });
        if (c.state !== 'queued') throw new Error('not waiting: ' + JSON.stringify(c));
        return c.id + ' ' + c.customer_token;
    });
    process.stdout.write(out.join('\n') + '\n');
}

// send <conversation> <token> <count> <bytes>: <count> messages on one
// socket, at most 32 unacknowledged; "SENT <acks> <errors>" at the end
let seq = 0, acked = 0, errors = 0, lastError = '';
function sendSome(ws, n, text) {
    return new Promise((resolve) => {
        let sent = 0, done = 0;
        const prefix = 'c' + Date.now().toString(36) + '-';
        const more = () => {
            while (sent < n && sent - done < 32) {
                sent++;
                ws.send(JSON.stringify({ type: 'message', text,
                                         ref: prefix + (seq++).toString(36) }));
            }
        };
        ws.on('message', (data) => {
            const f = JSON.parse(data.toString());
            if (f.type !== 'ack' && f.type !== 'error') return;
            if (f.type === 'ack') acked++;
            else { errors++; lastError = JSON.stringify(f); }
            if (++done === n) { ws.removeAllListeners('message'); resolve(); }
            else more();
        });
        more();
    });
}

async function send(cid, tok, n, bytes) {
    const url = base.replace(/^http/, 'ws') + \`/api/tenants/\${tenant}/chat/ws\`
        + \`?token=\${tok}&conversation=\${cid}\`;
    const ws = await open(url, (t) => JSON.parse(t).type === 'hello');
    ws.on('close', (code) => { console.error('socket closed: ' + code); process.exit(1); });
    const text = 'x'.repeat(Number(bytes));
    // the script asks for each round on stdin, so it can measure between
    const lines = readline.createInterface({ input: process.stdin });
    console.log('OPEN');
    for await (const line of lines) {
        if (line === 'quit') break;
        await sendSome(ws, Number(line), text);
        console.log(\`SENT \${acked} \${errors}\`);
    }
    if (errors) console.error('last error: ' + lastError);
    ws.removeAllListeners('close');
    ws.on('close', () => process.exit(0));
    ws.close();
    setTimeout(() => process.exit(0), 2000).unref();
}

(mode === 'arrive' ? arrive(Number(a1), Number(a2)) : send(a1, a2, a3, a4))
    .catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
EOT
client() { node "$dir/client.js" "$@"; }

echo "memory: $convs waiting conversations, $msgs messages of $bytes bytes"
echo "redis $(rcli info server | awk -F: '/^redis_version/ { print $2 }' | tr -d '\r'):" \
     "$(rcli config get 'stream-node-max-*' | paste -d' ' - - | paste -sd' ')"

api PUT "tenants/$tenant" '{}' >/dev/null
api PUT "tenants/$tenant/queues/wait" '{}' >/dev/null

# warm-up: a first conversation and its customer's socket, with a message
read -r cid ctok < <(client arrive 0 1)
coproc SENDER { client send "$cid" "$ctok" "$msgs" "$bytes"; }
read -r line <&"${SENDER[0]}"
[ "$line" = OPEN ] || { echo "the customer socket did not open" >&2; exit 1; }
echo 1 >&"${SENDER[1]}"; read -r _ acks0 errs0 <&"${SENDER[0]}"

# --- 1. a waiting conversation's own keys: what a second one adds

tenant_keys > "$dir/k0"
read -r probe _ < <(client arrive 1 1)
tenant_keys > "$dir/k1"

echo
echo "the keys one waiting conversation ($probe) makes"
printf '%-40s %-7s %8s\n' key type bytes
join -v2 "$dir/k0" "$dir/k1" \
    | awk '{ printf "%-40s %-7s %8d\n", $1, $2, $3; s += $3 }
           END { printf "%-40s %-7s %8d\n", "total", "", s }'
own=$(join -v2 "$dir/k0" "$dir/k1" | awk '{ s += $3 } END { print s + 0 }')

# --- the many

m0=$(used_memory)
t=$SECONDS
client arrive 2 "$convs" > "$dir/convs"
arrive_s=$(( SECONDS - t ))
m1=$(used_memory)
tenant_keys > "$dir/k2"
[ "$(wc -l < "$dir/convs")" -eq "$convs" ] \
    || { echo "not every conversation was made" >&2; exit 1; }

echo
echo "$convs more waiting conversations (${arrive_s}s): the keys they share"
printf '%-40s %-7s %10s %10s %8s\n' key type "before" "after" "B/conv"
join "$dir/k1" "$dir/k2" | awk -v n="$convs" '$3 != $5 {
    printf "%-40s %-7s %10d %10d %8.1f\n", $1, $2, $3, $5, ($5 - $3) / n;
    s += $5 - $3 } END { print s + 0 > "/dev/stderr" }' 2> "$dir/shared"
events=$(join "$dir/k1" "$dir/k2" \
    | awk '$1 ~ /:events$/ { print $5 - $3 } END { print 0 }' | head -1)
echo "(the events stream is capped at about 10,000 entries: it stops growing)"

# --- 2. messages

l0=$(rcli memory usage "csq:{$tenant}:log:$cid" samples 0)
n0=$(rcli xlen "csq:{$tenant}:log:$cid")
m2=$(used_memory)
t=$SECONDS
echo "$msgs" >&"${SENDER[1]}"; read -r _ acks errs <&"${SENDER[0]}"
send_s=$(( SECONDS - t ))
m3=$(used_memory)
l1=$(rcli memory usage "csq:{$tenant}:log:$cid" samples 0)
n1=$(rcli xlen "csq:{$tenant}:log:$cid")
echo quit >&"${SENDER[1]}"; wait "$SENDER_PID" 2>/dev/null || true

echo
echo "$msgs messages of $bytes bytes in conversation $cid (${send_s}s):" \
     "$(( acks - acks0 )) acknowledged, $(( errs - errs0 )) errors," \
     "log entries $n0 -> $n1"
entry=$(rcli xrevrange "csq:{$tenant}:log:$cid" + - count 1 | tail -1)
echo "the last entry, ${#entry} bytes of JSON: ${entry:0:120}..."

row() { printf '%-44s %12s %12s %10s\n' "$@"; }
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (b - a) / n }'; }
echo
row "redis memory" before after "B each"
row "used_memory, per waiting conversation" "$m0" "$m1" "$(per "$m0" "$m1" "$convs")"
row "  the same without the events stream" "" "" \
    "$(per "$m0" "$(( m1 - events ))" "$convs")"
row "  MEMORY USAGE: own keys + shared growth" "" "" \
    "$(per 0 "$(( own * convs + $(cat "$dir/shared") ))" "$convs")"
row "used_memory, per message" "$m2" "$m3" "$(per "$m2" "$m3" "$msgs")"
row "MEMORY USAGE of the log stream, per message" "$l0" "$l1" \
    "$(per "$l0" "$l1" "$(( n1 - n0 ))")"

n=$(grep -cE '\[(error|crit|alert|emerg)\]' "$dir/logs/error.log" || true)
echo "nginx error.log: $n lines at error or worse"
grep -E '\[(error|crit|alert|emerg)\]' "$dir/logs/error.log" \
    | sed -E 's/^[0-9\/: ]+//; s/, client:.*//' | sort | uniq -c | sort -rn \
    | head -5 || true
