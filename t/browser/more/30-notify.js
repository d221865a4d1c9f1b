// R10.2 (#13 §4): notifications.  The workbench, its tab away (hidden
// or without focus), sounds and shows a desktop notification for a new
// conversation of the agent's, one newly waiting in her pick-up list and a
// new customer message; nothing while she looks at it, nothing for her own
// messages; clicking one opens the conversation; the switches (sound,
// desktop) are kept.  The site widget's button counts the replies that
// come while its panel is closed, on this page and on the site's next one.
//
// The browser's Notification and AudioContext are observed (an init
// script): notifications made are kept in window.__notes, permission
// requests counted in __asked, sounds (oscillators) in __beeps; the tab is
// "away" when the test says (__setAway), hidden and without focus.
'use strict';

module.exports = async (ctx) => {
  const { newContext, ok, api, until, say, login, BASE, T, SHOTS, errors } = ctx;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // a desk of its own: two queues (one picked up by hand), links to them,
  // an agent in them only; the demo's agents are off
  const made = [await api('PUT', 'queues/ntf', { name: 'Notify desk', mode: 'human' }),
    await api('PUT', 'queues/ntfpick', { name: 'Pick desk', mode: 'pickup' }),
    await api('PUT', 'links/ntf', { name: 'Notify', queue: 'ntf' }),
    await api('PUT', 'links/ntfpick', { name: 'Pick', queue: 'ntfpick' }),
    await api('PUT', 'agents/nora', { name: 'Nora', role: 'agent', queues: ['ntf', 'ntfpick'], capacity: 10,
      password: 'nora-demo-pass' })];
  ok(made.every((r) => r.status === 200 || r.status === 201),
     'R10.2 a queue, a pick-up queue, their links and an agent for the notifications',
     JSON.stringify(made.map((r) => [r.status, r.json])));
  for (const a of ['alice', 'bob', 'sam']) await api('POST', `agents/${a}/status`, { status: 'offline' });

  const origin = new URL(BASE).origin;
  const actx = await newContext({ viewport: { width: 1280, height: 800 } });
  await actx.grantPermissions(['notifications'], { origin });
  await actx.addInitScript(() => {
    const w = window;
    w.__away = false;
    w.__notes = [];
    w.__asked = 0;
    w.__beeps = 0;
    Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => w.__away });
    Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true,
      get: () => (w.__away ? 'hidden' : 'visible') });
    Document.prototype.hasFocus = () => !w.__away;
    w.__setAway = (away) => {
      w.__away = away;
      document.dispatchEvent(new Event('visibilitychange'));
      w.dispatchEvent(new Event(away ? 'blur' : 'focus'));
    };
    const Real = w.Notification;
    class Seen extends EventTarget {
      constructor(title, o) {
        super();
        Object.assign(this, { title, body: (o && o.body) || '', tag: o && o.tag, closed: false });
        w.__notes.push(this);
      }
      close() { if (!this.closed) { this.closed = true; this.dispatchEvent(new Event('close')); } }
      static get permission() { return Real.permission; }
      static requestPermission(...a) { w.__asked++; return Real.requestPermission(...a); }
    }
    w.Notification = Seen;
    const AC = w.AudioContext;
    const make = AC.prototype.createOscillator;
    AC.prototype.createOscillator = function () { w.__beeps++; return make.call(this); };
  });
  const nora = await actx.newPage();
  nora.on('pageerror', (e) => errors.push(String(e)));
  const notes = () => nora.evaluate(() => window.__notes.map((n) => ({ title: n.title, body: n.body, tag: n.tag })));
  const beeps = () => nora.evaluate(() => window.__beeps);
  const away = (v) => nora.evaluate((x) => window.__setAway(x), v);

  await login(nora, 'nora', 'nora-demo-pass');
  ok(await until(async () => await nora.isVisible('[data-testid="wb-desktop"]')),
     'R10.2 the workbench header has a "Desktop notifications" switch');
  ok(await nora.evaluate(() => window.__asked) === 0
     && (await nora.getAttribute('[data-testid="wb-desktop"]', 'aria-pressed')) === 'false'
     && (await nora.getAttribute('[data-testid="wb-sound"]', 'aria-pressed')) === 'true',
     '... off at first, the permission never asked on load; sound on');
  await nora.selectOption('[data-testid="wb-status"]', 'online');
  ok(await until(async () => (await api('GET', 'agents/nora')).json.status === 'online'),
     '... the agent goes online from the status menu');
  await nora.click('[data-testid="wb-desktop"]');
  ok(await until(async () => (await nora.getAttribute('[data-testid="wb-desktop"]', 'aria-pressed')) === 'true'),
     'R10.2 a click turns desktop notifications on (the browser allows them)');

  // the customers: a chat page each
  const customer = async (ch) => {
    const p = await (await newContext({ viewport: { width: 390, height: 700 } })).newPage();
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.goto(`${BASE}/tenants/${T}/chat?ch=${ch}`);
    await until(async () => !(await p.locator('[data-testid="chat-input"]').isDisabled()));
    return p;
  };
  const convs = () => nora.$$eval('[data-testid="wb-conv"]', (els) => els.map((e) => e.dataset.id));

  // looking at the page: the list and its badges only
  const c1 = await customer('ntf');
  await say(c1, 'chat-input', 'chat-send', 'Hello while you look');
  ok(await until(async () => (await convs()).length === 1), 'a first conversation comes to her');
  const id1 = (await convs())[0];
  await say(c1, 'chat-input', 'chat-send', 'Anyone there?');
  ok(await until(async () => /^\(\d+\)/.test(await nora.title())), '... its messages counted in the title', await nora.title());
  await sleep(1000);
  ok((await notes()).length === 0 && await beeps() === 0,
     'R10.2 while she looks at the page: no notification, no sound', JSON.stringify(await notes()));

  // away: a new conversation, then a message
  await away(true);
  const c2 = await customer('ntf');
  await say(c2, 'chat-input', 'chat-send', 'My parcel is late');
  ok(await until(async () => (await notes()).length === 1),
     'R10.2 the tab away: a new conversation notifies', JSON.stringify(await notes()));
  await sleep(1200);
  let n = await notes();
  ok(n.length === 1 && /New conversation/.test(n[0].title) && /My parcel is late/.test(n[0].body),
     '... once, with its first message', JSON.stringify(n));
  ok(await beeps() === 1, '... and one sound', String(await beeps()));
  const id2 = (n[0].tag || '').split('-').pop();
  ok(id2 !== id1 && (await convs()).includes(id2), '... of the conversation just come', `${n[0].tag} ${await convs()}`);

  await sleep(1200);   // a sound at most every 2 s
  await say(c2, 'chat-input', 'chat-send', 'Order 1234');
  ok(await until(async () => (await notes()).length === 2), 'R10.2 a customer message notifies');
  n = await notes();
  ok(/New message from/.test(n[1].title) && n[1].body === 'Order 1234' && n[1].tag === n[0].tag,
     '... once, with its text (the conversation\'s notification replaced)', JSON.stringify(n));
  ok(await beeps() === 2, '... with a sound', String(await beeps()));
  // two at once: both notify, one sound (at most one every 2 s)
  await sleep(2100);
  await say(c2, 'chat-input', 'chat-send', 'Please hurry');
  await say(c2, 'chat-input', 'chat-send', 'Really, please');
  ok(await until(async () => { const x = await notes(); return x.length >= 3 && x[x.length - 1].body === 'Really, please'; }),
     '... two more at once notify', JSON.stringify(await notes()));
  await sleep(1000);
  n = await notes();
  ok(n.length === 4 || (n.length === 3 && /2 new messages from/.test(n[2].title)),
     '... each once (or together: "2 new messages")', JSON.stringify(n));
  ok(await beeps() === 3, 'R10.2 ... with one sound: sounds wait 2 s from the last', String(await beeps()));

  // the notification clicked: the tab forward, the conversation open
  await nora.evaluate(() => window.__notes[window.__notes.length - 1].dispatchEvent(new Event('click')));
  ok(await until(async () => (await nora.getAttribute(`[data-testid="wb-conv"][data-id="${id2}"] button`, 'aria-current')) === 'true'
                             && /Really, please/.test(await nora.textContent('[data-testid="wb-log"]'))),
     'R10.2 clicking the notification opens its conversation');
  ok(await nora.evaluate(() => window.__notes[window.__notes.length - 1].closed), '... and closes it');

  // her own message: nothing
  let k = (await notes()).length, b = await beeps();
  await say(nora, 'wb-input', 'wb-send', 'Looking into it');
  ok(await until(async () => /Looking into it/.test(await c2.textContent('[data-testid="chat-log"]'))),
     'she answers (the tab still away)');
  await sleep(1000);
  ok((await notes()).length === k && await beeps() === b, 'R10.2 ... her own message notifies nothing',
     JSON.stringify(await notes()));

  // a new one waiting in her pick-up queue
  await sleep(1200);
  const c3 = await customer('ntfpick');
  await say(c3, 'chat-input', 'chat-send', 'Anyone to pick me?');
  ok(await until(async () => (await notes()).length === k + 1),
     'R10.2 one newly waiting in her pick-up list notifies', JSON.stringify(await notes()));
  n = await notes();
  ok(/Waiting in Pick desk/.test(n[k].title) && await beeps() === b + 1, '... named by its queue, with a sound',
     `${JSON.stringify(n[k])} ${await beeps()}`);
  const id3 = (n[k].tag || '').split('-').pop();
  await nora.evaluate((i) => window.__notes[i].dispatchEvent(new Event('click')), k);
  ok(await until(async () => nora.evaluate((x) => document.activeElement && document.activeElement.dataset.id === x
                                           && document.activeElement.dataset.testid === 'wb-take', id3)),
     '... and clicking it brings its Take button forward');

  // muted: the notification, no sound; the switches kept
  await nora.click('[data-testid="wb-sound"]');
  ok((await nora.getAttribute('[data-testid="wb-sound"]', 'aria-pressed')) === 'false', 'R10.2 the sound switched off');
  const b0 = await beeps();
  await sleep(2100);
  k = (await notes()).length;
  await say(c1, 'chat-input', 'chat-send', 'Still here');
  ok(await until(async () => (await notes()).length === k + 1), '... a message still notifies');
  await sleep(300);
  ok(await beeps() === b0, '... without a sound', `${b0} -> ${await beeps()}`);
  ok(await nora.evaluate((t) => localStorage.getItem('csq:' + t + ':notify'), T) === '{"sound":false,"desktop":true}',
     'R10.2 the switches are kept in the browser');
  await nora.reload();
  ok(await until(async () => (await nora.getAttribute('[data-testid="wb-sound"]', 'aria-pressed')) === 'false'
                             && (await nora.getAttribute('[data-testid="wb-desktop"]', 'aria-pressed')) === 'true'),
     '... and found again after a reload');
  ok(await nora.evaluate(() => window.__asked) === 0, '... without asking the browser again');
  if (SHOTS) await nora.screenshot({ path: `${SHOTS}/workbench-notify.png` });

  // back on the page: nothing
  await nora.click('[data-testid="wb-sound"]');   // on again
  await until(async () => (await nora.$$('[data-testid="wb-conv"]')).length >= 2);
  const before = (await notes()).length, b1 = await beeps();
  await sleep(2100);
  await say(c2, 'chat-input', 'chat-send', 'Thank you');
  ok(await until(async () => /Thank you/.test(await nora.textContent('[data-testid="wb-list"]'))),
     'the customer writes while she looks at the page');
  await sleep(1000);
  ok((await notes()).length === before && await beeps() === b1, 'R10.2 ... and nothing notifies',
     JSON.stringify(await notes()));

  // --- the widget (R10.2): the button counts replies while closed

  const wctx = await newContext();
  const site = await wctx.newPage();
  site.on('pageerror', (e) => errors.push(String(e)));
  await site.goto(process.env.WIDGET_OK);
  const button = site.locator('[data-testid="widget-button"]');
  const badge = site.locator('[data-testid="widget-badge"]');
  ok(await until(async () => await button.isVisible()), 'R10.2 the widget on the site');
  await sleep(500);
  ok(await site.locator('[data-testid="widget-frame"]').getAttribute('src') === null,
     '... no chat loaded (no socket) for a visitor with no conversation');
  await button.click();
  const frame = site.frameLocator('[data-testid="widget-frame"]');
  await until(async () => !(await frame.locator('[data-testid="chat-input"]').isDisabled()));
  await frame.locator('[data-testid="chat-input"]').fill('agent');
  await frame.locator('[data-testid="chat-send"]').click();
  const chatFrame = () => site.frames().find((f) => /[?&]embed=1/.test(f.url()) && !/[?&]track=1/.test(f.url()));
  let wconv = null;
  ok(await until(async () => {
    wconv = await chatFrame().evaluate((t) => JSON.parse(localStorage.getItem('csq:' + t + ':conv') || 'null'), T);
    return wconv && (await api('GET', `conversations/${wconv.id}`)).json.state === 'queued';
  }), 'the visitor asks for an agent in the widget and waits', JSON.stringify(wconv));
  await site.click('[data-testid="widget-close"]');
  ok(await badge.isHidden(), '... closes the panel: no badge');
  await away(false);
  ok((await api('POST', `conversations/${wconv.id}/assign`, { agent: 'nora' })).status === 200,
     '... the conversation is given to the agent');
  ok(await until(async () => (await convs()).includes(wconv.id)), '... who has it');
  await nora.click(`[data-testid="wb-conv"][data-id="${wconv.id}"] button`);
  await say(nora, 'wb-input', 'wb-send', 'Hi, Nora here');
  ok(await until(async () => (await badge.isVisible()) && (await badge.textContent()) === '1'),
     'R10.2 an agent reply while the panel is closed: the button shows 1',
     await badge.textContent().catch(() => ''));
  ok(/\(unread replies: 1\)/.test(await button.getAttribute('aria-label') || ''),
     '... and says it in its name', await button.getAttribute('aria-label'));
  await say(nora, 'wb-input', 'wb-send', 'How can I help?');
  ok(await until(async () => (await badge.textContent()) === '2'), '... then 2', await badge.textContent());
  const replies = (await api('GET', `conversations/${wconv.id}/messages`)).json.messages
    .filter((m) => m.from && m.from.role === 'agent').map((m) => m.id);
  await sleep(700);
  const read0 = (await api('GET', `conversations/${wconv.id}`)).json.read_customer;
  ok(replies.length === 2 && !replies.includes(read0),
     '... and no read receipt goes while it is closed', `${read0} ${replies}`);
  if (SHOTS) await site.screenshot({ path: `${SHOTS}/widget-badge.png` });
  await site.evaluate(() => window.postMessage({ csq: 'unread', n: 7 }, '*'));
  await sleep(300);
  ok((await badge.textContent()) === '2', 'R10.2 the count comes from the chat frame only');

  await button.click();
  ok(await until(async () => await badge.isHidden() && !(await button.getAttribute('aria-label'))),
     'R10.2 opening the panel clears it');
  ok(await until(async () => (await api('GET', `conversations/${wconv.id}`)).json.read_customer === replies[1]),
     '... and the replies are read now', JSON.stringify((await api('GET', `conversations/${wconv.id}`)).json));
  await site.click('[data-testid="widget-close"]');

  // the site's next page: the chat loads closed, its replies count
  await site.reload();
  ok(await until(async () => !!(await site.locator('[data-testid="widget-frame"]').getAttribute('src'))),
     'R10.2 on the site\'s next page the chat of a conversation going on loads, closed');
  ok(await site.locator('[data-testid="widget-panel"]').isHidden() && await badge.isHidden(),
     '... the panel closed, nothing unread');
  await sleep(1000);
  await say(nora, 'wb-input', 'wb-send', 'Are you still there?');
  ok(await until(async () => (await badge.isVisible()) && (await badge.textContent()) === '1'),
     '... a reply shows 1 on its button', await badge.textContent().catch(() => ''));
  await site.close();
  await say(nora, 'wb-input', 'wb-send', 'I will wait');
  await sleep(500);
  const again = await wctx.newPage();
  again.on('pageerror', (e) => errors.push(String(e)));
  await again.goto(process.env.WIDGET_OK);
  ok(await until(async () => (await again.locator('[data-testid="widget-badge"]').textContent()) === '2'
                             && await again.locator('[data-testid="widget-badge"]').isVisible()),
     'R10.2 replies that came with no page of the site open count on the next one',
     await again.locator('[data-testid="widget-badge"]').textContent().catch(() => ''));
  await again.locator('[data-testid="widget-button"]').click();
  ok(await until(async () => await again.locator('[data-testid="widget-badge"]').isHidden()), '... until opened');

  // the robot's replies: those seen with the panel open count no more on
  // the next page; one that comes while closed counts
  const rctx = await newContext();
  const rs = await rctx.newPage();
  rs.on('pageerror', (e) => errors.push(String(e)));
  await rs.goto(process.env.WIDGET_OK);
  await rs.locator('[data-testid="widget-button"]').click();
  const rframe = rs.frameLocator('[data-testid="widget-frame"]');
  await until(async () => !(await rframe.locator('[data-testid="chat-input"]').isDisabled()));
  await rframe.locator('[data-testid="chat-input"]').fill('price');
  await rframe.locator('[data-testid="chat-send"]').click();
  ok(await until(async () => /Want a person/.test(await rframe.locator('[data-testid="chat-log"]').textContent())),
     'a visitor talks to the robot in the widget');
  await sleep(500);
  await rs.click('[data-testid="widget-close"]');
  await rs.reload();
  const rbadge = rs.locator('[data-testid="widget-badge"]');
  ok(await until(async () => !!(await rs.locator('[data-testid="widget-frame"]').getAttribute('src'))),
     '... on the next page its chat loads, closed');
  const rchat = () => rs.frames().find((f) => /[?&]closed=1/.test(f.url()));
  await until(async () => /Want a person/.test(await rchat().textContent('[data-testid="chat-log"]')));
  await sleep(700);
  ok(await rbadge.isHidden(), 'R10.2 the robot\'s replies seen before count no more',
     await rbadge.textContent().catch(() => ''));
  await rchat().evaluate((t) => new Promise((resolve) => {
    const conv = JSON.parse(localStorage.getItem('csq:' + t + ':conv'));
    const ws = new WebSocket(csq.wsUrl('chat/ws', { token: conv.token, conversation: conv.id }));
    ws.onmessage = (e) => {
      const f = JSON.parse(e.data);
      if (f.type === 'hello') ws.send(JSON.stringify({ type: 'message', text: 'hours', ref: 'h1' }));
      else if (f.ref === 'h1') { ws.close(); resolve(); }
    };
  }), T);
  ok(await until(async () => (await rbadge.isVisible()) && (await rbadge.textContent()) === '1'),
     'R10.2 a robot reply while the panel is closed counts', await rbadge.textContent().catch(() => ''));
  await rctx.close();

  await nora.selectOption('[data-testid="wb-status"]', 'offline');
  await actx.close();
  await wctx.close();
};
