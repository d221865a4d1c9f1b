// Client of bench/frag.sh: one message of N bytes sent on a customer
// socket whole, then in 1-byte fragments, for N up to the largest the
// server takes; the time until the server's answer (the message is too
// long for a text, so an error frame: the answer marks that the server
// has the whole message) and, meanwhile, the worst ping round trip on a
// second socket of the same worker (how long the worker was blocked).
//
//   node frag.js <http base> <secret> <sizes, e.g. 65536,131072,...>
'use strict';

const WebSocket = require('ws');
const { token, api } = require('./csq');

const [base, secret, sizes] = process.argv.slice(2);

function open(path) {
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(base.replace(/^http/, 'ws') + path);
        ws.once('message', () => resolve(ws));     // the hello
        ws.once('error', reject);
    });
}

function answer(ws) {
    return new Promise((resolve) => {
        ws.on('message', function on(d) {
            const f = JSON.parse(d);
            if (f.ref === 'big') {
                ws.off('message', on);
                resolve(f);
            }
        });
    });
}

async function main() {
    const plat = token(secret, '*', '', 'platform');
    await api(base, 'PUT', 'tenants/frag', {}, plat);
    await api(base, 'PUT', 'tenants/frag/queues/q', {}, plat);
    const c = await api(base, 'POST', 'tenants/frag/conversations',
                        { customer: 'u1', queue: 'q' });
    const path = `/api/tenants/frag/chat/ws?token=${c.customer_token}`
               + `&conversation=${c.id}`;
    const ws = await open(path);
    const probe = await open(path);

    // the probe pings every 5 ms; the worst round trip of each run
    let worst = 0, sent = 0;
    probe.on('message', () => {
        worst = Math.max(worst, Date.now() - sent);
        sent = 0;
    });
    const timer = setInterval(() => {
        if (sent === 0) {
            sent = Date.now();
            probe.send('{"type":"ping"}');
        }
    }, 5);

    console.log('bytes      whole ms  fragments ms  worst ping ms  answer');
    for (const n of sizes.split(',').map(Number)) {
        const head = '{"type":"message","ref":"big","text":"';
        const msg = head + 'x'.repeat(n - head.length - 2) + '"}';
        for (const how of ['whole', 'fragments']) {
            worst = 0;
            const t0 = process.hrtime.bigint();
            const got = answer(ws);
            if (how === 'whole') {
                ws.send(msg);
            } else {
                const buf = Buffer.from(msg);
                for (let i = 0; i < buf.length; i++) {
                    ws.send(buf.subarray(i, i + 1),
                            { fin: i === buf.length - 1, binary: false });
                }
            }
            const f = await got;
            const ms = Number(process.hrtime.bigint() - t0) / 1e6;
            if (how === 'whole') {
                process.stdout.write(`${String(n).padEnd(10)} `
                                     + `${ms.toFixed(1).padStart(8)}  `);
            } else {
                console.log(`${ms.toFixed(1).padStart(12)}  `
                            + `${String(worst).padStart(13)}  `
                            + `${f.type} ${f.error ? f.error.code : ''}`);
            }
        }
    }
    clearInterval(timer);
    ws.close();
    probe.close();
}

main().catch((e) => {
    console.error(e.stack || String(e));
    process.exit(1);
});
