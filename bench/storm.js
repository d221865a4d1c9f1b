// The client of bench/storm.sh: a reconnect storm (issue #11 section 6).
//
//   node storm.js <http base> <secret> <count> <spread ms> <nginx pid>
//
// Makes <count> conversations waiting in the tenant "storm" (no agent),
// opens every customer's socket, lets them idle, then drops them all at
// once (no close frame: a network loss) and brings each back at a random
// moment within <spread> ms, resuming from the last id it got (after=).
// Each, once its hello came, sends one message.  Meanwhile the RSS of
// nginx's workers is read every 200 ms.  Prints the figures and a line
// "STORM ok|FAIL": every socket back, no worker gone, no worker's RSS
// over twice what it held with the sockets idle plus 64 MB.
'use strict';

const fs = require('fs');
const WebSocket = require('ws');
const { token, api, parallel } = require('./csq');

const [base, secret, count, spread, master] = process.argv.slice(2);
const TENANT = 'storm';
const wsBase = base.replace(/^http/, 'ws') + `/api/tenants/${TENANT}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function workers() {
    return fs.readFileSync(`/proc/${master}/task/${master}/children`, 'utf8')
        .trim().split(/\s+/).filter(Boolean).map(Number);
}

function rss(pid) {
    try {
        const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+)/.exec(s)[1]);       // kB
    } catch (e) {
        return 0;
    }
}

function pct(list, q) {
    if (list.length === 0) return 0;
    const s = [...list].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

// a customer's socket; resolves once its hello came
function connect(c, onFrame) {
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(`${wsBase}/chat/ws?token=${c.token}`
            + `&conversation=${c.cid}${c.last ? '&after=' + c.last : ''}`,
            { perMessageDeflate: false });
        const timer = setTimeout(() => { ws.terminate(); reject(new Error('timeout')); }, 30000);
        ws.on('error', (e) => { clearTimeout(timer); reject(e); });
        ws.on('unexpected-response', (req, res) => {
            clearTimeout(timer);
            ws.terminate();
            reject(new Error(String(res.statusCode)));
        });
        ws.on('message', (d) => {
            const f = JSON.parse(d.toString());
            if (f.type === 'message' && f.id) c.last = f.id;
            if (f.type === 'hello') {
                clearTimeout(timer);
                resolve(ws);
            }
            if (onFrame) onFrame(f);
        });
    });
}

async function main() {
    const plat = token(secret, '*', '', 'platform');
    await api(base, 'PUT', `tenants/${TENANT}`, {}, plat);
    await api(base, 'PUT', `tenants/${TENANT}/queues/wait`, {}, plat);
    const convs = await parallel(Number(count), 64, async (i) => {
        const r = await api(base, 'POST', `tenants/${TENANT}/conversations`,
                            { customer: `s${i}`, queue: 'wait' });
        return { cid: r.id, token: r.customer_token, last: '' };
    });
    console.log(`${count} conversations waiting`);

    let t = Date.now();
    await parallel(convs.length, 300, async (i) => {
        convs[i].ws = await connect(convs[i]);
    });
    console.log(`${convs.length} sockets open in ${Date.now() - t} ms`);
    await sleep(3000);

    const pids = workers();
    const idle = new Map(pids.map((p) => [p, rss(p)]));
    const peak = new Map(idle);
    const sampler = setInterval(() => {
        for (const p of pids) peak.set(p, Math.max(peak.get(p), rss(p)));
    }, 200);

    // the storm: every socket lost at once, each back within the spread
    const helloMs = [], firstMs = [];
    let back = 0, retries = 0, lastBack = 0;
    const t0 = Date.now();
    for (const c of convs) c.ws.terminate();
    await Promise.all(convs.map(async (c) => {
        await sleep(Math.random() * Number(spread));
        const start = Date.now();
        for (;;) {
            try {
                let sent = 0;
                const acked = new Promise((resolve) => {
                    c.onAck = resolve;
                });
                c.ws = await connect(c, (f) => {
                    if (f.type === 'ack' && f.ref === 'back') c.onAck();
                });
                helloMs.push(Date.now() - start);
                sent = Date.now();
                c.ws.send(JSON.stringify({ type: 'message', text: 'back',
                                           ref: 'back' }));
                await acked;
                firstMs.push(Date.now() - sent);
                back++;
                lastBack = Date.now() - t0;
                return;
            } catch (e) {
                retries++;
                await sleep(200 + Math.random() * 300);
            }
        }
    }));
    await sleep(2000);
    clearInterval(sampler);

    const after = workers();
    const gone = pids.filter((p) => !after.includes(p));
    const over = pids.filter((p) => peak.get(p) > 2 * idle.get(p) + 65536);
    const mb = (kb) => (kb / 1024).toFixed(1);
    console.log(`all ${back}/${convs.length} back within ${lastBack} ms of `
        + `the drop (spread ${spread} ms), ${retries} handshakes retried`);
    console.log(`reconnect to hello: p50 ${pct(helloMs, 0.5)} ms, p99 `
        + `${pct(helloMs, 0.99)} ms, max ${pct(helloMs, 1)} ms`);
    console.log(`first message after it (send to ack): p50 `
        + `${pct(firstMs, 0.5)} ms, p99 ${pct(firstMs, 0.99)} ms, max `
        + `${pct(firstMs, 1)} ms`);
    for (const p of pids) {
        console.log(`worker ${p}: RSS idle ${mb(idle.get(p))} MB, peak in the`
            + ` storm ${mb(peak.get(p))} MB${gone.includes(p) ? ', GONE' : ''}`);
    }
    const ok = back === convs.length && gone.length === 0 && over.length === 0;
    console.log(`STORM ${ok ? 'ok' : 'FAIL'}`);
    process.exit(ok ? 0 : 1);
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(2); });
