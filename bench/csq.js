// Helpers the Node load clients of bench/ share: csq tokens, JSON API
// calls, a bounded-concurrency loop, a WebSocket open that waits for a
// first frame, percentiles and the CPU time of other processes.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const WebSocket = require('ws');

// base64url("tenant|agent|role|expires") "." base64url(HMAC-SHA256), as
// ngx_csq_auth.c checks it (t/CsqApi.pm csq_token)
function token(secret, tenant, agent, role, ttl = 3 * 3600) {
    const payload = [tenant, agent || '', role,
                     Math.floor(Date.now() / 1000) + ttl].join('|');
    const mac = crypto.createHmac('sha256', secret).update(payload).digest();
    return Buffer.from(payload).toString('base64url') + '.'
         + mac.toString('base64url');
}

// one API call over kept-alive connections (lighter than fetch at
// thousands of calls); resolves to the decoded JSON, throws on non-2xx
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function api(base, method, path, body, tok) {
    const data = body === undefined ? '' : JSON.stringify(body);
    const headers = { 'Content-Type': 'application/json',
                      'Content-Length': Buffer.byteLength(data) };
    if (tok) headers.Authorization = 'Bearer ' + tok;
    return new Promise((resolve, reject) => {
        const req = http.request(base + '/api/' + path,
                                 { method, headers, agent }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const text = Buffer.concat(chunks).toString();
                if (res.statusCode >= 300) {
                    reject(new Error(`${method} ${path}: ${res.statusCode} `
                                     + text));
                } else {
                    resolve(text ? JSON.parse(text) : null);
                }
            });
        });
        req.on('error', reject);
        req.end(data);
    });
}

// fn(i) for i in [0, n), at most `width` at once; results in order
async function parallel(n, width, fn) {
    const out = new Array(n);
    let next = 0;
    async function lane() {
        while (next < n) {
            const i = next++;
            out[i] = await fn(i);
        }
    }
    await Promise.all(Array.from({ length: Math.min(width, n) }, lane));
    return out;
}

// a client socket, resolved once its first frame for which first(text)
// is true has come (csq's hello); opts: ws options (headers,
// localAddress); no compression, as a browser against nginx gets none
function open(url, first, opts = {}, timeoutMs = 20000) {
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(url, { perMessageDeflate: false,
                                        skipUTF8Validation: true, ...opts });
        const timer = setTimeout(() => {
            ws.terminate();
            reject(new Error('no first frame in time: ' + url));
        }, timeoutMs);
        ws.on('error', (e) => { clearTimeout(timer); reject(e); });
        ws.on('unexpected-response', (req, res) => {
            clearTimeout(timer);
            reject(new Error(`${res.statusCode} on ${url}`));
            ws.terminate();
        });
        const onFirst = (data) => {
            if (first && !first(data.toString())) return;
            clearTimeout(timer);
            ws.off('message', onFirst);
            ws.removeAllListeners('error');
            ws.on('error', () => {});      // counted by the caller on close
            resolve(ws);
        };
        ws.on('message', onFirst);
        if (!first) ws.on('open', () => onFirst(''));
    });
}

// the p-th percentile (0..100) of a sorted array
function pct(sorted, p) {
    if (sorted.length === 0) return NaN;
    return sorted[Math.min(sorted.length - 1,
                           Math.floor(sorted.length * p / 100))];
}

// user + system CPU seconds used so far by these pids (from /proc)
function cpuSeconds(pids) {
    let ticks = 0;
    for (const pid of pids) {
        try {
            const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
            const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            ticks += Number(f[11]) + Number(f[12]);   // utime, stime
        } catch (e) { /* gone */ }
    }
    return ticks / 100;
}

// CPU seconds the whole machine has been busy (all cores, /proc/stat)
function busySeconds() {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]
        .split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / 100;
}

module.exports = { token, api, parallel, open, pct, cpuSeconds,
                   busySeconds };
