// Load client of bench/relay.sh: N sender sockets, N receiver sockets,
// each sender with at most INFLIGHT messages not yet acknowledged; the
// send time (performance.now()) rides in the text and the receiver takes
// the difference: the delivery latency.
//
//   node relay-client.js setup <http base> <secret> <pairs>  > plan.json
//   node relay-client.js csq   <http base> <plan.json> <seconds> <fractions>
//   node relay-client.js nchan <http base> <pairs>     <seconds> <fractions>
//
// setup makes a tenant "bench", one queue, <pairs> agents and one
// conversation per agent through the API, and prints the plan.  csq and
// nchan open the sockets, run once as fast as the in-flight bound allows
// (the max), then once at each fraction of that max, rate-limited
// ("0.5,0.25"); each run prints one line:
//   RESULT <load> <target/s> <delivered/s> <p50 ms> <p99 ms> <sent> <lost>
//          <errors> <nginx cpu %> <redis cpu %> <client cpu %> <rest %>
// (100 = one core; rest: the machine's other busy time, other processes
// and interrupts).  NGINX_PIDS, REDIS_PIDS (env): whose CPU to count.
'use strict';

const { performance, monitorEventLoopDelay } = require('perf_hooks');
const { token, api, parallel, open, pct, cpuSeconds, busySeconds } =
    require('./csq');

const INFLIGHT = 8;           // un-acknowledged messages per sender
const WARMUP_S = 1;           // the first second of each run is not counted
const DRAIN_MS = 5000;        // how long a run waits for what is in flight
const PAD = 'x'.repeat(40);   // a chat line's size: ~70 bytes of text
const TENANT = 'bench';

const [mode, base, arg, secondsArg, fractionsArg] = process.argv.slice(2);
const wsBase = base && base.replace(/^http/, 'ws');
const pids = (name) => (process.env[name] || '').split(/\s+/).filter(Boolean);
const nginxPids = pids('NGINX_PIDS');
const redisPids = pids('REDIS_PIDS');

async function setup(secret, n) {
    const plat = token(secret, '*', '', 'platform');
    await api(base, 'PUT', `tenants/${TENANT}`, {}, plat);
    await api(base, 'PUT', `tenants/${TENANT}/queues/q`,
              { strategy: 'round-robin' }, plat);
    await parallel(n, 16, async (i) => {
        await api(base, 'PUT', `tenants/${TENANT}/agents/a${i}`,
                  { queues: ['q'], capacity: 100, password: 'password1' },
                  plat);
        await api(base, 'POST', `tenants/${TENANT}/agents/a${i}/status`,
                  { status: 'online' }, plat);
    });
    // one after the other: round-robin gives each agent one conversation
    const plan = [];
    for (let i = 0; i < n; i++) {
        const c = await api(base, 'POST', `tenants/${TENANT}/conversations`,
                            { customer: `u${i}`, queue: 'q' });
        if (!c.agent) throw new Error('conversation not assigned: '
                                      + JSON.stringify(c));
        plan.push({ conversation: c.id, customer_token: c.customer_token,
                    agent: c.agent.id,
                    agent_token: token(secret, TENANT, c.agent.id, 'agent') });
    }
    process.stdout.write(JSON.stringify(plan) + '\n');
}

// --- the two servers: how to open a pair and what their frames mean.
// A pair is { tx, rx, send(text) }; frames call the run's hooks:
// hooks.ack(pair), hooks.error(pair, what), hooks.deliver(text).

// csq: the customer sends, the conversation's agent receives
async function csqPairs(plan, hooks) {
    const hello = (t) => JSON.parse(t).type === 'hello';
    const agents = new Map();    // agent id -> its socket (one per agent)
    await parallel(plan.length, 32, async (i) => {
        const p = plan[i];
        if (!agents.has(p.agent)) {
            agents.set(p.agent, open(`${wsBase}/api/tenants/${TENANT}`
                + `/agent/ws?token=${p.agent_token}`, hello));
        }
        const rx = await agents.get(p.agent);
        const tx = await open(`${wsBase}/api/tenants/${TENANT}/chat/ws`
            + `?token=${p.customer_token}&conversation=${p.conversation}`,
            hello);
        const pair = { tx, rx, send: (text) => tx.send(JSON.stringify(
            { type: 'message', text, ref: 'r' })) };
        // the sender gets its ack, errors, and its own message back
        tx.on('message', (d) => {
            const s = d.toString();
            if (s.startsWith('{"type":"ack"')) hooks.ack(pair);
            else if (s.startsWith('{"type":"error"')) hooks.error(pair, s);
        });
        plan[i].pair = pair;
    });
    // an agent socket: pick the bench texts out of message frames
    for (const rx of new Set(plan.map((p) => p.pair.rx))) {
        rx.on('message', (d) => {
            const s = d.toString();
            const at = s.indexOf('"text":"b ');
            if (s.startsWith('{"type":"message"') && at > 0) {
                hooks.deliver(s.slice(at + 8, s.indexOf('"', at + 8)));
            }
        });
    }
    return plan.map((p) => p.pair);
}

// nchan: a publisher socket (each publish answered with the channel's
// info: the ack) and a subscriber socket on the same channel
async function nchanPairs(n, hooks) {
    return parallel(n, 32, async (i) => {
        const rx = await open(`${wsBase}/sub/ch${i}`, null);
        const tx = await open(`${wsBase}/pub/ch${i}`, null,
                              { headers: { Accept: 'text/json' } });
        // the subscription is ready once a first message comes through
        // (and its publisher has had its ack)
        const ready = Promise.all([
            new Promise((resolve) => rx.once('message', resolve)),
            new Promise((resolve) => tx.once('message', resolve))]);
        tx.send(JSON.stringify({ type: 'message', text: 'warm', ref: 'r' }));
        await ready;
        const pair = { tx, rx, send: (text) => tx.send(JSON.stringify(
            { type: 'message', text, ref: 'r' })) };
        tx.on('message', () => hooks.ack(pair));
        tx.on('close', (code) => hooks.error(pair, 'publisher closed ' + code));
        rx.on('message', (d) => {
            const s = d.toString();
            const at = s.indexOf('"text":"b ');
            if (at > 0) hooks.deliver(s.slice(at + 8, s.indexOf('"', at + 8)));
        });
        return pair;
    });
}

// --- one run: `rate` messages/s in all (0: as fast as allowed)

function run(pairs, hooks, seconds, rate) {
    return new Promise((resolve) => {
        const t0 = performance.now();
        const from = t0 + WARMUP_S * 1000;
        const to = from + seconds * 1000;
        const lat = [];
        const slow = [];     // RELAY_DEBUG: worst latency per 100 ms
        const loop = monitorEventLoopDelay({ resolution: 1 });
        loop.enable();
        let sending = true, sent = 0, delivered = 0, inWindow = 0;
        let errors = 0, lastError = '';
        const cpu0 = process.cpuUsage();
        const ng0 = cpuSeconds(nginxPids), rd0 = cpuSeconds(redisPids);
        const busy0 = busySeconds();

        for (const p of pairs) p.inflight = 0;

        function send(p) {
            p.inflight++;
            sent++;
            p.send(`b ${sent} ${performance.now().toFixed(3)} ${PAD}`);
        }

        hooks.ack = (p) => {
            p.inflight--;
            if (sending && rate === 0) send(p);
        };
        hooks.error = (p, what) => {
            errors++;
            lastError = what;
            hooks.ack(p);
        };
        hooks.deliver = (text) => {
            const now = performance.now();
            const at = Number(text.split(' ')[2]);
            delivered++;
            if (now >= from && now < to) inWindow++;
            if (at >= from && at < to) {
                lat.push(now - at);
                if (process.env.RELAY_DEBUG) {
                    const b = Math.floor((at - from) / 100);
                    slow[b] = Math.max(slow[b] || 0, now - at);
                }
            }
        };

        let timer;
        if (rate === 0) {
            for (const p of pairs) {
                while (p.inflight < INFLIGHT) send(p);
            }
        } else {
            // every millisecond, what is due by now, round the senders
            // that have room (a sender at its bound is skipped: backlog)
            let next = 0;
            timer = setInterval(() => {
                let due = Math.floor(rate * (performance.now() - t0) / 1000)
                        - sent;
                for (let k = 0; due > 0 && k < pairs.length; k++) {
                    const p = pairs[next];
                    next = (next + 1) % pairs.length;
                    if (p.inflight < INFLIGHT) { send(p); due--; k = -1; }
                }
            }, 1);
        }

        setTimeout(() => {
            sending = false;
            clearInterval(timer);
            const cpu = process.cpuUsage(cpu0);
            const wall = (performance.now() - t0) / 1000;
            const ng = cpuSeconds(nginxPids) - ng0;
            const rd = cpuSeconds(redisPids) - rd0;
            const mine = (cpu.user + cpu.system) / 1e6;
            const rest = busySeconds() - busy0 - ng - rd - mine;
            const done = () => {
                loop.disable();
                lat.sort((a, b) => a - b);
                if (process.env.RELAY_DEBUG) {
                    console.error(`rate ${rate}: p90 ${pct(lat, 90).toFixed(2)}`
                        + ` p99.9 ${pct(lat, 99.9).toFixed(2)}`
                        + ` max ${lat[lat.length - 1].toFixed(2)}; worst per`
                        + ` 100 ms: ${slow.map((x) => x.toFixed(0)).join(' ')}`
                        + `; client event loop delay p99`
                        + ` ${(loop.percentile(99) / 1e6).toFixed(2)} max`
                        + ` ${(loop.max / 1e6).toFixed(2)} ms`);
                }
                resolve({
                    rate: inWindow / seconds,
                    p50: pct(lat, 50), p99: pct(lat, 99),
                    sent, lost: sent - delivered, errors, lastError,
                    nginx: ng * 100 / wall, redis: rd * 100 / wall,
                    cpu: mine * 100 / wall, rest: Math.max(0, rest) * 100 / wall,
                });
            };
            // wait until everything in flight arrived, or DRAIN_MS
            const end = Date.now() + DRAIN_MS;
            (function drain() {
                if (delivered >= sent || Date.now() > end) done();
                else setTimeout(drain, 20);
            })();
        }, (WARMUP_S + seconds) * 1000);
    });
}

async function sweep(pairs, hooks) {
    const seconds = Number(secondsArg);
    const fractions = (fractionsArg || '0.5').split(',').map(Number)
        .filter((f) => f > 0);
    const line = (load, target, r) => {
        console.log(['RESULT', load, target.toFixed(0), r.rate.toFixed(0),
                     r.p50.toFixed(2), r.p99.toFixed(2), r.sent, r.lost,
                     r.errors, r.nginx.toFixed(0), r.redis.toFixed(0),
                     r.cpu.toFixed(0), r.rest.toFixed(0)].join(' '));
        if (r.errors) console.error(`${r.errors} errors, last: ${r.lastError}`);
    };
    const max = await run(pairs, hooks, seconds, 0);
    line('max', 0, max);
    for (const f of fractions) {
        await new Promise((r) => setTimeout(r, 500));
        const target = max.rate * f;
        line(f, target, await run(pairs, hooks, seconds, target));
    }
}

async function main() {
    if (mode === 'setup') return setup(arg, Number(secondsArg));
    const hooks = {};
    let pairs;
    if (mode === 'csq') {
        const plan = JSON.parse(require('fs').readFileSync(arg, 'utf8'));
        pairs = await csqPairs(plan, hooks);
    } else if (mode === 'nchan') {
        pairs = await nchanPairs(Number(arg), hooks);
    } else {
        throw new Error('usage: see the head of relay-client.js');
    }
    await sweep(pairs, hooks);
    for (const p of pairs) { p.tx.terminate(); p.rx.terminate(); }
}

main().then(() => process.exit(0), (e) => {
    console.error(e.stack || String(e));
    process.exit(1);
});
