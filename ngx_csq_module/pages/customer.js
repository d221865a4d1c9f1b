/* csq workbench: the customer pane (R6.1-R6.3, R5.3, R5.4, R6.5).  The
 * open conversation's customer: its profile and business fields (saved
 * with PUT customers/<c>), tags, library and owner (add, take from the
 * pool, let go), the agent's star, notes, its past conversations (each
 * opened read-only, a page at a time) and its trajectory (pages viewed,
 * conversations, notes).  workbench.js calls csqCustomer.init() once and
 * csqCustomer.show(customer id) when a conversation opens. */
'use strict';

window.csqCustomer = (() => {
  const { el, errMsg, t } = csq;
  const enc = encodeURIComponent;
  const $ = (id) => document.getElementById(id);
  let o = null;            // { call, me, system, named, stateName }
  let cust = null;         // the customer shown
  let fields = null;       // the tenant's business fields
  let shown = 0;           // the latest show(): older answers are dropped

  const when = csq.fmtDate;     // in the page's language

  function init(opts) {
    o = opts;
    $('cust-form').addEventListener('submit', (e) => { e.preventDefault(); save(); });
    $('cust-note-form').addEventListener('submit', (e) => { e.preventDefault(); addNote(); });
    $('cust-fav').addEventListener('click', star);
    $('cust-add').addEventListener('click', () => change({ library: true }));
    $('cust-take').addEventListener('click', () => change({ owner: o.me }));
    $('cust-release').addEventListener('click', () => change({ owner: null }));
    $('tr-close').addEventListener('click', () => $('transcript').close());
    $('tr-earlier').addEventListener('click', earlier);
  }

  function error(text) {
    $('cust-error').textContent = text || '';
    $('cust-error').hidden = !text;
  }

  async function show(id) {
    const n = ++shown;
    $('cust').hidden = !id;
    if (!id) return;
    error('');
    if (!fields) {
      const f = await o.call('GET', 'customer-fields');
      fields = f.status === 200 ? f.data.fields : [];
    }
    const [r, trail] = await Promise.all([
      o.call('GET', 'customers/' + enc(id)),
      o.call('GET', 'customers/' + enc(id) + '/trajectory?limit=30')]);
    if (n !== shown) return;
    if (r.status !== 200) {
      cust = null;
      $('cust-name').textContent = id;
      $('cust-body').hidden = true;
      return error(r.status === 404 ? t('cust.no_record') : errMsg(r));
    }
    $('cust-body').hidden = false;
    draw(r.data, trail.status === 200 ? trail.data.items : []);
  }

  function draw(c, items) {
    cust = c;
    document.dispatchEvent(new CustomEvent('csq:customer', { detail: c }));   // tickets.js
    o.named(c.id, c.aliases || [], c.name);
    $('cust-name').textContent = c.name || c.id;
    const fav = !!c.favorite;
    $('cust-fav').setAttribute('aria-pressed', String(fav));
    $('cust-fav').textContent = fav ? '\u2605' : '\u2606';
    $('cust-fav').title = fav ? t('cust.fav_remove') : t('cust.fav_add');
    const owner = c.owner ? (c.owner === o.me ? t('cust.owner_you') : c.owner) : t('cust.owner_none');
    $('cust-lib').textContent = c.library ? t('cust.in_library', { owner }) : t('cust.not_in_library');
    $('cust-add').hidden = c.library;
    $('cust-take').hidden = !!c.owner;
    $('cust-release').hidden = c.owner !== o.me;
    $('cust-black').hidden = !c.blacklisted;
    for (const k of ['name', 'phone', 'email', 'company', 'remark']) $('cust-' + k + '-in').value = c[k] || '';
    $('cust-tags-in').value = (c.tags || []).join(', ');
    $('cust-fields').replaceChildren(...fields.map((d) => fieldInput(d, c.fields[d.name])));
    $('cust-notes').replaceChildren(...c.notes.map((x) => el('li', {},
      el('span', { class: 'sub', text: when(x.at) + ' \u00b7 ' + x.agent }), el('div', { text: x.text }))));
    const convs = items.filter((i) => i.kind === 'conversation');
    $('cust-convs').replaceChildren(...convs.map((i) => el('li', {}, i.deleted
      ? el('span', { class: 'sub', text: t('cust.conv_deleted', { when: when(i.at), id: i.id }) })
      : el('button', { type: 'button', class: 'conv', 'data-testid': 'wb-cust-conv', 'data-id': i.id,
        onclick: () => transcript(i) },
      el('span', { class: 'name', text: when(i.created) }),
      el('span', { class: 'sub', text: [i.id, i.channel, i.agents.join(', '), o.stateName(i.state),
        t('cust.n_messages', { n: csq.fmtNum(i.messages) })].filter(Boolean).join(' \u00b7 ') })))));
    $('cust-trail').replaceChildren(...items.map((i) => el('li', { 'data-kind': i.kind },
      el('span', { class: 'sub', text: when(i.at) }), ' ',
      i.kind === 'page' ? pageLink(i) : i.kind === 'note' ? t('cust.trail_note', { text: i.text })
        : i.kind === 'ticket' ? t('cust.trail_ticket', { id: i.id, title: i.title })
        : i.kind === 'call' || i.kind === 'sms' ? csqPhone.item(i)        // the phone (R7.2, R7.3)
        : i.channel ? t('cust.trail_conv_channel', { id: i.id, channel: i.channel }) : t('cust.trail_conv', { id: i.id }))));
  }

  function pageLink(i) {
    const u = csq.safeUrl(i.url);
    return u ? el('a', { href: u, ...csq.NEW, text: i.title || u }) : i.title || i.url;
  }

  // one business field's input, named f:<name>
  function fieldInput(d, v) {
    const id = 'cust-f-' + d.name;
    let input;
    if (d.type === 'select' || d.type === 'multiselect') {
      input = el('select', { id, name: 'f:' + d.name, multiple: d.type === 'multiselect' },
        d.type === 'select' ? el('option', { value: '', text: '' }) : null,
        ...d.options.map((x) => el('option', { value: x, text: x,
          selected: Array.isArray(v) ? v.includes(x) : v === x })));
    } else {
      input = el('input', { id, name: 'f:' + d.name, value: v == null ? '' : String(v),
        type: { number: 'number', date: 'date', email: 'email', phone: 'tel' }[d.type] || 'text' });
    }
    return el('div', { class: 'field' }, el('label', { for: id, text: d.label || d.name }), input);
  }

  function fieldValues() {
    const out = {};
    for (const d of fields) {
      const e = $('cust-f-' + d.name);
      if (d.type === 'multiselect') out[d.name] = [...e.selectedOptions].map((x) => x.value);
      else if (e.value === '') out[d.name] = null;
      else out[d.name] = d.type === 'number' ? Number(e.value) : e.value;
    }
    return out;
  }

  async function change(body) {
    if (!cust) return;
    error('');
    const r = await o.call('PUT', 'customers/' + enc(cust.id), body);
    if (r.status !== 200) return error(errMsg(r));
    show(cust.id);
  }

  function save() {
    const body = { tags: $('cust-tags-in').value.split(',').map((s) => s.trim()).filter(Boolean),
      fields: fieldValues() };
    for (const k of ['name', 'phone', 'email', 'company', 'remark']) body[k] = $('cust-' + k + '-in').value.trim();
    return change(body);
  }

  async function star() {
    if (!cust) return;
    const on = !cust.favorite;
    const r = on ? await o.call('PUT', 'favorites/' + enc(cust.id), {})
      : await o.call('DELETE', 'favorites/' + enc(cust.id));
    if (r.status !== 200) return error(errMsg(r));
    show(cust.id);
  }

  async function addNote() {
    const text = $('cust-note-in').value.trim();
    if (!cust || !text) return;
    const r = await o.call('POST', 'customers/' + enc(cust.id) + '/notes', { text });
    if (r.status !== 201) return error(errMsg(r));
    $('cust-note-in').value = '';
    show(cust.id);
  }

  /* a past conversation, read-only, the newest 50 first, "Earlier" for more */
  // live (a supervisor watching one going on, R8.3): what comes after
  // its last message is read every 3 seconds while the dialog is open
  let tr = null;
  async function transcript(i, opts = {}) {
    const box = el('div', { class: 'thread' });
    tr = { id: i.id, box, first: null,
      thread: new csq.Thread(box, { mine: (m) => m.from.role === 'agent' && m.from.id === o.me, token: o.token,
        system: o.system, images: false, scroller: () => $('tr-log') }) };
    $('tr-title').textContent = t('cust.transcript_title', { id: i.id, when: when(i.created) })
      + (opts.live ? ' \u00b7 ' + t('cust.live') : '');
    $('tr-log').replaceChildren(box);
    $('transcript').showModal();
    await page('');
    $('tr-log').scrollTop = $('tr-log').scrollHeight;
    if (opts.live) follow(tr);
  }

  async function follow(one) {
    while (one === tr && $('transcript').open) {
      await new Promise((res) => setTimeout(res, 3000));
      if (one !== tr || !$('transcript').open || document.hidden) continue;
      const after = one.thread.lastId;
      const r = await o.call('GET', 'conversations/' + enc(one.id) + '/messages?limit=200' + (after ? '&after=' + enc(after) : ''));
      if (one !== tr || r.status !== 200) continue;
      for (const m of r.data.messages) one.thread.add(m);
    }
  }

  async function page(before) {
    const one = tr;
    const r = await o.call('GET', 'conversations/' + enc(one.id) + '/messages?limit=50' + (before ? '&before=' + enc(before) : ''));
    if (one !== tr) return;
    if (r.status !== 200) {
      $('tr-earlier').hidden = true;
      return one.box.append(el('p', { class: 'error', text: errMsg(r) }));
    }
    for (const m of r.data.messages) one.thread.add(m);
    if (r.data.messages.length) one.first = r.data.messages[0].id;
    $('tr-earlier').hidden = !r.data.more_before;
  }

  function earlier() {
    const s = $('tr-log'), h = s.scrollHeight;
    page(tr.first).then(() => { s.scrollTop = s.scrollHeight - h; });
  }

  // the customer shown (its view), or null (plans.js: a plan for it)
  const current = () => cust;

  return { init, show, transcript, current };
})();
