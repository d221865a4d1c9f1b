// Helpers the Node clients of bench/ share: csq tokens, JSON API calls,
// a bounded-concurrency loop, a WebSocket open that waits for a first
// frame.
'use strict';

const crypto = require('crypto');
const http = require('http');
const WebSocket = require('ws');

// base64url("tenant|agent|role|expires") "." base64url(HMAC-SHA256), as
// ngx_csq_auth.c checks it (t/CsqApi.pm csq_token): a platform token (of
// generation 0) or a customer's; agents log in (R9.5)
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

module.exports = { token, api, parallel, open };
