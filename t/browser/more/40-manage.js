// Managing quick replies and articles from the workbench (#13 §2, R4.8,
// R4.10, seeds 001 and 004): the header's "Quick replies & articles"
// dialog.  An agent adds, edits, moves (buttons and dragging) and deletes
// its own replies, which the composer's "/" then offers in that order;
// exports and imports them as CSV; reads the team's and the articles
// without the controls it may not use.  A supervisor adds a team reply and
// an external article, edits it, and the chat page's FAQ bar lists it;
// deletes one after a confirmation.  The dialog in Chinese too.
// Screenshots: manage-replies, manage-articles (and -zh).
'use strict';

const fs = require('fs');

module.exports = async (ctx) => {
  const { newContext, ok, api, until, latinWords, htmlLang, BASE, T, SHOTS, errors, workbench, aliceWithChat } = ctx;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  const QR = '#mg-qr-list [data-testid="mg-qr-item"]';
  const qrTitles = (p, sel = QR) => p.$$eval(`${sel} .mg-title`, (els) => els.map((e) => e.textContent));
  const idOf = (p, title, sel = QR) => p.$$eval(sel, (els, x) => {
    const e = els.find((li) => li.querySelector('.mg-title').textContent === x);
    return e ? e.dataset.id : null;
  }, title);
  const composerTitles = (p) => p.$$eval('[data-testid="wb-qr-item"] strong', (els) => els.map((e) => e.textContent));
  const visible = (p, sel) => p.isVisible(sel);
  const count = async (p, sel) => (await p.$$(sel)).length;
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  async function openDialog(p) {
    await p.click('[data-testid="wb-manage"]');
    return until(async () => visible(p, '[data-testid="mg-dialog"]'));
  }

  async function addReply(p, category, title, text) {
    await p.click('[data-testid="mg-qr-add"]');
    await p.fill('[data-testid="mg-qr-category"]', category);
    await p.fill('[data-testid="mg-qr-title"]', title);
    await p.fill('[data-testid="mg-qr-text"]', text);
    await p.click('[data-testid="mg-qr-save"]');
    return until(async () => (await qrTitles(p)).includes(title) && await p.isHidden('[data-testid="mg-qr-form"]'));
  }

  // --- an agent: a conversation of hers, for the composer

  const { al, li } = await aliceWithChat({ customer: 'mg-walkin', queue: 'human' },
    'the agent has a conversation (for the composer)');
  await al.click(li);
  await until(async () => !(await al.locator('[data-testid="wb-input"]').isDisabled()));

  // --- the dialog: an agent's own replies first; the team's read only

  ok(await openDialog(al), '#13 §2 the header\'s button opens the quick replies and articles');
  ok(await until(async () => (await al.getAttribute('[data-testid="mg-mine"]', 'aria-pressed')) === 'true'
                             && await visible(al, '[data-testid="mg-qr-add"]')),
     '... an agent starts on its own quick replies, which it may add');
  await al.click('[data-testid="mg-team"]');
  ok(await until(async () => (await qrTitles(al)).includes('Shipping time')),
     'R4.8 the agent reads the team\'s replies', (await qrTitles(al)).join(', '));
  ok(await al.$$eval('#mg-qr-list [data-testid="mg-qr-cat"] h3', (els) => els.map((e) => e.textContent)
    .some((x) => /^Welcome \(3\)$/.test(x))),
     '... grouped by category', await al.textContent('#mg-qr-list'));
  ok(await count(al, '#mg-qr-list button') === 0 && await al.isHidden('[data-testid="mg-qr-add"]')
     && await al.isHidden('#mg-qr-import-label') && await visible(al, '[data-testid="mg-qr-readonly"]')
     && await visible(al, '[data-testid="mg-qr-export"]'),
     'R9.1 ... with no control to add, edit, move, delete or import them (export only)');

  // --- her own: add, edit, move, delete

  await al.click('[data-testid="mg-mine"]');
  await until(async () => (await al.getAttribute('[data-testid="mg-mine"]', 'aria-pressed')) === 'true');
  await al.click('[data-testid="mg-qr-add"]');
  ok(await al.evaluate(() => document.activeElement.id) === 'mg-qr-category'
     && /\{customer_name\}.*\{agent_name\}/.test(await al.textContent('#mg-qr-vars')),
     '... a new reply\'s form takes the focus and names the variables');
  await al.click('#mg-qr-cancel');
  ok(await al.evaluate(() => document.activeElement.dataset.testid) === 'mg-qr-add',
     '... cancelled, the focus is back on its button');
  await al.click('[data-testid="mg-qr-add"]');
  await al.keyboard.press('Escape');
  ok(await until(async () => await al.isHidden('[data-testid="mg-qr-form"]'))
     && await visible(al, '[data-testid="mg-dialog"]')
     && await al.evaluate(() => document.activeElement.dataset.testid) === 'mg-qr-add',
     '... Escape closes the form (not the dialog), the focus back on its button');
  await al.click('[data-testid="mg-qr-add"]');
  await al.click('[data-testid="mg-qr-save"]');
  ok(await until(async () => await visible(al, '[data-testid="mg-qr-error"]')),
     '... a reply with no text is not saved, and says why', await al.textContent('[data-testid="mg-qr-error"]'));
  await al.click('#mg-qr-cancel');
  ok(await addReply(al, 'Mine test', 'Alpha', 'Alpha mgtest for {customer_name}')
     && await addReply(al, 'Mine test', 'Beta', 'Beta mgtest')
     && await addReply(al, 'Mine test', 'Gamma', 'Gamma mgtest from {agent_name}'),
     'R4.8 the agent adds three replies of her own');
  ok(same(await qrTitles(al), ['Alpha', 'Beta', 'Gamma']), '... each at the end', (await qrTitles(al)).join(', '));

  const beta = await idOf(al, 'Beta');
  await al.click(`[data-testid="mg-qr-edit"][data-id="${beta}"]`);
  ok(await until(async () => (await al.inputValue('[data-testid="mg-qr-title"]')) === 'Beta'
                             && (await al.inputValue('[data-testid="mg-qr-category"]')) === 'Mine test'),
     '... edits one: the form holds it');
  await al.fill('[data-testid="mg-qr-title"]', 'Beta edited');
  await al.fill('[data-testid="mg-qr-text"]', 'Beta mgtest, edited');
  await al.click('[data-testid="mg-qr-save"]');
  ok(await until(async () => same(await qrTitles(al), ['Alpha', 'Beta edited', 'Gamma'])),
     '... saved in its place', (await qrTitles(al)).join(', '));

  const gamma = await idOf(al, 'Gamma');
  await al.click(`[data-testid="mg-qr-up"][data-id="${gamma}"]`);
  ok(await until(async () => same(await qrTitles(al), ['Alpha', 'Gamma', 'Beta edited'])),
     'R4.8 ... moves one up', (await qrTitles(al)).join(', '));
  ok(await al.evaluate(() => document.activeElement.dataset.testid) === 'mg-qr-up',
     '... the focus stays on the reply moved');
  const alpha = await idOf(al, 'Alpha');
  await al.click(`[data-testid="mg-qr-down"][data-id="${alpha}"]`);
  ok(await until(async () => same(await qrTitles(al), ['Gamma', 'Alpha', 'Beta edited'])),
     '... and one down', (await qrTitles(al)).join(', '));
  ok(await al.$eval(`${QR}:first-child [data-testid="mg-qr-up"]`, (b) => b.disabled)
     && await al.$eval(`${QR}:last-child [data-testid="mg-qr-down"]`, (b) => b.disabled),
     '... (the first cannot go up, the last down)');

  await al.click(`[data-testid="mg-qr-del"][data-id="${alpha}"]`);
  ok(await until(async () => await visible(al, '[data-testid="mg-confirm"]'))
     && /Alpha/.test(await al.textContent('[data-testid="mg-confirm"]'))
     && await al.evaluate(() => document.activeElement.dataset.testid) === 'mg-confirm-no',
     '... deleting asks first (Cancel has the focus)');
  await al.click('[data-testid="mg-confirm-no"]');
  await sleep(300);
  ok((await qrTitles(al)).includes('Alpha'), '... Cancel keeps it');
  await al.click(`[data-testid="mg-qr-del"][data-id="${alpha}"]`);
  await until(async () => visible(al, '[data-testid="mg-confirm"]'));
  await al.click('[data-testid="mg-confirm-yes"]');
  ok(await until(async () => same(await qrTitles(al), ['Gamma', 'Beta edited'])),
     '... Delete deletes it', (await qrTitles(al)).join(', '));

  // the composer's "/" offers them in the new order
  await al.click('[data-testid="mg-close"]');
  ok(await until(async () => await al.isHidden('[data-testid="mg-dialog"]'))
     && await al.evaluate(() => document.activeElement.dataset.testid) === 'wb-manage',
     'closing the dialog gives the focus back to its button');
  await al.fill('[data-testid="wb-input"]', '/mgtest');
  ok(await until(async () => same(await composerTitles(al), ['Gamma', 'Beta edited'])),
     'R4.8 the composer\'s "/" offers her replies as edited, in their new order', (await composerTitles(al)).join(', '));
  await al.press('[data-testid="wb-input"]', 'Enter');
  ok(await until(async () => (await al.inputValue('[data-testid="wb-input"]')) === 'Gamma mgtest from Alice'),
     '... its variables filled in', await al.inputValue('[data-testid="wb-input"]'));
  await al.fill('[data-testid="wb-input"]', '');

  // --- CSV: export, import (seed 004)

  await openDialog(al);
  await until(async () => (await qrTitles(al)).includes('Gamma'));
  const [dl] = await Promise.all([al.waitForEvent('download'), al.click('[data-testid="mg-qr-export"]')]);
  const csv = fs.readFileSync(await dl.path(), 'utf8');
  ok(dl.suggestedFilename() === 'quick-replies-mine.csv'
     && /^category,title,text\r\nMine test,Gamma,Gamma mgtest from \{agent_name\}\r\nMine test,Beta edited,"Beta mgtest, edited"\r\n$/.test(csv),
     'seed 004: Export CSV downloads her replies, in order', `${dl.suggestedFilename()}\n${csv}`);
  await al.setInputFiles('[data-testid="mg-qr-import"]', { name: 'more.csv', mimeType: 'text/csv',
    buffer: Buffer.from('category,title,text\r\nImported,Delta,Delta mgtest\r\nImported,Epsilon,"Epsilon, mgtest"\r\n') });
  ok(await until(async () => same(await qrTitles(al), ['Gamma', 'Beta edited', 'Delta', 'Epsilon'])),
     'seed 004: Import CSV adds its rows at the end', (await qrTitles(al)).join(', '));
  ok(/Added: 2/.test(await al.textContent('[data-testid="mg-qr-msg"]')), '... and says how many',
    await al.textContent('[data-testid="mg-qr-msg"]'));
  ok(same(await al.$$eval('#mg-qr-list [data-testid="mg-qr-cat"]', (els) => els.map((e) => e.dataset.category)),
    ['Mine test', 'Imported']), '... in a category of their own');

  // dragging within a category does what the arrows do
  const eps = await idOf(al, 'Epsilon'), delta = await idOf(al, 'Delta');
  await al.dragAndDrop(`${QR}[data-id="${eps}"]`, `${QR}[data-id="${delta}"]`);
  ok(await until(async () => same(await qrTitles(al), ['Gamma', 'Beta edited', 'Epsilon', 'Delta'])),
     'R4.8 a reply dragged onto another takes its place', (await qrTitles(al)).join(', '));
  await al.click(`[data-testid="mg-qr-edit"][data-id="${await idOf(al, 'Gamma')}"]`);
  await until(async () => visible(al, '[data-testid="mg-qr-form"]'));
  if (SHOTS) await al.screenshot({ path: `${SHOTS}/manage-replies.png` });
  await al.click('#mg-qr-cancel');

  // on a phone: the form first, then the list (a look, no check)
  if (SHOTS) {
    await al.setViewportSize({ width: 390, height: 780 });
    await al.click(`[data-testid="mg-qr-edit"][data-id="${await idOf(al, 'Gamma')}"]`);
    await al.screenshot({ path: `${SHOTS}/manage-phone.png` });
    await al.click('#mg-qr-cancel');
    await al.setViewportSize({ width: 1280, height: 860 });
  }

  // the articles: an agent reads them, changes none
  await al.click('[data-testid="mg-s-kb"]');
  ok(await until(async () => (await count(al, '[data-testid="mg-kb-item"]')) >= 2),
     'R4.10 the agent lists the articles');
  ok(await count(al, '[data-testid="mg-kb-edit"], [data-testid="mg-kb-del"]') === 0
     && await al.isHidden('[data-testid="mg-kb-add"]') && await visible(al, '[data-testid="mg-kb-readonly"]'),
     'R9.1 ... with no control to add, edit or delete them');
  await al.click('[data-testid="mg-kb-read"][data-id="refund-policy"]');
  ok(await until(async () => /ask Sam/.test(await al.textContent('[data-testid="mg-kb-item"][data-id="refund-policy"] [data-testid="mg-kb-full"]'))),
     '... and reads one whole (an internal one)');
  await al.click('[data-testid="mg-close"]');

  // --- a supervisor: the team's replies and the articles

  const sam = await workbench('sam', 'sam-demo-pass');
  await openDialog(sam);
  ok(await until(async () => (await sam.getAttribute('[data-testid="mg-team"]', 'aria-pressed')) === 'true'
                             && (await qrTitles(sam)).includes('Shipping time')
                             && await visible(sam, '[data-testid="mg-qr-add"]')),
     'a supervisor starts on the team\'s replies, which it may change');
  ok(await addReply(sam, 'Orders', 'Return window', 'mgteam: you have 30 days to return it, {customer_name}.'),
     'R4.8 the supervisor adds a team reply');
  ok(same((await qrTitles(sam, '#mg-qr-list [data-category="Orders"] [data-testid="mg-qr-item"]')).slice(-1), ['Return window']),
     '... at the end of its category', await sam.textContent('#mg-qr-list [data-category="Orders"]'));
  const team = (await api('GET', 'quick-replies?scope=team')).json;
  ok(team && team.team.some((r) => r.title === 'Return window' && r.category === 'Orders'),
     '... kept as the team\'s');
  const rw = await idOf(sam, 'Return window');
  await sam.click(`[data-testid="mg-qr-up"][data-id="${rw}"]`);
  ok(await until(async () => {
    const o = await qrTitles(sam, '#mg-qr-list [data-category="Orders"] [data-testid="mg-qr-item"]');
    return o.indexOf('Return window') === o.length - 2;
  }), '... and moves it up');
  await al.click('[data-testid="wb-manage"]');
  await al.click('[data-testid="mg-s-qr"]');
  await al.click('[data-testid="mg-team"]');
  ok(await until(async () => (await qrTitles(al)).includes('Return window')),
     '... every agent has it');
  if (SHOTS) await al.screenshot({ path: `${SHOTS}/manage-team-agent.png` });
  await al.click('[data-testid="mg-close"]');

  // the articles
  await sam.click('[data-testid="mg-s-kb"]');
  ok(await until(async () => (await count(sam, '[data-testid="mg-kb-item"]')) >= 2
                             && await visible(sam, '[data-testid="mg-kb-add"]')),
     'R4.10 the supervisor lists the articles, which it may change');
  await sam.selectOption('[data-testid="mg-kb-cat"]', 'Internal');
  ok(await until(async () => same(await sam.$$eval('[data-testid="mg-kb-item"]', (els) => els.map((e) => e.dataset.id)), ['refund-policy'])),
     '... filtered by category');
  await sam.selectOption('[data-testid="mg-kb-cat"]', '');
  await sam.fill('[data-testid="mg-kb-q"]', 'warehouse');
  ok(await until(async () => same(await sam.$$eval('[data-testid="mg-kb-item"]', (els) => els.map((e) => e.dataset.id)), ['delivery'])),
     '... found by a word of the text');
  await sam.fill('[data-testid="mg-kb-q"]', '');

  await sam.click('[data-testid="mg-kb-add"]');
  await sam.fill('[data-testid="mg-kb-title"]', 'Gift wrapping');
  await sam.fill('[data-testid="mg-kb-category"]', 'Orders');
  await sam.fill('[data-testid="mg-kb-body"]', 'We wrap any order as a gift, free of charge.');
  ok(/FAQ bar/.test(await sam.textContent('#mg-kb-ext-note')), '... the external box says where those show');
  await sam.check('[data-testid="mg-kb-external"]');
  await sam.click('[data-testid="mg-kb-save"]');
  const gift = '[data-testid="mg-kb-item"]:has(.mg-title:text-is("Gift wrapping"))';
  ok(await until(async () => (await count(sam, gift)) === 1
                             && (await sam.textContent(`${gift} [data-testid="mg-kb-kind"]`)) === 'External'),
     'R4.10 the supervisor adds an external article');
  const gid = await sam.getAttribute(gift, 'data-id');
  await sam.click(`[data-testid="mg-kb-edit"][data-id="${gid}"]`);
  ok(await until(async () => (await sam.inputValue('[data-testid="mg-kb-body"]')) === 'We wrap any order as a gift, free of charge.'
                             && await sam.isChecked('[data-testid="mg-kb-external"]')),
     '... edits it: the form holds it whole');
  await sam.fill('[data-testid="mg-kb-body"]', 'We wrap any order as a gift, free of charge, with a card.');
  await sam.click('[data-testid="mg-kb-save"]');
  ok(await until(async () => ((await api('GET', `kb/${gid}`)).json || {}).body === 'We wrap any order as a gift, free of charge, with a card.'),
     '... and saves it');
  const pub = await (await fetch(`${BASE}/tenants/${T}/kb/public`)).json();
  ok(pub.articles.some((a) => a.id === gid && a.title === 'Gift wrapping'), '... customers may read it (kb/public)');
  const chat = await (await newContext()).newPage();
  chat.on('pageerror', (e) => errors.push(String(e)));
  await chat.goto(`${BASE}/tenants/${T}/chat?ch=welcome`);
  ok(await until(async () => /Gift wrapping/.test(await chat.textContent('[data-testid="chat-faq"]'))),
     'R4.10 the chat page\'s FAQ bar lists it', await chat.textContent('[data-testid="chat-faq"]').catch(() => ''));
  await chat.click('[data-testid="chat-article"]:text-is("Gift wrapping")');
  ok(await until(async () => /with a card/.test(await chat.textContent('[data-testid="chat-article-dialog"]'))),
     '... and opens it as edited');
  await chat.context().close();

  // an internal one, deleted after a confirmation
  await sam.click('[data-testid="mg-kb-add"]');
  await sam.fill('[data-testid="mg-kb-title"]', 'Old notice');
  await sam.fill('[data-testid="mg-kb-body"]', 'Closed on Monday.');
  await sam.click('[data-testid="mg-kb-save"]');
  const old = '[data-testid="mg-kb-item"]:has(.mg-title:text-is("Old notice"))';
  ok(await until(async () => (await count(sam, old)) === 1
                             && (await sam.textContent(`${old} [data-testid="mg-kb-kind"]`)) === 'Internal'),
     'R4.10 ... adds an internal one');
  const oid = await sam.getAttribute(old, 'data-id');
  ok(!(await (await fetch(`${BASE}/tenants/${T}/kb/public`)).json()).articles.some((a) => a.id === oid),
     '... which customers do not get');
  await sam.click(`[data-testid="mg-kb-del"][data-id="${oid}"]`);
  await until(async () => visible(sam, '[data-testid="mg-confirm"]'));
  await sam.click('[data-testid="mg-confirm-yes"]');
  let gone = null;
  ok(await until(async () => (await count(sam, old)) === 0 && (gone = await api('GET', `kb/${oid}`)).status === 404),
     '... and deletes it after a confirmation', `${oid}: ${JSON.stringify(gone)}`);
  await sam.click(`[data-testid="mg-kb-edit"][data-id="${gid}"]`);
  await until(async () => visible(sam, '[data-testid="mg-kb-form"]'));
  if (SHOTS) await sam.screenshot({ path: `${SHOTS}/manage-articles.png` });
  await sam.click('#mg-kb-cancel');

  // --- in Chinese (R10.1)

  await sam.goto(`${BASE}/tenants/${T}/workbench?lang=zh-CN`);
  await until(async () => await htmlLang(sam) === 'zh-CN' && await visible(sam, '[data-testid="wb-manage"]'));
  ok((await sam.textContent('[data-testid="wb-manage"]')) === '快捷回复与知识库', 'R10.1 the button in Chinese');
  await openDialog(sam);
  await until(async () => (await qrTitles(sam)).includes('Return window'));
  await sam.click(`[data-testid="mg-qr-edit"][data-id="${rw}"]`);
  await until(async () => visible(sam, '[data-testid="mg-qr-form"]'));
  const allowed = ['{customer_name}', '{agent_name}', 'Welcome', 'Orders', 'Greetings', 'Internal', 'Imported'];
  const qrLatin = await latinWords(sam, ['.mg-head', '#mg-qr .filters', '#mg-qr > .note', '#mg-qr-list h3',
    '#mg-qr-list .mg-actions', '#mg-qr-form h3', '#mg-qr-form label', '#mg-qr-form .note', '#mg-qr-form button'], allowed);
  ok(!qrLatin.length, 'R10.1 the quick replies\' management in Chinese', qrLatin.join(' '));
  if (SHOTS) await sam.screenshot({ path: `${SHOTS}/manage-replies-zh.png` });
  await sam.click('#mg-qr-cancel');
  await sam.click('[data-testid="mg-s-kb"]');
  await until(async () => (await count(sam, gift)) === 1);
  await sam.click(`[data-testid="mg-kb-edit"][data-id="${gid}"]`);
  await until(async () => visible(sam, '[data-testid="mg-kb-form"]'));
  const kbLatin = await latinWords(sam, ['.mg-head', '#mg-kb .filters', '#mg-kb > .note', '#mg-kb-list .sub',
    '#mg-kb-list .mg-actions', '#mg-kb-form h3', '#mg-kb-form label', '#mg-kb-form .note', '#mg-kb-form button'], allowed);
  ok(!kbLatin.length, 'R10.1 the articles\' management in Chinese', kbLatin.join(' '));
  if (SHOTS) await sam.screenshot({ path: `${SHOTS}/manage-articles-zh.png` });
  await sam.click('#mg-kb-cancel');

  await al.context().close();
  await sam.context().close();
};
