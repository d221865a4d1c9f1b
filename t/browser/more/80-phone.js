// The phone in the workbench (#14 §2-3, R7.1-R7.3, R7.5; seed 003,
// "current call"), against the real server: a phone channel and an sms
// channel whose url is a small HTTP server started here (the outbox's
// other side, on OUTBOX_PORT: t/050-browser.t allows it); call events
// posted to the phone channel's webhook, signed with its key (HMAC).
// An agent binds its extension in the header; a call rings while a chat
// is open: the call panel pops up within a second beside the chat, with
// the customer's profile and records; answered, noted, hung up, called
// back.  An unknown number pops up with a new-customer form: saved,
// then relinked to another customer found in the library.  A lost call
// is on the Callbacks list with its Call back button.  The Calls list
// reopens a call.  A supervisor manages the SMS templates; the agent
// sends a text from the panel (template, variables, preview), which is in
// the customer's records and trajectory.  The panel and the text in
// Chinese.  Screenshots: phone-pop, phone-pop-new, phone-calls, sms-send
// (and phone-pop-zh, sms-send-zh).
'use strict';

const crypto = require('crypto');
const http = require('http');

module.exports = async (ctx) => {
  const { newContext, ok, api, until, login, latinWords, htmlLang, BASE, T, SHOTS, errors } = ctx;
  const PORT = Number(process.env.OUTBOX_PORT);
  if (!PORT) return ok(false, 'the phone flows have OUTBOX_PORT (t/050-browser.t)');
  const visible = (p, sel) => p.isVisible(sel);
  const text = async (p, sel) => (await p.textContent(sel)) || '';
  const PANEL = '[data-testid="ph-panel"]';

  // the telephony system's and the SMS gateway's side: records requests
  const got = [];
  const rx = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      got.push({ path: req.url, headers: req.headers, body: JSON.parse(body || 'null') });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise((res) => rx.listen(PORT, '127.0.0.1', res));
  const sent = (path, pred) => got.find((r) => r.path === path && pred(r.body));

  try {
    const url = `http://127.0.0.1:${PORT}`;
    const made = [await api('PUT', 'channels/ph-tel', { type: 'phone', name: 'PBX', url: `${url}/dial` }),
      await api('PUT', 'channels/ph-sms', { type: 'sms', name: 'SMS', url: `${url}/sms` }),
      await api('PUT', 'queues/ph', { name: 'Phone desk', mode: 'human' }),
      await api('PUT', 'agents/pia', { name: 'Pia', role: 'agent', queues: ['ph'], capacity: 5,
        password: 'pia-demo-pass' }),
      await api('PUT', 'agents/pete', { name: 'Pete', role: 'supervisor', queues: ['ph'], capacity: 5,
        password: 'pete-demo-pass' }),
      await api('PUT', 'customers/ph-kai', { name: 'Kai Chen', phone: '13800000001', tags: ['vip'],
        library: true, owner: 'pia', company: 'Acme Ltd' }),
      await api('POST', 'customers/ph-kai/notes', { text: 'Prefers calls after 6 pm' })];
    ok(made.every((r) => r.status === 200 || r.status === 201),
       'R7.1 a phone and an sms channel (to a receiver of the test), an agent, a customer with a phone',
       JSON.stringify(made.map((r) => [r.status, r.json])));
    const key = (await api('GET', 'channels/ph-tel/key')).json;

    // a call event, signed like any channel's webhook
    let evs = 0;
    async function event(id, ev, o = {}) {
      const body = JSON.stringify({ id: `ph-ev${++evs}`, type: 'call',
        call: { id, event: ev, direction: 'inbound', ...o } });
      const ts = String(Math.floor(Date.now() / 1000));
      const sig = crypto.createHmac('sha256', key.key).update(`${ts}.${body}`).digest('hex');
      const r = await fetch(`${BASE}/tenants/${T}/channels/ph-tel/inbound`, { method: 'POST', body,
        headers: { 'Content-Type': 'application/json', 'X-Csq-Timestamp': ts,
          'X-Csq-Signature': `${key.generation}:${sig}` } });
      return r.status;
    }
    const call = async (id) => (await api('GET', `calls/${id}`)).json;

    async function workbench(who, opts, path = '') {
      const c = await newContext({ viewport: { width: 1280, height: 820 }, ...opts });
      const p = await c.newPage();
      p.on('pageerror', (e) => errors.push(String(e)));
      p.on('dialog', (d) => d.accept());
      await login(p, who, `${who}-demo-pass`);
      await until(async () => visible(p, '[data-testid="wb-status"]'));
      if (path) await p.goto(`${BASE}/tenants/${T}/workbench${path}`);
      await until(async () => visible(p, '[data-testid="ph-ext"]'));
      return p;
    }

    // --- the extension (R7.1)

    const pi = await workbench('pia');
    ok((await text(pi, '[data-testid="ph-ext"]')) === 'Bind an extension',
       'R7.1 the header offers to bind an extension');
    await pi.click('[data-testid="ph-ext"]');
    await until(async () => visible(pi, '[data-testid="ph-ext-dialog"]'));
    await pi.fill('[data-testid="ph-ext-in"]', 'a b');
    await pi.click('[data-testid="ph-ext-save"]');
    ok(await until(async () => visible(pi, '[data-testid="ph-ext-error"]')),
       '... a bad one is refused in the dialog', await text(pi, '[data-testid="ph-ext-error"]'));
    await pi.fill('[data-testid="ph-ext-in"]', '8101');
    await pi.click('[data-testid="ph-ext-save"]');
    ok(await until(async () => (await text(pi, '[data-testid="ph-ext"]')) === 'Extension: 8101'
                               && await pi.isHidden('[data-testid="ph-ext-dialog"]'))
       && (await api('GET', 'agents/pia')).json.extension === '8101',
       'R7.1 the agent binds its extension: shown in the header');

    // a chat going on, open
    await api('POST', 'agents/pia/status', { status: 'online' });
    const cr = await fetch(`${BASE}/tenants/${T}/conversations`, { method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ customer: 'ph-chat', name: 'Zhou Min', queue: 'ph' }) });
    const conv = await cr.json();
    const convSel = `[data-testid="wb-conv"][data-id="${conv.id}"]`;
    await until(async () => (await pi.$$(convSel)).length === 1);
    await pi.click(convSel);
    await until(async () => (await text(pi, '#conv-title')).includes('Zhou Min'));

    // --- a known number rings: the screen-pop (R7.1)

    const t0 = Date.now();
    ok(await event('ph-c1', 'ringing', { from: '13800000001', to: '4000', extension: '8101' }) === 201,
       'R7.1 the telephony system posts a ringing call (signed)');
    let popped = false;
    try {
      await pi.waitForSelector(`${PANEL}[data-call="ph-c1"] [data-testid="ph-number"]:has-text("13800000001")`,
        { timeout: 1000 });
      popped = true;
    } catch (e) { /* not within a second */ }
    ok(popped, 'R7.1 within a second the call panel opens', `${Date.now() - t0} ms`);
    ok(await until(async () => (await text(pi, '[data-testid="ph-profile"]')).includes('Kai Chen')),
       '... with the customer the number belongs to');
    const head = await text(pi, '[data-testid="ph-call"]');
    ok(head.includes('Inbound') && head.includes('Ringing') && /\d:\d\d/.test(head),
       '... direction, number, state and a timer', head);
    const prof = await text(pi, '[data-testid="ph-profile"]');
    ok(prof.includes('13800000001') && prof.includes('vip') && prof.includes('you') && prof.includes('Acme Ltd'),
       '... the profile: phone, tags, owner, company', prof);
    ok(await until(async () => (await text(pi, '[data-testid="ph-records"]')).includes('Prefers calls after 6 pm')),
       '... and its recent records (a note)', await text(pi, '[data-testid="ph-records"]'));
    ok((await text(pi, '#conv-title')).includes('Zhou Min') && await visible(pi, '[data-testid="wb-log"]'),
       '... the open chat stays open');
    const box = async (sel) => (await pi.$(sel)).boundingBox();
    const pb = await box(PANEL), cb = await box('#composer');
    ok(pb.x >= cb.x + cb.width - 1, '... the panel leaves the chat and its reply box uncovered',
       JSON.stringify([pb, cb]));

    await event('ph-c1', 'answered', { extension: '8101' });
    ok(await until(async () => (await text(pi, '[data-testid="ph-state"]')) === 'On the line'),
       'R7.1 answered: the panel says so');
    const t1 = await text(pi, '[data-testid="ph-timer"]');
    await new Promise((res) => setTimeout(res, 2200));
    const t2 = await text(pi, '[data-testid="ph-timer"]');
    ok(t2 !== t1, '... its timer runs', `${t1} ${t2}`);
    await pi.fill('[data-testid="ph-note"]', 'Wants a quote for 20 seats');
    await pi.click('[data-testid="ph-note-save"]');
    ok(await until(async () => (await text(pi, '[data-testid="ph-msg"]')) === 'Note saved')
       && (await call('ph-c1')).note === 'Wants a quote for 20 seats', 'R7.2 the call\'s note saves');
    if (SHOTS) await pi.screenshot({ path: `${SHOTS}/phone-pop.png` });
    await event('ph-c1', 'hungup', { recording: 'https://rec.example/ph-c1.mp3' });
    ok(await until(async () => (await text(pi, '[data-testid="ph-state"]')) === 'Hung up'
                               && (await text(pi, '[data-testid="ph-result"]')) === 'Answered'),
       'R7.2 hung up: the result and the duration', await text(pi, '[data-testid="ph-call"]'));

    got.length = 0;
    await pi.click('[data-testid="ph-callback"]');
    ok(await until(async () => (await text(pi, '[data-testid="ph-msg"]')) === 'Call-back request sent: 13800000001'),
       'R7.2 "Call back": the panel says the request was sent', await text(pi, '[data-testid="ph-msg"]'));
    ok(await until(async () => sent('/dial', (b) => b.type === 'call_request' && b.number === '13800000001'
                                                  && b.extension === '8101' && b.agent === 'pia')),
       '... and the telephony system gets the outbound-call request', JSON.stringify(got));

    // --- an unknown number: a new customer, then relinked (R7.1)

    await event('ph-c2', 'ringing', { from: '13900000002', extension: '8101' });
    ok(await until(async () => (await pi.$$(`${PANEL}[data-call="ph-c2"]`)).length === 1
                               && await visible(pi, '[data-testid="ph-new"]'), 1000),
       'R7.1 an unknown number pops up with a new-customer form');
    ok((await pi.inputValue('[data-testid="ph-new-phone"]')) === '13900000002',
       '... its phone filled in');
    await pi.fill('[data-testid="ph-new-name"]', 'Lin Tao');
    if (SHOTS) await pi.screenshot({ path: `${SHOTS}/phone-pop-new.png` });
    await pi.click('[data-testid="ph-new-save"]');
    ok(await until(async () => (await text(pi, '[data-testid="ph-profile"]')).includes('Lin Tao')
                               && await pi.isHidden('[data-testid="ph-new"]')),
       'R7.1 saved: the panel shows the new customer');
    const c2 = await call('ph-c2');
    const lin = c2.customer && (await api('GET', `customers/${c2.customer}`)).json;
    ok(lin && lin.name === 'Lin Tao' && lin.phone === '13900000002' && lin.library,
       '... made in the library and linked to the call', JSON.stringify([c2, lin]));

    await pi.click('[data-testid="ph-link-other"]');
    await pi.fill('[data-testid="ph-find-q"]', 'Kai');
    await pi.click('[data-testid="ph-find-go"]');
    const linkKai = '[data-testid="ph-link"][data-id="ph-kai"]';
    ok(await until(async () => (await pi.$$(linkKai)).length === 1), 'R7.1 "Link to another customer" finds one');
    await pi.click(linkKai);
    ok(await until(async () => (await text(pi, '[data-testid="ph-profile"]')).includes('Kai Chen')
                               && (await text(pi, '[data-testid="ph-msg"]')).includes('Kai Chen'))
       && (await call('ph-c2')).customer === 'ph-kai', '... and relinks the call to it');
    await event('ph-c2', 'answered', { extension: '8101' });
    await event('ph-c2', 'hungup', {});

    // --- a lost call on the Callbacks list (R7.5)

    await event('ph-c3', 'ringing', { from: '13700000003', extension: '8101' });
    await until(async () => (await pi.$$(`${PANEL}[data-call="ph-c3"]`)).length === 1);
    await event('ph-c3', 'hungup', {});
    ok(await until(async () => (await text(pi, '[data-testid="ph-result"]')) === 'Missed'),
       'R7.5 a call nobody answered: missed');
    await pi.click('[data-testid="ph-close"]');
    ok(await pi.isHidden(PANEL), 'the panel closes');
    await pi.click('[data-testid="wb-v-followup"]');
    await pi.click('[data-testid="fu-tab-cb"]');
    const lost = '[data-testid="fu-cb-row"][data-id="call.ph-c3"]';
    ok(await until(async () => (await pi.$$(`${lost} [data-testid="ph-cb-call"]`)).length === 1),
       'R7.5 the lost call is on the Callbacks list with a "Call back" button');
    got.length = 0;
    await pi.click(`${lost} [data-testid="ph-cb-call"]`);
    ok(await until(async () => (await text(pi, `${lost} [data-testid="ph-cb-call"]`)) === 'Call back requested')
       && await until(async () => sent('/dial', (b) => b.number === '13700000003' && b.callback_of === 'ph-c3')),
       '... one click sends the request (the button says so)', JSON.stringify(got));
    await pi.click('[data-testid="wb-v-chats"]');

    // --- the Calls list reopens a call

    await pi.click('[data-testid="ph-calls"]');
    ok(await until(async () => (await pi.$$('[data-testid="ph-call-row"]')).length === 3),
       'R7.2 "Calls" lists the agent\'s calls');
    const rows = await pi.$$eval('[data-testid="ph-call-row"]', (els) => els.map((e) => e.dataset.id));
    ok(rows.join(' ') === 'ph-c3 ph-c2 ph-c1', '... newest first', rows.join(' '));
    if (SHOTS) await pi.screenshot({ path: `${SHOTS}/phone-calls.png` });
    await pi.click('[data-testid="ph-call-open"][data-id="ph-c1"]');
    ok(await until(async () => (await pi.$$(`${PANEL}[data-call="ph-c1"]`)).length === 1
                               && await visible(pi, PANEL)
                               && (await pi.inputValue('[data-testid="ph-note"]')) === 'Wants a quote for 20 seats'),
       '... and reopens one in the panel, with its note');

    // --- SMS templates (a supervisor) and a text (R7.3)

    const pe = await workbench('pete');
    await pe.click('[data-testid="wb-v-library"]');
    await pe.fill('[data-testid="lib-q"]', 'Kai');
    await pe.click('[data-testid="lib-apply"]');
    const kai = '[data-testid="lib-row"][data-id="ph-kai"] [data-testid="lib-open"]';
    await until(async () => (await pe.$$(kai)).length === 1);
    await pe.click(kai);
    await until(async () => (await text(pe, '#cust-name')) === 'Kai Chen');
    await pe.click('[data-testid="wb-cust-sms"]');
    await until(async () => visible(pe, '[data-testid="ph-sms-dialog"]'));
    ok(await until(async () => (await text(pe, '[data-testid="ph-sms-error"]')) === 'There are no SMS templates yet.'),
       'R7.3 no templates yet: the text dialog says so');
    await pe.click('[data-testid="ph-tpl-manage"]');
    await until(async () => visible(pe, '[data-testid="ph-tpl-dialog"]'));
    async function addTpl(name, body) {
      await pe.click('[data-testid="ph-tpl-add"]');
      await pe.fill('[data-testid="ph-tpl-name"]', name);
      await pe.fill('[data-testid="ph-tpl-text"]', body);
      await pe.click('[data-testid="ph-tpl-save"]');
      await until(async () => (await text(pe, '[data-testid="ph-tpl-list"]')).includes(name));
    }
    await addTpl('Shipping', 'Hi {{name}}, order {{order}} ships today.');
    await addTpl('Old one', 'Unused');
    const tplIds = async () => (await api('GET', 'sms-templates')).json.templates;
    ok((await tplIds()).length === 2, 'R7.3 a supervisor adds templates in the dialog');
    const ship = (await tplIds()).find((x) => x.name === 'Shipping');
    await pe.click(`[data-testid="ph-tpl-edit"][data-id="${ship.id}"]`);
    await pe.fill('[data-testid="ph-tpl-text"]', 'Hi {{name}}, your order {{order}} ships today. {{agent}}');
    await pe.click('[data-testid="ph-tpl-save"]');
    ok(await until(async () => (await tplIds()).find((x) => x.id === ship.id).text.includes('your order')),
       '... edits one');
    const old = (await tplIds()).find((x) => x.name === 'Old one');
    await pe.click(`[data-testid="ph-tpl-del"][data-id="${old.id}"]`);
    ok(await until(async () => (await pe.$$('[data-testid="ph-tpl-row"]')).length === 1)
       && (await tplIds()).length === 1, '... deletes one (after a confirmation)');
    await pe.click('[data-testid="ph-tpl-close"]');
    await pe.context().close();

    // the agent's text, from the call panel
    await pi.click('[data-testid="ph-sms"]');
    await until(async () => visible(pi, '[data-testid="ph-sms-dialog"]'));
    ok(await pi.isHidden('[data-testid="ph-tpl-manage"]'), 'R7.3 an agent does not manage templates');
    ok(await until(async () => (await pi.$$('[data-testid="ph-var"][data-name="order"]')).length === 1)
       && (await pi.$$('[data-testid="ph-var"]')).length === 1,
       'R7.3 the text dialog asks only for the variables not known ({{order}})');
    ok((await text(pi, '[data-testid="ph-sms-preview"]'))
       === 'Hi Kai Chen, your order [order] ships today. Pia', '... its preview fills in the others',
       await text(pi, '[data-testid="ph-sms-preview"]'));
    await pi.click('[data-testid="ph-sms-send"]');
    ok(await until(async () => (await text(pi, '[data-testid="ph-sms-error"]')) === 'Give a value for order'),
       '... sent without it: refused, naming it', await text(pi, '[data-testid="ph-sms-error"]'));
    await pi.fill('[data-testid="ph-var"][data-name="order"]', 'A-17');
    ok((await text(pi, '[data-testid="ph-sms-preview"]')) === 'Hi Kai Chen, your order A-17 ships today. Pia',
       '... the preview follows the typing');
    if (SHOTS) await pi.screenshot({ path: `${SHOTS}/sms-send.png` });
    got.length = 0;
    await pi.click('[data-testid="ph-sms-send"]');
    ok(await until(async () => await pi.isHidden('[data-testid="ph-sms-dialog"]')
                               && (await text(pi, '[data-testid="ph-msg"]')) === 'SMS sent to 13800000001'),
       'R7.3 sent: the panel says so');
    ok(await until(async () => sent('/sms', (b) => b.to === '13800000001'
                                                 && b.text === 'Hi Kai Chen, your order A-17 ships today. Pia')),
       '... the gateway gets the text', JSON.stringify(got));
    ok(await until(async () => (await text(pi, '[data-testid="ph-records"] [data-testid="ph-rec-sms"]'))
      .includes('your order A-17')), '... which is in the customer\'s records in the panel');

    // the customer pane's trajectory: calls and texts
    await pi.click('[data-testid="ph-cust-open"]');
    ok(await until(async () => (await text(pi, '#cust-name')) === 'Kai Chen' && await pi.isHidden(PANEL)),
       'the customer\'s name in the panel opens it in the customer pane (the panel makes way)');
    await pi.click('#cust details:has(#cust-trail) summary');
    ok(await until(async () => (await text(pi, '#cust-trail [data-testid="ph-rec-sms"]')).includes('A-17')),
       'R6.5 the customer pane\'s trajectory has the text');
    const c1 = '#cust-trail [data-testid="ph-rec-call"][data-id="ph-c1"]';
    const c1text = await text(pi, c1);
    const rec = await pi.$$eval(`${c1} [data-testid="ph-rec-recording"]`, (els) => els.map((e) => e.href));
    ok(c1text.includes('Inbound') && c1text.includes('Answered') && c1text.includes('Wants a quote')
       && rec.join() === 'https://rec.example/ph-c1.mp3',
       '... and the call: direction, result, note, recording link', c1text + ' ' + rec.join()
       + JSON.stringify(await call('ph-c1')));
    got.length = 0;
    await pi.click(`${c1} [data-testid="ph-rec-callback"]`);
    ok(await until(async () => (await text(pi, c1)).includes('Call-back request sent'))
       && await until(async () => sent('/dial', (b) => b.callback_of === 'ph-c1')),
       'R7.2 a call record\'s "Call back" sends the request');
    await pi.context().close();

    // --- in Chinese (R10.1)

    const zh = await workbench('pia', {}, '?lang=zh-CN');
    await until(async () => await htmlLang(zh) === 'zh-CN');
    ok((await text(zh, '[data-testid="ph-ext"]')) === '分机：8101', 'R10.1 the extension in Chinese');
    await event('ph-c4', 'ringing', { from: '13800000001', extension: '8101' });
    ok(await until(async () => (await text(zh, '[data-testid="ph-state"]')) === '振铃中'
                               && (await text(zh, '[data-testid="ph-records"]')).includes('A-17')),
       'R10.1 the screen-pop in Chinese');
    const names = ['Hi Kai Chen, your order A-17 ships today.', 'Kai Chen', 'Pia', 'vip', 'Acme Ltd',
      'Prefers calls after 6 pm', 'Wants a quote for 20 seats', 'pia'];
    const zLatin = await latinWords(zh, [`${PANEL} h2`, `${PANEL} h3`, '[data-testid="ph-call"]',
      `${PANEL} .tools`, '[data-testid="ph-profile"] dt', '[data-testid="ph-records"]', `${PANEL} label`,
      '[data-testid="ph-note-save"]', 'header.bar [data-testid="ph-calls"]'], names);
    ok(!zLatin.length, 'R10.1 the call panel in Chinese', zLatin.join(' '));
    if (SHOTS) await zh.screenshot({ path: `${SHOTS}/phone-pop-zh.png` });
    await zh.click('[data-testid="ph-sms"]');
    await until(async () => (await zh.$$('[data-testid="ph-var"]')).length === 1);
    await zh.fill('[data-testid="ph-var"]', 'B-9');
    const sLatin = await latinWords(zh, ['#ph-sms-dialog h2', '#ph-sms-dialog label', '#ph-sms-dialog button',
      '[data-testid="ph-sms-to"]'], ['Kai Chen', 'order']);
    ok(!sLatin.length, 'R10.1 the text dialog in Chinese', sLatin.join(' '));
    if (SHOTS) await zh.screenshot({ path: `${SHOTS}/sms-send-zh.png` });
    await zh.keyboard.press('Escape');
    await event('ph-c4', 'hungup', {});
    await zh.context().close();
  } finally {
    rx.close();
  }
};
