// The client of the fault drills (bench/drill.sh, t/061-drills.t): chat
// load with faults in the middle, then every acknowledged message checked
// in the logs and at every party (R5.1, issue #11 section 6).
//
//   node drill.js <http base> <plan file> <redis port> <tenant>
//                 <seconds a drill> <messages a second a pair> <drill>...
//
// The plan's lines are "<conversation> <customer token> <agent> <agent
// token>" (relay-setup.js).  Each pair is a customer socket and its
// agent's socket; both send text messages (unique texts, each with a ref)
// at the rate, half each.  A socket that closes comes back after 100-600
// ms and resumes from the last id it got: after=<id> on a customer's
// handshake, after=<conversation>:<id> on an agent's.
//
// For each drill, in the middle of its load, this prints "FAULT <drill>"
// and waits for a line on stdin: the driver does the fault (kills a
// worker, reloads nginx, restarts Redis ...) and answers.  After the load
// every socket is let resume and settle, then:
//   - every acknowledged message is in its conversation's log exactly once
//     (read with redis-cli XRANGE), and
//   - every party (socket side) got every entry of its conversation's log
//     since the start exactly once, in order.
// One line per drill: "DRILL <name> ok|FAIL <figures>".  Exit status 1 if
// a drill failed.
'use strict';

const fs = require('fs');
const readline = require('readline');
const { execFileSync } = require('child_process');
const WebSocket = require('ws');

const [base, planFile, redisPort, tenant, secs, rate, ...drills] =
    process.argv.slice(2);
const wsBase = base.replace(/^http/, 'ws') + `/api/tenants/${tenant}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// log ids "ms-seq", compared as numbers
function cmp(a, b) {
    const [am, as] = a.split('-').map(Number);
    const [bm, bs] = b.split('-').map(Number);
    return am - bm || as - bs;
}

function redis(...args) {
    return execFileSync('redis-cli', ['-p', redisPort, '--raw', ...args],
                        { maxBuffer: 1 << 28 }).toString();
}

// the log's entries after id: [{ id, text }]
function logAfter(cid, after) {
    const lines = redis('XRANGE', `csq:{${tenant}}:log:${cid}`,
                        '(' + after, '+').split('\n');
    const out = [];
    for (let i = 0; i + 2 < lines.length; i += 3) {
        const m = JSON.parse(lines[i + 2]);
        out.push({ id: lines[i], text: m.text });
    }
    return out;
}

function lastLogId(cid) {
    const lines = redis('XREVRANGE', `csq:{${tenant}}:log:${cid}`, '+', '-',
                        'COUNT', '1').split('\n');
    return lines[0] && /^\d+-\d+$/.test(lines[0]) ? lines[0] : '0-0';
}

// --- a party: one side's socket of one pair

class Party {
    constructor(pair, side, token) {
        Object.assign(this, { pair, side, token });
        this.cid = pair.cid;
        this.last = pair.baseline;     // the last id got
        this.got = new Map();          // id -> times
        this.order = 0;                // entries got out of order
        this.ready = false;
        this.closes = 0;
        this.resumes = [];             // ms from a close to the next hello
        this.refs = 0;
        this.connect();
    }

    connect() {
        const url = this.side === 'c'
            ? `${wsBase}/chat/ws?token=${this.token}&conversation=${this.cid}`
              + `&after=${this.last}`
            : `${wsBase}/agent/ws?token=${this.token}&after=`
              + encodeURIComponent(`${this.cid}:${this.last}`);
        const ws = this.ws = new WebSocket(url, { perMessageDeflate: false });
        ws.on('message', (d) => this.frame(JSON.parse(d.toString())));
        ws.on('error', () => {});
        ws.on('close', () => {
            if (this.ws !== ws) return;
            this.ready = false;
                this.closes++;
            this.closedAt = this.closedAt || Date.now();
            setTimeout(() => this.connect(), 100 + Math.random() * 500);
        });
    }

    send(f) {
        if (!this.ready || this.ws.readyState !== WebSocket.OPEN) {
            return false;
        }
        this.ws.send(JSON.stringify(f));
        return true;
    }

    frame(f) {
        if (f.type === 'hello') {
            // both sides resume from the handshake's after= (the server
            // reads the log back from there, then goes on live); a hello
            // again on the same socket (Redis came back) needs nothing
            this.ready = true;
            if (this.closedAt) {
                this.resumes.push(Date.now() - this.closedAt);
                this.closedAt = 0;
            }

        } else if (f.type === 'message') {
            if (f.conversation && f.conversation !== this.cid) return;
            if (cmp(f.id, this.pair.baseline) <= 0) return;
            this.got.set(f.id, (this.got.get(f.id) || 0) + 1);
            if (cmp(f.id, this.last) > 0) this.last = f.id;
            else this.order++;
        } else if (f.type === 'ack' && f.ref) {
            const text = this.pair.refs.get(f.ref);
            if (text) this.pair.acked.add(text);
            this.pair.refs.delete(f.ref);
        } else if (f.type === 'error' && f.ref) {
            this.pair.refs.delete(f.ref);
            stats.errors[f.error.code] = (stats.errors[f.error.code] || 0) + 1;
        }
    }
}

const stats = { sent: 0, errors: {} };

const pairs = fs.readFileSync(planFile, 'utf8').trim().split('\n')
    .map((l) => l.split(' '))
    .map(([cid, ctoken, agent, atoken]) => ({ cid, ctoken, agent, atoken }));

for (const p of pairs) {
    p.baseline = lastLogId(p.cid);
    p.refs = new Map();             // ref -> text, until acked or refused
    p.acked = new Set();            // texts
    p.n = 0;
}
const parties = [];
for (const p of pairs) {
    p.parties = [new Party(p, 'c', p.ctoken), new Party(p, 'a', p.atoken)];
    parties.push(...p.parties);
}

// load: each pair sends `rate` messages a second, its sides in turn
function load(name) {
    const every = 50;
    let credit = 0;
    return setInterval(() => {
        credit += Number(rate) * every / 1000;
        while (credit >= 1) {
            credit--;
            for (const p of pairs) {
                const party = p.parties[p.n % 2];
                const text = `${name}:${p.cid}:${party.side}:${p.n}`;
                const ref = `${party.side}${p.n}`;
                const f = { type: 'message', text, ref };
                if (party.side === 'a') f.conversation = p.cid;
                p.n++;
                if (party.send(f)) {
                    p.refs.set(ref, text);
                    stats.sent++;
                }
            }
        }
    }, every);
}

// every socket up, no sync under way, nothing new for a second and a half
async function settle(maxMs) {
    const end = Date.now() + maxMs;
    let seen = -1, quiet = 0;
    while (Date.now() < end) {
        const total = parties.reduce((n, x) => n + x.got.size, 0);
        const busy = parties.some((x) => !x.ready);
        quiet = (total === seen && !busy) ? quiet + 250 : 0;
        seen = total;
        if (quiet >= 1500) return true;
        await sleep(250);
    }
    return false;
}

function verify() {
    const r = { acked: 0, lost: 0, twice: 0, missing: 0, again: 0,
                order: 0, unacked: 0, bySide: { c: 0, a: 0 } };
    for (const p of pairs) {
        const log = logAfter(p.cid, p.baseline);
        const times = new Map();
        for (const e of log) times.set(e.text, (times.get(e.text) || 0) + 1);
        for (const text of p.acked) {
            r.acked++;
            const n = times.get(text) || 0;
            if (n === 0) r.lost++;
            if (n > 1) r.twice++;
        }
        r.unacked += p.refs.size;
        for (const party of p.parties) {
            for (const e of log) {
                const n = party.got.get(e.id) || 0;
                if (n === 0) r.missing++;
                if (n > 1) {
                    r.again++;
                    r.bySide[party.side]++;
                }
            }
            r.order += party.order;
        }
    }
    return r;
}

const lines = readline.createInterface({ input: process.stdin });
const answers = [];
lines.on('line', (l) => answers.push(l));
async function fault(name) {
    console.log(`FAULT ${name}`);
    while (answers.length === 0) await sleep(20);
    return answers.shift();
}

function pct(list, q) {
    if (list.length === 0) return 0;
    const s = [...list].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function main() {
    if (!await settle(20000)) throw new Error('the sockets did not open');
    let failed = 0;
    for (const name of drills) {
        const sent0 = stats.sent;
        const closes0 = parties.reduce((n, x) => n + x.closes, 0);
        parties.forEach((x) => { x.resumes = []; });
        const timer = load(name);
        await sleep(Number(secs) * 500);
        const t0 = Date.now();
        const answer = await fault(name);
        const took = Date.now() - t0;
        await sleep(Number(secs) * 500);
        clearInterval(timer);
        const settled = await settle(30000);
        const r = verify();
        const closes = parties.reduce((n, x) => n + x.closes, 0) - closes0;
        const resumes = parties.flatMap((x) => x.resumes);
        const ok = settled && r.lost === 0 && r.twice === 0
                   && r.missing === 0 && r.again === 0 && r.order === 0;
        if (!ok) failed++;
        console.log(`DRILL ${name} ${ok ? 'ok' : 'FAIL'}: `
            + `sent ${stats.sent - sent0}, acknowledged in all ${r.acked} `
            + `(lost ${r.lost}, twice in a log ${r.twice}), `
            + `unacknowledged ${r.unacked}, error frames `
            + `${JSON.stringify(stats.errors)}; deliveries: missing `
            + `${r.missing}, twice ${r.again} (customer ${r.bySide.c}, `
            + `agent ${r.bySide.a}), out of order ${r.order}; `
            + `sockets closed ${closes}, back in p50 ${pct(resumes, 0.5)} ms,`
            + ` max ${pct(resumes, 1)} ms; fault ${took} ms (${answer})`
            + (settled ? '' : '; did NOT settle'));
    }
    process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(2); });
