// #13 §4: date separators in the threads (common.js), the workbench on a
// phone (R10.3, seed 001 §8: the list and the conversation as two views,
// a back button, the header stays) and its keyboard shortcuts (keys.js),
// in English and Simplified Chinese.  Run by t/browser/flows.js after its
// own flows, with its helpers (ctx).
'use strict';

module.exports = async (ctx) => {
  const { newContext, ok, api, until, login, latinWords, htmlLang, BASE, T, SHOTS, errors } = ctx;
  const PHONE = { width: 390, height: 780 };
  const contexts = [];
  const page = async (o) => {
    const c = await newContext(o);
    contexts.push(c);
    const p = await c.newPage();
    p.on('pageerror', (e) => errors.push(String(e)));
    return p;
  };
  const visible = (p, sel) => p.locator(sel).first().isVisible();
  // no page wider than the screen, nor a part of it that scrolls sideways
  // (but the tables' own boxes, .scroll)
  const fits = (p) => p.evaluate(() => document.documentElement.scrollWidth <= innerWidth
    && ![...document.querySelectorAll('body *')].some((e) => !e.closest('.scroll') && !/^(INPUT|TEXTAREA|SELECT)$/.test(e.tagName)
      && /auto|scroll/.test(getComputedStyle(e).overflowX) && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1));
  // a box wholly on the screen
  const onScreen = (p, sel) => p.$eval(sel, (e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
  });
  // the day separators of a thread and where the first dated entry is
  const days = (p, sel) => p.$eval(sel, (box) => {
    const seps = [...box.querySelectorAll('.day-sep')];
    const dated = [...box.querySelectorAll('[data-day]:not(.day-sep)')];
    return { seps: seps.map((s) => s.textContent), n: dated.length,
      named: seps.every((s) => s.getAttribute('role') === 'separator' && s.getAttribute('aria-label') === s.textContent),
      first: !!seps[0] && !!dated[0] && !!(seps[0].compareDocumentPosition(dated[0]) & Node.DOCUMENT_POSITION_FOLLOWING) };
  });

  // an agent of her own, the only one online: the customers below come to her
  for (const a of ['alice', 'bob', 'sam']) await api('POST', `agents/${a}/status`, { status: 'offline' });
  ok((await api('PUT', 'agents/mia', { name: 'Mia', role: 'agent', queues: ['bot', 'human'], capacity: 5,
    password: 'mia-demo-pass' })).status < 300, 'an agent for the phone: Mia');

  // --- the workbench on a phone (R10.3)

  const mp = await page({ viewport: PHONE });
  await login(mp, 'mia', 'mia-demo-pass');
  ok(await until(() => visible(mp, '[data-testid="wb-status"]')), 'R10.3 Mia signs in on a phone (390x780)');
  await mp.selectOption('[data-testid="wb-status"]', 'online');
  if (!(await mp.isChecked('[data-testid="wb-reception"]'))) await mp.check('[data-testid="wb-reception"]');
  ok(await until(async () => (await api('GET', 'agents/mia')).json.status === 'online'), '... and goes online from the header');

  // two customers, each on a phone
  const custs = [];
  for (const word of ['agent', 'human']) {
    const cp = await page({ viewport: PHONE });
    await cp.goto(`${BASE}/tenants/${T}/chat?ch=welcome&lang=en`);
    await until(async () => /Demo Shop bot/.test(await cp.textContent('[data-testid="chat-log"]')));
    await cp.fill('[data-testid="chat-input"]', word);
    await cp.click('[data-testid="chat-send"]');
    await until(async () => !!(await cp.evaluate((t) => localStorage.getItem('csq:' + t + ':conv'), T)));
    const id = await cp.evaluate((t) => JSON.parse(localStorage.getItem('csq:' + t + ':conv')).id, T);
    custs.push({ page: cp, id, li: `[data-testid="wb-conv"][data-id="${id}"]` });
  }
  const [c1, c2] = custs;
  ok(await until(async () => (await mp.$$(c1.li)).length === 1 && (await mp.$$(c2.li)).length === 1),
     '... two customers hand off to her', custs.map((c) => c.id).join(' '));

  // date separators on the chat page: "Today" once, before the first message
  ok(await until(async () => /Mia/.test(await c1.page.textContent('[data-testid="chat-status"]'))), 'the customer is served by Mia');
  const cd = await days(c1.page, '[data-testid="chat-log"]');
  ok(cd.seps.length === 1 && cd.seps[0] === 'Today' && cd.first && cd.n >= 3 && cd.named,
     '#13 §4 the chat page: a "Today" separator before the first message, none between two of today\'s', JSON.stringify(cd));

  // the list view: the list, no conversation pane, no back button
  ok(await visible(mp, '[data-testid="wb-list"]') && !(await visible(mp, '.pane')) && !(await visible(mp, '[data-testid="wb-back"]')),
     'R10.3 the phone shows the list alone');
  ok(await visible(mp, '[data-testid="wb-pickup"]'), '... with the pick-up list below it');
  ok(await fits(mp), '... no wider than the screen', await mp.evaluate(() => document.documentElement.scrollWidth));
  if (SHOTS) await mp.screenshot({ path: `${SHOTS}/mobile-list.png` });

  // the conversation view
  await mp.click(`${c1.li} button`);
  ok(await until(async () => await visible(mp, '.pane') && await visible(mp, '[data-testid="wb-back"]')),
     'R10.3 opening a conversation shows it, with a back button');
  ok(!(await visible(mp, '[data-testid="wb-list"]')), '... and not the list');
  ok(await onScreen(mp, 'header.bar') && await visible(mp, '[data-testid="wb-status"]'), '... the header stays, the status in it');
  ok(await onScreen(mp, '[data-testid="wb-input"]') && await onScreen(mp, '[data-testid="wb-end"]'),
     '... the reply box and the tools on the screen');
  ok(await mp.evaluate(() => document.activeElement && document.activeElement.id === 'back'),
     '... the focus on the back button (no keyboard popping over it)');
  await mp.fill('[data-testid="wb-input"]', 'Hello from a phone');
  await mp.click('[data-testid="wb-send"]');
  ok(await until(async () => /Hello from a phone/.test(await c1.page.textContent('[data-testid="chat-log"]'))), '... she answers from it');
  ok(await fits(mp), '... no wider than the screen', await mp.evaluate(() => document.documentElement.scrollWidth));
  const wd = await days(mp, '#log');
  ok(wd.seps.length === 1 && wd.seps[0] === 'Today' && wd.first && wd.n >= 3,
     '#13 §4 the workbench\'s thread: "Today" once, before its first message', JSON.stringify(wd));
  if (SHOTS) await mp.screenshot({ path: `${SHOTS}/mobile-conversation.png` });

  // a thread's separators however its entries come (out of order, an
  // older page first, a pending one): the page's own Thread
  const synth = await mp.evaluate(() => {
    const box = document.createElement('div');
    const th = new csq.Thread(box, { mine: (m) => m.from.role === 'agent', system: (m) => m.text });
    const now = new Date();
    const at = (d, h) => new Date(now.getFullYear(), now.getMonth(), now.getDate() - d, h).getTime();
    const msg = (d, h, text) => ({ id: at(d, h) + '-0', kind: 'text', text, from: { role: 'customer', id: 'x' }, at: at(d, h) });
    for (const [d, h, text] of [[0, 9, 't9'], [1, 15, 'y15'], [0, 8, 't8'], [1, 10, 'y10'], [3, 12, 'o12']]) th.add(msg(d, h, text));
    th.pending('r1', { kind: 'text', text: 'p', from: { role: 'agent', id: 'me' }, at: Date.now() });
    const old = new Date(at(3, 12));
    return { seq: [...box.children].map((e) => (e.classList.contains('day-sep') ? '[' + e.textContent + ']' : e.querySelector('.body').textContent)),
      old: old.toLocaleDateString('en', { weekday: 'long', month: 'long', day: 'numeric',
        year: old.getFullYear() === now.getFullYear() ? undefined : 'numeric' }) };
  });
  const want = [`[${synth.old}]`, 'o12', '[Yesterday]', 'y10', 'y15', '[Today]', 't8', 't9', 'p'];
  ok(JSON.stringify(synth.seq) === JSON.stringify(want),
     '#13 §4 a thread of three days, its entries out of order: each day once, before its first entry ("Yesterday", an older one\'s date)',
     synth.seq.join(' '));

  // the customer's pane, below the conversation; a past conversation's
  // transcript over two days (the server's pages shown as from yesterday
  // and today: the older page comes by "Earlier messages")
  await mp.click('[data-testid="wb-to-cust"]');
  ok(await until(() => onScreen(mp, '#h-cust')), 'R10.3 the customer\'s pane is reached from the conversation');
  ok(await onScreen(mp, 'header.bar') && await mp.evaluate(() => document.documentElement.scrollHeight <= innerHeight),
     '... the header still on the screen (the page itself does not scroll)',
     await mp.evaluate(() => [document.documentElement.scrollHeight, scrollY]));
  ok(await until(async () => (await mp.$$('[data-testid="wb-cust-conv"]')).length >= 1), '... with the customer\'s conversations');
  const DAY = 86400000;
  let newest = [];
  await mp.route(/\/messages\?limit=50/, async (route) => {
    const r = await route.fetch();
    const j = await r.json();
    if (!/before=/.test(route.request().url())) {
      newest = j.messages;
      j.more_before = true;
    } else {
      // the first entries again, a day older: the older page
      j.messages = newest.slice(0, 3).map((m) => ({ ...m, id: (Number(m.id.split('-')[0]) - DAY) + '-' + m.id.split('-')[1],
        at: (m.at || 0) - DAY, ref: undefined }));
      j.more_before = false;
    }
    await route.fulfill({ response: r, json: j });
  });
  await mp.click(`[data-testid="wb-cust-conv"][data-id="${c1.id}"]`);
  ok(await until(async () => await visible(mp, '[data-testid="wb-transcript"]') && (await mp.$$('#tr-log .msg')).length >= 3
                             && await visible(mp, '[data-testid="wb-tr-earlier"]')), 'the transcript opens');
  ok(await onScreen(mp, '[data-testid="wb-transcript"]'), 'R10.3 ... within the screen');
  await mp.click('[data-testid="wb-tr-earlier"]');
  ok(await until(async () => (await days(mp, '#tr-log')).seps.length === 2), '... its earlier messages come first');
  const td = await days(mp, '#tr-log');
  const todayFirst = await mp.$eval('#tr-log', (box) => {
    const s = [...box.querySelectorAll('.day-sep')][1];
    const next = s && s.nextElementSibling;
    const prev = s && s.previousElementSibling;
    return !!next && !!prev && next.dataset.day !== prev.dataset.day && next.dataset.day === s.dataset.day;
  });
  ok(td.seps.join('|') === 'Yesterday|Today' && td.first && todayFirst,
     '#13 §4 the transcript of two days: "Yesterday" before the older page, "Today" before today\'s first', JSON.stringify(td));
  await mp.unroute(/\/messages\?limit=50/);
  await mp.keyboard.press('Escape');
  ok(await until(async () => !(await visible(mp, '[data-testid="wb-transcript"]'))), 'Escape closes the transcript');

  // a dialog on the phone
  await mp.click('[data-testid="wb-end"]');
  ok(await until(() => visible(mp, '[data-testid="wb-end-dialog"]')) && await onScreen(mp, '[data-testid="wb-end-dialog"]'),
     'R10.3 the end dialog fits the screen');
  await mp.keyboard.press('Escape');
  ok(await until(async () => !(await visible(mp, '[data-testid="wb-end-dialog"]'))), '... Escape closes it');

  // back to the list: the back button, the browser's Back
  await mp.click('[data-testid="wb-back"]');
  ok(await until(async () => await visible(mp, '[data-testid="wb-list"]') && !(await visible(mp, '.pane'))),
     'R10.3 the back button returns to the list');
  ok(await mp.evaluate((id) => !!document.activeElement.closest(`[data-id="${id}"]`), c1.id),
     '... the focus on the conversation left');
  await mp.click(`${c2.li} button`);
  await until(() => visible(mp, '.pane'));
  await mp.goBack();
  ok(await until(async () => await visible(mp, '[data-testid="wb-list"]') && !(await visible(mp, '.pane')))
     && await visible(mp, '[data-testid="wb-status"]'), '... and so does the browser\'s Back, staying on the workbench');
  ok(await fits(mp), '... no wider than the screen');

  // the Customers view on the phone
  await mp.click('[data-testid="wb-v-library"]');
  ok(await until(() => visible(mp, '[data-testid="lib-form"]')) && await fits(mp), 'R10.3 the Customers view fits the phone too',
     await mp.evaluate(() => document.documentElement.scrollWidth));
  await mp.click('[data-testid="wb-v-chats"]');

  // in Chinese: the reload opens the conversation that was open
  await mp.click(`${c1.li} button`);
  await mp.goto(`${BASE}/tenants/${T}/workbench?lang=zh-CN`);
  ok(await until(async () => await htmlLang(mp) === 'zh-CN' && await visible(mp, '.pane') && await visible(mp, '[data-testid="wb-back"]')
                             && (await mp.$$('#log .msg')).length >= 3),
     'R10.3 in Chinese, after a reload: the open conversation again');
  const zd = await days(mp, '#log');
  ok(zd.seps.join() === '今天', '#13 §4 ... its day "今天"', zd.seps.join());
  const zLatin = await latinWords(mp, ['header.bar', '.pane-head', '#composer', '#log .day-sep'], ['Mia', 'mia']);
  ok(!zLatin.length && (await mp.textContent('[data-testid="wb-back"]')).includes('会话列表'),
     'R10.1 ... the back button and the header in Chinese', zLatin.join(' '));
  ok(await fits(mp), '... no wider than the screen');
  if (SHOTS) await mp.screenshot({ path: `${SHOTS}/mobile-conversation-zh.png` });
  await mp.click('[data-testid="wb-back"]');
  ok(await until(async () => await visible(mp, '[data-testid="wb-list"]') && !(await visible(mp, '.pane'))) && await fits(mp),
     '... its list, no wider than the screen');
  if (SHOTS) await mp.screenshot({ path: `${SHOTS}/mobile-list-zh.png` });

  // --- keyboard shortcuts on a desktop (#13 §4)

  const kp = await page({ viewport: { width: 1280, height: 800 } });
  await login(kp, 'mia', 'mia-demo-pass');
  ok(await until(async () => (await kp.$$(c1.li)).length === 1 && (await kp.$$(c2.li)).length === 1),
     'Mia on a desktop too: both conversations');
  const open = () => kp.$eval('[data-testid="wb-list"] [aria-current="true"]', (b) => b.closest('li').dataset.id).catch(() => null);
  const order = await kp.$$eval('[data-testid="wb-conv"]:not([hidden]):not(.filtered)', (ls) => ls.map((l) => l.dataset.id));

  ok(!(await visible(kp, '[data-testid="wb-back"]')), 'no back button on a desktop');
  await kp.keyboard.press('?');
  ok(await until(() => visible(kp, '[data-testid="wb-keys-dialog"]')), '"?" shows the keyboard shortcuts');
  const help = await kp.textContent('[data-testid="wb-keys-dialog"]');
  ok(/Alt\s*\+\s*E\s*End the conversation/.test(help) && /Next conversation/.test(help) && /Quick replies/.test(help),
     '... the shortcuts with what each does', help);
  if (SHOTS) await kp.screenshot({ path: `${SHOTS}/shortcuts-help.png` });
  await kp.keyboard.press('Escape');
  ok(await until(async () => !(await visible(kp, '[data-testid="wb-keys-dialog"]'))), '... Escape closes it');
  await kp.click('[data-testid="wb-keys"]');
  ok(await until(() => visible(kp, '[data-testid="wb-keys-dialog"]')), '... and so does the header\'s Shortcuts button');
  await kp.click('[data-testid="wb-keys-close"]');

  await kp.click(`[data-testid="wb-conv"][data-id="${order[0]}"] button`);
  ok(await until(async () => await open() === order[0]), 'a conversation is open');
  await kp.keyboard.type('a?');
  ok(!(await visible(kp, '[data-testid="wb-keys-dialog"]')) && (await kp.inputValue('[data-testid="wb-input"]')) === 'a?',
     '... "?" in the reply box is typed, no help');
  await kp.keyboard.press('Alt+ArrowDown');
  ok(await until(async () => await open() === order[1]), 'Alt+ArrowDown opens the next conversation, from the reply box too',
     await open());
  await kp.click(`[data-testid="wb-conv"][data-id="${order[1]}"] button`);
  await until(async () => await open() === order[1]);
  await kp.keyboard.press('Alt+ArrowUp');
  ok(await until(async () => await open() === order[0]), 'Alt+ArrowUp the previous one', await open());
  ok((await kp.inputValue('[data-testid="wb-input"]')) === 'a?', '... the draft of the first kept');
  await kp.fill('[data-testid="wb-input"]', '');

  // Alt+N: the one with an unread message
  await kp.click(`${c1.li} button`);
  await until(async () => await open() === c1.id);
  const other = c2;
  await other.page.fill('[data-testid="chat-input"]', 'one more question');
  await other.page.click('[data-testid="chat-send"]');
  ok(await until(async () => await kp.isVisible(`[data-testid="wb-conv"][data-id="${other.id}"] [data-testid="wb-unread"]`)),
     'the other customer writes: unread');
  await kp.keyboard.press('Alt+KeyN');
  ok(await until(async () => await open() === other.id), 'Alt+N opens the conversation with unread messages', await open());
  await kp.keyboard.press('Alt+KeyN');
  ok(await until(async () => /No conversation is unread or waiting/.test(await kp.textContent('[data-testid="wb-banner"]'))),
     '... and says when none is left');

  await kp.keyboard.press('Alt+KeyE');
  ok(await until(() => visible(kp, '[data-testid="wb-end-dialog"]')), 'Alt+E opens the end dialog');
  await kp.keyboard.press('Escape');
  ok(await until(async () => !(await visible(kp, '[data-testid="wb-end-dialog"]'))), '... Escape closes it');
  await kp.keyboard.press('Alt+KeyT');
  ok(await until(() => visible(kp, '#transfer-dialog')), 'Alt+T opens the transfer dialog');
  await kp.keyboard.press('Escape');
  ok(await until(async () => !(await visible(kp, '#transfer-dialog'))), '... Escape closes it');
  ok((await kp.inputValue('[data-testid="wb-input"]')) === '', 'no shortcut typed a character');
  ok(await kp.getAttribute('[data-testid="wb-end"]', 'aria-keyshortcuts') === 'Alt+E', 'the End button names its shortcut');

  // the customers go, Mia goes offline
  for (const c of custs) await api('POST', `conversations/${c.id}/end`, { reason: 'solved' });
  await api('POST', 'agents/mia/status', { status: 'offline' });
  for (const c of contexts) await c.close();
};
