// The data and the client of bench/search.sh: global search and
// transcripts over a large tenant.
//
//   node search.js load <tenant> <messages> <customers> <long> <meta.json>
//       the messages as Redis commands (RESP, for redis-cli --pipe) on
//       stdout: conversations of 5-35 text messages (and one of <long>
//       messages, c1), their hashes, each marked for the indexer (SADD
//       sx:dirty) as the send path marks it; what the queries need
//       (a sample of the messages, c1's entry ids, the text bytes) in
//       meta.json
//   node search.js import <http base> <tenant> <token> <customers>
//       the customers through POST .../customers/import, 10,000 a call
//   node search.js query <http base> <tenant> <token> <redis port>
//                        <library> <meta.json> <queries a kind> <customers>
//       the search queries and the transcript pages, one at a time on a
//       kept-alive connection, each followed by the baselines; prints
//       the tables
//
// Everything is drawn from seeded generators: the same arguments give the
// same data, and the query mode rebuilds the customers from their number.
'use strict';

const http = require('http');
const net = require('net');
const fs = require('fs');

// --- seeded randomness (mulberry32) and Zipf-like choices

function rng(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6D2B79F5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

// picks an index of a list of n by rank, P(rank r) ~ 1 / r^s
function zipf(n, s) {
    const cdf = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) { sum += 1 / Math.pow(i + 1, s); cdf[i] = sum; }
    return (r) => {
        const x = r() * sum;
        let lo = 0, hi = n - 1;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (cdf[mid] < x) lo = mid + 1; else hi = mid;
        }
        return lo;
    };
}

const pick = (r, list) => list[Math.floor(r() * list.length)];

// --- the vocabulary: ~2,000 Chinese words, ~1,000 English words, the
// help desk's own words first (the most frequent), then generated ones

const ZH_HEAD = (
    '的 了 吗 我 你 是 在 有 不 就 也 都 还 请 呢 吧 啊 好 这 那 ' +
    '您好 谢谢 请问 订单 退款 发货 快递 物流 地址 客服 售后 退货 换货 ' +
    '发票 付款 支付 支付宝 微信 会员 积分 优惠券 价格 商品 质量 问题 ' +
    '时间 什么 怎么 可以 没有 已经 一下 现在 今天 明天 昨天 收到 查询 ' +
    '帮忙 处理 申请 取消 修改 联系 电话 手机 号码 账号 密码 登录 注册 ' +
    '活动 折扣 包邮 运费 库存 尺码 颜色 型号 保修 维修 安装 配送 签收 ' +
    '包裹 破损 少件 错发 补发 退回 审核 到账 银行卡 信用卡 余额 充值 ' +
    '提现 红包 客户 经理 工作日 小时 分钟 尽快 马上 稍等 抱歉 不好意思 ' +
    '麻烦 确认 核实 反馈 投诉 建议 满意 评价 服务 产品 系统 页面 网站 ' +
    '下单 购买 便宜 新品 预售 定金 尾款 开票 抬头 税号 邮箱 短信 验证码 ' +
    '升级 版本 功能 使用 说明 教程 故障 无法 失败 成功 正常 异常 延迟 ' +
    '加急 催促 等待 回复 结果 原因 情况 具体 需要 希望 应该 一直 为什么 ' +
    '多久 几天 哪里 能不能 是否 然后 但是 因为 所以 如果 另外').split(' ');

const ZH_CHARS = Array.from(
    '一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下' +
    '得可你年生自会那后能对着事其里所去行过家十用发天如然作方成者多日都三' +
    '小军二无同么经法当起与好看学进种将还分此心前面又定见只主没公从已开意' +
    '动两长知民样现本理点实高机间物力工电加问月期体通信新话先关明式重外做' +
    '全此最价格单品质量服务客户退换货款付费号码账户密登录注册活优惠券积分' +
    '会员快递物流地址发送收件查询处理申请取消修改联系手安装维修保换颜色尺' +
    '寸型版本功能使用说教程故障无失败成正常异延迟急等待回复结果原因情况具' +
    '需希望应该直为久几哪里能否然但因所如另外谢您请帮忙确认核实反馈投诉建' +
    '议满评价系统页网站下购买便宜预售定金尾票抬税邮箱短验证升级折扣包运费' +
    '库存补破损少错审核到银行卡余额充值提现红小时分钟尽马稍抱歉麻烦经理日');

const EN_HEAD = (
    'the to you your is it for my we and of in on this that have not with ' +
    'be was are do can please thanks thank hello hi order refund shipping ' +
    'delivery address account password login payment card invoice price ' +
    'discount coupon return exchange tracking number package item product ' +
    'size color problem issue help support agent customer service time ' +
    'today tomorrow yesterday week day hour minute cancel change update ' +
    'email phone message reply wait sorry sure okay yes no could would ' +
    'should need want know check status delivered received damaged missing ' +
    'wrong late fast quick website app version error failed working broken ' +
    'fix reset upgrade plan subscription billing charge charged twice bank ' +
    'transfer credit debit paypal store shop buy bought purchase cart ' +
    'checkout free premium member points gift voucher promo code expired ' +
    'valid month year manager escalate complaint feedback review rating ' +
    'what when where why how long still any more again new old first last ' +
    'next iphone android laptop screen battery charger cable warranty ' +
    'repair replacement courier label box weight store pickup').split(' ');

function vocabulary() {
    const r = rng(12);
    const zh = [...new Set(ZH_HEAD)], seen = new Set(zh);
    const zchar = zipf(ZH_CHARS.length, 0.8);
    while (zh.length < 2000) {
        const n = 2 + Math.floor(r() * r() * 3);         // 2-4, mostly 2
        let w = '';
        for (let i = 0; i < n; i++) w += ZH_CHARS[zchar(r)];
        if (!seen.has(w)) { seen.add(w); zh.push(w); }
    }
    const en = [...new Set(EN_HEAD)], eseen = new Set(en);
    const syl = ['ka', 'lo', 'mi', 'ne', 'ver', 'tra', 'sen', 'dor', 'pli',
                 'qu', 'ex', 'ton', 'ri', 'sa', 'bel', 'co', 'fin', 'gra',
                 'hu', 'jo', 'mar', 'pen', 'sto', 'vi', 'zu', 'al', 'in',
                 'op', 'ur', 'es'];
    while (en.length < 1000) {
        const n = 2 + Math.floor(r() * 3);
        let w = '';
        for (let i = 0; i < n; i++) w += pick(r, syl);
        if (!eseen.has(w)) { eseen.add(w); en.push(w); }
    }
    return { zh, en, zpick: zipf(zh.length, 1.0), epick: zipf(en.length, 1.0) };
}

// one message text: 3-8 words, mostly Chinese, some English, some both,
// now and then an order number; returns the text and what it is made of
function message(r, v) {
    const u = r();
    const pzh = u < 0.6 ? 0.93 : u < 0.85 ? 0.04 : 0.5;
    const n = 3 + Math.floor(r() * 6);
    const toks = [];
    for (let i = 0; i < n; i++) {
        if (r() < pzh) {
            const k = v.zpick(r);
            toks.push({ zh: true, w: v.zh[k], rank: k });
        } else {
            const k = v.epick(r);
            toks.push({ zh: false, w: v.en[k], rank: k });
        }
    }
    let num = null;
    if (r() < 0.05) {
        num = String(1000000000 + Math.floor(r() * 8999999999));
        toks.splice(Math.floor(r() * (toks.length + 1)), 0,
                    { zh: false, w: num, rank: 1e9 });
    }
    let text = '';
    toks.forEach((t, i) => {
        const prev = toks[i - 1];
        if (prev) {
            if (prev.zh && t.zh) text += r() < 0.15 ? '，' : '';
            else text += ' ';
        }
        text += t.w;
    });
    const zhEnd = toks[toks.length - 1].zh;
    const end = r();
    text += end < 0.5 ? '' : zhEnd ? (end < 0.8 ? '。' : '？')
                                   : (end < 0.8 ? '.' : '?');
    if (!toks[0].zh) text = text[0].toUpperCase() + text.slice(1);
    return { text, toks, num };
}

// customer i (1-based): id, a Chinese (or English) name, a unique mobile
// number, an email, a company
const SURNAMES = Array.from('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋' +
                            '唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁' +
                            '任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦');
const GIVEN = Array.from('伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华' +
                         '玉兰萍鹏辉建国红梅林波宇浩文斌欣怡婷雪琳晨阳思佳' +
                         '子涵俊杰嘉豪晓东海燕丹凤志刚春雷小龙云飞美玲');
const EN_FIRST = ['John', 'Mary', 'David', 'Anna', 'Peter', 'Linda', 'James',
                  'Sarah', 'Michael', 'Emma', 'Tom', 'Lucy', 'Kevin', 'Grace'];
const EN_LAST = ['Smith', 'Brown', 'Wilson', 'Taylor', 'Lee', 'Walker',
                 'Clark', 'Hall', 'Young', 'King', 'Wright', 'Green'];
const CITIES = ['北京', '上海', '广州', '深圳', '杭州', '成都', '武汉', '南京',
                '西安', '苏州', '天津', '重庆'];
const TRADES = ['科技', '贸易', '电子', '网络', '信息', '实业', '商贸', '文化',
                '传媒', '物流', '餐饮', '服饰', '家居', '医药', '教育'];
const DOMAINS = ['qq.com', '163.com', '126.com', 'gmail.com', 'outlook.com',
                 'sina.com', 'foxmail.com', 'example.com'];

function customer(i) {
    const r = rng(1000003 + i);
    const english = r() < 0.1;
    const name = english
        ? pick(r, EN_FIRST) + ' ' + pick(r, EN_LAST)
        : SURNAMES[Math.floor(r() * r() * SURNAMES.length)]
          + pick(r, GIVEN) + (r() < 0.7 ? pick(r, GIVEN) : '');
    // 1[3-9]x xxxx xxxx: the last 9 digits a permutation of i, so unique
    const low = String((i * 7919 + 12345) % 1000000000).padStart(9, '0');
    const phone = '1' + (3 + (i % 7)) + low;
    const email = (english ? name.split(' ')[0].toLowerCase() : 'user')
                  + i + '@' + pick(r, DOMAINS);
    const company = r() < 0.6
        ? pick(r, CITIES) + pick(r, Array.from('华新金宏泰盛达天恒远'))
          + pick(r, Array.from('宇通信成兴和源晟丰辰'))
          + pick(r, TRADES) + '有限公司'
        : '';
    return { id: 'cu' + i, name, phone, email, company };
}

// --- load: RESP on stdout

function resp(args) {
    let s = '*' + args.length + '\r\n';
    for (const a of args) {
        const v = String(a);
        s += '$' + Buffer.byteLength(v) + '\r\n' + v + '\r\n';
    }
    return s;
}

async function load(tenant, total, ncust, long, metaPath) {
    const v = vocabulary();
    const r = rng(7);
    const K = `csq:{${tenant}}:`;
    let out = [], outBytes = 0;
    const flush = async (force) => {
        if (!force && outBytes < 1 << 20) return;
        const chunk = out.join('');
        out = []; outBytes = 0;
        if (!process.stdout.write(chunk)) {
            await new Promise((res) => process.stdout.once('drain', res));
        }
    };
    const cmd = (...args) => {
        const s = resp(args);
        out.push(s); outBytes += s.length;
    };
    const day = 86400000, now = Date.now();
    const meta = { messages: 0, entries: 0, conversations: 0, textBytes: 0,
                   longCid: 'c1', longIds: [], samples: [] };
    const sampleEvery = Math.max(1, Math.floor(total / 6000));
    const agents = 5;
    let left = total, k = 0;
    while (left > 0) {
        k++;
        const cid = 'c' + k;
        const n = k === 1 ? Math.min(long, left)
                          : Math.min(left, 5 + Math.floor(r() * 31));
        left -= n;
        const cust = 'cu' + (1 + (k * 7919) % ncust);
        const aid = 'a' + (1 + k % agents);
        const card = { id: aid, name: aid, avatar: '', role: 'agent' };
        // over the last 60 days (c1: 30 days ago)
        const created = k === 1
            ? now - 30 * day
            : now - 60 * day + Math.floor(k * 60 * day * 20 / total);
        let at = created + 2000;
        const lk = K + 'log:' + cid;
        let seq = 0, last = '';
        const add = (m) => {
            const id = at + '-' + seq;
            cmd('XADD', lk, id, 'm', JSON.stringify(m));
            meta.entries++;
            last = id;
            return id;
        };
        add({ kind: 'system', event: 'assigned', agent: card,
              how: 'distributed', at });
        let bytes = 0;
        for (let i = 0; i < n; i++) {
            at += 1000 + Math.floor(r() * (k === 1 ? 10000 : 60000));
            const msg = message(r, v);
            const fromCustomer = i === 0 || r() < 0.5;
            const id = add({ kind: 'text', text: msg.text,
                             from: fromCustomer ? { role: 'customer', id: cust }
                                                : card,
                             at });
            const b = Buffer.byteLength(msg.text);
            bytes += b;
            meta.textBytes += b;
            meta.messages++;
            if (k === 1) meta.longIds.push(id);
            if (meta.messages % sampleEvery === 0) {
                meta.samples.push({
                    text: msg.text, num: msg.num,
                    toks: msg.toks.filter((t) => t.rank < 1e9)
                                  .map((t) => [t.zh ? 1 : 0, t.w, t.rank]) });
            }
            await flush(false);
        }
        at += 60000;
        add({ kind: 'system', event: 'ended', reason: 'agent', at });
        cmd('HSET', K + 'c:' + cid, 'id', cid, 'customer', cust,
            'channel', 'web', 'queue', 'q1', 'priority', 0,
            'created', created, 'state', 'ended', 'verified', 0,
            'attributes', '{}', 'in', `a:${aid} q:q1`, 'ended', at,
            'end_reason', 'agent', 'last_id', last, 'msgs', n,
            'msg_bytes', bytes);
        cmd('SADD', K + 'sx:dirty', cid);
        meta.conversations++;
    }
    // the next arrival gets a new number
    cmd('HSET', K + 'tenant', 'seq', k);
    await flush(true);
    fs.writeFileSync(metaPath, JSON.stringify(meta));
}

// --- HTTP and Redis clients, one request at a time

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(base, path, tok, method = 'GET', body) {
    const data = body === undefined ? '' : JSON.stringify(body);
    const headers = { 'Content-Length': Buffer.byteLength(data) };
    if (tok) headers.Authorization = 'Bearer ' + tok;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return new Promise((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const opts = { method, headers, agent };
        const req = http.request(base + path, opts, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const ms = Number(process.hrtime.bigint() - t0) / 1e6;
                const text = Buffer.concat(chunks).toString();
                if (res.statusCode >= 300) {
                    reject(new Error(`${method} ${path}: `
                                     + `${res.statusCode} ${text}`));
                } else {
                    resolve({ ms, text });
                }
            });
        });
        req.on('error', reject);
        req.end(data);
    });
}

// a RESP reply at buf[i..]: { value, end } or null when incomplete
function parse(buf, i) {
    const nl = buf.indexOf('\r\n', i);
    if (nl < 0) return null;
    const type = String.fromCharCode(buf[i]);
    const line = buf.toString('utf8', i + 1, nl);
    if (type === '+' || type === '-') {
        return { value: line, err: type === '-', end: nl + 2 };
    }
    if (type === ':') return { value: Number(line), end: nl + 2 };
    if (type === '$') {
        const n = Number(line);
        if (n < 0) return { value: null, end: nl + 2 };
        if (buf.length < nl + 2 + n + 2) return null;
        return { value: buf.toString('utf8', nl + 2, nl + 2 + n),
                 end: nl + 4 + n };
    }
    if (type === '*') {
        const n = Number(line), value = [];
        let at = nl + 2;
        for (let j = 0; j < n; j++) {
            const e = parse(buf, at);
            if (!e) return null;
            value.push(e.value);
            at = e.end;
        }
        return { value, end: at };
    }
    throw new Error('bad reply from redis: ' + line);
}

function redis(port) {
    const sock = net.connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    const waiting = [];
    sock.on('data', (d) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        while (waiting.length) {
            const e = parse(buf, 0);
            if (!e) return;
            buf = buf.subarray(e.end);
            const w = waiting.shift();
            const ms = Number(process.hrtime.bigint() - w.t0) / 1e6;
            if (e.err) w.reject(new Error(e.value));
            else w.resolve({ ms, value: e.value });
        }
    });
    sock.on('error', (e) => { throw e; });
    return {
        call: (...args) => new Promise((resolve, reject) => {
            waiting.push({ resolve, reject, t0: process.hrtime.bigint() });
            sock.write(resp(args));
        }),
        close: () => sock.end(),
    };
}

// --- import

async function importCustomers(base, tenant, tok, n) {
    const per = 10000;
    let created = 0, updated = 0, failed = 0, calls = 0;
    const times = [];
    const firstErrors = [];
    const t0 = Date.now();
    for (let from = 1; from <= n; from += per) {
        const rows = ['id,name,phone,email,company'];
        for (let i = from; i < Math.min(n + 1, from + per); i++) {
            const c = customer(i);
            rows.push([c.id, c.name, c.phone, c.email, c.company].join(','));
        }
        const res = await get(base, `/api/tenants/${tenant}/customers/import`,
                              tok, 'POST', { csv: rows.join('\r\n') + '\r\n' });
        const j = JSON.parse(res.text);
        created += j.created; updated += j.updated; failed += j.failed;
        if (firstErrors.length < 3) firstErrors.push(...j.errors.slice(0, 3));
        times.push((res.ms / 1000).toFixed(1));
        calls++;
    }
    const s = (Date.now() - t0) / 1000;
    console.log(`imported ${n} customers in ${calls} calls, ${s.toFixed(1)} s `
                + `(${Math.round(n / s)}/s): created ${created}, `
                + `updated ${updated}, failed ${failed}; each call (s): `
                + times.join(' '));
    if (firstErrors.length) {
        console.log('first errors: ' + JSON.stringify(firstErrors));
    }
    if (created + updated !== n) process.exitCode = 1;
}

// --- queries

function pct(a, q) {
    const s = [...a].sort((x, y) => x - y);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

// the kinds of query: drawn from the stored messages (the loader's
// sample, so they find something) or from the customers; "... apart"
// draws each word on its own, Zipf-like, as someone typing two words:
// common words seldom together are the costly case (long postings, few
// matches)
function queryKinds(r, v, samples, ncust) {
    const sample = (f) => {
        for (let i = 0; i < 1000; i++) {
            const x = f(pick(r, samples));
            if (x) return x;
        }
        throw new Error('no sampled message fits');
    };
    const zh = (s) => s.toks.filter((t) => t[0] && t[1].length > 1)
                            .map((t) => t[1]);
    const en = (s) => s.toks.filter((t) => !t[0]).map((t) => t[1]);
    const cust = () => customer(1 + Math.floor(r() * ncust));
    return [
        ['zh 1 word', 'messages', () => sample((s) => {
            const z = zh(s);
            return z.length && pick(r, z);
        })],
        ['zh 2 words', 'messages', () => sample((s) => {
            const z = [...new Set(zh(s))];
            if (z.length < 2) return null;
            const a = Math.floor(r() * z.length);
            let b = Math.floor(r() * (z.length - 1));
            if (b >= a) b++;
            return z[a] + ' ' + z[b];
        })],
        ['zh 2 words apart', 'messages', () => {
            let a, b;
            do {
                a = v.zh[v.zpick(r)];
                b = v.zh[v.zpick(r)];
            } while (a === b || a.length < 2 || b.length < 2);
            return a + ' ' + b;
        }],
        ['zh phrase', 'messages', () => sample((s) => {
            // 4-8 characters of a text as written, across its words
            const runs = s.text.split(/[^\u4e00-\u9fff]+/)
                               .filter((x) => x.length >= 5);
            if (!runs.length) return null;
            const run = pick(r, runs);
            const len = 4 + Math.floor(r() * Math.min(5, run.length - 3));
            const at = Math.floor(r() * (run.length - len + 1));
            return run.slice(at, at + len);
        })],
        ['en 1 word', 'messages', () => sample((s) => {
            const e = en(s);
            return e.length && pick(r, e);
        })],
        ['en + zh', 'messages', () => sample((s) => {
            const e = en(s), z = zh(s);
            return e.length && z.length && pick(r, e) + ' ' + pick(r, z);
        })],
        ['en + zh apart', 'messages', () => {
            let z;
            do { z = v.zh[v.zpick(r)]; } while (z.length < 2);
            return v.en[v.epick(r)] + ' ' + z;
        }],
        ['rare word', 'messages', () => sample((s) => {
            // an order number, else a word of the vocabulary's tail
            if (s.num) return s.num;
            const t = s.toks.filter((x) => x[2] >= 1000 && x[1].length > 1);
            return t.length && pick(r, t)[1];
        })],
        ['customer name', 'customers', () => cust().name],
        ['phone 7-11 digits', 'customers',
         () => cust().phone.slice(-(7 + Math.floor(r() * 5)))],
    ];
}

async function query(base, tenant, tok, redisPort, lib, metaPath, perKind,
                     ncust) {
    const meta = JSON.parse(fs.readFileSync(metaPath));
    const r = rng(99);
    const kinds = queryKinds(r, vocabulary(), meta.samples, ncust);
    const plan = [];
    for (let i = 0; i < perKind; i++) {
        for (const [name, inn, gen] of kinds) {
            plan.push({ name, inn, q: gen() });
        }
        // the search box's default: both kinds at once
        const [, , gen] = kinds[Math.floor(r() * kinds.length)];
        plan.push({ name: 'any (in=all)', inn: 'all', q: gen() });
    }
    for (let i = plan.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [plan[i], plan[j]] = [plan[j], plan[i]];
    }

    const rd = redis(Number(redisPort));
    const tkey = `csq:{${tenant}}:tenant`, api = `/api/tenants/${tenant}/`;
    const qs = (p) => `q=${encodeURIComponent(p.q)}&in=${p.inn}&limit=20`;
    // the function nginx calls, straight on Redis, as a platform token
    const direct = async (fn, args, id = '') => {
        const x = await rd.call('FCALL_RO', `${lib}_${fn}`, 1, tkey,
                                Date.now(), '', 'platform', id, args,
                                '', '', '');
        if (x.value[0] !== 200) {
            throw new Error(`${fn} ${args}: ${JSON.stringify(x.value)}`);
        }
        return x;
    };
    let base200, status, ping;
    const restart = () => { base200 = []; status = []; ping = []; };
    const baselines = async () => {
        base200.push((await get(base, '/return200')).ms);
        status.push((await get(base, '/status')).ms);
        ping.push((await rd.call('PING')).ms);
    };

    // warm-up, not counted
    restart();
    for (let i = 0; i < 50; i++) {
        const [name, inn, gen] = kinds[i % kinds.length];
        const p = { name, inn, q: gen() };
        await get(base, api + 'search?' + qs(p), tok);
        await direct('search', qs(p));
        await baselines();
    }

    restart();
    const by = new Map(), runs = [];
    const t0 = Date.now();
    for (const p of plan) {
        const res = await get(base, api + 'search?' + qs(p), tok);
        const red = await direct('search', qs(p));
        await baselines();
        const j = JSON.parse(res.text);
        const m = (j.messages || []).length, c = (j.customers || []).length;
        const short = (j.next_messages != null && m < 20)
                      || (j.next_customers != null && c < 20);
        runs.push({ ms: res.ms, rms: red.ms, p, n: m + c });
        for (const name of [p.name, 'all queries']) {
            if (!by.has(name)) {
                by.set(name, { inn: p.inn, ms: [], rms: [], hits: 0,
                               empty: 0, short: 0, ex: p.q });
            }
            const b = by.get(name);
            b.ms.push(res.ms);
            b.rms.push(red.ms);
            b.hits += m + c;
            if (m + c === 0) b.empty++;
            if (short) b.short++;
        }
    }
    const took = (Date.now() - t0) / 1000;

    const f = (x) => x.toFixed(2);
    const row = (cols) => console.log(
        cols[0].padEnd(19) + cols[1].padEnd(10)
        + cols.slice(2).map((x, i) => String(x).padStart(i < 3 ? 5 : 8))
                       .join(' '));
    const line = () => console.log('-'.repeat(95));
    const timed = (b) => [f(pct(b.ms, 0.5)), f(pct(b.ms, 0.99)),
                          f(Math.max(...b.ms)), f(pct(b.rms, 0.5)),
                          f(pct(b.rms, 0.99))];
    const bases = () => {
        for (const [name, a] of [['base: return 200', base200],
                                 ['base: csq_status', status],
                                 ['base: redis PING', ping]]) {
            row([name, '', a.length, '', '', '', f(pct(a, 0.5)),
                 f(pct(a, 0.99)), f(Math.max(...a)), '', '']);
        }
    };

    console.log(`\nsearch queries: ${plan.length} in ${took.toFixed(1)} s, `
                + 'one at a time, each followed by the baselines (ms; '
                + 'redis50/99: the same FCALL_RO straight on Redis)');
    row(['kind', 'in', 'n', 'hits', 'empty', 'short', 'p50', 'p99', 'max',
         'redis50', 'redis99']);
    for (const name of [...kinds.map((k) => k[0]), 'any (in=all)',
                        'all queries']) {
        const b = by.get(name);
        if (name === 'all queries') line();
        row([name, name === 'all queries' ? '' : b.inn, b.ms.length,
             (b.hits / b.ms.length).toFixed(1), b.empty, b.short,
             ...timed(b)]);
    }
    line();
    bases();
    const p99 = pct(by.get('all queries').ms, 0.99);
    console.log(`goal: p99 < 20 ms through nginx: ${f(p99)} ms `
                + `(${p99 < 20 ? 'met' : 'NOT met'})`);
    console.log('hits: results a query gave (at most 20 of each kind); '
                + 'short: under 20 with a cursor (its read budget ran out)');
    console.log('slowest: ' + runs.sort((x, y) => y.ms - x.ms).slice(0, 6)
        .map((x) => `"${x.p.q}" (${x.p.inn}) ${f(x.ms)} ms, redis `
                    + `${f(x.rms)}, ${x.n} hits`).join('; '));
    console.log('examples: ' + [...kinds.map((k) => k[0]), 'any (in=all)']
        .map((name) => `${name}: "${by.get(name).ex}"`).join('; '));

    // --- transcript pages of the long conversation
    const ids = meta.longIds, cid = meta.longCid;
    const tplan = [];
    for (let i = 0; i < perKind * 5; i++) {
        tplan.push({ name: 'newest page', q: 'limit=50' });
        tplan.push({ name: 'before=<id>',
                     q: `before=${pick(r, ids)}&limit=50` });
        tplan.push({ name: 'after=<id>', q: `after=${pick(r, ids)}&limit=50` });
    }
    const page = (p) => get(base, `${api}conversations/${cid}/messages?${p.q}`,
                            tok);
    restart();
    for (const p of tplan.slice(0, 30)) {
        await page(p);
        await direct('conv_messages', p.q, cid);
        await baselines();
    }
    restart();
    const tb = new Map();
    for (const name of ['newest page', 'before=<id>', 'after=<id>',
                        'all pages']) {
        tb.set(name, { ms: [], rms: [], got: 0, bytes: 0 });
    }
    for (const p of tplan) {
        const res = await page(p);
        const red = await direct('conv_messages', p.q, cid);
        await baselines();
        const j = JSON.parse(res.text);
        for (const name of [p.name, 'all pages']) {
            const b = tb.get(name);
            b.ms.push(res.ms);
            b.rms.push(red.ms);
            b.got += j.messages.length;
            b.bytes += Buffer.byteLength(res.text);
        }
    }
    console.log(`\ntranscript pages of ${cid} (${ids.length} messages), `
                + 'limit=50 at random points, one at a time, each followed '
                + 'by the baselines');
    row(['page', '', 'n', 'msgs', 'KB', '', 'p50', 'p99', 'max', 'redis50',
         'redis99']);
    for (const [name, b] of tb) {
        if (name === 'all pages') line();
        row([name, '', b.ms.length, (b.got / b.ms.length).toFixed(1),
             (b.bytes / b.ms.length / 1024).toFixed(1), '', ...timed(b)]);
    }
    line();
    bases();
    rd.close();
}

const [mode, ...a] = process.argv.slice(2);
(mode === 'load' ? load(a[0], Number(a[1]), Number(a[2]), Number(a[3]), a[4])
 : mode === 'import' ? importCustomers(a[0], a[1], a[2], Number(a[3]))
 : mode === 'query' ? query(...a.slice(0, 6), Number(a[6]), Number(a[7]))
 : Promise.reject(new Error('mode: load, import or query')))
    .then(() => { agent.destroy(); })
    .catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
