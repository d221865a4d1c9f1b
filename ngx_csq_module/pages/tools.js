/* csq workbench: the conversation tools (R4.4-R4.7).  The end dialog with
 * the wrap-up (reason, topic, status, the service note's fields; its
 * required ones refused by the server with note_required) and "end and
 * remove from the list"; the transfer dialog, choosing among the agents
 * that can take it now and the queues, with a note for whoever takes it;
 * private notes written from the composer and shown in the thread (never
 * the customer's); pinned conversations first in the list, hidden ones
 * out of it.  workbench.js calls csqTools.init() once. */
'use strict';

window.csqTools = (() => {
  const { el, errMsg, t } = csq;
  const enc = encodeURIComponent;
  const $ = (id) => document.getElementById(id);
  let o = null;          // { call, cur, ended, removed, reorder }
  let conf = null;       // the tenant's wrap-up lists
  const pins = new Set(), hidden = new Set();

  async function init(opts) {
    o = opts;
    $('end').onclick = openEnd;
    $('end-form').addEventListener('submit', (e) => { e.preventDefault(); end(e.submitter && e.submitter.value === 'remove'); });
    $('end-cancel').addEventListener('click', () => $('end-dialog').close());
    $('transfer').onclick = openTransfer;
    $('transfer-form').onsubmit = (e) => { e.preventDefault(); transfer(); };
    $('pin').addEventListener('click', () => mark({ pinned: !pins.has(o.cur().id) }));
    $('kb-open').addEventListener('click', () => { $('kb-dialog').showModal(); kbFind(); });
    $('kb-close').addEventListener('click', () => $('kb-dialog').close());
    $('kb-form').addEventListener('submit', (e) => { e.preventDefault(); kbFind(); });
    $('kb-q').addEventListener('input', kbFind);
    $('hide').addEventListener('click', () => mark({ hidden: true }));
    const m = await o.call('GET', 'marks');
    if (m.status === 200) {
      m.data.pinned.forEach((id) => pins.add(id));
      m.data.hidden.forEach((id) => hidden.add(id));
      o.reorder();
    }
  }

  const pinned = (id) => pins.has(id);
  const isHidden = (id) => hidden.has(id);

  function pane(c) {
    $('kb-open').disabled = !c;
    $('pin').disabled = !c;
    $('hide').disabled = !c;
    if (window.csqTickets) csqTickets.pane(c);     // its ticket button (tickets.js)
    $('pin').textContent = c && pins.has(c.id) ? t('tools.unpin') : t('tools.pin');
    $('pin').setAttribute('aria-pressed', String(!!c && pins.has(c.id)));
  }

  // a hidden conversation whose customer wrote again is back in the list
  async function unhide(c) {
    c.li.hidden = false;
    hidden.delete(c.id);
    await o.call('POST', 'conversations/' + enc(c.id) + '/mark', { hidden: false });
  }

  async function mark(body, c = o.cur()) {
    const r = await o.call('POST', 'conversations/' + enc(c.id) + '/mark', body);
    if (r.status !== 200) return o.banner(errMsg(r));
    (r.data.pinned ? pins.add(c.id) : pins.delete(c.id));
    (r.data.hidden ? hidden.add(c.id) : hidden.delete(c.id));
    if (r.data.hidden) c.li.hidden = true;
    if (r.data.hidden && c === o.cur()) o.removed(c);
    o.reorder();
    pane(o.cur());
  }

  /* ---- the end, with its wrap-up ---- */

  async function wrapupConf() {
    if (!conf) {
      const r = await o.call('GET', 'wrapup');
      conf = r.status === 200 ? r.data : { topics: [], statuses: [], note_fields: [] };
    }
    return conf;
  }

  function options(sel, list, value) {
    sel.replaceChildren(el('option', { value: '', text: '\u2014' }),
      ...list.map((x) => el('option', { value: x, text: x, selected: x === value })));
  }

  async function openEnd() {
    const c = o.cur();
    if (!c) return;
    const w = await wrapupConf();
    const had = (await o.call('GET', 'conversations/' + enc(c.id) + '/messages?limit=1')).data;
    const now = (had && had.conversation.wrapup) || { note: {} };
    options($('end-topic'), w.topics, now.topic);
    options($('end-status'), w.statuses, now.status);
    $('end-note').replaceChildren(...w.note_fields.map((d) => {
      const id = 'end-f-' + d.name;
      const v = now.note[d.name];
      const input = d.type === 'select'
        ? el('select', { id }, el('option', { value: '', text: '\u2014' }),
          ...d.options.map((x) => el('option', { value: x, text: x, selected: v === x })))
        : el('input', { id, value: v == null ? '' : String(v), required: !!d.required,
          type: { number: 'number', date: 'date', email: 'email', phone: 'tel' }[d.type] || 'text' });
      return el('div', { class: 'field' }, el('label', { for: id, text: (d.label || d.name) + (d.required ? ' *' : '') }), input);
    }));
    $('end-error').hidden = true;
    $('end-dialog').showModal();
  }

  async function end(remove) {
    const c = o.cur();
    if (!c) return;
    const w = await wrapupConf(), note = {};
    for (const d of w.note_fields) {
      const v = $('end-f-' + d.name).value.trim();
      if (v !== '') note[d.name] = d.type === 'number' ? Number(v) : v;
    }
    const body = { reason: $('end-reason').value, note,
      topic: $('end-topic').value || null, status: $('end-status').value || null };
    const r = await o.call('POST', 'conversations/' + enc(c.id) + '/end', body);
    if (r.status !== 200) {
      $('end-error').textContent = errMsg(r);
      $('end-error').hidden = false;
      return;
    }
    $('end-dialog').close();
    o.ended(c, remove);
  }

  /* ---- transfer: to whom, with a note ---- */

  async function openTransfer() {
    const c = o.cur();
    if (!c) return;
    $('transfer-error').hidden = true;
    $('transfer-note').value = '';
    const r = await o.call('GET', 'conversations/' + enc(c.id) + '/targets');
    if (r.status !== 200) return o.banner(errMsg(r));
    const num = csq.fmtNum;
    const who = (a) => t('tools.target_agent', { name: a.name, status: o.statusName(a.status),
      load: num(a.load), capacity: num(a.capacity) });
    $('transfer-target').replaceChildren(
      el('optgroup', { label: t('tools.agents') }, ...r.data.agents.map((a) => el('option', {
        value: 'agent:' + a.id, disabled: !a.can_take,
        text: a.can_take ? who(a) : t('tools.cannot_take', { text: who(a) }),
      }))),
      el('optgroup', { label: t('tools.queues') }, ...r.data.queues.map((q) => el('option', {
        value: 'queue:' + q.id, text: t('tools.target_queue', { name: q.name, n: num(q.waiting) }),
      }))));
    const first = $('transfer-target').querySelector('option:not([disabled])');
    if (first) first.selected = true;
    $('transfer-dialog').showModal();
    $('transfer-target').focus();
  }

  async function transfer() {
    const c = o.cur(), v = $('transfer-target').value;
    if (!c || !v) return;
    const [kind, id] = [v.slice(0, v.indexOf(':')), v.slice(v.indexOf(':') + 1)];
    $('transfer-submit').disabled = true;
    const body = { [kind]: id };
    if ($('transfer-note').value.trim()) body.note = $('transfer-note').value.trim();
    const r = await o.call('POST', 'conversations/' + enc(c.id) + '/transfer', body);
    $('transfer-submit').disabled = false;
    if (r.status >= 200 && r.status < 300) return $('transfer-dialog').close();
    $('transfer-error').textContent = errMsg(r);
    $('transfer-error').hidden = false;
  }

  /* ---- private notes ---- */

  // a note in a conversation's thread, in time order among its messages
  function showNote(c, n) {
    if (!c || c.thread.box.querySelector(`[data-note="${n.id}"]`)) return;
    const e = el('div', { class: 'msg note', 'data-testid': 'wb-note', 'data-note': n.id },
      el('div', { class: 'who', text: n.transfer ? t('tools.transfer_note_by', { agent: n.agent }) : t('tools.note_by', { agent: n.agent }) }),
      el('div', { class: 'body', text: n.text }));
    c.thread.put(e, n.at + '-0');
  }

  async function loadNotes(c) {
    const r = await o.call('GET', 'conversations/' + enc(c.id) + '/messages?limit=1');
    if (r.status === 200) r.data.notes.forEach((n) => showNote(c, n));
  }

  async function writeNote(c, text) {
    const r = await o.call('POST', 'conversations/' + enc(c.id) + '/notes', { text });
    if (r.status !== 201) { o.banner(errMsg(r)); return false; }
    showNote(c, r.data);
    return true;
  }

  /* ---- the knowledge base: find, read, share an external one (R4.10) */

  let kbSeq = 0;
  async function kbFind() {
    const n = ++kbSeq;
    const r = await o.call('GET', 'kb?q=' + enc($('kb-q').value.trim()));
    if (n !== kbSeq || r.status !== 200) return;
    $('kb-list').replaceChildren(...r.data.articles.map((a) => el('li', {},
      el('strong', { text: a.title }), ' ', el('span', { class: 'sub', text: a.external ? a.category : t('tools.kb_internal', { category: a.category }) }),
      el('div', { text: a.excerpt }),
      a.external ? el('button', { type: 'button', class: 'small', 'data-testid': 'wb-kb-share', 'data-id': a.id,
        text: t('tools.kb_share'), onclick: () => share(a) }) : null)));
  }

  // an external article as a card: the chat page opens it (?kb=<id>)
  function share(a) {
    const url = new URL(csq.T + 'chat', location.href);
    url.searchParams.set('kb', a.id);
    if (o.sendMessage({ kind: 'card', url: url.href, title: a.title, description: a.excerpt })) $('kb-dialog').close();
  }

  /* ---- quick replies from the composer: "/" and words (R4.8) ---- */

  let qrItems = [], qrAt = 0, qrSeq = 0;

  // the reply's text with its variables filled in
  function fill(text) {
    const c = o.cur();
    const cust = (c && (c.view.customer_name || '')) || '';
    return text.replace(/\{customer_name\}/g, cust).replace(/\{agent_name\}/g, o.myName() || '');
  }

  async function suggest() {
    const v = $('input').value;
    if (!v.startsWith('/')) return qrHide();
    const n = ++qrSeq;
    const r = await o.call('GET', 'quick-replies?q=' + enc(v.slice(1)));
    if (n !== qrSeq || r.status !== 200) return;
    qrItems = [...r.data.team, ...r.data.mine].slice(0, 20);
    qrAt = 0;
    qrDraw();
  }

  function qrDraw() {
    $('qr').hidden = !qrItems.length;
    $('qr').replaceChildren(...qrItems.map((q, i) => el('li', {
      role: 'option', 'aria-selected': String(i === qrAt), 'data-testid': 'wb-qr-item',
      onmousedown: (e) => { e.preventDefault(); qrPick(i); },
    }, el('strong', { text: q.title || q.category || '' }), ' ', el('span', { class: 'sub', text: q.text }))));
  }

  function qrHide() { qrItems = []; $('qr').hidden = true; }

  function qrPick(i) {
    const q = qrItems[i];
    if (!q) return;
    $('input').value = fill(q.text);
    qrHide();
    $('input').focus();
  }

  // arrows move, Enter or Tab takes, Escape closes (before the composer's
  // own Enter)
  function qrKey(e) {
    if ($('qr').hidden) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      qrAt = (qrAt + (e.key === 'ArrowDown' ? 1 : qrItems.length - 1)) % qrItems.length;
      qrDraw();
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      qrPick(qrAt);
    } else if (e.key === 'Escape') {
      qrHide();
    } else return;
    e.preventDefault();
    e.stopImmediatePropagation();
  }

  return { init, pane, pinned, isHidden, unhide, showNote, loadNotes, writeNote, suggest, qrKey };
})();
