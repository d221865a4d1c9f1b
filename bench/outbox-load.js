// The clients of bench/outbox.sh (issue #14 §3): the receiver the outbox
// posts to, the setup of a tenant with a channel, and the load: agents'
// replies to channel conversations over the agent socket, and the
// baseline of the same POSTs sent straight through nginx's proxy_pass.
//
//   node outbox-load.js rx <port>
//       the receiver, a process of its own: answers every POST 200 at
//       once (keep-alive), notes its arrival time (CLOCK_MONOTONIC, as
//       the load's send time: one machine, one clock), its
//       Idempotency-Key and the send time and run the text carries
//       ("b <run> <seq> <send time, us>").  GET /_ctl/run?run=&from=&to=
//       sums up a run: {requests, keys (distinct Idempotency-Keys), dup
//       (requests past the first of a key), in (arrivals between from and
//       to, us), p50, p90, p99, max (arrival - send, ms)}; GET /_ctl/all:
//       {requests, keys, other (posts that are not the load's)}.
//   node outbox-load.js setup <base> <secret> <channel url> <convs>
//       <agents>
//       the tenant "bench", a round-robin queue, <agents> agents online,
//       channel "wx" posting to <channel url>, and <convs> conversations
//       of its users arriving through its signed webhook; prints the plan
//       (JSON: the agents' tokens, each conversation and its agent).
//   node outbox-load.js sweep <base> <rx port> <plan> <seconds>
//       <fractions> <window> <direct connections> <tag>
//       one round: "direct" (POSTs to <base>/direct, a proxy_pass to the
//       receiver, by wrk with outbox-direct.lua: <direct connections>,
//       each waiting for its answer), "outbox" (each conversation's agent
//       keeps <window> replies not yet reported sent, by the socket's
//       delivery frames), both as fast as that allows, then each
//       rate-limited at every fraction of the outbox's max (open loop;
//       the outbox's spread over the conversations).  Each run prints
//         RESULT <what> <load> <target/s> <delivered/s> <p50> <p90> <p99>
//                <max ms> <sent> <lost> <dup> <errors> <nginx%> <redis%>
//                <clients%> <rest%> <sent-frame p50> <sent-frame p99>
//       (delivered/s: the receiver's arrivals after the first second;
//       latency: the send to the receiver's arrival; lost: acknowledged
//       (outbox) or answered (direct) and never arrived; dup: arrivals
//       past the first of an Idempotency-Key; the CPU of NGINX_PIDS,
//       REDIS_PIDS, this process and the receiver (RX_PID), and the rest
//       of the machine, 100 = one core; sent-frame: the agent's send to
//       its socket's "sent" delivery frame, ms, outbox only).
//   node outbox-load.js redis <redis port> <plan> <library> <per conv>
//       the Redis side alone, nginx stopped: <per conv> replies to each
//       conversation by ws_send, then a sender's loop with nothing but
//       Redis: outbox_claim (16 at a time, 8 claims pipelined) and an
//       outbox_done (200) for each entry claimed, until none is left.
//       Prints "REDIS <ws_send us> <claim+done us> <loop messages/s>
//       <messages done> <messages sent>" (us: the CPU redis-server
//       (REDIS_PIDS) took a message).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');

const WARMUP_US = 1e6;     /* the first second of a run is not counted */
const DRAIN_MS = 15000;    /* how long a run waits for what is in flight */

const now = () => Number(process.hrtime.bigint() / 1000n);    // us

function quantile(sorted, q) {
    if (!sorted.length) return 0;
    return sorted[Math.min(sorted.length - 1,
                           Math.floor(q * sorted.length))];
}

// --- the receiver

function rx(port) {
    const runs = new Map();    // run -> { lat: [], at: [], keys: Map }
    const all = new Set();
    let requests = 0, other = 0;
    const re = /"text":"b (\w+) (\d+) (\d+) /;

    const server = http.createServer((req, res) => {
        if (req.method === 'GET') {
            const u = new URL(req.url, 'http://x');
            let out;
            if (u.pathname === '/_ctl/all') {
                out = { requests, keys: all.size, other };
            } else {
                const r = runs.get(u.searchParams.get('run'))
                          || { lat: [], at: [], keys: new Map() };
                const from = Number(u.searchParams.get('from'));
                const to = Number(u.searchParams.get('to'));
                const lat = r.lat.slice().sort((a, b) => a - b);
                out = { requests: r.lat.length, keys: r.keys.size,
                        dup: r.lat.length - r.keys.size,
                        in: r.at.filter((t) => t >= from && t < to).length,
                        p50: quantile(lat, 0.5) / 1000,
                        p90: quantile(lat, 0.9) / 1000,
                        p99: quantile(lat, 0.99) / 1000,
                        max: (lat[lat.length - 1] || 0) / 1000 };
            }
            res.end(JSON.stringify(out));
            return;
        }
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const at = now();
            res.end();
            requests++;
            const m = re.exec(Buffer.concat(chunks).toString());
            const key = req.headers['idempotency-key'] || '';
            if (!m) {
                other++;
                return;
            }
            let r = runs.get(m[1]);
            if (!r) {
                r = { lat: [], at: [], keys: new Map() };
                runs.set(m[1], r);
            }
            r.lat.push(at - Number(m[3]));
            r.at.push(at);
            r.keys.set(key, (r.keys.get(key) || 0) + 1);
            all.add(key);
        });
    });
    // longer than nginx's upstream keepalive_timeout (60s): nginx closes
    // first, so a post never goes to a connection the receiver is closing
    server.keepAliveTimeout = 120000;
    server.headersTimeout = 121000;
    server.listen(port, '127.0.0.1', () => console.log('ready'));
}

// --- the setup

function sign(key, ts, body) {
    return '1:' + crypto.createHmac('sha256', Buffer.from(key))
        .update(`${ts}.${body}`).digest('hex');
}

async function setup(base, secret, url, nconv, nagents) {
    const { token, api, parallel } = require('./csq');
    const T = 'bench';
    const plat = token(secret, '*', '', 'platform');
    await api(base, 'PUT', `tenants/${T}`, {}, plat);
    await api(base, 'PUT', `tenants/${T}/queues/q`,
              { strategy: 'round-robin' }, plat);
    const agents = {};
    for (let i = 0; i < nagents; i++) {
        await api(base, 'PUT', `tenants/${T}/agents/a${i}`,
                  { queues: ['q'], capacity: 1000, password: 'password1' },
                  plat);
        await api(base, 'POST', `tenants/${T}/agents/a${i}/status`,
                  { status: 'online' }, plat);
        const login = await api(base, 'POST', `tenants/${T}/login`,
                                { agent: `a${i}`, password: 'password1' });
        agents[`a${i}`] = login.token;
    }
    await api(base, 'PUT', `tenants/${T}/channels/wx`,
              { name: 'bench', url, queue: 'q', retry_base_ms: 200,
                retry_max: 20 },
              plat);
    const key = (await api(base, 'GET', `tenants/${T}/channels/wx/key`,
                           undefined, plat)).key;
    const convs = await parallel(nconv, 8, async (i) => {
        const body = JSON.stringify({ id: `in${i}`, user: { id: `u${i}` },
            message: { kind: 'text', text: 'hello' } });
        const ts = Math.floor(Date.now() / 1000);
        const res = await post(base + `/api/tenants/${T}/channels/wx/inbound`,
            body, { 'X-Csq-Timestamp': ts,
                    'X-Csq-Signature': sign(key, ts, body) });
        const j = JSON.parse(res.text);
        if (res.status !== 201 || !j.conversation) {
            throw new Error(`inbound: ${res.status} ${res.text}`);
        }
        const c = await api(base, 'GET',
                            `tenants/${T}/conversations/${j.conversation}`,
                            undefined, plat);
        const agent = c.agent && (c.agent.id || c.agent);
        if (!agent) throw new Error('not assigned: ' + res.text);
        return { id: j.conversation, agent };
    });
    console.log(JSON.stringify({ tenant: T, agents, convs }));
}

const agentPool = new http.Agent({ keepAlive: true, maxSockets: 1024 });

function post(url, body, headers = {}) {
    return new Promise((resolve, reject) => {
        const req = http.request(url, {
            method: 'POST', agent: agentPool,
            headers: { 'Content-Type': 'application/json',
                       'Content-Length': Buffer.byteLength(body),
                       ...headers } }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode,
                text: Buffer.concat(chunks).toString() }));
        });
        req.on('error', reject);
        req.end(body);
    });
}

function get(url) {
    return new Promise((resolve, reject) => {
        http.get(url, { agent: agentPool }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve(
                JSON.parse(Buffer.concat(chunks).toString())));
        }).on('error', reject);
    });
}

// --- CPU of the processes that share the machine (clock ticks)

function ticksOf(pids) {
    let t = 0;
    for (const p of pids) {
        try {
            const s = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
            const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
            // and its children's that are over (wrk)
            t += Number(f[11]) + Number(f[12]) + Number(f[13])
                 + Number(f[14]);
        } catch (e) { /* gone */ }
    }
    return t;
}

function busyTicks() {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]
        .trim().split(/\s+/).slice(1).map(Number);
    return f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
}

function cpuStart() {
    const pids = (v) => (process.env[v] || '').split(/\s+/).filter(Boolean);
    const sets = [pids('NGINX_PIDS'), pids('REDIS_PIDS'),
                  [process.pid, ...pids('RX_PID')]];
    const t0 = sets.map(ticksOf), b0 = busyTicks(), w0 = Date.now();
    return () => {
        const secs = (Date.now() - w0) / 1000;
        const d = sets.map((s, i) => ticksOf(s) - t0[i]);
        const rest = busyTicks() - b0 - d[0] - d[1] - d[2];
        return [...d, rest].map((x) => Math.round(x / secs));  // 100 Hz
    };
}

// --- the load

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function sweep(base, rxport, planFile, secs, fractions, window,
                     dconns, tag) {
    const { open } = require('./csq');
    const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
    const rxbase = `http://127.0.0.1:${rxport}`;
    const wsbase = base.replace(/^http/, 'ws');
    const pad = 'x'.repeat(40);
    let seq = 0;

    // the agents' sockets; an entry's "sent" frame ends its wait
    const socks = {};
    const refs = new Map();        // ref -> message
    const entries = new Map();     // "<conv>/<log entry>" -> message
    const early = new Map();       // "sent" before the ack: -> its time
    let errors = 0;
    for (const [a, tok] of Object.entries(plan.agents)) {
        const ws = await open(
            `${wsbase}/api/tenants/${plan.tenant}/agent/ws?token=${tok}`,
            (t) => JSON.parse(t).type === 'hello');
        ws.on('message', (data) => {
            const f = JSON.parse(data.toString());
            if (f.type === 'ack') {
                const m = refs.get(f.ref);
                if (!m) return;
                refs.delete(f.ref);
                m.acked = true;
                m.run.acked++;
                // entry ids are a conversation's log's
                const k = `${m.conv.id}/${f.id}`;
                if (early.has(k)) {
                    sent(m, early.get(k));
                    early.delete(k);
                } else {
                    entries.set(k, m);
                }
            } else if (f.type === 'error') {
                const m = refs.get(f.ref);
                errors++;
                if (m) {
                    refs.delete(f.ref);
                    m.run.errors++;
                    m.conv.out--;
                    m.run.wake(m.conv);
                }
            } else if (f.type === 'delivery' && f.state === 'sent') {
                const k = `${f.conversation}/${f.entry}`;
                const m = entries.get(k);
                if (m) {
                    entries.delete(k);
                    sent(m, now());
                } else {
                    early.set(k, now());
                }
            } else if (f.type === 'delivery' && f.state === 'failed') {
                errors++;
            }
        });
        ws.on('close', () => { errors++; });
        socks[a] = ws;
    }
    const convs = plan.convs.map((c) => ({ ...c, out: 0 }));

    function sent(m, at) {
        m.run.sentLat.push(at - m.at);
        m.run.done++;
        m.conv.out--;
        m.run.wake(m.conv);
    }

    function newRun(name) {
        return { name: `${tag}${name}`, acked: 0, done: 0, errors: 0,
                 count: 0, sentLat: [], wake: () => {} };
    }

    function sendOutbox(run, conv) {
        const s = ++seq, at = now();
        const ref = `r${s}`;
        const m = { run, conv, at, acked: false };
        refs.set(ref, m);
        conv.out++;
        run.count++;
        socks[conv.agent].send(JSON.stringify({
            type: 'message', conversation: conv.id, ref,
            text: `b ${run.name} ${s} ${at} ${pad}` }));
    }

    // what the receiver got of a run, and the RESULT line
    async function report(run, what, load, target, t0, t1, cpu) {
        const until = Date.now() + DRAIN_MS;
        let r;
        for (;;) {
            r = await get(`${rxbase}/_ctl/run?run=${run.name}`
                          + `&from=${t0 + WARMUP_US}&to=${t1}`);
            if ((r.keys >= run.acked && run.done >= run.acked)
                || Date.now() > until) {
                break;
            }
            await sleep(100);
        }
        const rate = Math.round(r.in * 1e6 / (t1 - t0 - WARMUP_US));
        if (process.env.OUTBOX_DEBUG) {
            console.error(`${run.name}: sent ${run.count}, acked ${run.acked}`
                          + `, reported sent ${run.done}, arrived ${r.keys}`
                          + `, waiting ${refs.size} acks ${entries.size}`
                          + ` sent frames, ${early.size} early`);
        }
        const sl = run.sentLat.sort((a, b) => a - b);
        const f = (x) => x.toFixed(2);
        console.log(['RESULT', what, load, target || 0, rate, f(r.p50),
                     f(r.p90), f(r.p99), f(r.max), run.acked,
                     Math.max(0, run.acked - r.keys), r.dup, run.errors,
                     ...cpu,
                     what === 'outbox' ? f(quantile(sl, 0.5) / 1000) : '-',
                     what === 'outbox' ? f(quantile(sl, 0.99) / 1000) : '-']
                    .join(' '));
        return rate;
    }

    // as fast as the window allows
    async function outboxMax() {
        const run = newRun('om');
        let going = true;
        run.wake = (c) => {
            while (going && c.out < window) sendOutbox(run, c);
        };
        const cpu = cpuStart(), t0 = now();
        convs.forEach((c) => run.wake(c));
        await sleep(secs * 1000);
        going = false;
        const t1 = now(), usage = cpu();
        return report(run, 'outbox', 'max', 0, t0, t1, usage);
    }

    // wrk, one thread (outbox-direct.lua), a lighter client than this:
    // as fast as it goes, or at rate/s
    async function direct(load, rate) {
        const { execFile } = require('child_process');
        const run = newRun(rate ? `d${load.replace('.', '')}` : 'dm');
        const env = { ...process.env, RUN: run.name };
        if (rate) env.RATE = String(rate);
        const cpu = cpuStart(), t0 = now();
        const out = await new Promise((resolve) => execFile('wrk',
            ['-t1', `-c${dconns}`, `-d${secs}s`, '-s',
             `${__dirname}/outbox-direct.lua`, `${base}/direct`],
            { env }, (e, stdout) => resolve(stdout || '')));
        const t1 = now(), usage = cpu();
        const all = Number((/(\d+) requests in/.exec(out) || [])[1] || 0);
        run.errors = Number((/Non-2xx or 3xx responses: (\d+)/.exec(out)
                             || [])[1] || 0);
        run.errors += Number((/Socket errors: .*timeout (\d+)/.exec(out)
                              || [])[1] || 0);
        run.acked = run.done = all - run.errors;
        return report(run, 'direct', load, rate, t0, t1, usage);
    }

    // the outbox at rate/s, open loop: every 2 ms what is due, the
    // conversations in turn
    async function outboxAt(load, rate) {
        const run = newRun(`o${load.replace('.', '')}`);
        const cpu = cpuStart(), t0 = now();
        let due = 0;
        while (now() - t0 < secs * 1e6) {
            const want = Math.floor((now() - t0) * rate / 1e6);
            for (; due < want; due++) {
                sendOutbox(run, convs[due % convs.length]);
            }
            await sleep(2);
        }
        const t1 = now(), usage = cpu();
        return report(run, 'outbox', load, rate, t0, t1, usage);
    }

    await direct('max', 0);
    const omax = await outboxMax();
    for (const fr of fractions.split(',').filter(Boolean)) {
        const rate = Math.round(omax * Number(fr));
        await outboxAt(fr, rate);
        await direct(fr, rate);
    }
    for (const ws of Object.values(socks)) {
        ws.removeAllListeners('close');
        ws.close();
    }
    if (errors) console.error(`errors: ${errors}`);
}

// --- the Redis side alone: a minimal RESP client, pipelined

function resp(port) {
    const net = require('net');
    const sock = net.connect(port, '127.0.0.1');
    const waiting = [];
    let buf = Buffer.alloc(0);

    // one reply from buf at i: [value, next i], or null for more bytes
    function parse(i) {
        if (i >= buf.length) return null;
        const eol = buf.indexOf('\r\n', i);
        if (eol < 0) return null;
        const t = String.fromCharCode(buf[i]);
        const line = buf.toString('utf8', i + 1, eol);
        if (t === '+' || t === ':') {
            return [t === ':' ? Number(line) : line, eol + 2];
        }
        if (t === '-') return [new Error(line), eol + 2];
        if (t === '$') {
            const n = Number(line);
            if (n < 0) return [null, eol + 2];
            if (buf.length < eol + 2 + n + 2) return null;
            return [buf.toString('utf8', eol + 2, eol + 2 + n),
                    eol + 4 + n];
        }
        const n = Number(line), out = [];
        let j = eol + 2;
        for (let k = 0; k < n; k++) {
            const r = parse(j);
            if (!r) return null;
            out.push(r[0]);
            j = r[1];
        }
        return [out, j];
    }

    sock.on('data', (d) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        let i = 0, r;
        while (waiting.length && (r = parse(i))) {
            i = r[1];
            const w = waiting.shift();
            if (r[0] instanceof Error) w.reject(r[0]); else w.resolve(r[0]);
        }
        buf = buf.subarray(i);
    });

    function call(...a) {
        let s = `*${a.length}\r\n`;
        for (const x of a) {
            const v = String(x);
            s += `$${Buffer.byteLength(v)}\r\n${v}\r\n`;
        }
        sock.write(s);
        return new Promise((resolve, reject) => {
            waiting.push({ resolve, reject });
        });
    }

    return { call, end: () => sock.end() };
}

async function redisSide(port, planFile, lib, per) {
    const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
    const r = resp(port);
    const tk = `csq:{${plan.tenant}}:tenant`;
    const ms = () => String(Date.now());
    // Redis' CPU (us): on a busy machine its commands' own wall time
    // (INFO commandstats) counts the time others had the core
    const pid = (process.env.REDIS_PIDS || '').split(/\s+/).filter(Boolean);
    const cpuUs = () => ticksOf(pid) * 10000;

    // each agent as its login session (R9.5: a call outside one is refused)
    const role = {};
    for (const a of Object.keys(plan.agents)) {
        const ss = await r.call('ZREVRANGE',
                                `csq:{${plan.tenant}}:a:${a}:sessions`, 0, 0);
        role[a] = `agent ${ss[0]}`;
    }

    let c0 = cpuUs();
    const sends = [];
    let n = 0;
    for (let k = 0; k < per; k++) {
        for (const c of plan.convs) {
            sends.push(r.call('FCALL', `${lib}_ws_send`, 1, tk, ms(),
                              c.agent, role[c.agent], c.id, '',
                              `b redis ${++n} 0 ${'x'.repeat(40)}`,
                              '', '', `r${n}`));
        }
    }
    const acks = await Promise.all(sends);
    const bad = acks.filter((a) => !Array.isArray(a) || a[0] !== 200);
    if (bad.length) throw new Error('ws_send: ' + JSON.stringify(bad[0]));
    const sendUs = cpuUs() - c0;

    c0 = cpuUs();
    const t0 = now();
    let done = 0;
    for (;;) {
        const claims = await Promise.all(Array.from({ length: 8 }, () =>
            r.call('FCALL', `${lib}_outbox_claim`, 1, tk, ms(), '',
                   'platform', '', '', '16 60000')));
        const reports = [];
        for (const cl of claims) {
            for (const e of cl.slice(1)) {
                reports.push(r.call('FCALL', `${lib}_outbox_done`, 1, tk,
                                    ms(), '', 'platform', e[0], '',
                                    `${e[1]} 200 `));
            }
        }
        if (!reports.length) break;
        await Promise.all(reports);
        done += reports.length;
    }
    const secs = (now() - t0) / 1e6;
    const loopUs = cpuUs() - c0;
    r.end();
    console.log(['REDIS', (sendUs / n).toFixed(1),
                 (loopUs / Math.max(done, 1)).toFixed(1),
                 Math.round(done / secs), done, n].join(' '));
}

const [cmd, ...args] = process.argv.slice(2);
const main = {
    rx: () => rx(Number(args[0])),
    setup: () => setup(args[0], args[1], args[2], Number(args[3]),
                       Number(args[4])),
    sweep: () => sweep(args[0], Number(args[1]), args[2], Number(args[3]),
                       args[4], Number(args[5]), Number(args[6]),
                       args[7] || ''),
    redis: () => redisSide(Number(args[0]), args[1], args[2],
                           Number(args[3])),
}[cmd];
if (!main) {
    console.error('usage: outbox-load.js rx|setup|sweep|redis ...');
    process.exit(2);
}
Promise.resolve(main()).then(() => {
    if (cmd !== 'rx') process.exit(0);
}).catch((e) => {
    console.error(e.stack || String(e));
    process.exit(1);
});
