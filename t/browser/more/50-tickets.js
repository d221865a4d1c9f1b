// Tickets in the workbench (#14 §2, R6.5, seeds 001 and 003).  An agent
// makes a ticket from a conversation ("New ticket": title, description,
// priority, assignee; the customer and the conversation filled in); the
// customer pane lists it; a supervisor finds it in the Tickets view,
// changes its status and comments, and the agent's banner says so; the
// agent opens it in her Tickets view (her own), sees the history, comments
// and solves it; the status filter; the view in Chinese.
// Screenshots: ticket-new, tickets-list, ticket-view, tickets-zh.
'use strict';

module.exports = async (ctx) => {
  const { ok, api, until, latinWords, htmlLang, BASE, T, SHOTS, workbench, aliceWithChat } = ctx;

  const visible = (p, sel) => p.isVisible(sel);
  const count = async (p, sel) => (await p.$$(sel)).length;
  const texts = (p, sel) => p.$$eval(sel, (els) => els.map((e) => e.textContent));

  // --- alice with a customer

  const { al, conv, li } = await aliceWithChat({ customer: 'tk-walkin', name: 'Zhang Wei', queue: 'human' },
    'the agent has a conversation');
  ok(await al.isDisabled('[data-testid="wb-tk-new"]'), 'R6.5 "New ticket" waits for an open conversation');
  await al.click(li);
  ok(await until(async () => !(await al.isDisabled('[data-testid="wb-tk-new"]'))), '... and is there in its tools');

  // --- a new ticket from the conversation

  await al.click('[data-testid="wb-tk-new"]');
  ok(await until(async () => visible(al, '[data-testid="tk-dialog"]')), 'R6.5 "New ticket" opens a dialog');
  const forText = await al.textContent('[data-testid="tk-n-for"]');
  ok(forText.includes('Zhang Wei') && forText.includes(conv.id), '... for the customer and the conversation', forText);
  ok((await al.inputValue('[data-testid="tk-n-assignee"]')) === 'alice', '... assigned to the agent herself at first');
  await al.click('[data-testid="tk-n-submit"]');
  ok(await until(async () => visible(al, '[data-testid="tk-n-error"]')), '... a title is asked for');
  await al.fill('[data-testid="tk-n-title"]', 'Replace the broken kettle');
  ok(await al.isHidden('[data-testid="tk-n-error"]'), '... the words go once one is typed');
  await al.fill('[data-testid="tk-n-desc"]', 'Arrived with a cracked lid. Order 1042.');
  await al.selectOption('[data-testid="tk-n-priority"]', 'high');
  if (SHOTS) await al.screenshot({ path: `${SHOTS}/ticket-new.png` });
  await al.click('[data-testid="tk-n-submit"]');
  ok(await until(async () => !(await visible(al, '[data-testid="tk-dialog"]'))), '... and makes the ticket');
  const made = (await api('GET', 'tickets?customer=tk-walkin')).json.tickets;
  ok(made.length === 1 && made[0].conversation === conv.id && made[0].priority === 'high'
     && made[0].assignee === 'alice', '... on the customer, linked to the conversation', JSON.stringify(made));
  const tid = made[0].id;
  ok(await until(async () => (await texts(al, '[data-testid="tk-cust-item"]')).some((x) => x.includes(tid))),
    'R6.5 the customer pane lists the customer\'s tickets');

  // --- a supervisor: all tickets, changes and comments

  const sam = await workbench('sam', 'sam-demo-pass');
  await sam.click('[data-testid="wb-v-tickets"]');
  const row = `[data-testid="tk-row"][data-id="${tid}"]`;
  ok(await until(async () => (await count(sam, row)) === 1), 'R6.5 a supervisor\'s Tickets view lists all tickets');
  ok(await sam.isHidden('main.cols'), '... in place of the conversations');
  await sam.click(`${row} [data-testid="tk-open"]`);
  ok(await until(async () => (await sam.textContent('[data-testid="tk-h"]')).includes('kettle')), '... one opens beside the list');
  await sam.selectOption('[data-testid="tk-e-status"]', 'pending');
  await sam.click('[data-testid="tk-e-save"]');
  ok(await until(async () => (await texts(sam, '[data-testid="tk-entry"]')).some((x) => x.includes('Open') && x.includes('Pending'))),
    '... a change of status joins its history');
  await sam.fill('[data-testid="tk-c-text"]', 'Courier booked for Friday.');
  await sam.click('[data-testid="tk-c-add"]');
  ok(await until(async () => (await texts(sam, '[data-testid="tk-entry"]')).some((x) => x.includes('Courier booked'))),
    '... as does a comment');
  ok(await until(async () => (await al.textContent('[data-testid="wb-banner"]')).includes(tid)),
    'R6.5 the assignee\'s banner says another commented', await al.textContent('[data-testid="wb-banner"]'));

  // --- the agent's Tickets view: hers

  await al.click('[data-testid="wb-v-tickets"]');
  ok(await until(async () => (await count(al, row)) === 1), 'R6.5 the agent\'s Tickets view lists her tickets');
  ok((await al.inputValue('[data-testid="tk-scope"]')) === 'me', '... her own first');
  await al.click(`${row} [data-testid="tk-open"]`);
  ok(await until(async () => (await count(al, '[data-testid="tk-entry"]')) === 2), '... the history: the change and the comment');
  await al.fill('[data-testid="tk-c-text"]', 'Customer agreed, thanks!');
  await al.click('[data-testid="tk-c-add"]');
  ok(await until(async () => (await count(al, '[data-testid="tk-entry"]')) === 3), '... she comments');
  await al.$eval('[data-testid="tk-detail"]', (e) => { e.scrollTop = 0; });
  if (SHOTS) await al.screenshot({ path: `${SHOTS}/tickets-list.png` });
  await al.selectOption('[data-testid="tk-e-status"]', 'solved');
  await al.selectOption('[data-testid="tk-e-priority"]', 'normal');
  await al.click('[data-testid="tk-e-save"]');
  ok(await until(async () => (await count(al, '[data-testid="tk-entry"]')) === 5), '... and solves it: two more changes');
  const k = (await api('GET', `tickets/${tid}`)).json;
  ok(k.status === 'solved' && k.solved && k.priority === 'normal', '... saved', JSON.stringify(k));
  if (SHOTS) {
    await al.$eval('[data-testid="tk-detail"]', (e) => { e.scrollTop = e.scrollHeight; });
    await al.locator('[data-testid="tk-detail"]').screenshot({ path: `${SHOTS}/ticket-view.png` });
  }
  await al.selectOption('[data-testid="tk-status"]', 'open');
  ok(await until(async () => (await count(al, row)) === 0), 'R6.5 the status filter: not among the open ones');
  await al.selectOption('[data-testid="tk-status"]', 'solved');
  ok(await until(async () => (await count(al, row)) === 1), '... among the solved ones');
  await al.click('[data-testid="wb-v-chats"]');
  ok(await until(async () => (await al.isHidden('#tickets')) && await visible(al, 'main.cols')),
    '... and back to the conversations');

  // --- in Chinese (R10.1)

  await sam.goto(`${BASE}/tenants/${T}/workbench?lang=zh-CN`);
  await until(async () => await htmlLang(sam) === 'zh-CN' && await visible(sam, '[data-testid="wb-v-tickets"]'));
  ok((await sam.textContent('[data-testid="wb-v-tickets"]')) === '工单', 'R10.1 the Tickets view in Chinese');
  await sam.click('[data-testid="wb-v-tickets"]');
  await until(async () => (await count(sam, row)) === 1);
  await sam.click(`${row} [data-testid="tk-open"]`);
  await until(async () => (await count(sam, '[data-testid="tk-entry"]')) === 5);
  const allowed = ['Replace the broken kettle', 'Arrived with a cracked lid. Order 1042.', 'Zhang Wei', 'Courier booked for Friday.',
    'Customer agreed, thanks!', 'Admin', 'admin', 'Alice', 'alice', 'Bob', 'bob', 'Mia', 'mia', 'Nora', 'nora', 'Sam', 'sam'];
  const latin = await latinWords(sam, ['#tickets'], allowed);
  ok(!latin.length, 'R10.1 the tickets in Chinese', latin.join(' '));
  if (SHOTS) await sam.screenshot({ path: `${SHOTS}/tickets-zh.png` });

  await api('POST', `conversations/${conv.id}/end`, {});
  await al.context().close();
  await sam.context().close();
};
