// The client of bench/soak.sh: anonymous visitors at the limits.
//
//   node soak.js <http base> <seconds> <addresses> <messages> <redis port>
//
// Each of <addresses> loopback addresses (127.0.1.1, 127.0.1.2 ...) runs
// visitors one after the other, as fast as the limits let it: a page
// entry, an arrival (429 rate_limited: it waits Retry-After), the
// customer's socket, <messages> messages of 1 KB at the socket's rate
// (5 a second), then it leaves.  Every 30 s it prints Redis' used_memory
// and number of keys, and at the end the figures of the run.
'use strict';

const http = require('http');
const { execFileSync } = require('child_process');
const { open } = require('./csq');

const [base, seconds, naddr, nmsg, redisPort] = process.argv.slice(2);
const end = Date.now() + Number(seconds) * 1000;
const TENANT = 'soak';
const TEXT = 'x'.repeat(1000);
const stats = { visitors: 0, arrivals: 0, limited: 0, acks: 0, errors: 0,
                failed: 0 };

function post(from, path, body) {
    const data = JSON.stringify(body);
    return new Promise((resolve, reject) => {
        const req = http.request(`${base}/api/tenants/${TENANT}/${path}`, {
            method: 'POST', localAddress: from,
            headers: { 'Content-Type': 'application/json',
                       'Content-Length': Buffer.byteLength(data) },
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const text = Buffer.concat(chunks).toString();
                resolve({ status: res.statusCode,
                          retry: Number(res.headers['retry-after'] || 0),
                          json: text ? JSON.parse(text) : null });
            });
        });
        req.on('error', reject);
        req.end(data);
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function visitor(from) {
    const e = await post(from, 'entry', {});
    if (e.status === 429) return sleep(e.retry * 1000);
    const a = await post(from, 'conversations',
                         { customer: e.json.visitor.id });
    if (a.status === 429) {
        stats.limited++;
        return sleep(a.retry * 1000);
    }
    if (a.status !== 201) throw new Error(`arrival: ${a.status}`);
    stats.visitors++;
    stats.arrivals++;
    const url = base.replace(/^http/, 'ws') + `/api/tenants/${TENANT}`
              + `/chat/ws?token=${a.json.customer_token}`
              + `&conversation=${a.json.id}`;
    const ws = await open(url, (t) => t.includes('"hello"'),
                          { localAddress: from });
    ws.on('message', (d) => {
        const t = d.toString();
        if (t.startsWith('{"type":"ack"')) stats.acks++;
        else if (t.startsWith('{"type":"error"')) stats.errors++;
    });
    for (let i = 0; i < Number(nmsg); i++) {
        ws.send(JSON.stringify({ type: 'message', text: TEXT,
                                 ref: `m${i}` }));
        await sleep(200);
    }
    ws.close(1000);
}

async function lane(i) {
    const from = `127.0.1.${i + 1}`;
    while (Date.now() < end) {
        try {
            await visitor(from);
        } catch (e) {
            stats.failed++;
            await sleep(500);
        }
    }
}

function redis(...args) {
    return execFileSync('redis-cli', ['-p', redisPort, ...args]).toString();
}

const samples = [];
function sample() {
    const mem = Number(/used_memory:(\d+)/.exec(redis('info', 'memory'))[1]);
    const keys = Number(redis('dbsize').trim());
    const s = Math.round((Date.now() - (end - Number(seconds) * 1000))
                         / 1000);
    samples.push({ s, mem, keys });
    console.log(`${String(s).padStart(5)} s  used_memory ${(mem / 1048576)
        .toFixed(2).padStart(7)} MB  keys ${String(keys).padStart(7)}  `
        + `visitors ${stats.visitors}  acks ${stats.acks}  `
        + `limited ${stats.limited}  errors ${stats.errors}`);
}

async function main() {
    sample();
    const timer = setInterval(sample, 30000);
    await Promise.all(Array.from({ length: Number(naddr) }, (_, i) => lane(i)));
    clearInterval(timer);
    sample();
    // flat: the last third of the run against the middle third
    const third = Number(seconds) / 3;
    const mid = samples.filter((x) => x.s >= third && x.s < 2 * third);
    const last = samples.filter((x) => x.s >= 2 * third);
    const max = (l, f) => Math.max(...l.map(f));
    const mb = (v) => (v / 1048576).toFixed(2);
    console.log(`\narrivals ${stats.arrivals} (${(stats.arrivals
        / Number(seconds)).toFixed(1)}/s), refused at the limit `
        + `${stats.limited}, messages acknowledged ${stats.acks}, `
        + `error frames ${stats.errors}, failed visitors ${stats.failed}`);
    if (mid.length && last.length) {
        const a = max(mid, (x) => x.mem);
        const b = max(last, (x) => x.mem);
        console.log(`used_memory, highest: middle third ${mb(a)} MB, `
            + `last third ${mb(b)} MB (${((b - a) / a * 100).toFixed(1)}%); `
            + `keys ${max(mid, (x) => x.keys)} -> ${max(last, (x) => x.keys)}`);
    }
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
