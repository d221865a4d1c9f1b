// The pages in a real headless browser (Debian's chromium driven by
// playwright-core), for t/050-browser.t, printing TAP.
//
// env: BASE (http://host:port/csq/api), TENANT (demo), WIDGET_OK and
// WIDGET_BAD (a page with the widget on an allowed and on a refused
// origin), SHOTS (a folder for screenshots), PLATFORM (a platform token).
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE;
const T = process.env.TENANT || 'demo';
const SHOTS = process.env.SHOTS;
const PLATFORM = process.env.PLATFORM;
const WAIT = Number(process.env.WAIT_MS || 10000);

let n = 0;
let failed = 0;

function ok(cond, name, diag) {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond && diag) console.log(`# ${String(diag).replace(/\n/g, '\n# ')}`);
}

async function api(method, path, body) {
  const r = await fetch(`${BASE}/tenants/${T}/${path}`, {
    method,
    headers: { Authorization: `Bearer ${PLATFORM}`,
               'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, json: await r.json().catch(() => null) };
}

// waits until fn() is true (polls), false on timeout
async function until(fn, ms = WAIT) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { if (await fn()) return true; } catch (e) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function texts(page, sel) {
  return page.$$eval(sel, (els) => els.map((e) => e.textContent));
}

async function logText(page, log) {
  return (await page.textContent(`[data-testid="${log}"]`)) || '';
}

async function say(page, input, button, text) {
  await page.fill(`[data-testid="${input}"]`, text);
  await page.click(`[data-testid="${button}"]`);
}

async function login(page, agent, password) {
  await page.goto(`${BASE}/tenants/${T}/workbench`);
  await page.fill('[data-testid="login-agent"]', agent);
  await page.fill('[data-testid="login-password"]', password);
  await page.click('[data-testid="login-submit"]');
}

// the tenant itself (PUT tenants/<t>, a platform call)
async function tenantPut(body) {
  const r = await fetch(`${BASE}/tenants/${T}`, {
    method: 'PUT', headers: { Authorization: `Bearer ${PLATFORM}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body) });
  return r.status;
}

// R10.1: the Latin words in the visible text of the elements sels of a
// page (innerText: what shows), once the allowed ones (names, ids, the
// tenant's own texts) are taken out
async function latinWords(page, sels, allowed = []) {
  let text = await page.evaluate((ss) => ss.map((sel) => [...document.querySelectorAll(sel)]
    .map((e) => e.innerText || '').join('\n')).join('\n'), sels);
  for (const a of allowed) text = text.split(a).join(' ');
  // conversation and visitor ids, the language switcher's English
  text = text.replace(/\b[cv][0-9a-f]{1,24}\b/g, ' ').replace(/\bEnglish\b|\bCSV\b/g, ' ');
  return text.match(/[A-Za-z]{2,}/g) || [];
}

const htmlLang = (page) => page.evaluate(() => document.documentElement.lang);

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  // the flows read English words: an English browser (the demo tenant
  // names no language until the languages' flows below)
  const newContext = (o) => browser.newContext({ locale: 'en-US', ...o });

  try {
    // nobody serves yet: the demo's agents start offline (#13 §5) and go
    // online from their workbench, so the hand-off waits in line
    for (const a of ['alice', 'bob', 'sam', 'admin']) {
      const s = (await api('GET', `agents/${a}`)).json;
      ok(s && s.status === 'offline', `the demo's ${a} starts offline`, JSON.stringify(s));
    }

    // --- the customer: welcome, bot, hand-off, waiting (R1.1, R4.1-R4.3)

    const cctx = await newContext({ viewport: { width: 390, height: 780 } });
    const cust = await cctx.newPage();
    const errors = [];
    cust.on('pageerror', (e) => errors.push(String(e)));
    const t0 = Date.now();
    await cust.goto(`${BASE}/tenants/${T}/chat?ch=welcome`);

    ok(await until(async () => /Demo Shop bot/.test(await logText(cust, 'chat-log'))),
       'R4.3 the chat page shows the welcome text', await logText(cust, 'chat-log'));
    ok(Date.now() - t0 < 3000, `... soon after opening (${Date.now() - t0} ms)`);
    ok(/Demo Shop/.test(await cust.textContent('h1')), 'the header has the tenant name');
    ok(await htmlLang(cust) === 'en' && /Send/.test(await cust.textContent('[data-testid="chat-send"]')),
       'R10.1 the tenant names no language: an English browser gets the page in English (lang en)');
    ok(await cust.isVisible('[data-testid="chat-faq"]'), 'R1.1 the FAQ bar is shown');
    const link0 = await api('GET', 'links/welcome');
    ok(link0.json && link0.json.customers === 0,
       'R9.6 opening the page made no conversation', JSON.stringify(link0.json));

    await say(cust, 'chat-input', 'chat-send', 'price');
    ok(await until(async () => /start at 9 EUR/.test(await logText(cust, 'chat-log'))),
       'R4.2 the robot answers a keyword');
    const link1 = await api('GET', 'links/welcome');
    ok(link1.json && link1.json.customers === 1,
       'R9.6 ... the first word made one', JSON.stringify(link1.json));
    ok((await texts(cust, '[data-testid="chat-log"] .msg')).filter((t) => /Demo Shop bot/.test(t)).length === 1,
       '... and the welcome shows once', (await texts(cust, '[data-testid="chat-log"] .msg')).join('\n'));
    ok(await until(async () => (await cust.$$('[data-testid="msg-action"]')).length > 0),
       'R4.2 its interaction link is a button');

    // the interaction link sends "agent" as the customer: the hand-off
    await cust.click('[data-testid="msg-action"]');
    ok(await until(async () => /number\s*1|#\s*1|position\s*1|1 in line/i.test(
         await cust.textContent('[data-testid="chat-status"]'))),
       'R4.1 after the hand-off the customer waits, position 1 shown',
       await cust.textContent('[data-testid="chat-status"]'));
    ok((await cust.$$('[data-testid="msg-action"]')).length === 0,
       '... and the hand-off button, used, is gone');
    if (SHOTS) await cust.screenshot({ path: `${SHOTS}/chat-waiting.png`, fullPage: true });

    // --- an agent logs in and takes it (R10)

    const actx = await newContext({ viewport: { width: 1280, height: 800 } });
    // the workbench's sockets, for the test to drop one and see the next
    await actx.addInitScript(() => {
      const W = window.WebSocket;
      window.__sockets = [];
      window.WebSocket = function (url, p) {
        const ws = new W(url, p);
        window.__sockets.push(ws);
        return ws;
      };
      window.WebSocket.prototype = W.prototype;
      Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
    });
    const agent = await actx.newPage();
    agent.on('pageerror', (e) => errors.push(String(e)));
    await login(agent, 'alice', 'alice-demo-pass');
    ok(await until(async () => await agent.isVisible('[data-testid="wb-status"]')),
       'the agent logs in on the workbench');
    await agent.selectOption('[data-testid="wb-status"]', 'online');
    ok(await until(async () => (await agent.$$('[data-testid="wb-conv"]')).length === 1),
       'going online, the waiting conversation is hers');
    ok(await until(async () => /Alice/.test(
         await cust.textContent('[data-testid="chat-status"]'))),
       "the customer sees the agent's name",
       await cust.textContent('[data-testid="chat-status"]'));

    await agent.click('[data-testid="wb-conv"]');
    ok(await until(async () => /price/.test(await logText(agent, 'wb-log'))),
       'the agent sees the history');

    // --- both talk; typing

    await agent.fill('[data-testid="wb-input"]', 'Hello, I am Alice');
    ok(await until(async () => await cust.isVisible('[data-testid="chat-typing"]'), 5000),
       'the customer sees the agent typing');
    await agent.click('[data-testid="wb-send"]');
    ok(await until(async () => /I am Alice/.test(await logText(cust, 'chat-log'))),
       "the customer gets the agent's message");
    await say(cust, 'chat-input', 'chat-send', 'I want the blue one');
    ok(await until(async () => /blue one/.test(await logText(agent, 'wb-log'))),
       "the agent gets the customer's message");

    // a customer's image from another host: the workbench shows a link and
    // loads nothing (that host would learn the agent's address)
    await cust.evaluate((t) => new Promise((resolve) => {
      const conv = JSON.parse(localStorage.getItem('csq:' + t + ':conv'));
      const ws = new WebSocket(csq.wsUrl('chat/ws', { token: conv.token, conversation: conv.id }));
      ws.onmessage = (e) => {
        const f = JSON.parse(e.data);
        if (f.type === 'hello') {
          ws.send(JSON.stringify({ type: 'message', kind: 'image', url: 'https://images.example/cat.png', name: 'cat.png', ref: 'img1' }));
        } else if (f.ref === 'img1') { ws.close(); resolve(); }
      };
    }), T);
    ok(await until(async () => (await agent.$$('.imglink')).length > 0),
       "R9.6 the customer's image is a link in the workbench");
    ok((await agent.$$eval('[data-testid="wb-log"] img', (els) => els.filter((e) => /images\.example/.test(e.src)).length)) === 0,
       '... which loads no image from its host');

    // --- the customer pane (R6.1-R6.3, R5.3, R6.5)

    const lib = '[data-testid="wb-cust-lib"]';
    ok(await until(async () => /library/.test(await agent.textContent(lib))),
       'R6.1 the open conversation shows its customer');
    await agent.fill('[data-testid="wb-cust-name-in"]', 'Zhang Wei');
    await agent.fill('[data-testid="wb-cust-phone-in"]', '+86 139 1234 5678');
    await agent.fill('[data-testid="wb-cust-tags-in"]', 'vip, blue');
    await agent.click('[data-testid="wb-cust-save"]');
    ok(await until(async () => (await agent.textContent('#cust-name')) === 'Zhang Wei'),
       'R6.1 the agent edits the profile');
    ok(await until(async () => /Zhang Wei/.test(await agent.textContent('[data-testid="wb-conv"]'))),
       '... and the conversation list shows the name');
    await agent.click('[data-testid="wb-cust-add"]');
    ok(await until(async () => /In the library, owner: nobody/.test(await agent.textContent(lib))),
       'R6.2 ... adds the customer to the library (the public pool)');
    await agent.click('[data-testid="wb-cust-take"]');
    ok(await until(async () => /owner: you/.test(await agent.textContent(lib))),
       'R6.2 ... takes it as its own');
    await agent.click('[data-testid="wb-cust-fav"]');
    ok(await until(async () => (await agent.getAttribute('[data-testid="wb-cust-fav"]', 'aria-pressed')) === 'true'),
       'R6.3 ... stars it');
    await agent.fill('[data-testid="wb-cust-note-in"]', 'Prefers blue');
    await agent.click('[data-testid="wb-cust-note-add"]');
    ok(await until(async () => /Prefers blue/.test(await agent.textContent('[data-testid="wb-cust-notes"]'))),
       'R6.5 ... writes a note');
    const cid = await agent.$eval('[data-testid="wb-conv"]', (e) => e.dataset.id);
    const cv = await api('GET', `conversations/${cid}`);
    const prof = await api('GET', `customers/${cv.json.customer}`);
    ok(prof.json.name === 'Zhang Wei' && prof.json.phone === '+8613912345678'
       && prof.json.tags.join() === 'vip,blue' && prof.json.owner === 'alice'
       && prof.json.notes[0].text === 'Prefers blue',
       'R6.1 ... all of it stored (the phone normalized)', JSON.stringify(prof.json));
    await agent.click('[data-testid="wb-cust-conv"]');
    ok(await until(async () => /blue one/.test(await agent.textContent('[data-testid="wb-transcript"]'))),
       'R5.3 a past conversation opens read-only, with its messages');
    if (SHOTS) await agent.screenshot({ path: `${SHOTS}/workbench-transcript.png` });
    await agent.click('[data-testid="wb-tr-close"]');

    // --- quick replies from the composer (R4.8)
    await api('PUT', 'quick-replies/team/greet', { category: 'Greetings', title: 'Greeting',
      text: 'Hi {customer_name}, this is {agent_name}.' });
    await agent.fill('[data-testid="wb-input"]', '/greet');
    ok(await until(async () => (await agent.$$('[data-testid="wb-qr-item"]')).length === 1),
       'R4.8 "/" and a word offer the quick replies that have it');
    if (SHOTS) await agent.screenshot({ path: `${SHOTS}/quick-replies.png` });
    await agent.press('[data-testid="wb-input"]', 'Enter');
    ok(await until(async () => (await agent.inputValue('[data-testid="wb-input"]')) === 'Hi Zhang Wei, this is Alice.'),
       '... Enter takes one, its variables filled in', await agent.inputValue('[data-testid="wb-input"]'));
    await agent.click('[data-testid="wb-send"]');
    ok(await until(async () => /Hi Zhang Wei, this is Alice/.test(await logText(cust, 'chat-log'))),
       '... and it is sent as written');
    ok(await until(async () => /You: Hi Zhang Wei/.test(await agent.textContent('[data-testid="wb-preview"]'))),
       'the list shows the newest message of a conversation');
    await agent.fill('[data-testid="wb-list-q"]', 'nobody-like-this');
    ok(await until(async () => (await agent.$$('[data-testid="wb-conv"]:not(.filtered)')).length === 0),
       'the list is filtered by words');
    await agent.fill('[data-testid="wb-list-q"]', 'zhang');
    ok(await until(async () => (await agent.$$('[data-testid="wb-conv"]:not(.filtered)')).length === 1),
       '... by the customer\'s name');
    await agent.fill('[data-testid="wb-list-q"]', '');

    // --- the knowledge base (R4.10): an agent shares an external article
    await api('PUT', 'kb/returns', { title: 'Returns', category: 'Orders', external: true,
      body: 'You may return an item within 30 days of delivery.' });
    await agent.click('[data-testid="wb-kb"]');
    await agent.fill('[data-testid="wb-kb-q"]', 'return');
    ok(await until(async () => (await agent.$$('[data-testid="wb-kb-share"][data-id="returns"]')).length === 1),
       'R4.10 the agent finds an external article');
    if (SHOTS) await agent.screenshot({ path: `${SHOTS}/knowledge.png` });
    await agent.click('[data-testid="wb-kb-share"][data-id="returns"]');
    ok(await until(async () => (await cust.$$('[data-kind="card"]')).length === 1
                               && /Returns/.test(await logText(cust, 'chat-log'))),
       '... and shares it: the customer gets it as a card');
    const kbPage = await (await newContext()).newPage();
    kbPage.on('pageerror', (e) => errors.push(String(e)));
    await kbPage.goto(await cust.$eval('[data-kind="card"] a', (a) => a.href));
    ok(await until(async () => await kbPage.isVisible('[data-testid="chat-article-dialog"]')
                               && /30 days/.test(await kbPage.textContent('[data-testid="chat-article-dialog"]'))),
       'R4.10 the card opens the article on the chat page');
    ok(await until(async () => /Returns/.test(await kbPage.textContent('[data-testid="chat-faq"]'))),
       '... whose FAQ bar lists the external articles');
    if (SHOTS) await kbPage.screenshot({ path: `${SHOTS}/chat-article.png` });

    // the open conversation and a draft survive a reload (#13 §4)
    await agent.fill('[data-testid="wb-input"]', 'A draft reply');
    await new Promise((r) => setTimeout(r, 700));
    await agent.reload();
    ok(await until(async () => /Zhang Wei/.test(await agent.textContent('#conv-title'))
                               && (await agent.inputValue('[data-testid="wb-input"]')) === 'A draft reply'),
       'the open conversation and its draft survive a reload',
       await agent.textContent('#conv-title'));
    await agent.fill('[data-testid="wb-input"]', '');
    await new Promise((r) => setTimeout(r, 700));
    if (SHOTS) await agent.screenshot({ path: `${SHOTS}/workbench.png`, fullPage: true });

    // --- the customer reloads: the whole history is there (R1.1)

    await cust.reload();
    ok(await until(async () => {
      const t = await logText(cust, 'chat-log');
      return /Demo Shop bot/.test(t) && /I am Alice/.test(t) && /blue one/.test(t);
    }), 'R1.1 after a reload the history is all there', await logText(cust, 'chat-log'));
    const ids = await cust.$$eval('[data-testid="msg"]', (els) => els.map((e) => e.dataset.id));
    ok(new Set(ids).size === ids.length, 'and no message is shown twice');
    if (SHOTS) await cust.screenshot({ path: `${SHOTS}/chat.png`, fullPage: true });

    // --- the network drops (nginx reloads: the socket closes): the page
    // comes back by itself and misses nothing

    if (process.env.NGINX_PID) {
      process.kill(Number(process.env.NGINX_PID), 'SIGHUP');
      await new Promise((r) => setTimeout(r, 1500));
      await agent.fill('[data-testid="wb-input"]', 'Are you still there?');
      await agent.click('[data-testid="wb-send"]');
      ok(await until(async () => /still there/.test(await logText(cust, 'chat-log')), 15000),
         'R1.1 after a drop the page reconnects by itself and gets what followed');
    }

    // --- the workbench's socket drops (the page's own side): it comes back
    // with after=<conversation>:<id> and gets what was said meanwhile, once
    // and in order, read back by the server (R5.1)

    const n0 = await agent.evaluate(() => window.__sockets.length);
    await agent.evaluate(() => window.__sockets[window.__sockets.length - 1].close(4000));
    await say(cust, 'chat-input', 'chat-send', 'Said while your socket was down');
    ok(await until(async () => /while your socket was down/.test(await logText(agent, 'wb-log'))),
       'R5.1 the workbench, reconnected, gets what was said meanwhile');
    const url = await agent.evaluate((n) => (window.__sockets[n] || {}).url || '', n0);
    ok(/[?&]after=c\d+(%3A|:)\d+-\d+/.test(url), '... resuming from its conversation\'s last id', url);
    const wids = await agent.$$eval('[data-testid="wb-log"] [data-testid="msg"]', (els) => els.map((e) => e.dataset.id));
    ok(wids.length > 0 && new Set(wids).size === wids.length, '... and shows no message twice', wids.join(' '));

    // the labels of the page (accessibility): the input is found by its label
    ok(await cust.getByLabel('Your message').count() === 1,
       'the message box is labelled');

    // a message written while the socket is down waits at the bottom of the
    // thread, not above the welcome (it has no id yet)
    const order = await cust.evaluate(() => {
      const box = document.createElement('div');
      const t = new csq.Thread(box, { mine: (m) => m.from.role === 'customer', system: () => '' });
      t.add({ id: '5-0', kind: 'text', text: 'welcome', from: { role: 'bot' } });
      t.add({ id: '7-0', kind: 'text', text: 'later', from: { role: 'bot' } });
      t.pending('r1', { kind: 'text', text: 'offline', from: { role: 'customer' } });
      t.add({ id: '6-0', kind: 'text', text: 'between', from: { role: 'bot' } });
      // (the messages: a day's separator goes first, #13 §4)
      return [...box.querySelectorAll('.msg')].map((e) => e.querySelector('.body').textContent);
    });
    ok(order.join(',') === 'welcome,between,later,offline',
       'a pending message stays last; entries go in id order', order.join(','));

    // --- the agent transfers to bob; bob ends it (R4.4, R4.5)

    // a private note: in the agents' thread, never the customer's (R4.x)
    await agent.check('[data-testid="wb-private"]');
    await agent.fill('[data-testid="wb-input"]', 'She paid twice');
    await agent.click('[data-testid="wb-send"]');
    ok(await until(async () => /She paid twice/.test(await agent.textContent('[data-testid="wb-log"]'))
                               && (await agent.$$('[data-testid="wb-note"]')).length === 1),
       'a private note shows in the agent\'s thread');
    await agent.uncheck('[data-testid="wb-private"]');
    await new Promise((r) => setTimeout(r, 500));
    ok(!/She paid twice/.test(await logText(cust, 'chat-log')), '... never in the customer\'s');
    await agent.click('[data-testid="wb-pin"]');
    ok(await until(async () => (await agent.getAttribute('[data-testid="wb-pin"]', 'aria-pressed')) === 'true'),
       'R4.7 the agent pins the conversation');

    await api('POST', 'agents/bob/status', { status: 'online' });
    await agent.click('[data-testid="wb-transfer"]');
    ok(await until(async () => (await agent.$$('[data-testid="wb-transfer-target"] option[value="agent:bob"]:not([disabled])')).length === 1),
       'R4.4 the transfer dialog offers the agents that can take it');
    if (SHOTS) await agent.screenshot({ path: `${SHOTS}/transfer.png` });
    await agent.selectOption('[data-testid="wb-transfer-target"]', 'agent:bob');
    await agent.fill('[data-testid="wb-transfer-note"]', 'Wants the blue one');
    await agent.click('[data-testid="wb-transfer-submit"]');
    ok(await until(async () => (await agent.$$('[data-testid="wb-conv"][data-ended="1"], [data-testid="wb-conv"]')).length === 0
                         || /transfer/i.test(await logText(agent, 'wb-log'))),
       'the agent transfers the conversation to bob');
    ok(await until(async () => /Bob/.test(
         await cust.textContent('[data-testid="chat-status"]'))),
       'the customer now sees Bob', await cust.textContent('[data-testid="chat-status"]'));
    // alice still has it open: she sends no read receipt for it any more
    await say(cust, 'chat-input', 'chat-send', 'hello Bob');
    await new Promise((r) => setTimeout(r, 1500));
    ok(await agent.isHidden('[data-testid="wb-banner"]'),
       'no "not your conversation" banner after the transfer',
       await agent.textContent('[data-testid="wb-banner"]'));

    await api('PUT', 'wrapup', { topics: ['Order', 'Delivery'], statuses: ['Solved'],
      note_fields: [{ name: 'order', label: 'Order number', type: 'text', required: true }] });
    const bctx = await newContext();
    const bob = await bctx.newPage();
    bob.on('pageerror', (e) => errors.push(String(e)));
    await login(bob, 'bob', 'bob-demo-pass');
    ok(await until(async () => (await bob.$$('[data-testid="wb-conv"]')).length === 1),
       'bob has it in his list');
    await bob.click('[data-testid="wb-conv"]');
    ok(await until(async () => /Wants the blue one/.test(await bob.textContent('[data-testid="wb-log"]'))),
       'R4.4 bob reads the transfer\'s note');
    await bob.click('[data-testid="wb-end"]');
    ok(await until(async () => await bob.isVisible('[data-testid="wb-end-dialog"]')),
       'R4.5 ending asks for the reason and the wrap-up');
    await bob.click('[data-testid="wb-end-submit"]');
    await new Promise((r) => setTimeout(r, 300));
    ok(await bob.isVisible('[data-testid="wb-end-dialog"]')
       && await bob.$eval('#end-f-order', (e) => !e.validity.valid)
       && /Order number \*/.test(await bob.textContent('[data-testid="wb-end-dialog"]')),
       'R4.6 ... a required field of the note, marked, stops the end until filled');
    await bob.selectOption('[data-testid="wb-end-topic"]', 'Order');
    await bob.fill('#end-f-order', 'A-1042');
    if (SHOTS) await bob.screenshot({ path: `${SHOTS}/end-dialog.png` });
    const endedId = await bob.$eval('[data-testid="wb-conv"]', (e) => e.dataset.id);
    await bob.click('[data-testid="wb-end-remove"]');
    ok(await until(async () => await cust.isVisible('[data-testid="chat-new"]')),
       'bob ends it: the customer sees the end');
    ok(await until(async () => (await bob.$$('[data-testid="wb-conv"]')).length === 0),
       'R4.5 ... "end and remove": it leaves his list');
    ok((await cust.$$eval('[data-testid="msg"]', (els) => els.filter((e) => /has ended/.test(e.textContent)).length)) === 1
       && !/has ended/.test(await cust.textContent('[data-testid="chat-rate"]')),
       'R4.5 the customer sees one end message');
    await cust.check('[data-testid="chat-score-5"]');
    await cust.fill('[data-testid="chat-rate-comment"]', 'Very helpful');
    await cust.click('[data-testid="chat-rate-send"]');
    ok(await until(async () => await cust.isVisible('[data-testid="chat-rated"]')),
       'R8.5 the customer rates the conversation');
    ok((await api('GET', `conversations?rating=5`)).json.conversations.some((x) => x.id === endedId),
       '... and the rating is kept', endedId);
    if (SHOTS) await cust.screenshot({ path: `${SHOTS}/chat-rated.png` });

    // --- pick-up: a waiting customer in one of her queues, taken (R3.7)

    await agent.uncheck('[data-testid="wb-reception"]');
    await until(async () => (await api('GET', 'agents/alice')).json.reception === false);
    await api('POST', 'agents/bob/status', { status: 'offline' });
    const w1 = await fetch(`${BASE}/tenants/${T}/conversations`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ customer: 'walkin1', queue: 'human' }) });
    const c1 = await w1.json();
    ok(c1.state === 'queued', 'a customer waits: nobody receives new chats');
    ok(await until(async () => (await agent.$$(`[data-testid="wb-take"][data-id="${c1.id}"]`)).length === 1),
       'R10 it shows in the agent\'s pick-up list');
    await agent.click(`[data-testid="wb-take"][data-id="${c1.id}"]`);
    ok(await until(async () => (await agent.$$(`[data-testid="wb-conv"][data-id="${c1.id}"]`)).length === 1),
       '... she takes it: it is in her list');

    // --- the supervisor's waiting list: assign (R3.8)

    const w2 = await fetch(`${BASE}/tenants/${T}/conversations`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ customer: 'walkin2', queue: 'human' }) });
    const c2 = await w2.json();
    const sctx = await newContext({ viewport: { width: 1280, height: 800 } });
    const sam = await sctx.newPage();
    sam.on('pageerror', (e) => errors.push(String(e)));
    await login(sam, 'sam', 'sam-demo-pass');
    ok(await until(async () => (await sam.$$(`[data-testid="wb-assign"][data-id="${c2.id}"]`)).length === 1),
       'R10 the supervisor sees the waiting customer');
    ok(await until(async () => (await sam.$$('[data-testid="wb-figures"] tbody tr')).length >= 2),
       'R8.2 the supervisor sees the queues\' figures of the day');
    ok(/Today: \d+ taken/.test(await agent.textContent('[data-testid="wb-myday"]')),
       'R8.2 an agent sees its own day', await agent.textContent('[data-testid="wb-myday"]'));
    await sam.selectOption(`[data-testid="wb-priority"][data-id="${c2.id}"]`, '7');
    ok(await until(async () => (await api('GET', `conversations/${c2.id}`)).json.priority === 7),
       'R3.8 ... puts it ahead with a priority');
    await sam.fill(`[data-testid="wb-waiting"] [data-testid="wb-assign-agent"]`, 'alice');
    await sam.click(`[data-testid="wb-assign"][data-id="${c2.id}"]`);
    ok(await until(async () => (await agent.$$(`[data-testid="wb-conv"][data-id="${c2.id}"]`)).length === 1),
       '... assigns it to alice, who gets it live');
    if (SHOTS) await sam.screenshot({ path: `${SHOTS}/supervisor.png`, fullPage: true });

    // the demo's admin (#13 §5) signs in on the same workbench: the
    // supervisor's views, and offline until it chooses otherwise
    const adctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const adm = await adctx.newPage();
    adm.on('pageerror', (e) => errors.push(String(e)));
    await login(adm, 'admin', 'admin-demo-pass');
    ok(await until(async () => await adm.isVisible('#sup')
                               && (await adm.$$('[data-testid="wb-figures"] tbody tr')).length >= 2
                               && /Admin/.test(await adm.textContent('[data-testid="wb-me"]'))),
       "the demo's admin signs in and sees the supervisor's views");
    ok(await adm.inputValue('[data-testid="wb-status"]') === 'offline',
       '... offline', await adm.inputValue('[data-testid="wb-status"]'));
    await adctx.close();

    // --- the Customers view (R6.2, R6.4): the library, a batch, a search

    const table = async () => (await sam.textContent('[data-testid="lib-table"]')) || '';
    await sam.click('[data-testid="wb-v-library"]');
    await sam.selectOption('[data-testid="lib-view"]', 'all');
    await sam.click('[data-testid="lib-apply"]');
    ok(await until(async () => /Zhang Wei/.test(await table())),
       'R6.2 the supervisor lists the whole library');
    await sam.check('[data-testid="lib-row"] input[type="checkbox"]');
    await sam.fill('[data-testid="lib-batch-tag"]', 'gold');
    await sam.click('[data-testid="lib-tag-add"]');
    ok(await until(async () => /gold/.test(await table())),
       'R6.2 ... tags the selected customers in one batch');
    await sam.check('[data-testid="lib-row"] input[type="checkbox"]');
    await sam.fill('[data-testid="lib-owner"]', 'bob');
    await sam.click('[data-testid="lib-move"]');
    ok(await until(async () => (await sam.textContent('[data-testid="lib-row"] td:nth-child(6)')) === 'bob'),
       'R6.2 ... and moves them to another owner', await sam.textContent('[data-testid="lib-msg"]'));
    await sam.fill('[data-testid="lib-q"]', 'Zhang');
    await sam.click('[data-testid="lib-apply"]');
    ok(await until(async () => (await sam.$$('[data-testid="lib-row"]')).length === 1
                               && /Zhang Wei/.test(await table())),
       'R6.4 a search finds the customer by name');
    await sam.click('[data-testid="lib-open"]');
    ok(await until(async () => (await sam.isVisible('#lib-side [data-testid="wb-cust"]'))
                               && (await sam.textContent('#cust-name')) === 'Zhang Wei'),
       'R6.1 ... and opens it beside the list');
    if (SHOTS) await sam.screenshot({ path: `${SHOTS}/library.png` });

    // --- the Review view (R5.5)

    await sam.click('[data-testid="wb-v-review"]');
    ok(await until(async () => (await sam.$$('[data-testid="rv-row"]')).length >= 2),
       'R5.5 the supervisor reviews every conversation');
    await sam.fill('[data-testid="rv-agent"]', 'bob');
    await sam.click('[data-testid="rv-apply"]');
    ok(await until(async () => {
      const rows = await sam.$$eval('[data-testid="rv-row"]', (els) => els.map((e) => e.textContent));
      return rows.length >= 1 && rows.every((t) => /bob/.test(t));
    }), 'R5.5 ... filtered by agent');
    await sam.click('[data-testid="rv-open"]');
    ok(await until(async () => /hello Bob/.test(await sam.textContent('[data-testid="wb-transcript"]'))),
       'R5.5 ... a conversation opens with its transcript');
    if (SHOTS) await sam.screenshot({ path: `${SHOTS}/review.png` });
    await sam.click('[data-testid="wb-tr-close"]');
    await sam.click('[data-testid="wb-v-chats"]');

    // --- sessions end on the server (R9.5): the supervisor's is ended by
    // the platform, the workbench notices at once; alice signs out and her
    // token is no good after

    const t1 = Date.now();
    await api('POST', 'agents/sam/logout');
    ok(await until(async () => await sam.isVisible('[data-testid="login-agent"]')
                               && /session was ended/.test(await sam.textContent('#login-error'))),
       'R9.5 an ended session signs the workbench out, saying why',
       await sam.textContent('body'));
    ok(Date.now() - t1 < 3000, `... at once (${Date.now() - t1} ms)`);
    if (SHOTS) await sam.screenshot({ path: `${SHOTS}/session-ended.png` });

    const kept = await agent.evaluate(() => {
      for (let i = 0; i < sessionStorage.length; i++) {
        const v = sessionStorage.getItem(sessionStorage.key(i));
        if (/"token"/.test(v || '')) return JSON.parse(v).token;
      }
      return null;
    });
    ok(kept, 'the workbench keeps its token in the session storage');
    await agent.click('[data-testid="wb-logout"]');
    ok(await until(async () => await agent.isVisible('[data-testid="login-agent"]')),
       'signing out shows the login form');
    const after = await fetch(`${BASE}/tenants/${T}/agents/alice`,
                              { headers: { Authorization: `Bearer ${kept}` } });
    ok(after.status === 401, `R9.5 ... and the token kept is refused (${after.status})`);

    // --- a deleted link: the page says so (R1.2)

    await api('PUT', 'links/gone', { name: 'Old campaign' });
    await api('DELETE', 'links/gone');
    const gone = await (await newContext()).newPage();
    await gone.goto(`${BASE}/tenants/${T}/chat?ch=gone`);
    ok(await until(async () => /customer-service account has been deleted/.test(
         await gone.textContent('body'))),
       'R1.2 a deleted link\'s page says the account has been deleted');

    // a page with no queue for it (no rule, no fallback): a customer reads
    // a plain sentence, not the API's
    const nq = await (await newContext()).newPage();
    nq.on('pageerror', (e) => errors.push(String(e)));
    await nq.goto(`${BASE}/tenants/${T}/chat`);
    await until(async () => !(await nq.locator('[data-testid="chat-input"]').isDisabled()));
    await say(nq, 'chat-input', 'chat-send', 'hello?');
    ok(await until(async () => /not available on this page/.test(await nq.textContent('[data-testid="chat-banner"]'))
                               && !/queue|fallback|rule/.test(await nq.textContent('[data-testid="chat-banner"]'))),
       'the chat page says a plain sentence where the desk has no queue for it',
       await nq.textContent('[data-testid="chat-banner"]'));

    // --- the widget (R1.3)

    const wctx = await newContext();
    const site = await wctx.newPage();
    site.on('pageerror', (e) => errors.push(String(e)));
    await site.goto(process.env.WIDGET_OK);
    const button = site.locator('[data-testid="widget-button"]');
    ok(await until(async () => await button.isVisible()),
       'R1.3 on an allowed site the widget adds its button');
    await button.click();
    const frame = site.frameLocator('[data-testid="widget-frame"]');
    ok(await until(async () => /Demo Shop bot/.test(
         await frame.locator('[data-testid="chat-log"]').textContent())),
       '... which opens the chat, welcome included');
    if (SHOTS) await site.screenshot({ path: `${SHOTS}/widget.png` });
    ok(/Chat with us/.test(await button.textContent())
       && await frame.locator('html').getAttribute('lang') === 'en',
       'R10.1 in an English browser the widget and its chat are in English (lang en)');

    // R5.4: the site's page that holds the widget joins the trajectory of
    // the visitor (the widget's hidden tracker shares the chat's visitor)
    await frame.locator('[data-testid="chat-input"]').fill('hello from the shop');
    await frame.locator('[data-testid="chat-send"]').click();
    let traj = null;
    ok(await until(async () => {
      const v = await api('GET', 'conversations?limit=1');
      const c = v.json && v.json.conversations[0];
      if (!c) return false;
      traj = await api('GET', `customers/${c.customer}/trajectory`);
      return traj.json.items.some((i) => i.kind === 'page'
        && i.url === process.env.WIDGET_OK && i.title === 'A shop');
    }), 'R5.4 the page that holds the widget joins the visitor\'s trajectory',
    JSON.stringify(traj && traj.json));

    // a blacklisted visitor's first word is refused with the desk's text
    const blctx = await newContext();
    const bl = await blctx.newPage();
    bl.on('pageerror', (e) => errors.push(String(e)));
    await bl.goto(`${BASE}/tenants/${T}/chat`);
    await until(async () => !(await bl.locator('[data-testid="chat-input"]').isDisabled()));
    const vis = await api('GET', 'visitors?limit=1');
    await api('PUT', `blacklist/${vis.json.visitors[0].id}`, { reason: 'spam' });
    await say(bl, 'chat-input', 'chat-send', 'let me in');
    ok(await until(async () => /cannot take your conversation/.test(
         await bl.textContent('[data-testid="chat-banner"]'))),
       'a blacklisted visitor\'s first word is refused with the desk\'s text');
    ok(await bl.locator('[data-testid="chat-retry"]').isHidden(),
       '... and no retry is offered');
    if (SHOTS) await bl.screenshot({ path: `${SHOTS}/chat-blacklisted.png` });

    const bad = await wctx.newPage();
    const refused = [];
    // a refused script may also be cut off by the browser (ORB): both count
    bad.on('response', (r) => { if (/widget\.js/.test(r.url())) refused.push(r.status()); });
    bad.on('requestfailed', (r) => {
      if (/widget\.js/.test(r.url())) refused.push(r.failure() && r.failure().errorText);
    });
    await bad.goto(process.env.WIDGET_BAD);
    await until(async () => refused.length > 0, 5000);
    ok(refused[0] === 403 || /BLOCKED/.test(refused[0] || ''),
       `R1.3 on another site the widget script is refused (${refused[0]})`);
    await new Promise((r) => setTimeout(r, 500));
    ok(await bad.locator('[data-testid="widget-button"]').count() === 0,
       '... and no chat button appears');

    // --- languages (R10.1): the pages in Simplified Chinese, the tenant's
    // default, in an English browser; ?lang=en over it; the workbench's
    // switcher; a Chinese browser where the tenant names none

    for (const a of ['alice', 'bob', 'sam']) await api('POST', `agents/${a}/status`, { status: 'offline' });
    ok(await tenantPut({ lang: 'zh-CN' }) === 200, 'R10.1 the tenant says its pages are in Chinese');
    // a Chinese desk's own words for the wrap-up
    await api('PUT', 'wrapup', { topics: ['订单', '物流'], statuses: ['已解决', '跟进中'],
      note_fields: [{ name: 'order', label: '订单号', type: 'text' }] });

    const zctx = await newContext({ viewport: { width: 390, height: 780 } });
    const zc = await zctx.newPage();
    zc.on('pageerror', (e) => errors.push(String(e)));
    await zc.goto(`${BASE}/tenants/${T}/chat?ch=welcome`);
    ok(await until(async () => await htmlLang(zc) === 'zh-CN'),
       'R10.1 the chat page takes the tenant\'s language over the browser\'s: lang zh-CN', await htmlLang(zc));
    ok(await until(async () => (await zc.textContent('[data-testid="chat-send"]')) === '发送'
                               && (await zc.textContent('label[for="input"]')) === '请输入消息'),
       '... its words are Chinese', await zc.textContent('[data-testid="chat-send"]'));
    ok(await zc.getByLabel('请输入消息').count() === 1, '... the message box labelled in Chinese');
    ok(await until(async () => /Demo Shop bot/.test(await logText(zc, 'chat-log'))),
       '... the desk\'s own welcome as it is written');
    await say(zc, 'chat-input', 'chat-send', 'agent');
    ok(await until(async () => /排在第\s*1\s*位/.test(await zc.textContent('[data-testid="chat-status"]'))),
       'R10.1 the customer waits, its place said in Chinese', await zc.textContent('[data-testid="chat-status"]'));
    const zcTime = await zc.$eval('[data-testid="chat-log"] .msg.out time', (e) => e.textContent);
    ok(/^\d{2}:\d{2}$/.test(zcTime), `R10.1 ... times as Chinese write them (${zcTime})`);
    const zcLatin = await latinWords(zc, ['header.top', '#banner', '#composer', '.msg.sys', '.msg .meta', '#faq'],
      ['Demo Shop', 'Shipping', 'Returns', 'Delivery times']);
    ok(!zcLatin.length, 'R10.1 ... and no English word of the page\'s own is left', zcLatin.join(' '));
    if (SHOTS) await zc.screenshot({ path: `${SHOTS}/chat-zh.png`, fullPage: true });

    // the workbench in an English browser: the tenant's language comes
    // with the socket's hello (the page reloads in it, once)
    const zactx = await newContext({ viewport: { width: 1280, height: 800 } });
    const za = await zactx.newPage();
    za.on('pageerror', (e) => errors.push(String(e)));
    await login(za, 'alice', 'alice-demo-pass');
    ok(await until(async () => await htmlLang(za) === 'zh-CN' && await za.isVisible('[data-testid="wb-status"]')),
       'R10.1 the workbench takes the tenant\'s language: lang zh-CN', await htmlLang(za));
    await za.selectOption('[data-testid="wb-status"]', 'online');
    if (!(await za.isChecked('[data-testid="wb-reception"]'))) await za.check('[data-testid="wb-reception"]');
    const zconv = await zc.evaluate((t) => JSON.parse(localStorage.getItem('csq:' + t + ':conv')).id, T);
    const zli = `[data-testid="wb-conv"][data-id="${zconv}"]`;
    ok(await until(async () => (await za.$$(zli)).length === 1),
       '... the waiting customer comes to alice');
    await za.click(zli);
    ok(await until(async () => /agent/.test(await logText(za, 'wb-log'))), '... who opens it');
    await za.fill('[data-testid="wb-input"]', '您好，我是 Alice');
    await za.click('[data-testid="wb-send"]');
    ok(await until(async () => /我是 Alice/.test(await logText(zc, 'chat-log'))), '... and answers');
    ok(await until(async () => /为您服务的是/.test(await zc.textContent('[data-testid="chat-status"]'))),
       'R10.1 the customer reads who serves it in Chinese', await zc.textContent('[data-testid="chat-status"]'));
    ok((await za.textContent('[data-testid="wb-logout"]')) === '退出登录'
       && (await za.textContent('[data-testid="wb-end"]')) === '结束会话'
       && (await za.textContent('#h-convs')) === '会话列表',
       'R10.1 the workbench\'s words are Chinese');
    await until(async () => /今日/.test(await za.textContent('[data-testid="wb-myday"]')));
    const names = ['Alice', 'alice', 'Demo Shop', 'welcome', 'human', 'bot', 'agent', 'web'];
    const zaLatin = await latinWords(za, ['header.bar', '.pane-head', '#composer', 'nav.side h2', '.list-tools',
      '[data-testid="wb-conv"] .sub', '#log .msg.sys', '#log .meta', 'aside.queues > h2'], names);
    ok(!zaLatin.length, 'R10.1 ... no English word left in its header, list, pane and composer', zaLatin.join(' '));
    if (SHOTS) await za.screenshot({ path: `${SHOTS}/workbench-zh.png`, fullPage: true });
    await za.click('[data-testid="wb-end"]');
    ok(await until(async () => await za.isVisible('[data-testid="wb-end-dialog"]')), 'the end dialog opens');
    const endLatin = await latinWords(za, ['#end-dialog'], names);
    ok(/结束会话并移除窗口/.test(await za.textContent('[data-testid="wb-end-dialog"]')) && !endLatin.length,
       'R10.1 ... in Chinese', endLatin.join(' '));
    if (SHOTS) await za.screenshot({ path: `${SHOTS}/end-dialog-zh.png` });
    await za.click('#end-cancel');
    await za.click('[data-testid="wb-transfer"]');
    ok(await until(async () => await za.isVisible('#transfer-dialog')
                               && (await za.$$('[data-testid="wb-transfer-target"] option')).length > 0),
       'the transfer dialog opens');
    const trLatin = await latinWords(za, ['#transfer-dialog h2', '#transfer-dialog label', '#transfer-dialog button',
      '#transfer-dialog option'], names.concat(['Bob', 'Sam', 'Admin', 'Front desk', 'Support']));
    ok(!trLatin.length, 'R10.1 ... in Chinese, agents\' statuses too', trLatin.join(' '));
    await za.click('#transfer-cancel');

    // the supervisor's views; the sign-in page in a Chinese browser
    const zs = await (await newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } })).newPage();
    zs.on('pageerror', (e) => errors.push(String(e)));
    await zs.goto(`${BASE}/tenants/${T}/workbench`);
    ok(await until(async () => await htmlLang(zs) === 'zh-CN'
                               && (await zs.textContent('[data-testid="login-submit"]')) === '登录'),
       'R10.1 the sign-in page of a Chinese browser is in Chinese');
    if (SHOTS) await zs.screenshot({ path: `${SHOTS}/login-zh.png` });
    await zs.fill('[data-testid="login-agent"]', 'sam');
    await zs.fill('[data-testid="login-password"]', 'sam-demo-pass');
    await zs.click('[data-testid="login-submit"]');
    ok(await until(async () => (await zs.$$('[data-testid="wb-team"] tbody tr')).length >= 3
                               && (await zs.$$('[data-testid="wb-figures"] tbody tr')).length >= 2),
       'the supervisor signs in: the team and the queues\' figures');
    const supLatin = await latinWords(zs, ['#sup', 'header.bar'],
      ['Alice', 'alice', 'Bob', 'bob', 'Sam', 'sam', 'Admin', 'admin', 'Front desk', 'Support', 'walkin1', 'walkin2', 'human', 'bot']);
    ok(!supLatin.length, 'R10.1 ... in Chinese, statuses and durations too', supLatin.join(' '));
    if (SHOTS) await zs.screenshot({ path: `${SHOTS}/supervisor-zh.png`, fullPage: true });
    await zs.click('[data-testid="wb-v-library"]');
    await zs.selectOption('[data-testid="lib-view"]', 'all');
    await zs.click('[data-testid="lib-apply"]');
    ok(await until(async () => (await zs.$$('[data-testid="lib-row"]')).length >= 1), 'the Customers view lists');
    const libLatin = await latinWords(zs, ['#lib-form', '.batch', '#library thead', '#lib-rows td:last-child']);
    ok(!libLatin.length, 'R10.1 ... in Chinese, its dates too', libLatin.join(' '));
    if (SHOTS) await zs.screenshot({ path: `${SHOTS}/library-zh.png` });
    await zs.click('[data-testid="wb-v-review"]');
    ok(await until(async () => (await zs.$$('[data-testid="rv-row"]')).length >= 1), 'the Review view lists');
    const rvLatin = await latinWords(zs, ['#rv-form', '#review thead', '#rv-rows td:nth-child(2)', '#rv-rows td:nth-child(7)',
      '#rv-rows td:nth-child(8)']);
    ok(!rvLatin.length, 'R10.1 ... in Chinese, states and end reasons too', rvLatin.join(' '));
    if (SHOTS) await zs.screenshot({ path: `${SHOTS}/review-zh.png` });

    // ?lang=en over the tenant's: the same pages in English
    await za.goto(`${BASE}/tenants/${T}/workbench?lang=en`);
    ok(await until(async () => await htmlLang(za) === 'en' && await za.isVisible('[data-testid="wb-status"]')
                               && (await za.textContent('[data-testid="wb-logout"]')) === 'Sign out'),
       'R10.1 ?lang=en: the workbench in English (lang en)', await htmlLang(za));
    ok(await until(async () => /Today: \d+ taken/.test(await za.textContent('[data-testid="wb-myday"]'))),
       '... its figures too', await za.textContent('[data-testid="wb-myday"]'));
    if (SHOTS) await za.screenshot({ path: `${SHOTS}/workbench-en.png`, fullPage: true });
    const ze = await (await newContext({ locale: 'zh-CN' })).newPage();
    ze.on('pageerror', (e) => errors.push(String(e)));
    await ze.goto(`${BASE}/tenants/${T}/chat?lang=en`);
    ok(await until(async () => await htmlLang(ze) === 'en' && !(await ze.locator('[data-testid="chat-input"]').isDisabled())
                               && (await ze.textContent('label[for="input"]')) === 'Your message'),
       'R10.1 ?lang=en: the chat page in English, in a Chinese browser too');

    // the switcher: a choice kept in this browser, over the tenant's
    await za.goto(`${BASE}/tenants/${T}/workbench`);
    await until(async () => await htmlLang(za) === 'zh-CN' && await za.isVisible('[data-testid="wb-lang"]'));
    await za.selectOption('[data-testid="wb-lang"]', 'en');
    ok(await until(async () => await htmlLang(za) === 'en'
                               && (await za.textContent('[data-testid="wb-logout"]')) === 'Sign out'),
       'R10.1 the switcher turns the workbench to English');
    await za.reload();
    ok(await until(async () => await htmlLang(za) === 'en' && await za.isVisible('[data-testid="wb-status"]')),
       '... and the choice stays');
    await za.selectOption('[data-testid="wb-lang"]', '');
    ok(await until(async () => await htmlLang(za) === 'zh-CN'
                               && (await za.textContent('[data-testid="wb-logout"]')) === '退出登录'),
       '... "automatic" is the tenant\'s again');

    // the widget on the site: the tenant's language once its tracker
    // page says it
    const zw = await (await newContext()).newPage();
    zw.on('pageerror', (e) => errors.push(String(e)));
    await zw.goto(process.env.WIDGET_OK);
    const zbutton = zw.locator('[data-testid="widget-button"]');
    ok(await until(async () => (await zbutton.textContent()) === '在线咨询'),
       'R10.1 the widget\'s button takes the tenant\'s language', await zbutton.textContent().catch(() => ''));
    ok(await zw.evaluate(() => document.getElementById('csq-widget').getAttribute('lang')) === 'zh-CN'
       && await htmlLang(zw) === 'en', '... (lang zh-CN on the widget, the site\'s page keeps its own)');
    await zbutton.click();
    const zframe = zw.frameLocator('[data-testid="widget-frame"]');
    ok(await until(async () => await zframe.locator('html').getAttribute('lang') === 'zh-CN'
                               && (await zframe.locator('[data-testid="chat-send"]').textContent()) === '发送'),
       '... and so does its chat');
    ok((await zw.locator('[data-testid="widget-close"]').getAttribute('aria-label')) === '关闭咨询窗口',
       '... its close button named in Chinese');
    if (SHOTS) await zw.screenshot({ path: `${SHOTS}/widget-zh.png` });

    // the tenant names none: a Chinese browser gets Chinese
    ok(await tenantPut({ lang: '' }) === 200, "R10.1 the tenant's lang cleared");
    const zb = await (await newContext({ locale: 'zh-CN' })).newPage();
    zb.on('pageerror', (e) => errors.push(String(e)));
    await zb.goto(`${BASE}/tenants/${T}/chat`);
    ok(await until(async () => await htmlLang(zb) === 'zh-CN' && !(await zb.locator('[data-testid="chat-input"]').isDisabled())
                               && (await zb.textContent('[data-testid="chat-send"]')) === '发送'),
       'R10.1 ... a Chinese browser gets the chat page in Chinese', await htmlLang(zb));
    const zb2 = await (await newContext({ locale: 'en-US' })).newPage();
    await zb2.goto(`${BASE}/tenants/${T}/chat`);
    ok(await until(async () => await htmlLang(zb2) === 'en' && !(await zb2.locator('[data-testid="chat-input"]').isDisabled())),
       '... an English one in English');

    // a workbench signed in (who, password), in a context of its own
    // (opts: the context's), its page errors counted
    async function workbench(who, password, opts) {
      const c = await newContext({ viewport: { width: 1280, height: 860 }, ...opts });
      const p = await c.newPage();
      p.on('pageerror', (e) => errors.push(String(e)));
      await login(p, who, password);
      await until(async () => p.isVisible('[data-testid="wb-status"]'));
      return p;
    }

    // alice alone on duty (bob and sam offline, her conversations ended)
    // and a new customer's conversation (arrival body) in her list, not
    // opened yet: { al, conv, li }; what: the check's words
    async function aliceWithChat(body, what) {
      for (const a of ['bob', 'sam']) await api('POST', `agents/${a}/status`, { status: 'offline' });
      const had = (await api('GET', 'agents/alice/conversations')).json;
      for (const c of (had && had.active) || []) await api('POST', `conversations/${c.id}/end`, {});
      const al = await workbench('alice', 'alice-demo-pass');
      await al.selectOption('[data-testid="wb-status"]', 'online');
      if (!(await al.isChecked('[data-testid="wb-reception"]'))) await al.check('[data-testid="wb-reception"]');
      await until(async () => (await api('GET', 'agents/alice')).json.status === 'online');
      const w = await fetch(`${BASE}/tenants/${T}/conversations`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const conv = await w.json();
      if (conv.state !== 'active') await api('POST', `conversations/${conv.id}/assign`, { agent: 'alice' });
      const li = `[data-testid="wb-conv"][data-id="${conv.id}"]`;
      ok(await until(async () => (await al.$$(li)).length === 1), what, JSON.stringify(conv));
      return { al, conv, li };
    }

    // more flows, one file each: t/browser/more/*.js in name order, each
    // module.exports = async (ctx) => { ... } with the helpers above
    const ctx = { browser, newContext, ok, api, until, texts, logText, say, login, tenantPut,
      latinWords, htmlLang, BASE, T, SHOTS, PLATFORM, errors, workbench, aliceWithChat };
    const more = path.join(__dirname, 'more');
    for (const f of (fs.existsSync(more) ? fs.readdirSync(more) : []).filter((x) => x.endsWith('.js')).sort()) {
      try {
        await require(path.join(more, f))(ctx);
      } catch (e) {
        ok(false, `the flows of ${f} ran to the end`, e && e.stack);
      }
    }

    ok(errors.length === 0, 'no script error on any page', errors.join('\n'));
  } catch (e) {
    ok(false, 'the browser flows ran to the end', e && e.stack);
  } finally {
    await browser.close();
  }

  console.log(`1..${n}`);
  process.exit(failed ? 1 : 0);
}

main();
