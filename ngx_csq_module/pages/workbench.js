/* csq agent workbench: P tenants/<t>/workbench (R10, first version):
 * sign-in, status and reception, conversation list with unread counts,
 * chat pane (end, transfer), pick-up list, supervisor queue and team view */
'use strict';

(() => {
  const { tenant, api, errCode, errMsg, errFrame, cmpId, el, t } = csq;
  const enc = encodeURIComponent;
  const $ = (id) => document.getElementById(id);
  const ss = csq.storage('sessionStorage');
  const KS = 'csq:' + tenant + ':session';
  const STAFF = { supervisor: 1, admin: 1, platform: 1 };
  const LIVE = { active: 1, queued: 1, bot: 1 };
  // a conversation's state in words; in the list ('' while it goes on)
  const stateName = (s) => ({ active: t('state.active'), queued: t('state.queued'), bot: t('state.bot'),
    ended: t('state.ended'), abandoned: t('state.abandoned'), transferred: t('state.transferred'),
    gone: t('state.gone') })[s] || s || '';
  const label = (s) => (s === 'active' ? '' : stateName(s));
  // an agent's status, as the status switch names it
  const statusName = (s) => ({ online: t('status.online'), invisible: t('status.invisible'),
    suspended: t('status.suspended'), offline: t('status.offline') })[s] || s || '';

  let session = null;        // {token, role, agent, expires}
  let me = '', myName = '';
  let myStatus = null, myReception = true;
  let sock = null, hellos = 0, fails = 0;
  const convs = new Map();   // conversation id -> record (see add())
  let cur = null;            // the open conversation
  const waiters = new Map(); // ref -> fn(ack or error) for sync and status
  const outbox = new csq.Outbox((f) => !!sock && sock.send(f));
  const showTyping = csq.typingLine($('typing'));
  let typingConv = null;
  const typer = csq.typingSender((on) => !!typingConv && !!sock
    && sock.send({ type: 'typing', conversation: typingConv.id, typing: on }));
  const timers = new Map();
  const later = (fn, ms = 300) => { clearTimeout(timers.get(fn)); timers.set(fn, setTimeout(fn, ms)); };

  document.title = t('wb.doc_title', { tenant });

  // R10.1: the language switcher (login form and header): automatic (the
  // tenant's, else the browser's) or one of the catalog's; the page
  // reloads in the one chosen (the session, the open conversation and
  // drafts survive a reload)
  for (const sel of [$('login-lang'), $('wb-lang')]) {
    sel.replaceChildren(el('option', { value: '', text: t('lang.auto') }),
      ...csqI18n.langs.map((l) => el('option', { value: l, text: csqI18n.names[l] || l, lang: l })));
    sel.value = csq.langChoice();
    sel.addEventListener('change', () => csq.chooseLang(sel.value));
  }

  /* ---- session ---- */

  function expiresAt(x) {
    if (typeof x === 'number') return x < 1e12 ? x * 1000 : x;   // seconds or ms
    const ms = Date.parse(x);
    return isNaN(ms) ? 0 : ms;
  }

  function showLogin(msg) {
    $('app').hidden = true;
    $('login').hidden = false;
    loginError(msg);
    $('login-agent').focus();
  }

  function loginError(msg) {
    $('login-error').textContent = msg || '';
    $('login-error').hidden = !msg;
  }

  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const agent = $('login-agent').value.trim();
    $('login-submit').disabled = true;
    loginError(null);
    const r = await api('POST', 'login', { agent, password: $('login-password').value });
    $('login-submit').disabled = false;
    if (r.status !== 200 || !r.data || !r.data.token) {
      return loginError(r.status === 401 ? t('wb.login_wrong') : errMsg(r));
    }
    const a = r.data.agent;
    session = { token: r.data.token, role: r.data.role || 'agent', agent: (a && a.id) || a || agent, expires: r.data.expires };
    ss.set(KS, JSON.stringify(session));
    $('login-password').value = '';
    begin();
  });

  // the first reason to sign out stands: a call cut short by the reload
  // (its 401 without a body) must not replace it
  let leaving = false;
  function logout(msg) {
    if (leaving) return;
    leaving = true;
    if (sock) sock.stop();
    ss.del(KS);
    if (msg) ss.set(KS + ':msg', msg);
    location.reload();
  }
  // signing out ends the session on the server too (R9.5): its token and
  // its sockets are no good after, whoever kept a copy
  $('logout').addEventListener('click', async () => {
    if (sock) sock.stop();
    await api('POST', 'logout', undefined, session.token);
    logout();
  });

  const ENDED = t('wb.session_ended');

  // an API call with the session's token; a 401 ends the session
  async function call(method, path, body) {
    const r = await api(method, path, body, session.token);
    if (r.status === 401) {
      logout(errCode(r) === 'session_ended' ? ENDED : t('wb.session_expired'));
    }
    return r;
  }

  function banner(text, transient) {
    $('banner').textContent = text || '';
    $('banner').hidden = !text;
    clearTimeout(timers.get(banner));
    if (transient) later(banner, 6000);
  }

  function begin() {
    me = session.agent;
    $('login').hidden = true;
    $('app').hidden = false;
    $('me').textContent = me;
    const exp = expiresAt(session.expires), left = exp - Date.now();
    if (exp && left < 2 ** 31) setTimeout(() => logout(t('wb.session_expired')), Math.max(0, left));
    sock = new csq.Sock(connectUrl, { frame, close: closed });
    sock.start();
    addEventListener('online', () => sock.now());
    document.addEventListener('visibilitychange', () => { if (cur) draw(cur); markRead(); });
    refreshPickup();
    myDay();
    setInterval(myDay, 30000);
    // R10.2: sound and desktop notifications while the tab is away
    csqNotify.init({ me, banner: (text) => banner(text, true), open: (id) => { if (convs.has(id)) open(convs.get(id)); },
      name: (id) => { const v = convs.has(id) ? convs.get(id).view : {}; return v.customer_name || v.customer; } });
    csqCustomer.init({ call, me, system: sysText, named, stateName, token: () => session.token });
    csqTools.init({ call, cur: () => cur, banner: (text) => banner(text, true), reorder, myName: () => myName, sendMessage, statusName,
      removed: removeConv,
      ended: (c, remove) => { setState(c, 'ended'); if (remove) removeConv(c); } });
    csqLibrary.init({ call, me, staff: !!STAFF[session.role], token: () => session.token,
      stateName, reasonName,
      show: (id) => csqCustomer.show(id), pane: () => csqCustomer.show(cur ? cur.view.customer : null) });
    csqKeys.init({ cur: () => cur, get: (id) => convs.get(id), open, unread, list: showList,
      banner: (text) => banner(text, true) });
    csqManage.init({ call, me, staff: !!STAFF[session.role], token: () => session.token });
    // R7.4, R4.9: the Follow-up view, plans' reminders (plans.js)
    csqPlans.init({ call, me, staff: !!STAFF[session.role], banner: (text) => banner(text, true),
      current: () => csqCustomer.current() });
    csqTickets.init({ call, me, staff: !!STAFF[session.role], cur: () => cur, banner: (text) => banner(text, true) });
    // R1.4: channels' badges, tabs and delivery states; the admin's dialog
    csqChannels.init({ call, admin: session.role === 'admin' || session.role === 'platform', cur: () => cur,
      convs: () => convs.values(), unread, open });
    // R7.1-R7.3: the phone: screen-pop, calls, extension, texts (phone.js)
    csqPhone.init({ call, me, staff: !!STAFF[session.role], banner: (text) => banner(text, true),
      myName: () => myName, showCustomer: (id) => csqCustomer.show(id) });
    if (STAFF[session.role]) {
      $('sup').hidden = false;
      refreshSup();
      setInterval(refreshSup, 15000);
    }
  }

  // R5.1: a reconnect names where each conversation shown stops
  // (after=<conversation>:<id>,...; a few KB of URL at most): the server
  // reads those back in order before live messages, so they need no sync
  // of the page's own; the others are synced after the hello
  let resumed = new Set();
  function connectUrl() {
    const after = [];
    let len = 0;
    resumed = new Set();
    for (const c of convs.values()) {
      const item = c.thread.lastId && c.id + ':' + c.thread.lastId;
      if (item && len + item.length < 4000) {
        after.push(item);
        len += item.length + 1;
        resumed.add(c.id);
      }
    }
    return csq.wsUrl('agent/ws', { token: session.token, after: after.join(',') || undefined });
  }

  function closed(e) {
    // R9.5: the session was ended (signed out elsewhere, a new password,
    // another role): no reconnecting with its token
    if (e && e.code === 1008 && e.reason === 'session ended') {
      logout(ENDED);
      return false;
    }
    outbox.down();
    banner(t('common.reconnecting'));
    // a refused handshake looks like any drop (1006): ask the API whether
    // the token still holds (a 401 there signs out)
    if (++fails >= 2) call('GET', 'agents/' + enc(me));
    return true;
  }

  /* ---- socket frames ---- */

  function frame(f) {
    switch (f.type) {
      case 'hello': hello(f); break;
      case 'message': message(f); break;
      case 'ack': case 'error': answer(f); break;
      case 'typing':
        if (f.from === 'customer' && cur && f.conversation === cur.id) showTyping(f.typing ? t('wb.customer_typing') : '');
        break;
      case 'read': read(f); break;
      case 'queue':   // a conversation arrived in, was taken from or left a queue of mine
        later(refreshPickup);
        if (STAFF[session.role]) later(refreshSup);
        break;
      case 'team': if (STAFF[session.role]) later(refreshSup); break;   // the monitor (R8.3)
      case 'status': if (f.agent === me) setStatus(f.status); break;
      case 'reception': if (f.agent === me) setReception(f.reception); break;
      case 'note': if (convs.has(f.conversation)) csqTools.showNote(convs.get(f.conversation), f.note); break;
      case 'plan': case 'plan_due': case 'callback': csqPlans.frame(f); break;    // R7.4, R4.9
      case 'ticket': csqTickets.frame(f); break;     // R6.5: assigned to me, commented
      case 'delivery': csqChannels.frame(f); break;     // R1.4: a channel's message
      case 'call': csqPhone.frame(f); break;                                      // R7.1
    }
  }

  // sends a frame whose ack or error goes to fn; false when not connected
  function request(f, fn) {
    const ref = csq.ref('r');
    waiters.set(ref, fn);
    if (sock && sock.send(Object.assign(f, { ref }))) return true;
    waiters.delete(ref);
    return false;
  }

  function answer(f) {
    const w = f.ref && waiters.get(f.ref);
    const msg = errFrame(f.error);
    if (w) { waiters.delete(f.ref); w(f); }
    else if (f.type === 'ack' && f.ref) outbox.ack(f.ref, f.id);
    else if (f.ref && outbox.has(f.ref)) outbox.error(f.ref, msg);
    else if (f.type === 'error') banner(msg, true);
  }

  // first frame of every connection; comes again after a reconnect (or
  // when Redis came back): the list is merged, missed messages synced
  function hello(h) {
    fails = 0;
    sock.ok();
    // R10.1: the tenant's language, kept for the next load: when it
    // changes the page's, the page reloads in it (once: the next load
    // reads the kept one)
    const want = csq.tenantLang(h.lang || '');
    if (want !== csq.lang && csq.langLasts) {
      sock.stop();
      location.reload();
      return;
    }
    banner(h.restored ? t('wb.restored') : null, true);
    csqPlans.hello(h);        // plans due (R7.4)
    const a = h.agent || {};
    myName = a.name || me;
    $('me').textContent = myName === me ? me : t('wb.me', { name: myName, id: me });
    if (a.status) setStatus(a.status);
    if (a.reception != null) setReception(a.reception);
    const again = hellos++ > 0;
    const listed = new Set();
    for (const v of (h.conversations || []).concat(h.waiting || [])) {
      listed.add(v.id);
      const c = upsert(v);
      if (resumed.has(c.id)) continue;     // read back by the server
      if (again && c.thread.lastId) sync(c, c.thread.lastId);
      else catchUp(c);
    }
    // gone while this page was away
    for (const c of convs.values()) if (!listed.has(c.id) && LIVE[c.state]) setState(c, 'ended');
    outbox.up();
    if (again) later(refreshPickup);
    // after a reload: the conversation that was open opens again (#13 §4)
    const was = ss.get(KS + ':open');
    if (!again && !cur && was && convs.has(was)) open(convs.get(was));
  }

  // drafts of the conversations' replies, kept over a reload (#13 §4)
  const drafts = ss.json(KS + ':drafts') || {};
  function keepDraft() {
    if (!cur) return;
    if ($('input').value) drafts[cur.id] = $('input').value;
    else delete drafts[cur.id];
    ss.set(KS + ':drafts', JSON.stringify(drafts));
  }
  $('input').addEventListener('input', () => later(keepDraft, 400));

  // reads what the list's view says is unread (after the agent's read id)
  function catchUp(c) {
    const have = c.thread.lastId || c.readId;
    if (c.lastKnown && have && cmpId(c.lastKnown, have) <= 0) return;
    sync(c, have || undefined);
  }

  // sync: the log after an id (none: the newest 100) as message frames,
  // then an ack with "more"
  function sync(c, after) {
    return request({ type: 'sync', conversation: c.id, after }, (f) => {
      if (f.type === 'error') banner(errFrame(f.error), true);
      // a read-back comes in pages that fit the socket: after an id, on
      // to the end
      else if (f.more && after && c.thread.lastId) sync(c, c.thread.lastId);
    });
  }

  function message(m) {
    outbox.done(m.ref);
    const sys = m.kind === 'system';
    let c = convs.get(m.conversation);
    if (!c) {
      // new to the list: assigned to me, or a message in one I serve
      if (sys && !(m.event === 'assigned' && m.agent && m.agent.id === me)) return;
      c = add(m.conversation, null);
      call('GET', 'conversations/' + enc(c.id)).then((r) => { if (r.status === 200 && r.data) upsert(r.data, true); });
    }
    if (!c.thread.add(m)) return;
    // the list shows the newest message's text (#13 §4)
    if (!sys && cmpId(m.id, c.previewId) > 0) {
      c.previewId = m.id;
      const text = m.text || m.title || m.name || { image: t('msg.image'), file: t('msg.file') }[m.kind] || m.kind;
      c.preview = m.from.role === 'agent' && m.from.id === me ? t('wb.you', { text }) : text;
    }
    // entries up to the id the list's view had only draw; newer ones act
    const fresh = cmpId(m.id, c.seen) > 0;
    if (fresh) c.seen = m.id;
    if (sys && fresh) event(c, m);
    if (fresh) csqNotify.entry(c.id, m);     // R10.2, when the tab is away
    if (!sys && m.from.role === 'customer') {
      c.cust.push(m.id);
      if (c === cur) showTyping('');
      if (fresh && c.li.hidden) csqTools.unhide(c);   // the customer wrote again
    }
    if (c === cur) markRead();
    draw(c);
  }

  function event(c, m) {
    if (m.event === 'assigned') setState(c, m.agent && m.agent.id === me ? 'active' : 'gone');
    else if (m.event === 'queued' && LIVE[c.state]) setState(c, 'queued');
    else if (m.event === 'transferred' && m.from_agent === me) setState(c, 'transferred');
    else if (m.event === 'ended' || m.event === 'abandoned') setState(c, m.event);
  }

  function read(f) {
    const c = convs.get(f.conversation);
    if (!c || !f.id) return;
    if (f.by === 'customer') c.thread.markRead(f.id);
    else if (cmpId(f.id, c.readId) > 0) { c.readId = f.id; draw(c); }  // this or another device
  }

  function sysText(m) {
    const who = (m.agent && (m.agent.name || m.agent.id)) || t('wb.an_agent');
    switch (m.event) {
      case 'assigned': return t('wb.sys_assigned', { who });
      case 'queued': return t('wb.sys_queued', { queue: m.queue || '' });
      case 'transferred': return m.to_agent ? t('wb.sys_transferred_agent', { agent: m.to_agent })
        : m.to_queue ? t('wb.sys_transferred_queue', { queue: m.to_queue }) : t('wb.sys_transferred');
      case 'ended': return m.reason ? t('wb.sys_ended_reason', { reason: reasonName(m.reason) }) : t('wb.sys_ended');
      case 'abandoned': return t('wb.sys_abandoned');
      case 'handoff': return t('wb.sys_handoff');
      default: return m.text || m.event || '';
    }
  }

  // an end reason: the catalog's words for the known ones
  function reasonName(r) {
    return ({ solved: t('reason.solved'), no_reply: t('reason.no_reply'), transferred_out: t('reason.transferred_out'),
      other: t('reason.other'), agent: t('reason.agent'), customer: t('reason.customer'), timeout: t('reason.timeout'),
      no_socket: t('reason.no_socket'), left: t('reason.left') })[r] || r;
  }

  /* ---- conversation list ---- */

  // seen: the log id the view describes (older entries only draw)
  function add(id, seen) {
    const box = el('div', { class: 'thread', role: 'log', 'aria-live': 'polite' });
    const c = { id, view: { id }, state: 'active', readId: null, readSent: null, lastKnown: seen, seen, cust: [], loaded: false };
    c.thread = new csq.Thread(box, {
      mine: (m) => m.from.role === 'agent' && m.from.id === me,
      system: sysText,
      images: false,       // no customer image loads by itself (CSP too)
      token: () => session.token,   // its attachments (attach.js) do
      scroller: () => (cur === c ? $('log') : null),
    });
    csqChannels.attach(c);
    c.btn = el('button', { type: 'button', class: 'conv', onclick: () => open(c) });
    c.li = el('li', { 'data-testid': 'wb-conv', 'data-id': id, hidden: csqTools.isHidden(id) }, c.btn);
    $('list').prepend(c.li);
    reorder();
    convs.set(id, c);
    return c;
  }

  // a conversation view: id, state, customer, channel, queue, agent,
  // last_id, read_agent
  function upsert(v, keepState) {
    const c = convs.get(v.id) || add(v.id, v.last_id || null);
    Object.assign(c.view, v);
    if (v.state && !keepState) c.state = v.state;
    if (cmpId(v.read_agent, c.readId) > 0) c.readId = v.read_agent;
    if (v.read_customer) c.thread.markRead(v.read_customer);
    if (cmpId(v.last_id, c.lastKnown) > 0) c.lastKnown = v.last_id;
    draw(c);
    if (c === cur) pane();
    return c;
  }

  // (the open one is being read: its read receipt follows in a moment)
  const unread = (c) => (c === cur && document.visibilityState === 'visible' ? 0
    : c.cust.filter((id) => cmpId(id, c.readId) > 0).length);

  function draw(c) {
    const v = c.view, n = unread(c);
    c.btn.replaceChildren(
      el('span', { class: 'name', text: v.customer_name || v.customer || c.id }),
      el('span', { class: 'preview', 'data-testid': 'wb-preview', text: c.preview || '' }),
      el('span', { class: 'sub' }, csqChannels.badge(v), [c.id, v.queue, label(c.state)].filter(Boolean).join(' \u00b7 ')),
      el('span', { class: 'badge', 'data-testid': 'wb-unread', hidden: !n, text: csq.fmtNum(n) }),
      el('span', { class: 'sr', text: n ? ' ' + t('wb.unread') : '' }));
    c.btn.setAttribute('aria-current', String(cur === c));
    c.li.classList.toggle('ended', !LIVE[c.state]);
    c.li.dataset.state = c.state;    // active, queued, bot, ended, abandoned, transferred, gone
    filterOne(c);
    csqChannels.tabs(c);
    let total = 0;
    for (const x of convs.values()) total += unread(x);
    document.title = (total ? '(' + total + ') ' : '') + t('wb.doc_title', { tenant });
  }

  // the customer pane saved a customer's name: its conversations show it
  function named(customer, aliases, name) {
    for (const c of convs.values()) {
      if (c.view.customer === customer || aliases.includes(c.view.customer)) {
        c.view.customer_name = name;
        draw(c);
        if (c === cur) pane();
      }
    }
  }

  // the list's filters: words (name, id, the last message), unread, going on
  function filterOne(c) {
    const q = $('list-q').value.trim().toLowerCase();
    const v = c.view;
    const text = [v.customer_name, v.customer, c.id, c.preview].filter(Boolean).join(' ').toLowerCase();
    const out = (q && !q.split(/\s+/).every((w) => text.includes(w)))
      || ($('list-unread').checked && !unread(c))
      || ($('list-live').checked && !LIVE[c.state]);
    c.btn.parentNode.classList.toggle('filtered', !!out);
  }
  for (const id of ['list-q', 'list-unread', 'list-live']) {
    $(id).addEventListener('input', () => { for (const c of convs.values()) filterOne(c); });
  }

  function setState(c, s) {
    c.state = s;
    draw(c);
    if (c === cur) pane();
  }

  function open(c) {
    if (cur !== c) {
      typer.stop();
      const prev = cur;
      if (prev) keepDraft();
      cur = c;
      ss.set(KS + ':open', c.id);
      $('input').value = drafts[c.id] || '';
      if (prev) draw(prev);
      showTyping('');
    }
    $('log').replaceChildren(c.thread.box);
    $('log').scrollTop = $('log').scrollHeight;
    draw(c);
    pane();
    csqCustomer.show(c.view.customer);
    csqChannels.opened(c);
    if (!c.loaded) {
      c.loaded = sync(c);    // the newest 100
      csqTools.loadNotes(c);
    }
    markRead();
    showConv();
    if (matchMedia('(max-width: 900px)').matches) $('log').scrollIntoView({ block: 'nearest' });
    // (on a phone the keyboard would cover the conversation just opened)
    if (phone.matches) $('back').focus();
    else if (!$('input').disabled) $('input').focus();
  }

  /* ---- on a phone (R10.3, seed 001 §8): the list and the conversation
   * are two views (workbench.css, up to 700px wide: data-mview on the
   * page); opening one shows it, its back button and the browser's Back
   * return to the list.  Wider, both show as ever. */
  const phone = matchMedia('(max-width: 700px)');
  $('app').dataset.mview = 'list';
  const inConv = () => !!history.state && history.state.csqView === 'conv';
  function phoneView(v) {
    if ($('app').dataset.mview === v) return;
    $('app').dataset.mview = v;
    document.querySelector('main.cols').scrollTop = 0;
  }
  function showConv() {
    if ($('app').dataset.mview === 'conv') return;
    phoneView('conv');
    if (phone.matches && !inConv()) history.pushState({ csqView: 'conv' }, '');
  }
  function showList() {
    if ($('app').dataset.mview === 'list') return;
    if (inConv()) history.back();     // then popstate
    else listNow();
  }
  function listNow() {
    phoneView('list');
    if (cur && phone.matches) cur.btn.focus();
  }
  addEventListener('popstate', () => { if (inConv() && cur) phoneView('conv'); else listNow(); });
  $('back').addEventListener('click', showList);
  // the customer's pane is below the conversation
  $('to-cust').addEventListener('click', () => $('cust').scrollIntoView({ block: 'start' }));

  function pane() {
    const c = cur, active = !!c && c.state === 'active';
    const title = c && t('wb.conv_title', { name: c.view.customer_name || c.view.customer || c.id });
    $('conv-title').textContent = !c ? t('wb.no_conv') : label(c.state) ? t('fmt.pair', { a: title, b: label(c.state) }) : title;
    $('end').disabled = !active;
    $('transfer').disabled = !active;
    $('close').hidden = !c || !!LIVE[c.state];
    $('input').disabled = !active;
    csqTools.pane(c);
    csqChannels.tabs();
  }

  // the open conversation is read up to its last entry (while visible)
  function markRead() { later(readNow); }
  function readNow() {
    const c = cur, id = c && c.thread.lastId;
    if (!id || document.visibilityState !== 'visible' || cmpId(id, c.readSent) <= 0) return;
    // no longer hers (transferred away, taken by another): no receipt
    if (c.state === 'transferred' || c.state === 'gone') return;
    if (sock && sock.send({ type: 'read', conversation: c.id, id })) {
      c.readSent = id;
      if (cmpId(id, c.readId) > 0) c.readId = id;
      draw(c);
    }
  }

  /* ---- chat pane ---- */

  function send(text, c = cur) {
    if (!c || c.state !== 'active') return false;
    // a private note: agents only, never on the customer's socket
    if ($('private').checked) {
      csqTools.writeNote(c, text);
      return true;
    }
    return sendMessage({ kind: 'text', text }, c);
  }

  // a message of any kind (text, card ...) on the socket, shown at once
  function sendMessage(m, c = cur) {
    if (!c || c.state !== 'active') return false;
    delete drafts[c.id];
    ss.set(KS + ':drafts', JSON.stringify(drafts));
    const ref = csq.ref('m');
    c.thread.pending(ref, { ...m, from: { role: 'agent', id: me, name: myName }, at: Date.now() });
    outbox.add(ref, { type: 'message', conversation: c.id, ...m, ref }, c.thread, () => sendMessage(m, c));
    typer.stop();
    return true;
  }

  // quick replies: "/" and words (tools.js), their keys before the composer's
  $('input').addEventListener('keydown', (e) => csqTools.qrKey(e), true);
  $('input').addEventListener('input', () => csqTools.suggest());

  csq.composer($('composer'), $('input'), send, () => {
    if (typingConv !== cur) { typer.stop(); typingConv = cur; }
    if (cur && cur.state === 'active') typer.input();
  });
  $('input').addEventListener('blur', () => typer.stop());
  // images and files (R5.6) into the open conversation
  csqAttach.composer({ form: $('composer'), input: $('input'), token: () => session.token,
    conversation: () => (cur && cur.state === 'active' ? cur.id : null),
    error: (text) => banner(text, true),
    send: (kind, a) => sendMessage({ kind, attachment: a.id, name: a.name, size: a.size, mime: a.mime }) });

  // "end and remove window" (R4.5): an ended one leaves the list; a
  // hidden one too (R4.7)
  function removeConv(c) {
    convs.delete(c.id);
    c.li.remove();
    if (cur === c) {
      cur = null;
      $('log').replaceChildren();
      pane();
      showList();
    }
    const first = $('list').querySelector('button');
    if (first) first.focus();
  }
  $('close').addEventListener('click', () => { if (cur) removeConv(cur); });

  // pinned ones first, in pin order (R4.7)
  function reorder() {
    for (const c of [...convs.values()].reverse()) {
      if (csqTools.pinned(c.id)) $('list').prepend(c.li);
      c.btn.classList.toggle('pinned', csqTools.pinned(c.id));
    }
  }

  /* ---- status ---- */

  function setStatus(s) { myStatus = s; $('status').value = s; }
  function setReception(r) { myReception = !!r; $('reception').checked = myReception; }

  // only the changed field is sent; the answer carries both
  function pushStatus(body) {
    const done = (ok, d, msg) => {
      if (ok) { if (d.status) setStatus(d.status); if (d.reception != null) setReception(d.reception); }
      else { banner(msg, true); setStatus(myStatus); setReception(myReception); }
    };
    if (!request(Object.assign({ type: 'status' }, body), (f) => done(f.type === 'ack', f, errFrame(f.error)))) {
      call('POST', 'agents/' + enc(me) + '/status', body).then((r) => done(r.status === 200, r.data || {}, errMsg(r)));
    }
  }
  $('status').addEventListener('change', () => pushStatus({ status: $('status').value }));
  $('reception').addEventListener('change', () => pushStatus({ reception: $('reception').checked }));

  /* ---- pick-up list and supervisor views ---- */

  // keeps ul's items in the order of items, each made once by key (so a
  // refresh keeps focus and what was typed)
  function keyed(ul, items, make) {
    const old = new Map([...ul.children].map((li) => [li.dataset.key, li]));
    let prev = null;
    for (const it of items) {
      let li = old.get(it.key);
      if (li) old.delete(it.key);
      else { li = make(it); li.dataset.key = it.key; }
      if ((prev ? prev.nextElementSibling : ul.firstElementChild) !== li) {
        if (prev) prev.after(li); else ul.prepend(li);
      }
      prev = li;
    }
    for (const li of old.values()) li.remove();
  }

  let myQueues = null;
  async function refreshPickup() {
    if (!myQueues) {
      const r = await call('GET', 'agents/' + enc(me));
      if (r.status !== 200 || !r.data) return;
      myQueues = r.data.queues || [];
    }
    const res = await Promise.all(myQueues.map((q) => call('GET', 'queues/' + enc(q))));
    const items = [];
    res.forEach((r, i) => {
      if (r.status !== 200 || !r.data) return;
      for (const w of r.data.waiting || []) {
        const id = typeof w === 'object' ? w.id : w;
        items.push({ key: id, id, queue: r.data.name || myQueues[i] });
      }
    });
    csqNotify.waiting(items);
    keyed($('pickup'), items, (it) => el('li', {},
      el('span', { text: it.id + ' \u00b7 ' + it.queue }),
      el('button', { type: 'button', class: 'small', 'data-testid': 'wb-take', 'data-id': it.id, 'aria-label': t('wb.take_aria', { id: it.id }),
        text: t('wb.take'), onclick: () => take(it.id) })));
  }

  async function take(id) {
    const r = await call('POST', 'conversations/' + enc(id) + '/claim', {});
    const msg = $('pickup-msg');
    if (r.status >= 200 && r.status < 300) {
      msg.textContent = '';
      const c = convs.get(id) || add(id, null);
      if (r.data && r.data.id === id) upsert(r.data);
      else if (!LIVE[c.state]) setState(c, 'active');
      open(c);
    } else {
      msg.textContent = r.status === 409 && errCode(r) === 'conflict' ? t('wb.taken', { id }) : errMsg(r);
    }
    later(refreshPickup);
  }

  async function refreshSup() {
    if (document.hidden) return;
    const [w, tm] = await Promise.all([call('GET', 'waiting'), call('GET', 'agents')]);
    if (w.status === 200 && w.data) {
      const items = [];
      for (const q of w.data.queues || []) for (const v of q.waiting || []) items.push({ key: v.id, v, where: t('wb.where_queue', { queue: q.queue }) });
      for (const a of w.data.agents || []) for (const v of a.waiting || []) items.push({ key: v.id, v, where: t('wb.where_agent', { agent: a.agent }) });
      keyed($('waiting'), items, waitingItem);
    } else {
      $('sup-msg').textContent = errMsg(w);
    }
    if (tm.status === 200 && tm.data) team(tm.data.agents || []);
    const f = await call('GET', 'figures');
    if (f.status === 200 && f.data) figures(f.data.queues);
  }

  // R8.2: durations as "45 s" / "3 min", shares as "87%", in the page's
  // language (i18n.js)
  const secs = csqI18n.duration, pct = csqI18n.pct, num = csq.fmtNum;
  const pair = (a, b) => t('fmt.pair', { a, b });

  function figures(queues) {
    $('figures').replaceChildren(...queues.map((q) => el('tr', { 'data-id': q.id },
      el('th', { scope: 'row', text: q.name }), el('td', { text: num(q.waiting) }),
      el('td', { text: q.waiting ? secs(q.longest_wait_ms) : '\u2013' }), el('td', { text: secs(q.average_wait_ms) }),
      el('td', { text: pct(q.abandoned_rate) }), el('td', { text: secs(q.first_response_ms) }),
      el('td', { text: pair(pct(q.service_level), secs(q.sl_seconds * 1000)) }),
      el('td', { text: q.rating == null ? '\u2013' : pair(num(q.rating), num(q.ratings)) }))));
  }

  // the agent's own day (R8.2), every half minute
  async function myDay() {
    if (document.hidden) return;
    const r = await call('GET', 'agents/' + enc(me));
    const d = r.status === 200 && r.data.today;
    if (!d) return;
    const text = t('wb.myday', { taken: num(d.taken), ended: num(d.ended),
      first: secs(d.first_response_ms), handling: secs(d.handling_ms) });
    $('myday').textContent = d.rating != null ? t('wb.myday_rating', { text, rating: num(d.rating) }) : text;
  }
  $('sup-refresh').addEventListener('click', refreshSup);

  function waitingItem(it) {
    const v = it.v;
    const input = el('input', { 'data-testid': 'wb-assign-agent', 'aria-label': t('wb.assign_aria', { id: v.id }),
      placeholder: t('wb.agent_id_ph'), size: 8, autocapitalize: 'off', spellcheck: 'false' });
    // R3.8: the supervisor puts it ahead (0-9, higher first)
    const prio = el('select', { 'data-testid': 'wb-priority', 'data-id': v.id, 'aria-label': t('wb.priority_aria', { id: v.id }),
      onchange: () => priority(v.id, Number(prio.value)) },
    ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => el('option', { value: n, text: t('wb.priority_n', { n: num(n) }), selected: n === (v.priority || 0) })));
    return el('li', {},
      el('span', { text: (v.customer_name || v.customer || v.id) + ' \u00b7 ' + it.where }), prio,
      el('form', { class: 'assign', onsubmit: (e) => { e.preventDefault(); assign(v.id, input.value.trim()); } },
        input, el('button', { type: 'submit', class: 'small', 'data-testid': 'wb-assign', 'data-id': v.id, text: t('wb.assign') })));
  }
  async function priority(id, n) {
    const r = await call('POST', 'conversations/' + enc(id) + '/priority', { priority: n });
    $('sup-msg').textContent = r.status >= 200 && r.status < 300 ? t('wb.priority_set', { id, n: num(n) }) : errMsg(r);
    refreshSup();
  }

  async function assign(id, agent) {
    const msg = $('sup-msg');
    if (!agent) { msg.textContent = t('wb.assign_need', { id }); return; }
    const r = await call('POST', 'conversations/' + enc(id) + '/assign', { agent });
    msg.textContent = r.status >= 200 && r.status < 300 ? t('wb.assigned', { id, agent }) : errMsg(r);
    refreshSup();
  }

  // the monitor (R8.3): each agent with its time in status and, opened,
  // its conversations, each of which a supervisor reads live, read-only;
  // a "team" frame on the socket reads it again
  const opened = new Set();
  function team(agents) {
    const min = (ms) => num(Math.round((ms || 0) / 60000));
    const rows = [];
    for (const a of agents) {
      const more = el('button', { type: 'button', class: 'small', 'data-testid': 'wb-team-convs', 'data-agent': a.id,
        'aria-expanded': String(opened.has(a.id)), disabled: !a.load, text: t('wb.show_convs', { n: num(a.load || 0) }),
        onclick: () => { if (opened.has(a.id)) opened.delete(a.id); else opened.add(a.id); refreshSup(); } });
      rows.push(el('tr', { 'data-agent': a.id },
        el('th', { scope: 'row', text: a.name && a.name !== a.id ? t('wb.me', { name: a.name, id: a.id }) : a.id }),
        el('td', { text: a.reception === false ? t('wb.not_receiving', { status: statusName(a.status) }) : statusName(a.status) }),
        el('td', { 'data-testid': 'wb-team-since', text: a.status_since ? secs(Math.max(0, Date.now() - a.status_since)) : '\u2013' }),
        el('td', { text: num(a.load || 0) + ' / ' + num(a.capacity || 0) }),
        el('td', { text: num((a.today && a.today.taken) || 0) }),
        el('td', { text: min(a.today && a.today.suspended_ms) }),
        el('td', { text: min(a.today && a.today.offline_ms) }),
        el('td', {}, more)));
      if (opened.has(a.id) && a.load) {
        const list = el('ul', { class: 'plain team-convs', 'data-testid': 'wb-team-list' });
        rows.push(el('tr', { class: 'team-more' }, el('td', { colspan: 8 }, list)));
        agentConvs(a.id, list);
      }
    }
    $('team').replaceChildren(...rows);
  }
  async function agentConvs(aid, list) {
    const r = await call('GET', 'agents/' + enc(aid) + '/conversations');
    if (r.status !== 200) return list.replaceChildren(el('li', { class: 'error', text: errMsg(r) }));
    list.replaceChildren(...(r.data.active || []).map((c) => el('li', {},
      el('span', { text: t('wb.team_conv', { customer: c.customer_name || c.customer || c.id, since: csq.fmtTime(c.created) }) }), ' ',
      el('button', { type: 'button', class: 'small', 'data-testid': 'wb-team-open', 'data-id': c.id, text: t('wb.watch'),
        onclick: () => csqCustomer.transcript(c, { live: true }) }))));
  }

  /* ---- start ---- */

  const note = ss.get(KS + ':msg');
  ss.del(KS + ':msg');
  session = ss.json(KS);
  const exp = session && expiresAt(session.expires);
  if (session && session.token && !(exp && exp <= Date.now())) begin();
  else showLogin(note);
})();
