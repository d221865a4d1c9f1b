// Load client of bench/conns.sh: idle customer sockets.
//
//   node conns-client.js setup <http base> <secret> <count> <width>  > convs
//   node conns-client.js open  <http base> <convs> <from> <to> <source ip>
//
// setup makes the tenant "idle" with one queue that no agent serves and
// <count> conversations waiting in it, through the API, <width> calls at
// once; it prints "<conversation> <customer token>" lines.
// open opens the customer sockets of lines [from, to) of that file from
// <source ip> (its own 64k ports), each done once its hello came; it
// prints "opened <n> failed <m>" every second while opening, then
// "READY <n> <m>", and holds the sockets idle until it is stopped.
'use strict';

const fs = require('fs');
const { token, api, parallel, open } = require('./csq');

const TENANT = 'idle';
const OPENING = 200;          // handshakes in flight per process
const PORT_BASES = [10000, 26000, 42000];  // + i: 16k sockets per address

const [mode, base, a1, a2, a3, a4] = process.argv.slice(2);

async function setup(secret, count, width) {
    const plat = token(secret, '*', '', 'platform');
    await api(base, 'PUT', `tenants/${TENANT}`, {}, plat);
    await api(base, 'PUT', `tenants/${TENANT}/queues/wait`, {}, plat);
    const out = [];
    let done = 0;
    const tick = setInterval(() => console.error(`  ${done} conversations`),
                             10000);
    await parallel(count, width, async (i) => {
        const c = await api(base, 'POST', `tenants/${TENANT}/conversations`,
                            { customer: `u${i}`, queue: 'wait' });
        out[i] = `${c.id} ${c.customer_token}`;
        done++;
    });
    clearInterval(tick);
    process.stdout.write(out.join('\n') + '\n');
}

async function openAll(file, from, to, source) {
    const lines = fs.readFileSync(file, 'utf8').split('\n').slice(from, to)
        .filter(Boolean);
    const wsBase = base.replace(/^http/, 'ws');
    const hello = (t) => JSON.parse(t).type === 'hello';
    const sockets = [];
    let opened = 0, failed = 0, lastError = '';
    const tick = setInterval(
        () => console.log(`opened ${opened} failed ${failed}`), 1000);
    await parallel(lines.length, OPENING, async (i) => {
        const [cid, tok] = lines[i].split(' ');
        const url = `${wsBase}/api/tenants/${TENANT}/chat/ws`
            + `?token=${tok}&conversation=${cid}`;
        try {
            const ws = await openFrom(url, hello, source, i);
            // an idle socket: the ws library answers the server's pings
            ws.on('close', () => { opened--; failed++; });
            sockets.push(ws);
            opened++;
        } catch (e) {
            failed++;
            lastError = String(e.message || e);
        }
    });
    clearInterval(tick);
    if (failed) console.error(`${source}: ${failed} failed, last: ${lastError}`);
    console.log(`READY ${opened} ${failed}`);
    // held until the script stops this process
    setInterval(() => {}, 1 << 30);
}

// the i-th socket of this process binds its own port: bind() with port 0
// searches the ports in use, linear in their count, and at 16k sockets
// per address that costs more than the whole server side
async function openFrom(url, first, source, i) {
    for (const base of PORT_BASES) {
        try {
            return await open(url, first,
                { localAddress: source, localPort: base + i }, 60000);
        } catch (e) {
            if (e.code !== 'EADDRINUSE') throw e;
        }
    }
    throw new Error(`no free port for socket ${i} on ${source}`);
}

const main = mode === 'setup'
    ? () => setup(a1, Number(a2), Number(a3))
    : () => openAll(a1, Number(a2), Number(a3), a4);

main().catch((e) => {
    console.error(e.stack || String(e));
    process.exit(1);
});
