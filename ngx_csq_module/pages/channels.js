/* csq workbench: channels (R1.4, #14 §1, seed 000 §2).  What an agent
 * and an admin see of the other ways in and out than the chat page:
 *
 * - each conversation's channel as a badge (the list, the pane's tabs):
 *   web chat, or the channel's name and type (chat app, phone, SMS);
 * - under each message sent into a channel's conversation, its delivery
 *   state (queued, sent, delivered, read, failed with its reason and a
 *   hint that an admin can send it again): GET delivery when the
 *   conversation opens, then the socket's delivery frames;
 * - one tab per channel above the conversation when the agent has
 *   conversations of one customer (its record: the view's customer_id)
 *   on several channels, each with its unread count (000 §2: the
 *   channels and their red dots above the chat window);
 * - for admins, the header's Channels dialog: the channels (add, edit,
 *   delete, show and copy the key, rotate it) and the dead letters of the
 *   outbox, each sent again with a click.
 *
 * Everything here is made by this file; workbench.js calls init() once,
 * attach(c) for each conversation it lists, badge(view) when it draws
 * one, opened(c) when one opens, tabs() when the pane changes and
 * frame(f) with delivery frames. */
'use strict';

window.csqChannels = (() => {
  const { el, errMsg, t } = csq;
  const enc = encodeURIComponent;
  const $ = (id) => document.getElementById(id);
  const STATES = { queued: 1, sent: 1, delivered: 1, read: 1, failed: 1 };
  let o = null;             // { call, admin, cur, convs, unread, open }
  const dlv = new Map();    // conversation id -> Map(entry -> {state, detail})
  let channels = [];        // the tenant's, for an admin
  let editing = null;       // the channel the form changes (null: a new one)
  let keyOf = null;         // the channel whose key shows

  /* ---- a conversation's channel ---- */

  const typeName = (ty) => ({ chat: t('ch.type_chat'), phone: t('ch.type_phone'), sms: t('ch.type_sms') })[ty] || ty;
  // the words for a view's channel (web chat for the chat page's)
  const via = (v) => (v.channel_type ? v.channel_name || v.channel : t('ch.web'));
  const tabKey = (v) => (v.channel_type ? 'ch:' + v.channel : 'web');

  function badge(v) {
    const ty = v.channel_type || 'web';
    return el('span', { class: 'ch-badge ch-' + ty, 'data-testid': 'wb-channel', 'data-channel': v.channel || 'web',
      title: v.channel_type ? t('ch.badge_title', { name: via(v), type: typeName(ty) }) : t('ch.web') }, via(v));
  }

  /* ---- delivery states (R1.4) ---- */

  function why(d) {
    if (!d) return '';
    if (/^\d+$/.test(d)) return t('ch.why_status', { status: d });
    return ({ outbox_full: t('err.outbox_full'), no_channel: t('ch.why_no_channel'),
      channel_disabled: t('ch.why_disabled'), no_url: t('ch.why_no_url') })[d] || d;
  }

  const dlvName = (s) => ({ queued: t('ch.dlv_queued'), sent: t('ch.dlv_sent'), delivered: t('ch.dlv_delivered'),
    read: t('ch.dlv_read'), failed: t('ch.dlv_failed') })[s] || s;

  const states = (c) => dlv.get(c.id) || dlv.set(c.id, new Map()).get(c.id);

  // the state under entry id's bubble, when both are there
  function mark(c, id) {
    const e = c.thread.byId.get(id), d = states(c).get(id);
    if (!e || !d) return;
    const meta = e.querySelector('.meta');
    if (!meta) return;
    let s = meta.querySelector('.dlv');
    if (!s) meta.append(s = el('span', { class: 'dlv', 'data-testid': 'msg-delivery' }));
    const reason = d.state === 'failed' ? why(d.detail) : '';
    e.dataset.dlv = d.state;
    s.dataset.state = d.state;
    s.title = reason;
    s.replaceChildren(dlvName(d.state), reason ? el('span', { class: 'sr', text: ' ' + reason }) : '');
    let hint = e.querySelector('.dlv-hint');
    if (d.state !== 'failed') { if (hint) hint.remove(); return; }
    if (!hint) {
      hint = el('p', { class: 'dlv-hint note', 'data-testid': 'msg-delivery-hint' }, t('ch.failed_hint'));
      if (o.admin) {
        hint.append(' ', el('button', { type: 'button', class: 'link', 'data-testid': 'msg-dead-letters',
          'aria-haspopup': 'dialog', text: t('ch.dead'), onclick: () => show('dead') }));
      }
      e.append(hint);
    }
  }

  // a conversation listed: its bubbles get their states as they come
  function attach(c) {
    const th = c.thread, add = th.add.bind(th), ack = th.ack.bind(th);
    th.add = (m) => { const e = add(m); if (e && dlv.has(c.id)) mark(c, m.id); return e; };
    th.ack = (ref, id) => { ack(ref, id); if (id && dlv.has(c.id)) mark(c, id); };
  }

  function set(c, entry, state, detail) {
    if (!STATES[state]) return;
    states(c).set(entry, { state, detail });
    mark(c, entry);
  }

  // the socket's {type: delivery, conversation, entry, state, detail}
  function frame(f) {
    const c = [...o.convs()].find((x) => x.id === f.conversation);
    if (c) set(c, f.entry, f.state, f.detail);
  }

  // a channel's conversation opens: the states so far
  async function opened(c) {
    if (!c.view.channel_type) return;
    const r = await o.call('GET', 'conversations/' + enc(c.id) + '/delivery');
    if (r.status !== 200 || !r.data) return;
    const details = r.data.details || {};
    for (const [entry, state] of Object.entries(r.data.entries || {})) {
      // (a frame newer than the answer stands)
      const had = states(c).get(entry);
      if (!had || had.state === state) set(c, entry, state, details[entry]);
    }
  }

  /* ---- one customer on several channels: tabs (000 §2) ---- */

  // (changed: a conversation drawn again, which matters only when it is
  // of the open one's customer)
  function tabs(changed) {
    const box = $('ch-tabs'), cur = o.cur();
    const who = cur && (cur.view.customer_id || cur.view.customer);
    if (changed && (!who || (changed.view.customer_id || changed.view.customer) !== who)) return;
    // the open one's channel beside its title
    $('ch-head').replaceChildren(cur ? badge(cur.view) : '');
    const mine = who ? [...o.convs()].filter((c) => (c.view.customer_id || c.view.customer) === who) : [];
    const by = new Map();
    for (const c of mine) {
      const k = tabKey(c.view);
      if (!by.has(k)) by.set(k, []);
      by.get(k).push(c);
    }
    if (by.size < 2) { box.hidden = true; box.replaceChildren(); return; }
    const live = (c) => (c.state === 'active' || c.state === 'queued' || c.state === 'bot' ? 1 : 0);
    const made = [];
    for (const list of by.values()) {
      // the open one, else the newest going on, else the newest
      list.sort((a, b) => live(b) - live(a) || (b.view.created || 0) - (a.view.created || 0));
      const go = list.includes(cur) ? cur : list[0];
      const n = list.reduce((s, c) => s + o.unread(c), 0);
      const on = go === cur;
      made.push(el('button', { type: 'button', role: 'tab', class: 'small', 'aria-selected': String(on),
        tabindex: on ? '0' : '-1', 'data-testid': 'wb-ch-tab', 'data-channel': go.view.channel || 'web',
        'data-id': go.id, 'aria-label': n ? t('ch.tab_unread', { name: via(go.view), n: csq.fmtNum(n) }) : via(go.view),
        onclick: () => { if (!on) o.open(go); } },
      badge(go.view), el('span', { class: 'badge', 'data-testid': 'wb-ch-tab-unread', hidden: !n, text: csq.fmtNum(n) })));
    }
    // the keyboard stays on the tab it was on
    const had = box.contains(document.activeElement) && document.activeElement.dataset.channel;
    box.replaceChildren(...made);
    box.hidden = false;
    if (had) { const f = made.find((b) => b.dataset.channel === had); if (f) f.focus(); }
  }

  // arrows, Home and End move between the tabs (a tablist's keys)
  function tabKeys(e) {
    const list = [...$('ch-tabs').querySelectorAll('[role="tab"]')];
    const i = list.indexOf(document.activeElement);
    if (i < 0) return;
    const j = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: list.length - 1 }[e.key];
    if (j == null) return;
    e.preventDefault();
    const to = list[(j + list.length) % list.length], ch = to.dataset.channel;
    to.click();
    // (opening a conversation puts the keyboard in its reply box)
    const now = [...$('ch-tabs').querySelectorAll('[role="tab"]')].find((x) => x.dataset.channel === ch);
    if (now) now.focus();
  }

  /* ---- the admin's dialog: channels and dead letters ---- */

  const field = (label, input, id) => [el('label', { for: id, text: label }), input];

  function build() {
    const bar = document.querySelector('#mg-open');
    bar.after(el('button', { id: 'ch-open', type: 'button', class: 'small', 'data-testid': 'wb-channels',
      'aria-haspopup': 'dialog', text: t('ch.open'), onclick: () => show('list') }));

    const part = (id, text) => el('button', { id, type: 'button', class: 'small', 'aria-pressed': 'false',
      'data-testid': id, text, onclick: () => show(id === 'ch-s-list' ? 'list' : 'dead') });
    const form = el('form', { id: 'ch-form', class: 'mg-form', 'data-testid': 'ch-form', novalidate: true, hidden: true },
      el('h3', { id: 'ch-form-title' }),
      ...field(t('ch.id'), el('input', { id: 'ch-id', 'data-testid': 'ch-id', maxlength: 32, autocomplete: 'off',
        autocapitalize: 'off', spellcheck: 'false', pattern: '[A-Za-z0-9_.\\-]+', 'aria-describedby': 'ch-id-note' }), 'ch-id'),
      el('p', { id: 'ch-id-note', class: 'note', text: t('ch.id_note') }),
      ...field(t('ch.name'), el('input', { id: 'ch-name', 'data-testid': 'ch-name', maxlength: 200, autocomplete: 'off' }), 'ch-name'),
      ...field(t('ch.type'), el('select', { id: 'ch-type', 'data-testid': 'ch-type' },
        ...['chat', 'phone', 'sms'].map((x) => el('option', { value: x, text: typeName(x) }))), 'ch-type'),
      ...field(t('ch.url'), el('input', { id: 'ch-url', 'data-testid': 'ch-url', type: 'url', maxlength: 2000,
        autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'ch-url-note' }), 'ch-url'),
      el('p', { id: 'ch-url-note', class: 'note', text: t('ch.url_note') }),
      ...field(t('ch.queue'), el('input', { id: 'ch-queue', 'data-testid': 'ch-queue', list: 'ch-queues', maxlength: 64,
        autocomplete: 'off', spellcheck: 'false' }), 'ch-queue'),
      el('datalist', { id: 'ch-queues' }),
      el('label', { class: 'mg-check' }, el('input', { id: 'ch-enabled', type: 'checkbox', 'data-testid': 'ch-enabled' }),
        ' ', el('span', { text: t('ch.enabled') })),
      ...field(t('ch.retry_max'), el('input', { id: 'ch-retry-max', 'data-testid': 'ch-retry-max', type: 'number',
        min: 1, max: 50, step: 1 }), 'ch-retry-max'),
      ...field(t('ch.retry_base'), el('input', { id: 'ch-retry-base', 'data-testid': 'ch-retry-base', type: 'number',
        min: 100, max: 60000, step: 100, 'aria-describedby': 'ch-retry-note' }), 'ch-retry-base'),
      el('p', { id: 'ch-retry-note', class: 'note', text: t('ch.retry_note') }),
      el('p', { id: 'ch-error', class: 'error', 'data-testid': 'ch-error', role: 'alert', hidden: true }),
      el('div', { class: 'tools' },
        el('button', { type: 'button', text: t('tools.cancel'), onclick: closeForm }),
        el('button', { type: 'submit', 'data-testid': 'ch-save', text: t('cust.save') })));
    form.addEventListener('submit', (e) => { e.preventDefault(); save(); });

    const keyBox = el('section', { id: 'ch-key', class: 'ch-key', 'data-testid': 'ch-key', 'aria-labelledby': 'ch-key-h', hidden: true },
      el('h3', { id: 'ch-key-h' }),
      el('p', { class: 'ch-warn', role: 'note', text: t('ch.key_warn') }),
      el('label', { for: 'ch-key-value', class: 'sr', text: t('ch.key') }),
      el('input', { id: 'ch-key-value', 'data-testid': 'ch-key-value', readonly: true, spellcheck: 'false' }),
      el('p', { id: 'ch-key-gen', class: 'note' }),
      el('p', { class: 'tools' },
        el('button', { type: 'button', class: 'small', 'data-testid': 'ch-key-copy', text: t('ch.copy'), onclick: copy }),
        el('button', { type: 'button', class: 'small', 'data-testid': 'ch-key-hide', text: t('ch.hide_key'),
          onclick: hideKey })));

    const list = el('section', { id: 'ch-list', class: 'mg-part', 'aria-labelledby': 'ch-s-list' },
      el('div', { class: 'filters' },
        el('button', { type: 'button', class: 'small', 'data-testid': 'ch-add', text: t('ch.add'), onclick: () => openForm(null) })),
      el('p', { id: 'ch-msg', class: 'note', 'data-testid': 'ch-msg', role: 'status' }),
      el('div', { class: 'mg-body', id: 'ch-body' },
        el('div', { class: 'mg-list' },
          el('table', { class: 'grid ch-table', 'data-testid': 'ch-table' },
            el('thead', {}, el('tr', {}, ...[t('ch.name'), t('ch.type'), t('ch.url'), t('ch.queue'), t('ch.state'),
              t('ch.actions')].map((text) => el('th', { scope: 'col', text })))),
            el('tbody', { id: 'ch-rows' })),
          keyBox),
        form));

    const dead = el('section', { id: 'ch-dead', class: 'mg-part', 'aria-labelledby': 'ch-s-dead', hidden: true },
      el('div', { class: 'filters' },
        el('button', { type: 'button', class: 'small', 'data-testid': 'ch-dead-refresh', text: t('wb.refresh'), onclick: loadDead })),
      el('p', { class: 'note', text: t('ch.dead_note') }),
      el('p', { id: 'ch-dead-msg', class: 'note', 'data-testid': 'ch-dead-msg', role: 'status' }),
      el('div', { class: 'mg-list' },
        el('table', { class: 'grid ch-table', 'data-testid': 'ch-dead-table' },
          el('thead', {}, el('tr', {}, ...[t('ch.died'), t('ch.channel'), t('ch.message'), t('ch.status'), t('ch.error'),
            t('ch.attempts'), t('ch.actions')].map((text) => el('th', { scope: 'col', text })))),
          el('tbody', { id: 'ch-dead-rows' }))));

    const confirm = el('dialog', { id: 'ch-confirm', class: 'mg-confirm', 'aria-labelledby': 'ch-confirm-h',
      'aria-describedby': 'ch-confirm-text', 'data-testid': 'ch-confirm' },
    el('form', { method: 'dialog' },
      el('h2', { id: 'ch-confirm-h' }),
      el('p', { id: 'ch-confirm-text' }),
      el('div', { class: 'tools' },
        el('button', { type: 'submit', value: 'no', class: 'secondary', 'data-testid': 'ch-confirm-no', text: t('tools.cancel') }),
        el('button', { id: 'ch-confirm-yes', type: 'submit', value: 'yes', 'data-testid': 'ch-confirm-yes' }))));

    document.getElementById('app').append(
      el('dialog', { id: 'ch-dialog', class: 'manage ch-dialog', 'aria-labelledby': 'ch-h', 'data-testid': 'ch-dialog' },
        el('div', { class: 'mg-head' },
          el('h2', { id: 'ch-h', text: t('ch.sections') }),
          el('div', { class: 'views', role: 'group', 'aria-label': t('ch.open') },
            part('ch-s-list', t('ch.list')), part('ch-s-dead', t('ch.dead'))),
          el('button', { id: 'ch-close', type: 'button', class: 'small', 'data-testid': 'ch-close', text: t('tools.close'),
            onclick: () => $('ch-dialog').close() })),
        list, dead),
      confirm);
  }

  function msg(id, text) { $(id).textContent = text || ''; }

  // the dialog on its part: 'list' or 'dead'
  function show(which) {
    if (!$('ch-dialog').open) $('ch-dialog').showModal();
    $('ch-s-list').setAttribute('aria-pressed', String(which === 'list'));
    $('ch-s-dead').setAttribute('aria-pressed', String(which === 'dead'));
    $('ch-list').hidden = which !== 'list';
    $('ch-dead').hidden = which !== 'dead';
    if (which === 'list') loadList(); else loadDead();
  }

  async function loadList() {
    const [r, f] = await Promise.all([o.call('GET', 'channels'), o.call('GET', 'figures')]);
    if (r.status !== 200 || !r.data) return msg('ch-msg', errMsg(r));
    channels = r.data.channels || [];
    if (f.status === 200 && f.data) {
      $('ch-queues').replaceChildren(...(f.data.queues || []).map((q) => el('option', { value: q.id, text: q.name || q.id })));
    }
    if (!channels.length) msg('ch-msg', t('ch.none'));
    else if ($('ch-msg').textContent === t('ch.none')) msg('ch-msg', '');
    $('ch-rows').replaceChildren(...channels.map((ch) => {
      const act = (text, id, fn, extra) => el('button', { type: 'button', class: 'small', 'data-testid': id, 'data-id': ch.id,
        'aria-label': t('fmt.pair', { a: text, b: ch.name }), text, onclick: fn, ...extra });
      return el('tr', { 'data-testid': 'ch-row', 'data-id': ch.id },
        el('th', { scope: 'row' }, el('span', { text: ch.name }), el('br'), el('span', { class: 'sub', text: ch.id })),
        el('td', { text: typeName(ch.type) }),
        el('td', { class: 'ch-url', text: ch.url || '\u2013' }),
        el('td', { text: ch.queue || '\u2013' }),
        el('td', { text: ch.enabled ? t('ch.on') : t('ch.off') }),
        el('td', {}, el('div', { class: 'ch-acts' },
          act(t('ch.edit'), 'ch-edit', () => openForm(ch)),
          act(t('ch.show_key'), 'ch-show-key', () => showKey(ch)),
          act(t('ch.rotate'), 'ch-rotate', () => rotate(ch)),
          act(t('mg.delete'), 'ch-delete', () => remove(ch)))));
    }));
  }

  function openForm(ch) {
    editing = ch;
    $('ch-form-title').textContent = ch ? t('ch.edit_title', { name: ch.name }) : t('ch.add');
    $('ch-id').value = ch ? ch.id : '';
    $('ch-id').disabled = !!ch;
    $('ch-name').value = ch ? ch.name : '';
    $('ch-type').value = ch ? ch.type : 'chat';
    $('ch-type').disabled = !!ch;        // fixed once made
    $('ch-url').value = ch ? ch.url : '';
    $('ch-queue').value = ch ? ch.queue : '';
    $('ch-enabled').checked = ch ? ch.enabled : true;
    $('ch-retry-max').value = ch ? ch.retry_max : 10;
    $('ch-retry-base').value = ch ? ch.retry_base_ms : 1000;
    formError('');
    $('ch-form').hidden = false;
    $('ch-body').classList.add('editing');
    (ch ? $('ch-name') : $('ch-id')).focus();
  }

  function closeForm() {
    editing = null;
    $('ch-form').hidden = true;
    $('ch-body').classList.remove('editing');
  }

  function formError(text) { $('ch-error').textContent = text || ''; $('ch-error').hidden = !text; }

  async function save() {
    const id = editing ? editing.id : $('ch-id').value.trim();
    if (!/^[A-Za-z0-9_.-]{1,32}$/.test(id)) { formError(t('ch.id_bad')); return $('ch-id').focus(); }
    const body = { name: $('ch-name').value.trim() || id, url: $('ch-url').value.trim(),
      queue: $('ch-queue').value.trim(), enabled: $('ch-enabled').checked,
      retry_max: Number($('ch-retry-max').value) || 10, retry_base_ms: Number($('ch-retry-base').value) || 1000 };
    if (!editing) body.type = $('ch-type').value;
    const r = await o.call('PUT', 'channels/' + enc(id), body);
    if (r.status !== 200 && r.status !== 201) return formError(errMsg(r));
    closeForm();
    msg('ch-msg', t('ch.saved', { name: r.data.name }));
    loadList();
  }

  // a yes-or-no question; resolves true for yes
  function ask(title, text, yes) {
    $('ch-confirm-h').textContent = title;
    $('ch-confirm-text').textContent = text;
    $('ch-confirm-yes').textContent = yes;
    $('ch-confirm').returnValue = '';
    $('ch-confirm').showModal();
    return new Promise((res) => $('ch-confirm').addEventListener('close', () => res($('ch-confirm').returnValue === 'yes'),
      { once: true }));
  }

  async function remove(ch) {
    if (!(await ask(t('mg.confirm_title'), t('ch.delete_q', { name: ch.name }), t('mg.delete')))) return;
    const r = await o.call('DELETE', 'channels/' + enc(ch.id));
    msg('ch-msg', r.status === 200 ? t('ch.deleted', { name: ch.name }) : errMsg(r));
    if (keyOf === ch.id) hideKey();
    if (editing && editing.id === ch.id) closeForm();
    loadList();
  }

  async function showKey(ch) {
    const r = await o.call('GET', 'channels/' + enc(ch.id) + '/key');
    if (r.status !== 200 || !r.data) return msg('ch-msg', errMsg(r));
    keyOf = ch.id;
    $('ch-key-h').textContent = t('ch.key_of', { name: ch.name });
    $('ch-key-value').value = r.data.key;
    $('ch-key-gen').textContent = t('ch.key_gen', { n: csq.fmtNum(r.data.generation) });
    $('ch-key').hidden = false;
    $('ch-key-value').focus();
    $('ch-key-value').select();
  }

  function hideKey() {
    keyOf = null;
    $('ch-key-value').value = '';
    $('ch-key').hidden = true;
  }

  async function copy() {
    const v = $('ch-key-value').value;
    let done = false;
    try { await navigator.clipboard.writeText(v); done = true; } catch { /* refused: select it */ }
    if (!done) { $('ch-key-value').select(); done = document.execCommand && document.execCommand('copy'); }
    msg('ch-msg', done ? t('ch.copied') : t('ch.copy_by_hand'));
  }

  async function rotate(ch) {
    if (!(await ask(t('ch.rotate_title'), t('ch.rotate_q', { name: ch.name }), t('ch.rotate')))) return;
    const r = await o.call('PUT', 'channels/' + enc(ch.id), { rotate_key: true });
    if (r.status !== 200) return msg('ch-msg', errMsg(r));
    msg('ch-msg', t('ch.rotated', { name: ch.name, n: csq.fmtNum(r.data.generation) }));
    if (keyOf === ch.id) showKey(r.data);
    loadList();
  }

  // what an outbox entry says, in a few words
  function what(b) {
    if (!b) return '';
    return b.text || b.title || b.name || b.kind || b.type || '';
  }

  async function loadDead() {
    if (!channels.length) {
      const c = await o.call('GET', 'channels');
      if (c.status === 200 && c.data) channels = c.data.channels || [];
    }
    const r = await o.call('GET', 'outbox?state=dead&limit=100');
    if (r.status !== 200 || !r.data) return msg('ch-dead-msg', errMsg(r));
    const d = r.data;
    const names = new Map(channels.map((ch) => [ch.id, ch.name]));
    msg('ch-dead-msg', d.entries.length ? t('ch.dead_count', { dead: csq.fmtNum(d.dead), waiting: csq.fmtNum(d.waiting) })
      : t('ch.dead_none', { waiting: csq.fmtNum(d.waiting) }));
    $('ch-dead-rows').replaceChildren(...d.entries.map((e) => el('tr', { 'data-testid': 'ch-dead-row', 'data-id': e.id,
      'data-entry': e.entry || '' },
    el('td', { text: csq.fmtDate(e.died || e.created) }),
    el('td', { text: names.get(e.channel) || e.channel }),
    el('td', { class: 'ch-what' }, el('span', { text: what(e.body) }),
      e.conversation ? el('span', { class: 'sub', text: ' \u00b7 ' + e.conversation }) : ''),
    el('td', { text: e.status ? csq.fmtNum(e.status) : '\u2013' }),
    el('td', { class: 'ch-err', text: why(e.error) || (e.status ? why(String(e.status)) : '\u2013') }),
    el('td', { text: csq.fmtNum(e.attempts) }),
    el('td', {}, el('button', { type: 'button', class: 'small', 'data-testid': 'ch-resend', 'data-id': e.id,
      'aria-label': t('ch.resend_aria', { what: what(e.body) }), text: t('ch.resend'), onclick: () => resend(e) })))));
  }

  async function resend(e) {
    const r = await o.call('POST', 'outbox/' + enc(e.id) + '/retry', {});
    msg('ch-dead-msg', r.status === 200 ? t('ch.resent') : errMsg(r));
    if (r.status === 200) {
      const row = $('ch-dead-rows').querySelector(`tr[data-id="${CSS.escape(e.id)}"]`);
      if (row) row.remove();
    }
  }

  function init(opts) {
    o = opts;
    const box = el('div', { id: 'ch-tabs', class: 'ch-tabs', role: 'tablist', 'aria-label': t('ch.tabs'),
      'data-testid': 'wb-ch-tabs', hidden: true, onkeydown: tabKeys });
    $('log').before(box);
    $('conv-title').after(el('span', { id: 'ch-head', class: 'ch-head', 'data-testid': 'wb-ch-head' }));
    if (o.admin) build();
  }

  return { init, attach, badge, frame, opened, tabs, via };
})();
