// Follow-up in the workbench (#14 §2-3, R7.4, R4.9, R7.5): the header's
// Follow-up view.  An agent makes a contact plan (the view's dialog, and
// from the customer pane), edits one, marks one done; a plan falls due
// and its reminder shows as a note in the page's corner, the view's
// button counting the plans due; an agent who was away when a plan fell
// due gets it on signing in.  A customer who gave up waiting is on the
// Callbacks tab, marked called back with an outcome.  A supervisor's
// view in Chinese.  Screenshots: plans-list, plan-reminder, callbacks
// (and -zh).
'use strict';

module.exports = async (ctx) => {
  const { newContext, ok, api, until, login, latinWords, htmlLang, BASE, T, SHOTS, errors } = ctx;
  const visible = (p, sel) => p.isVisible(sel);
  const count = async (p, sel) => (await p.$$(sel)).length;
  const ROW = '[data-testid="fu-plan-row"]', CB = '[data-testid="fu-cb-row"]';
  const NOTE = '[data-testid="fu-reminder"]';

  // a desk of its own: a queue, an agent, a supervisor, two customers of
  // the library
  const made = [await api('PUT', 'queues/fu', { name: 'Follow desk', mode: 'human' }),
    await api('PUT', 'agents/fiona', { name: 'Fiona', role: 'agent', queues: ['fu'], capacity: 5,
      password: 'fiona-demo-pass' }),
    await api('PUT', 'agents/felix', { name: 'Felix', role: 'supervisor', queues: ['fu'], capacity: 5,
      password: 'felix-demo-pass' }),
    await api('PUT', 'agents/fred', { name: 'Fred', role: 'agent', queues: ['fu'], capacity: 5,
      password: 'fred-demo-pass' })];
  for (const [id, name] of [['fu-li', 'Li Lei'], ['fu-wang', 'Wang Fang'], ['fu-zhao', 'Zhao Min']]) {
    const r = await fetch(`${BASE}/tenants/${T}/conversations`, { method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ customer: id, name, queue: 'fu' }) });
    const c = await r.json();
    await api('POST', `conversations/${c.id}/end`, {});
    made.push(await api('PUT', `customers/${id}`, { library: true }));
  }
  ok(made.every((r) => r.status === 200 || r.status === 201),
     'R7.4 a queue, agents and customers of the library for follow-up', JSON.stringify(made.map((r) => [r.status, r.json])));

  async function workbench(who, opts, path = '') {
    const c = await newContext({ viewport: { width: 1280, height: 820 }, ...opts });
    const p = await c.newPage();
    p.on('pageerror', (e) => errors.push(String(e)));
    await login(p, who, `${who}-demo-pass`);
    await until(async () => visible(p, '[data-testid="wb-status"]'));
    if (path) await p.goto(`${BASE}/tenants/${T}/workbench${path}`);
    await until(async () => visible(p, '[data-testid="wb-v-followup"]'));
    return p;
  }
  const ids = (p) => p.$$eval(ROW, (els) => els.map((e) => e.dataset.id));
  const mine = async (who) => (await api('GET', `plans?assignee=${who}&limit=200`)).json.plans;

  // --- an agent's contact plans (R7.4)

  const fi = await workbench('fiona');
  await fi.click('[data-testid="wb-v-followup"]');
  ok(await until(async () => visible(fi, '[data-testid="fu-plans-table"]')
                             && (await fi.getAttribute('[data-testid="wb-v-followup"]', 'aria-pressed')) === 'true'
                             && await fi.isHidden('main.cols')),
     'R7.4 the header\'s Follow-up opens the view, on "My contact plans"');
  ok(await until(async () => (await fi.textContent('[data-testid="fu-plans-msg"]')) === 'No contact plans here.'),
     '... empty at first');

  await fi.click('[data-testid="fu-new"]');
  await until(async () => visible(fi, '[data-testid="fu-plan-dialog"]'));
  ok(await fi.isHidden('[data-testid="fu-p-assignee"]'), '... an agent\'s dialog has no assignee (its own plans)');
  await fi.fill('[data-testid="fu-p-customer"]', 'fu-li');
  await fi.fill('[data-testid="fu-p-note"]', 'Ask about the renewal of 3 seats');
  await fi.click('[data-testid="fu-p-save"]');
  ok(await until(async () => (await count(fi, ROW)) === 1 && await fi.isHidden('[data-testid="fu-plan-dialog"]')),
     'R7.4 the agent makes a plan in the dialog: it is listed');
  let p1 = (await mine('fiona'))[0];
  ok(p1 && p1.customer === 'fu-li' && p1.assignee === 'fiona' && p1.due > Date.now() + 3600000,
     '... for that customer, assigned to her, due tomorrow by default', JSON.stringify(p1));
  await fi.click('[data-testid="fu-new"]');
  await fi.fill('[data-testid="fu-p-customer"]', 'nobody-here');
  await fi.click('[data-testid="fu-p-save"]');
  ok(await until(async () => visible(fi, '[data-testid="fu-p-error"]')),
     '... a customer not in the library is refused in the dialog', await fi.textContent('[data-testid="fu-p-error"]'));
  await fi.keyboard.press('Escape');

  // edit: a new note
  await fi.click(`[data-testid="fu-edit"][data-id="${p1.id}"]`);
  await until(async () => visible(fi, '[data-testid="fu-plan-dialog"]'));
  ok(await fi.$eval('[data-testid="fu-p-customer"]', (e) => e.readOnly), '... editing keeps the customer');
  await fi.fill('[data-testid="fu-p-note"]', 'Renewal: 3 seats, ask for the invoice address');
  await fi.click('[data-testid="fu-p-save"]');
  ok(await until(async () => (await fi.textContent(`${ROW}[data-id="${p1.id}"]`)).includes('invoice address')),
     'R7.4 she edits the plan\'s note');

  // from the customer pane: Customers, the pool, Wang Fang, Contact plan
  await fi.click('[data-testid="wb-v-library"]');
  ok(await until(async () => await fi.isHidden('#followup') && await visible(fi, '[data-testid="lib-form"]')
                             && (await fi.getAttribute('[data-testid="wb-v-followup"]', 'aria-pressed')) === 'false'),
     '... the other views\' buttons leave the view');
  await fi.selectOption('[data-testid="lib-view"]', 'pool');
  await fi.click('[data-testid="lib-apply"]');
  const wang = '[data-testid="lib-row"][data-id="fu-wang"] [data-testid="lib-open"]';
  await until(async () => (await count(fi, wang)) === 1);
  await fi.click(wang);
  await until(async () => (await fi.textContent('#cust-name')) === 'Wang Fang');
  await fi.click('[data-testid="wb-cust-plan"]');
  ok(await until(async () => visible(fi, '[data-testid="fu-plan-dialog"]')
                             && (await fi.inputValue('[data-testid="fu-p-customer"]')) === 'fu-wang'),
     'R7.4 the customer pane starts a plan for its customer');
  await fi.fill('[data-testid="fu-p-note"]', 'Send the new price list');
  await fi.click('[data-testid="fu-p-save"]');
  ok(await until(async () => (await mine('fiona')).some((p) => p.customer === 'fu-wang')), '... which is made');

  // --- a reminder (R7.4): a plan falls due while she looks

  const soon = await api('POST', 'plans', { customer: 'fu-zhao', due: Date.now() + 2500, assignee: 'fiona',
    note: 'Call back about the delivery date' });
  ok(soon.status === 201, '... a supervisor gives her a plan due in a moment', JSON.stringify(soon.json));
  await fi.click('[data-testid="wb-v-followup"]');
  ok(await until(async () => (await count(fi, `${NOTE}[data-id="${soon.json.id}"]`)) === 1, 15000),
     'R7.4 when it falls due, its reminder shows in the page');
  const noteText = await fi.textContent(`${NOTE}[data-id="${soon.json.id}"]`);
  ok(noteText.includes('Contact plan due') && noteText.includes('Zhao Min') && noteText.includes('delivery date'),
     '... naming the customer and the note', noteText);
  ok(await until(async () => (await fi.textContent('[data-testid="fu-badge"]')) === '1'),
     '... the view\'s button counts the plans due');
  ok((await fi.getAttribute('[data-testid="wb-v-followup"]', 'aria-label')).includes('1 contact plans due'),
     '... and says so to a screen reader');
  if (SHOTS) await fi.screenshot({ path: `${SHOTS}/plan-reminder.png` });
  await fi.click(`${NOTE}[data-id="${soon.json.id}"] [data-testid="fu-reminder-open"]`);
  ok(await until(async () => (await count(fi, NOTE)) === 0
                             && (await count(fi, `${ROW}[data-id="${soon.json.id}"] [data-testid="fu-due-tag"]`)) === 1),
     '... "Open" shows the list, the plan marked due');
  ok((await ids(fi))[0] === soon.json.id, '... first: soonest due first', (await ids(fi)).join(' '));
  if (SHOTS) await fi.screenshot({ path: `${SHOTS}/plans-list.png` });

  await fi.click(`[data-testid="fu-done"][data-id="${soon.json.id}"]`);
  ok(await until(async () => !(await ids(fi)).includes(soon.json.id)
                             && await fi.isHidden('[data-testid="fu-badge"]')),
     'R7.4 done: off the open list, the badge gone');
  await fi.selectOption('[data-testid="fu-filter"]', 'done');
  await fi.click('[data-testid="fu-apply"]');
  ok(await until(async () => (await ids(fi)).includes(soon.json.id)
                             && (await fi.textContent(`${ROW}[data-id="${soon.json.id}"]`)).includes('fiona')),
     '... on the done list, with who did it');

  // a reminder missed: Fred signs in after his plan fell due
  const missed = await api('POST', 'plans', { customer: 'fu-li', due: Date.now() - 60000, assignee: 'fred',
    note: 'Overdue call' });
  await until(async () => (await api('GET', `plans/${missed.json.id}`)).json.reminded);
  const fr = await workbench('fred');
  ok(await until(async () => (await fr.textContent('[data-testid="fu-badge"]')) === '1'
                             && (await fr.textContent(NOTE)).includes('You have 1 contact plans due')),
     'R7.4 a reminder sent while the agent was away is not lost: the page says it on signing in');
  await fr.context().close();

  // on a phone: the view's button in the header, the list scrolls
  const ph = await workbench('fred', { viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true });
  await ph.click('[data-testid="wb-v-followup"]');
  ok(await until(async () => (await count(ph, `${ROW}[data-id="${missed.json.id}"]`)) === 1
                             && await ph.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1)),
     'R7.4 the Follow-up view on a phone: the list, nothing wider than the screen');
  if (SHOTS) await ph.screenshot({ path: `${SHOTS}/plans-phone.png` });
  await ph.context().close();

  // --- callbacks (R4.9): a customer gives up waiting

  for (const a of ['alice', 'bob', 'sam', 'fiona', 'felix', 'fred']) {
    await api('POST', `agents/${a}/status`, { status: 'offline' });
  }
  const gone = [];
  for (const [id, name] of [['fu-gone1', 'Sun Li'], ['fu-gone2', 'Qian Yu']]) {
    const r = await fetch(`${BASE}/tenants/${T}/conversations`, { method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ customer: id, name, queue: 'fu' }) });
    const c = await r.json();
    await new Promise((res) => setTimeout(res, 1200));      // a wait to see
    await fetch(`${BASE}/tenants/${T}/conversations/${c.id}/leave`, { method: 'POST',
      headers: { Authorization: `Bearer ${c.customer_token}` } });
    gone.push(c);
  }
  await fi.click('[data-testid="fu-tab-cb"]');
  const cbOf = (c) => `${CB}[data-id="chat.${c.id}"]`;
  ok(await until(async () => (await count(fi, cbOf(gone[0]))) === 1 && (await count(fi, cbOf(gone[1]))) === 1),
     'R4.9 the Callbacks tab lists the customers who gave up waiting in her queue');
  const row = await fi.textContent(cbOf(gone[1]));
  ok(row.includes('Qian Yu') && row.includes('Chat') && row.includes('fu') && /\d s/.test(row),
     '... with customer, kind, queue and how long they waited', row);
  if (SHOTS) await fi.screenshot({ path: `${SHOTS}/callbacks.png` });
  await fi.click(`${cbOf(gone[0])} [data-testid="fu-cb-mark"]`);
  await until(async () => visible(fi, '[data-testid="fu-cb-dialog"]'));
  await fi.fill('[data-testid="fu-c-outcome"]', 'Reached her: the order is placed');
  await fi.click('[data-testid="fu-c-save"]');
  ok(await until(async () => (await count(fi, cbOf(gone[0]))) === 0 && await fi.isHidden('[data-testid="fu-cb-dialog"]')),
     'R4.9 marked called back, with an outcome: off the list');
  const done = (await api('GET', 'callbacks?filter=done')).json.callbacks.find((c) => c.id === `chat.${gone[0].id}`);
  ok(done && done.done_by === 'fiona' && done.outcome === 'Reached her: the order is placed',
     '... who and what kept', JSON.stringify(done));
  await fi.selectOption('[data-testid="fu-cb-filter"]', 'done');
  await fi.click('[data-testid="fu-cb-apply"]');
  ok(await until(async () => (await count(fi, cbOf(gone[0]))) === 1), '... on the called-back list');

  // keyboard: the tabs take the arrow keys
  await fi.focus('[data-testid="fu-tab-cb"]');
  await fi.keyboard.press('ArrowLeft');
  ok(await until(async () => (await fi.getAttribute('[data-testid="fu-tab-plans"]', 'aria-selected')) === 'true'
                             && await fi.evaluate(() => document.activeElement.id) === 'fu-tab-plans'),
     '... the tabs move with the arrow keys');
  await fi.context().close();

  // --- a supervisor, in Chinese (R10.1)

  const fx = await workbench('felix', {}, '?lang=zh-CN');
  await until(async () => await htmlLang(fx) === 'zh-CN');
  const zsoon = await api('POST', 'plans', { customer: 'fu-wang', due: Date.now() + 2000, assignee: 'felix',
    note: '确认发货时间' });
  await api('POST', 'plans', { customer: 'fu-li', due: Date.now() + 86400000, assignee: 'felix', note: '回访满意度' });
  ok(await until(async () => (await count(fx, `${NOTE}[data-id="${zsoon.json.id}"]`)) === 1, 15000)
     && (await fx.textContent(NOTE)).includes('联系计划已到期'), 'R10.1 the reminder in Chinese');
  if (SHOTS) await fx.screenshot({ path: `${SHOTS}/plan-reminder-zh.png` });
  await fx.click('[data-testid="wb-v-followup"]');
  await fx.selectOption('[data-testid="fu-who"]', 'all');
  await fx.click('[data-testid="fu-apply"]');
  ok(await until(async () => (await count(fx, `${ROW}[data-id="${zsoon.json.id}"]`)) === 1
                             && (await count(fx, `${ROW}[data-id="${p1.id}"]`)) === 1),
     'R7.4 a supervisor lists everyone\'s plans');
  const names = ['Li Lei', 'Wang Fang', 'Zhao Min', 'fiona', 'felix', 'fred', 'fu-li', 'fu-wang', 'fu-zhao', 'ID',
    'Renewal: 3 seats, ask for the invoice address', 'Send the new price list', 'Overdue call'];
  const zLatin = await latinWords(fx, ['#followup h2', '#followup [role="tablist"]', '#fu-plans-form', '#followup thead',
    '#fu-plan-rows td:nth-child(6)', '#fu-plan-rows td:last-child', '#fu-notes', '[data-testid="wb-v-followup"]'], names);
  ok(!zLatin.length, 'R10.1 the Follow-up view in Chinese', zLatin.join(' '));
  if (SHOTS) await fx.screenshot({ path: `${SHOTS}/plans-list-zh.png` });
  await fx.click('[data-testid="fu-tab-cb"]');
  ok(await until(async () => (await count(fx, cbOf(gone[1]))) === 1), 'R4.9 the supervisor\'s callbacks');
  await fx.click(`${cbOf(gone[1])} [data-testid="fu-cb-mark"]`);
  await until(async () => visible(fx, '[data-testid="fu-cb-dialog"]'));
  const cLatin = await latinWords(fx, ['#fu-cb-form', '#followup thead', '#fu-cb-rows td:first-child span',
    '#fu-cb-rows td:nth-child(5)', '#fu-cb-rows td:nth-child(6) span', '#fu-cb-rows td:last-child',
    '#fu-cb-dialog label', '#fu-cb-dialog h2', '#fu-cb-dialog button'], ['Sun Li', 'Qian Yu']);
  ok(!cLatin.length, 'R10.1 the callbacks in Chinese', cLatin.join(' '));
  if (SHOTS) await fx.screenshot({ path: `${SHOTS}/callbacks-zh.png` });
  await fx.keyboard.press('Escape');
  await fx.context().close();
};
