// R8.3 in the browser: the supervisor's monitor.  The team table changes
// as agents do (a "team" frame on the socket, not the 15-second refresh),
// shows each agent's time in status, and opens an agent's conversations,
// one of which the supervisor watches live, read-only.
'use strict';

module.exports = async ({ newContext, ok, api, until, logText, say, login, BASE, T, SHOTS, errors }) => {
  for (const a of ['bob', 'sam']) await api('POST', `agents/${a}/status`, { status: 'offline' });
  await api('POST', 'agents/alice/status', { status: 'online' });
  const mine = (await api('GET', 'agents/alice/conversations')).json;
  for (const c of (mine && mine.active) || []) await api('POST', `conversations/${c.id}/end`, {});

  const sup = await (await newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  sup.on('pageerror', (e) => errors.push(String(e)));
  await login(sup, 'sam', 'sam-demo-pass');
  const row = (a) => `[data-testid="wb-team"] tr[data-agent="${a}"]`;
  ok(await until(async () => (await sup.$$(row('bob'))).length === 1), '(set-up) the supervisor sees the team');
  ok(/\d/.test(await sup.textContent(`${row('alice')} [data-testid="wb-team-since"]`)),
     'R8.3 the team table says how long each agent has been in its status',
     await sup.textContent(`${row('alice')} [data-testid="wb-team-since"]`));

  // a change shows within seconds: the socket says so (the page's own
  // refresh comes every 15 s)
  await api('POST', 'agents/bob/status', { status: 'suspended' });
  ok(await until(async () => /Suspended|Away|Busy/i.test(await sup.textContent(row('bob'))), 4000),
     'R8.3 an agent\'s new status shows on the monitor at once', await sup.textContent(row('bob')));
  await api('POST', 'agents/bob/status', { status: 'offline' });

  const cust = await (await newContext()).newPage();
  cust.on('pageerror', (e) => errors.push(String(e)));
  await cust.goto(`${BASE}/tenants/${T}/chat?ch=welcome&lang=en`);
  await say(cust, 'chat-input', 'chat-send', 'agent');
  ok(await until(async () => /1 \/ 3/.test(await sup.textContent(row('alice'))), 4000),
     'R8.3 ... and so does an assignment (alice\'s load)', await sup.textContent(row('alice')));
  await say(cust, 'chat-input', 'chat-send', 'my parcel is late');

  await sup.click(`${row('alice')} [data-testid="wb-team-convs"]`);
  ok(await until(async () => (await sup.$$('[data-testid="wb-team-open"]')).length === 1),
     'R8.3 the supervisor opens the agent\'s conversations');
  await sup.click('[data-testid="wb-team-open"]');
  ok(await until(async () => /my parcel is late/.test(await logText(sup, 'wb-transcript'))),
     '... and watches one, read-only', await logText(sup, 'wb-transcript'));
  ok(!(await sup.isVisible('[data-testid="wb-transcript"] textarea')), '... with nothing to write in');
  await say(cust, 'chat-input', 'chat-send', 'hello, anyone there?');
  ok(await until(async () => /anyone there/.test(await logText(sup, 'wb-transcript')), 8000),
     '... live: a new message shows while it is open', await logText(sup, 'wb-transcript'));
  if (SHOTS) await sup.screenshot({ path: `${SHOTS}/supervisor-monitor.png` });
  await sup.keyboard.press('Escape');

  await sup.context().close();
  await cust.context().close();
};
