/* csq customer chat page: P tenants/<t>/chat[?ch=<link>][&embed=1]
 * [#customer=<id>&hash=<signature>] (R1.1, R1.2, R1.5, R4.1-R4.3) */
'use strict';

(() => {
  const { tenant, api, errCode, errMsg, cmpId, t } = csq;
  const $ = (id) => document.getElementById(id);
  const ls = csq.storage('localStorage');
  const K = 'csq:' + tenant + ':';            // visitor, conv, last
  const q = new URLSearchParams(location.search);
  const ch = q.get('ch') || undefined;
  const frag = new URLSearchParams(location.hash.slice(1));
  const customer = frag.get('customer') || undefined;
  const customerHash = frag.get('hash') || undefined;
  const trackOnly = q.get('track') === '1';

  const log = $('log'), input = $('input'), statusText = $('status-text');
  const agentName = $('agent-name'), agentAvatar = $('agent-avatar');
  const showTyping = csq.typingLine($('typing'));

  let visitor = null, conv = null;   // conv: {id, token, customer}
  let opening = false;      // the first word's arrival is under way
  let fresh = false;        // made by this page load (not taken from storage)
  let sock = null;
  let hadHello = false, fails = 0;
  let state = null, position = null, wait = null, agent = null;
  let lastId = null, lastAgentId = null, readSent = null, readTimer = 0;
  let helloLast = null;     // the log's last id when the hello was made
  let helloRead = null;     // the customer's read mark then (R10.2)

  const thread = new csq.Thread(log, {
    mine: (m) => m.from.role === 'customer',
    system: sysText,
    token: () => conv && conv.token,
    action: (text) => send(text),
  });
  const outbox = new csq.Outbox((f) => sock && sock.send(f));
  const typer = csq.typingSender((on) => state === 'active' && !!sock && sock.send({ type: 'typing', typing: on }));

  if (q.get('embed') === '1') {
    document.documentElement.classList.add('embed');
    // Escape closes the widget's panel; focus goes to the message box
    addEventListener('keydown', (e) => { if (e.key === 'Escape') parent.postMessage({ csq: 'close' }, '*'); });
    addEventListener('focus', () => { if (document.activeElement === document.body && !input.disabled) input.focus(); });
  }

  function banner(text, retry) {
    $('banner').hidden = !text;
    $('banner-text').textContent = text || '';
    const b = $('retry');
    b.hidden = !retry;
    b.onclick = retry ? () => { banner(null); retry(); } : null;
  }

  // nothing but the message (deleted link, unknown desk, sign-in needed)
  function fatal(text) {
    document.documentElement.classList.add('fatal');
    $('banner').setAttribute('role', 'alert');
    banner(text);
  }

  async function start() {
    banner(null);
    const r = await api('POST', 'entry', {
      ch, visitor_token: ls.get(K + 'visitor') || undefined, customer, customer_hash: customerHash,
    });
    if (r.status !== 200 || !r.data || !r.data.visitor) {
      const code = errCode(r);
      if (code === 'link_deleted') return fatal(errMsg(r));
      if (code === 'not_found') return fatal(t('chat.no_desk'));
      if (code === 'login_required' || code === 'bad_identity') return fatal(t('chat.sign_in'));
      return banner(errMsg(r), start);
    }
    const e = r.data;
    visitor = e.visitor;
    if (visitor.token) ls.set(K + 'visitor', visitor.token);
    track();
    // R10.1: the tenant's language, unless ?lang= (or a choice) says
    // otherwise; nothing of the page's own is drawn yet but its HTML
    const want = csq.tenantLang((e.tenant || {}).lang || '');
    if (want !== csq.lang) csq.setLang(want);
    // the widget's tracker tells the widget (its button's words)
    if (trackOnly) return parent.postMessage({ csq: 'lang', lang: want }, '*');
    header(e.tenant || {});
    faq(e.faq_links);
    if (e.require_login && !customer) return fatal(t('chat.sign_in'));
    const c = ls.json(K + 'conv');
    if (c && c.id && c.token && (!c.customer || c.customer === visitor.id)) {
      conv = c;
      input.disabled = false;
      return connect();
    }
    // R9.6: a page view makes no conversation, the first word does; the
    // welcome of the queue it will go to shows meanwhile
    if (e.welcome) note(e.welcome);
    input.disabled = false;
  }

  // R5.4: the page the visitor views joins its trajectory: this one, or
  // (the widget's hidden tracker, ?track=1) the site's page that holds
  // the widget, named in the fragment
  function track() {
    const http = (u) => (/^https?:\/\//.test(u || '') ? u : '');
    const page = frag.get('page');
    if (!page && !widgetShown) { trackLater = true; return; }   // loaded by the widget, not opened yet (R10.2)
    const view = page
      ? { url: http(page), title: frag.get('title') || '', referrer: http(frag.get('ref')) }
      : { url: location.origin + location.pathname + location.search, title: document.title, referrer: http(document.referrer) };
    if (view.url && visitor.token) api('POST', 'track', view, visitor.token);
  }

  // a text of the desk's until the same text shows up in the log
  function note(text) {
    log.append(csq.el('div', { class: 'msg in note', 'data-testid': 'chat-note', text }));
  }

  function header(desk) {
    $('title').textContent = desk.name || desk.id || tenant;
    document.title = t('chat.doc_title', { name: desk.name || tenant });
    const u = desk.avatar && csq.safeUrl(desk.avatar);
    if (u) { $('logo').src = u; $('logo').hidden = false; }
  }

  // optional bottom bar of FAQ and self-service links (R1.1)
  function faq(links) {
    const nav = $('faq');
    for (const l of links || []) {
      const u = csq.safeUrl(l.url);
      if (u) nav.append(csq.el('a', { href: u, ...csq.NEW, text: l.label || u }));
    }
    nav.hidden = !nav.firstChild;
    articles();
  }

  // R4.10: the desk's external articles join the bar; one opens over the
  // chat (and ?kb=<id>, an article an agent shared, opens at once)
  async function articles() {
    const r = await api('GET', 'kb/public');
    const nav = $('faq');
    for (const a of (r.status === 200 && r.data.articles) || []) {
      nav.append(csq.el('button', { type: 'button', class: 'link', 'data-testid': 'chat-article', text: a.title,
        onclick: () => article(a.id) }));
    }
    nav.hidden = !nav.firstChild;
    if (q.get('kb')) article(q.get('kb'));
  }

  async function article(id) {
    const r = await api('GET', 'kb/public/' + encodeURIComponent(id));
    if (r.status !== 200) return banner(errMsg(r));
    $('article-title').textContent = r.data.title;
    $('article-body').textContent = r.data.body;
    $('article').showModal();
  }
  $('article-close').addEventListener('click', () => $('article').close());

  // the visitor's first word: the conversation, then its socket (the
  // word waits in the outbox until the socket's hello)
  async function openConversation() {
    if (opening || conv) return;
    opening = true;
    const r = await api('POST', 'conversations', { customer: visitor.id, link: ch, customer_hash: customerHash });
    opening = false;
    if (r.status !== 201 && r.status !== 200) {
      const code = errCode(r);
      if (code === 'login_required' || code === 'bad_identity') return fatal(t('chat.sign_in'));
      if (code === 'queue_full') return banner(t('chat.busy'), openConversation);
      if (code === 'blacklisted') return fatal(errMsg(r));
      // an internal refusal (no queue for this page, a deleted queue ...)
      // is the desk's to fix, not the customer's to read
      if (code === 'invalid_field' || code === 'not_found' || r.status >= 500 || !r.status) {
        return banner(r.status ? t('chat.unavailable') : t('err.network'), openConversation);
      }
      return banner(errMsg(r), openConversation);
    }
    conv = { id: r.data.id, token: r.data.customer_token, customer: visitor.id };
    ls.set(K + 'conv', JSON.stringify(conv));
    ls.del(K + 'last');
    fresh = true;
    apply(r.data);
    if (r.data.auto_reply) note(r.data.auto_reply);
    connect();
  }

  function connect() {
    // after= only after a drop in this page: a new load gets the newest 100
    sock = new csq.Sock(() => csq.wsUrl('chat/ws', { token: conv.token, conversation: conv.id, after: lastId || undefined }), {
      frame, close: closed,
    });
    sock.start();
    addEventListener('online', () => sock.now());
  }

  function closed(e) {
    outbox.down();
    if (e.code === 1008) return gone();
    if (state === 'ended') return false;     // nothing more will come
    // a refused handshake is just 1006 here: a stored conversation that
    // never opens (expired token, deleted) is dropped for a new one
    if (!hadHello && !fresh && ++fails >= 3) return gone();
    banner(t('common.reconnecting'));
    return true;
  }

  function forget() { ls.del(K + 'conv'); ls.del(K + 'last'); }

  function gone() {
    forget();
    if (fresh) setState('ended'); else location.reload();
    banner(null);
    return false;
  }

  function frame(f) {
    switch (f.type) {
      case 'hello':
        hadHello = true;
        sock.ok();
        banner(null);
        if (f.conversation) {
          helloLast = f.conversation.last_id || null;
          if (cmpId(f.conversation.read_customer, helloRead) > 0) helloRead = f.conversation.read_customer;
          if (f.conversation.read_agent) thread.markRead(f.conversation.read_agent);
          apply(f.conversation);
        }
        outbox.up();
        break;
      case 'message': message(f); break;
      case 'queue':
        if (f.position != null) { position = f.position; wait = f.estimated_wait; if (state === 'queued') setState('queued'); }
        break;
      case 'typing':
        if (f.from === 'agent') showTyping(f.typing ? t('chat.typing', { name: (agent && agent.name) || t('chat.the_agent') }) : '');
        break;
      case 'read':
        if (f.by === 'agent' && f.id) thread.markRead(f.id);
        break;
      case 'ack': outbox.ack(f.ref, f.id); break;
      case 'error':
        if (outbox.has(f.ref)) outbox.error(f.ref, f.error ? csq.errFrame(f.error) : t('msg.not_sent'));
        break;
    }
  }

  // a conversation view (hello, the arrival's answer)
  function apply(v) {
    if (v.position != null) { position = v.position; wait = v.estimated_wait; }
    if (v.agent) setAgent(v.agent);
    setState(v.state);
  }

  function setAgent(a) {
    agent = a;
    agentName.textContent = a.name || a.id || '';
    const u = a.avatar && csq.safeUrl(a.avatar);
    if (u) agentAvatar.src = u; else agentAvatar.removeAttribute('src');
  }

  function setState(s) {
    if (s === 'abandoned') s = 'ended';
    state = s;
    const active = s === 'active' && agent;
    agentName.hidden = !active;
    agentAvatar.hidden = !active || !agentAvatar.getAttribute('src');
    if (s === 'queued') {
      statusText.textContent = position == null ? t('chat.waiting')
        : wait == null ? t('chat.position', { n: csq.fmtNum(position) })
          : t('chat.position_wait', { n: csq.fmtNum(position), min: csq.fmtNum(Math.max(1, Math.ceil(wait / 60))) });
    } else if (active) {
      statusText.textContent = t('chat.with');
    } else if (s === 'bot') {
      statusText.textContent = t('chat.bot');
    } else if (s === 'ended') {
      if (conv) ls.set(K + 'ended', conv.id);   // no more replies: the widget need not load it (R10.2)
      statusText.textContent = '';
      showTyping('');
      typer.stop();
      $('ended').hidden = false;
      $('composer').hidden = true;
      input.disabled = true;
    }
  }

  // R8.5: once it has ended, the customer may rate it (1-5, a comment)
  $('rate').addEventListener('submit', async (e) => {
    e.preventDefault();
    const score = Number(new FormData($('rate')).get('score'));
    if (!score || !conv) return;
    const r = await api('POST', 'conversations/' + encodeURIComponent(conv.id) + '/rating',
      { score, comment: $('rate-comment').value.trim() }, conv.token);
    if (r.status === 200 || errCode(r) === 'already_rated') {
      $('rate').hidden = true;
      $('rated').hidden = false;
    } else banner(errMsg(r));
  });

  function sysText(m) {
    const who = (m.agent && (m.agent.name || m.agent.id)) || t('chat.an_agent');
    return { assigned: t('chat.sys_joined', { who }), queued: t('chat.waiting'), transferred: t('chat.sys_transferring'),
      handoff: t('chat.sys_handoff'),
      ended: t('chat.sys_ended'), abandoned: t('chat.sys_ended') }[m.event] || m.text || '';
  }

  function message(m) {
    if (m.conversation && m.conversation !== conv.id) return;
    outbox.done(m.ref);
    if (!thread.add(m)) return;
    if (cmpId(m.id, lastId) > 0) {
      lastId = m.id;
      ls.set(K + 'last', JSON.stringify({ conversation: conv.id, id: lastId }));
    }
    // history older than the hello only draws: the hello's state stands
    if (m.kind === 'system' && cmpId(m.id, helloLast) > 0) {
      if (m.event === 'assigned' && m.agent) { setAgent(m.agent); setState('active'); }
      else if (m.event === 'queued') setState('queued');
      else if (m.event === 'transferred') { state = 'transferring'; agentName.hidden = agentAvatar.hidden = true; statusText.textContent = t('chat.sys_transferring'); }
      else if (m.event === 'ended' || m.event === 'abandoned') setState('ended');
    }
    if (m.kind === 'system') return;
    const role = m.from && m.from.role;
    if (role === 'agent') {
      showTyping('');
      if (cmpId(m.id, lastAgentId) > 0) lastAgentId = m.id;
      markRead();
    }
    if (role === 'bot' || role === 'agent') {
      for (const n of log.querySelectorAll('.note')) if (n.textContent === m.text) n.remove();
      reply(m.id);
    }
  }

  // read receipts while the page is visible: the last agent message
  function markRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      if (shown() && lastAgentId && lastAgentId !== readSent
          && sock && sock.send({ type: 'read', id: lastAgentId })) readSent = lastAgentId;
    }, 300);
  }
  document.addEventListener('visibilitychange', markRead);

  /* R10.2: the site's widget shows on its button the replies (the agent's,
   * the robot's) that came while its panel was closed.  The widget keeps
   * this page loaded once opened (and loads it closed, ?closed=1, on a
   * page of the site where this browser has a conversation going on); it
   * tells whether its panel is open ({csq: 'panel', open}), from the
   * parent window only, and this page answers that window's origin only
   * with the count ({csq: 'unread', n}).  What was seen (the newest reply
   * shown while open) is kept: a reply that came while no page of the
   * site was open counts on the next one. */
  const inWidget = q.get('embed') === '1' && parent !== window;
  let widgetShown = q.get('closed') !== '1';
  let widgetOrigin = null, lastReply = null, unread = 0, trackLater = false;
  function shown() { return document.visibilityState === 'visible' && (!inWidget || widgetShown); }
  const seenKey = K + 'seen';
  function seen() {
    const x = ls.json(seenKey);
    return x && conv && x.conversation === conv.id ? x.id : null;
  }
  function reply(id) {
    if (cmpId(id, lastReply) > 0) lastReply = id;
    if (shown()) return looked();
    if (cmpId(id, seen()) > 0 && cmpId(id, helloRead) > 0) { unread++; tell(); }
  }
  function looked() {
    if (conv && lastReply && cmpId(lastReply, seen()) > 0) ls.set(seenKey, JSON.stringify({ conversation: conv.id, id: lastReply }));
    if (unread) { unread = 0; tell(); }
  }
  function tell() {
    if (inWidget && widgetOrigin) parent.postMessage({ csq: 'unread', n: unread }, widgetOrigin);
  }
  addEventListener('message', (e) => {
    if (!inWidget || e.source !== parent || !e.data || e.data.csq !== 'panel') return;
    widgetOrigin = e.origin;
    // the tracker tells whether a conversation goes on here
    if (trackOnly) {
      const c = ls.json(K + 'conv');
      if (c && c.id && c.token && ls.get(K + 'ended') !== c.id) parent.postMessage({ csq: 'live' }, widgetOrigin);
      return;
    }
    widgetShown = !!e.data.open;
    if (!shown()) return tell();
    looked();
    markRead();
    if (trackLater) { trackLater = false; track(); }
  });
  document.addEventListener('visibilitychange', () => { if (shown()) looked(); });

  function send(text) {
    if (state === 'ended' || !visitor) return false;
    const ref = csq.ref('c');
    thread.pending(ref, { text, kind: 'text', from: { role: 'customer' }, at: Date.now() });
    outbox.add(ref, { type: 'message', text, ref }, thread, () => send(text));
    typer.stop();
    if (!conv) openConversation();
    return true;
  }

  csq.composer($('composer'), input, send, () => typer.input());
  // images and files (R5.6): into the conversation once there is one
  csqAttach.composer({ form: $('composer'), input, token: () => conv && conv.token,
    conversation: () => (conv && state !== 'ended' && !input.disabled ? conv.id : null),
    error: (text) => note(text),
    send: function sendFile(kind, a) {
      const ref = csq.ref('c');
      const m = { kind, attachment: a.id, name: a.name, size: a.size, mime: a.mime };
      thread.pending(ref, { ...m, from: { role: 'customer' }, at: Date.now() });
      outbox.add(ref, { type: 'message', ...m, ref }, thread, () => sendFile(kind, a));
    } });
  input.addEventListener('blur', () => typer.stop());
  $('new').addEventListener('click', () => { forget(); location.reload(); });

  start();
})();
