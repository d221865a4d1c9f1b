// Channels in the workbench (#14 §1, R1.4, seed 000 §2), against the real
// server and a real receiver: this flow starts a small HTTP server on a
// port of 127.0.0.1 that t/050-browser.t lets the outbox post to (CH_RX).
// An admin makes a channel in the header's Channels dialog and reads its
// key; a customer writes through the channel (a delivery signed with
// that key, node's HMAC) and comes to an agent, whose list and pane show
// the channel; the agent's reply goes out: queued, then sent, then
// delivered as the channel reports it.  A receiver that refuses: the
// reply fails with its reason and the hint; the admin resends it from
// Dead letters and it is sent.  One customer on two channels and the web
// chat: tabs above the conversation with unread counts, switching.  The
// admin's dialog in Chinese.  Screenshots: channels-admin,
// channels-delivery, channels-failed, dead-letters, channels-tabs,
// channels-zh, channels-tabs-zh.
'use strict';

const http = require('http');
const crypto = require('crypto');

module.exports = async (ctx) => {
  const { newContext, ok, api, until, login, latinWords, htmlLang, BASE, T, SHOTS, errors } = ctx;
  const visible = (p, sel) => p.isVisible(sel);
  const count = async (p, sel) => (await p.$$(sel)).length;
  const attr = (p, sel, a) => p.getAttribute(sel, a).catch(() => null);

  // --- the channel's other side: records what it gets, answers as told

  const got = [];
  let answer = 200;
  const rx = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      got.push({ path: req.url, headers: req.headers, body, status: answer });
      res.writeHead(answer, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((r) => rx.listen(Number(process.env.CH_RX || 0), '127.0.0.1', r));
  const RX = `http://127.0.0.1:${rx.address().port}/hook`;
  const sent = (text) => got.filter((g) => g.body.includes(JSON.stringify(text).slice(1, -1)));

  try {
    // a desk of its own: a queue and an agent; Kim, a customer of the
    // library with a phone (one customer on every channel)
    const made = [await api('PUT', 'queues/chq', { name: 'Channel desk', mode: 'human' }),
      await api('PUT', 'agents/chen', { name: 'Chen', role: 'agent', queues: ['chq'], capacity: 10,
        password: 'chen-demo-pass' }),
      await api('PUT', 'customers/ch-kim', { name: 'Kim', phone: '+8613800000088', library: true }),
      await api('PUT', 'channels/qqf', { name: 'QQ', type: 'chat', url: RX, queue: 'chq' })];
    ok(made.every((r) => r.status === 200 || r.status === 201), 'R1.4 a queue, an agent, a customer and a channel',
      JSON.stringify(made.map((r) => [r.status, r.json])));

    async function workbench(who, opts = {}, path = '') {
      const c = await newContext({ viewport: { width: 1280, height: 860 }, ...opts });
      const p = await c.newPage();
      p.on('pageerror', (e) => errors.push(String(e)));
      await login(p, who, `${who}-demo-pass`);
      await until(async () => visible(p, '[data-testid="wb-status"]'));
      if (path) {
        await p.goto(`${BASE}/tenants/${T}/workbench${path}`);
        await until(async () => visible(p, '[data-testid="wb-status"]'));
      }
      return p;
    }

    // --- the admin makes a channel in the Channels dialog

    const ad = await workbench('admin');
    ok(await until(async () => visible(ad, '[data-testid="wb-channels"]')), 'R1.4 an admin has the header\'s Channels');
    await ad.click('[data-testid="wb-channels"]');
    ok(await until(async () => visible(ad, '[data-testid="ch-dialog"]')
                               && (await count(ad, '[data-testid="ch-row"][data-id="qqf"]')) === 1),
       '... which lists the tenant\'s channels');
    await ad.click('[data-testid="ch-add"]');
    await ad.fill('[data-testid="ch-id"]', 'wxf');
    await ad.fill('[data-testid="ch-name"]', 'WeChat');
    await ad.selectOption('[data-testid="ch-type"]', 'chat');
    await ad.fill('[data-testid="ch-url"]', RX);
    await ad.fill('[data-testid="ch-queue"]', 'chq');
    await ad.fill('[data-testid="ch-retry-max"]', '2');
    await ad.fill('[data-testid="ch-retry-base"]', '200');
    await ad.click('[data-testid="ch-save"]');
    const row = '[data-testid="ch-row"][data-id="wxf"]';
    ok(await until(async () => (await count(ad, row)) === 1 && await ad.isHidden('[data-testid="ch-form"]')),
       '... a new channel is saved and listed', await ad.textContent('[data-testid="ch-msg"]'));
    const ch = (await api('GET', 'channels/wxf')).json || {};
    ok(ch.url === RX && ch.queue === 'chq' && ch.retry_max === 2 && ch.retry_base_ms === 200 && ch.enabled,
       '... as given in the form', JSON.stringify(ch));
    await ad.click(`${row} [data-testid="ch-show-key"]`);
    ok(await until(async () => /^[0-9a-f]{64}$/.test(await ad.inputValue('[data-testid="ch-key-value"]'))),
       '"Show key" shows the channel\'s signing key');
    const KEY = await ad.inputValue('[data-testid="ch-key-value"]');
    ok(KEY === (await api('GET', 'channels/wxf/key')).json.key && /keep it secret/.test(await ad.textContent('[data-testid="ch-key"]')),
       '... the key the server derives, with a warning');
    await ad.click('[data-testid="ch-key-copy"]');
    ok(await until(async () => /copied|copy the selected key/.test(await ad.textContent('[data-testid="ch-msg"]'))),
       '... and a copy button');
    if (SHOTS) await ad.screenshot({ path: `${SHOTS}/channels-admin.png` });
    await ad.click('[data-testid="ch-close"]');

    // a delivery of the channel's system, signed with its key
    let evs = 0;
    async function inbound(chid, key, ev) {
      const body = JSON.stringify({ id: 'fl-' + Date.now() + '-' + ++evs, ...ev });
      const ts = Math.floor(Date.now() / 1000);
      const sig = '1:' + crypto.createHmac('sha256', key).update(`${ts}.${body}`).digest('hex');
      const r = await fetch(`${BASE}/tenants/${T}/channels/${chid}/inbound`, { method: 'POST', body,
        headers: { 'Content-Type': 'application/json', 'X-Csq-Timestamp': String(ts), 'X-Csq-Signature': sig } });
      return { status: r.status, json: await r.json().catch(() => null) };
    }
    const say = (chid, key, user, text) => inbound(chid, key, { user: { id: user, name: 'Kim',
      phone: '+8613800000088' }, message: { kind: 'text', text } });

    // --- the agent: a customer writes through the channel

    const ag = await workbench('chen');
    await ag.selectOption('[data-testid="wb-status"]', 'online');
    await until(async () => (await api('GET', 'agents/chen')).json.status === 'online');
    const w1 = await say('wxf', KEY, 'kim-wx', 'Hello from WeChat');
    ok(w1.status === 201 && w1.json.customer === 'ch-kim', 'R1.4 a signed message through the channel arrives, as Kim',
      JSON.stringify(w1));
    const wx = w1.json.conversation;
    const li = (id) => `[data-testid="wb-conv"][data-id="${id}"]`;
    ok(await until(async () => (await count(ag, li(wx))) === 1
                               && (await ag.textContent(`${li(wx)} [data-testid="wb-channel"]`)) === 'WeChat'),
       '... comes to the agent, its list item badged with the channel\'s name');
    ok(/chat app/.test(await attr(ag, `${li(wx)} [data-testid="wb-channel"]`, 'title')),
       '... and type (its title)');
    await ag.click(li(wx));
    await until(async () => !(await ag.locator('[data-testid="wb-input"]').isDisabled()));
    await ag.fill('[data-testid="wb-input"]', 'Hello Kim, Chen here');
    await ag.click('[data-testid="wb-send"]');
    const mine = (text) => `#log .msg.out:has-text("${text}")`;
    const dlvOf = (text) => `${mine(text)} [data-testid="msg-delivery"]`;
    ok(await until(async () => sent('Hello Kim, Chen here').length === 1),
       'R1.4 the agent\'s reply goes to the channel\'s receiver');
    ok(await until(async () => (await attr(ag, dlvOf('Hello Kim, Chen here'), 'data-state')) === 'sent'
                               && (await ag.textContent(dlvOf('Hello Kim, Chen here'))) === 'Sent'),
       '... and its bubble says "Sent"');
    const out = JSON.parse(sent('Hello Kim, Chen here')[0].body);
    const d1 = await inbound('wxf', KEY, { type: 'delivery', conversation: wx, entry: out.entry, status: 'delivered' });
    ok(d1.status === 200 && await until(async () => (await ag.textContent(dlvOf('Hello Kim, Chen here'))) === 'Delivered'),
       '... then "Delivered" when the channel reports it (a live frame)', JSON.stringify(d1));
    // a reload reads the states back (GET delivery)
    await ag.reload();
    await until(async () => visible(ag, '[data-testid="wb-status"]'));
    ok(await until(async () => (await attr(ag, dlvOf('Hello Kim, Chen here'), 'data-state')) === 'delivered'),
       '... and after a reload (GET delivery when the conversation opens)');
    ok((await ag.textContent('#conv-title')).includes('Kim'), '... in Kim\'s conversation');
    if (SHOTS) await ag.screenshot({ path: `${SHOTS}/channels-delivery.png` });

    // --- a receiver that refuses: failed, with the reason; an admin resends

    answer = 400;
    await until(async () => !(await ag.locator('[data-testid="wb-input"]').isDisabled()));
    await ag.fill('[data-testid="wb-input"]', 'This one is refused');
    await ag.click('[data-testid="wb-send"]');
    ok(await until(async () => (await attr(ag, dlvOf('This one is refused'), 'data-state')) === 'failed'),
       'R1.4 a reply the receiver refuses shows as failed');
    ok((await ag.textContent(dlvOf('This one is refused'))).startsWith('Not delivered')
       && /answered 400/.test(await attr(ag, dlvOf('This one is refused'), 'title')),
       '... in words, with the reason as its title', await attr(ag, dlvOf('This one is refused'), 'title'));
    ok(/An admin can send it again/.test(await ag.textContent(`${mine('This one is refused')} [data-testid="msg-delivery-hint"]`)),
       '... and the hint that an admin can resend it');
    ok(await ag.isHidden('[data-testid="wb-channels"]'), '... an agent has no Channels dialog');
    ok((await ag.textContent('[data-testid="wb-ch-head"]')) === 'WeChat', '... the pane\'s head names the channel');
    if (SHOTS) await ag.screenshot({ path: `${SHOTS}/channels-failed.png` });

    answer = 200;
    await ad.click('[data-testid="wb-channels"]');
    await ad.click('[data-testid="ch-s-dead"]');
    const dead = '[data-testid="ch-dead-row"]:has-text("This one is refused")';
    ok(await until(async () => (await count(ad, dead)) === 1), 'R1.4 the admin\'s Dead letters list it');
    const deadText = await ad.textContent(dead);
    ok(/WeChat/.test(deadText) && /400/.test(deadText) && /answered 400/.test(deadText),
       '... with its channel, status and reason', deadText);
    if (SHOTS) await ad.screenshot({ path: `${SHOTS}/dead-letters.png` });
    await ad.click(`${dead} [data-testid="ch-resend"]`);
    ok(await until(async () => (await count(ad, dead)) === 0
                               && /again/.test(await ad.textContent('[data-testid="ch-dead-msg"]'))),
       '... "Resend" queues it again');
    ok(await until(async () => sent('This one is refused').length === 2
                               && (await attr(ag, dlvOf('This one is refused'), 'data-state')) === 'sent'),
       '... it goes out, and the agent reads "Sent"');
    ok(await ag.isHidden(`${mine('This one is refused')} [data-testid="msg-delivery-hint"]`), '... the hint gone');
    await ad.click('[data-testid="ch-close"]');

    // --- one customer on three ways in: tabs with unread counts (000 §2)

    const q1 = await say('qqf', (await api('GET', 'channels/qqf/key')).json.key, 'kim-qq', 'Kim on QQ');
    const web = await (await fetch(`${BASE}/tenants/${T}/conversations`, { method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ customer: 'ch-kim', queue: 'chq' }) })).json();
    ok(q1.status === 201 && q1.json.customer === 'ch-kim' && web.id, 'R1.4 Kim writes on QQ and on the web chat too',
      JSON.stringify([q1, web]));
    const qq = q1.json.conversation;
    const TAB = '[data-testid="wb-ch-tab"]';
    ok(await until(async () => (await count(ag, li(qq))) === 1 && (await count(ag, li(web.id))) === 1
                               && (await count(ag, TAB)) === 3),
       '... the agent has three of Kim\'s conversations: three tabs above the open one',
       await ag.textContent('[data-testid="wb-ch-tabs"]').catch(() => ''));
    const tabs = await ag.$$eval(TAB, (els) => els.map((e) => [e.dataset.channel, e.getAttribute('aria-selected'),
      e.querySelector('[data-testid="wb-ch-tab-unread"]').hidden ? '' : e.querySelector('[data-testid="wb-ch-tab-unread"]').textContent]));
    const qqTab = tabs.find((x) => x[0] === 'qqf') || [];
    ok(tabs.find((x) => x[0] === 'wxf')[1] === 'true' && qqTab[1] === 'false' && qqTab[2] === '1',
       '... the open one\'s (WeChat) selected, QQ\'s counting its unread message', JSON.stringify(tabs));
    ok((await ag.textContent(`${TAB}[data-channel="web"]`)).includes('Web chat'), '... the web chat\'s named so');
    if (SHOTS) await ag.screenshot({ path: `${SHOTS}/channels-tabs.png` });
    await ag.click(`${TAB}[data-channel="qqf"]`);
    ok(await until(async () => (await attr(ag, li(qq) + ' button', 'aria-current')) === 'true'
                               && /Kim on QQ/.test(await ag.textContent('#log'))
                               && (await attr(ag, `${TAB}[data-channel="qqf"]`, 'aria-selected')) === 'true'),
       '... a tab opens that channel\'s conversation');
    ok(await until(async () => await ag.isHidden(`${TAB}[data-channel="qqf"] [data-testid="wb-ch-tab-unread"]`)),
       '... which is read now');
    await ag.focus(`${TAB}[data-channel="qqf"]`);
    await ag.keyboard.press('ArrowLeft');
    ok(await until(async () => (await attr(ag, li(wx) + ' button', 'aria-current')) === 'true'),
       '... and the arrow keys move between the tabs');

    // --- in Chinese

    const zh = await workbench('admin', { locale: 'zh-CN' }, '?lang=zh-CN');
    ok(await until(async () => await htmlLang(zh) === 'zh-CN'), 'R10.1 an admin\'s workbench in Chinese');
    await zh.click('[data-testid="wb-channels"]');
    await until(async () => (await count(zh, row)) === 1);
    await zh.click(`${row} [data-testid="ch-show-key"]`);
    await until(async () => visible(zh, '[data-testid="ch-key"]'));
    const zhWords = await latinWords(zh, ['#ch-dialog .mg-head', '#ch-list .filters', '#ch-list thead', '#ch-key h3',
      '.ch-warn', '#ch-rows td:nth-child(2)', '#ch-rows td:nth-child(5)', '.ch-acts'], ['WeChat', 'QQ']);
    ok(/渠道/.test(await zh.textContent('#ch-h')) && !zhWords.length, '... its Channels dialog speaks Chinese', zhWords.join(' '));
    if (SHOTS) await zh.screenshot({ path: `${SHOTS}/channels-zh.png` });

    // the agent's pane in Chinese too: badge, tabs, delivery words
    const zag = await workbench('chen', { locale: 'zh-CN' }, '?lang=zh-CN');
    await until(async () => (await count(zag, li(wx))) === 1);
    await zag.click(li(wx));
    ok(await until(async () => (await zag.textContent(dlvOf('Hello Kim, Chen here'))) === '已送达'
                               && (await zag.textContent(`${TAB}[data-channel="web"]`)).includes('网页')),
       '... and the agent\'s delivery states and tabs');
    const zagWords = await latinWords(zag, ['#ch-tabs', '#log .meta', '.dlv-hint', '[data-testid="wb-conv"] .sub'],
      ['WeChat', 'QQ', 'chq']);
    ok(!zagWords.length, '... with no English word', zagWords.join(' '));
    if (SHOTS) await zag.screenshot({ path: `${SHOTS}/channels-tabs-zh.png` });

    for (const id of [wx, qq, web.id]) await api('POST', `conversations/${id}/end`, {});
    await api('POST', 'agents/chen/status', { status: 'offline' });
    for (const p of [ad, ag, zh, zag]) await p.context().close();
  } finally {
    rx.close();
  }
};
