/* csq workbench: the phone (R7.1-R7.3, R7.5; seed 003, "current call").
 *
 * A "call" frame on the agent's socket (the telephony system's events of
 * a call on the agent's extension) opens the call panel on its ringing
 * one: a side panel over the right column, so the open chat stays where
 * it is.  It shows the call (direction, number, state, a timer, then the
 * duration and result), the customer the number belongs to (name, phone,
 * tags, owner, its recent service records) or, for an unknown number, a
 * new-customer form (saved with PUT customers/<new id>, then linked with
 * PUT calls/<id>); "Link to another customer" searches the library and
 * relinks; the call's note saves to PUT calls/<id>; "Call back" asks the
 * telephony system for an outbound call (POST calls/callback) and says
 * the request went; "Send SMS" opens the text dialog for its number.
 *
 * The header gets the agent's extension (a button that binds it: PUT
 * agents/<me>/extension) and "Calls" (GET calls?agent=me: reopen one in
 * the panel, call back).  The customer pane gets "Send SMS": a template
 * (GET sms-templates), its missing {{variables}} filled in, a preview,
 * POST sms; supervisors add, edit and delete templates from that dialog.
 * item(i) draws a call or a text of a customer's records (customer.js's
 * trajectory, the panel's records), with a "Call back" on a call;
 * callbackButton(ref) is the Callbacks list's button on a lost call
 * (plans.js).
 *
 * Everything here is made by this file; workbench.js calls init() once
 * and frame(f) with each "call" frame. */
'use strict';

window.csqPhone = (() => {
  const { el, errMsg, t } = csq;
  const enc = encodeURIComponent;
  const $ = (id) => document.getElementById(id);
  const when = csq.fmtDate;
  let o = null;             // { call, me, staff, banner, myName, showCustomer }
  let cur = null;           // the panel's call: { call, customer }
  let ticker = 0;           // the panel's timer
  let ext = '';             // the agent's extension
  let tpls = [];            // the SMS templates
  let smsTo = null;         // the text's addressee: { customer, number, name }
  let tplEditing = null;    // the template the form changes (null: new)
  let shown = 0;            // the latest panel draw: older answers dropped

  const field = (id, label, input) => [el('label', { for: id, text: label }), input];
  const button = (text, testid, onclick, extra) => el('button', { type: 'button', class: 'small',
    'data-testid': testid, text, onclick, ...extra });
  const dirName = (d) => ({ inbound: t('ph.inbound'), outbound: t('ph.outbound') })[d] || d;
  const stateName = (s) => ({ ringing: t('ph.ringing'), answered: t('ph.answered'),
    ended: t('ph.ended') })[s] || s;
  const resultName = (r) => ({ answered: t('ph.r_answered'), missed: t('ph.r_missed'),
    no_answer: t('ph.r_no_answer') })[r] || r || '';
  function clock(s) {
    s = Math.max(0, Math.floor(s));
    const m = Math.floor(s / 60);
    return m + ':' + String(s % 60).padStart(2, '0');
  }
  const newId = () => 'ph' + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);

  /* ---- made once: header, panel, dialogs ---- */

  function build() {
    // the header: the extension, the calls
    $('me').after(' ', button('', 'ph-ext', openExt, { id: 'ph-ext', 'aria-haspopup': 'dialog' }));
    $('mg-open').after(' ', button(t('ph.calls'), 'ph-calls', openCalls, { id: 'ph-calls-open',
      'aria-haspopup': 'dialog' }));

    const noteForm = el('form', { id: 'ph-note-form', class: 'ph-note' },
      el('label', { for: 'ph-note', text: t('ph.note') }),
      el('textarea', { id: 'ph-note', 'data-testid': 'ph-note', rows: '2', maxlength: '2000' }),
      el('button', { type: 'submit', class: 'small', 'data-testid': 'ph-note-save', text: t('ph.note_save') }));
    noteForm.addEventListener('submit', (e) => { e.preventDefault(); saveNote(); });
    const newForm = el('form', { id: 'ph-new', class: 'cust-form', 'data-testid': 'ph-new', hidden: true },
      el('h4', { id: 'ph-new-h', text: t('ph.new_customer') }),
      ...field('ph-new-name', t('cust.name'), el('input', { id: 'ph-new-name', 'data-testid': 'ph-new-name',
        maxlength: '200' })),
      ...field('ph-new-phone', t('cust.phone'), el('input', { id: 'ph-new-phone', type: 'tel',
        'data-testid': 'ph-new-phone', maxlength: '40' })),
      el('p', { class: 'tools' },
        el('button', { type: 'submit', class: 'small', 'data-testid': 'ph-new-save', text: t('cust.save') }),
        button(t('tools.cancel'), 'ph-new-cancel', () => { $('ph-new').hidden = true; }, { id: 'ph-new-cancel' })));
    newForm.addEventListener('submit', (e) => { e.preventDefault(); saveNew(); });
    const findForm = el('form', { id: 'ph-find', class: 'ph-find', role: 'search', 'data-testid': 'ph-find',
      hidden: true },
    el('label', { for: 'ph-find-q', text: t('ph.find_label') }),
    el('div', { class: 'row' },
      el('input', { id: 'ph-find-q', type: 'search', 'data-testid': 'ph-find-q', maxlength: '200' }),
      el('button', { type: 'submit', class: 'small', 'data-testid': 'ph-find-go', text: t('lib.search') })),
    el('ul', { id: 'ph-find-list', class: 'plain', 'data-testid': 'ph-find-list' }));
    findForm.addEventListener('submit', (e) => { e.preventDefault(); find(); });

    const panel = el('section', { id: 'ph-panel', class: 'ph-panel', role: 'dialog', 'aria-modal': 'false',
      'aria-labelledby': 'ph-h', 'data-testid': 'ph-panel', hidden: true },
    el('div', { class: 'ph-head' },
      el('h2', { id: 'ph-h', text: t('ph.current') }),
      button('\u00d7', 'ph-close', close, { class: 'small ph-x', 'aria-label': t('tools.close'),
        title: t('tools.close') })),
    el('div', { class: 'ph-call', 'data-testid': 'ph-call' },
      el('span', { id: 'ph-dir', class: 'ph-dir', 'data-testid': 'ph-dir' }),
      el('strong', { id: 'ph-number', class: 'ph-number', 'data-testid': 'ph-number' }),
      el('span', { id: 'ph-state', class: 'ph-state', 'data-testid': 'ph-state', 'aria-live': 'polite' }),
      el('span', { id: 'ph-timer', class: 'ph-timer', 'data-testid': 'ph-timer', role: 'timer',
        'aria-label': t('ph.timer') }),
      el('span', { id: 'ph-result', class: 'sub', 'data-testid': 'ph-result' })),
    el('p', { class: 'tools' },
      button(t('ph.call_back'), 'ph-callback', () => callback({ call: cur.call.id }, $('ph-msg'))),
      button(t('ph.sms'), 'ph-sms', () => openSms(cur.customer, cur.call.number), { 'aria-haspopup': 'dialog' })),
    el('p', { id: 'ph-msg', class: 'note', role: 'status', 'data-testid': 'ph-msg' }),
    el('section', { class: 'ph-cust', 'aria-labelledby': 'ph-cust-h' },
      el('h3', { id: 'ph-cust-h', text: t('ph.customer') }),
      el('div', { id: 'ph-profile', 'data-testid': 'ph-profile' }),
      el('p', { class: 'tools' },
        button(t('ph.link_new'), 'ph-link-new', () => showNew(false), { id: 'ph-link-new' }),
        button(t('ph.link_other'), 'ph-link-other', showFind)),
      newForm, findForm,
      el('p', { id: 'ph-error', class: 'error', role: 'alert', 'data-testid': 'ph-error', hidden: true })),
    el('section', { id: 'ph-recs', 'aria-labelledby': 'ph-recs-h', hidden: true },
      el('h3', { id: 'ph-recs-h', text: t('ph.records') }),
      el('ul', { id: 'ph-records', class: 'plain ph-records', 'data-testid': 'ph-records' })),
    noteForm);
    panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });
    // the header's height changes (a banner, the window's width)
    new ResizeObserver(() => { if (!panel.hidden) place(); }).observe(document.querySelector('header.bar'));

    // the calls
    const callsDialog = el('dialog', { id: 'ph-calls-dialog', class: 'ph-dialog wide', 'aria-labelledby': 'ph-calls-h',
      'data-testid': 'ph-calls-dialog' },
    el('h2', { id: 'ph-calls-h', text: t('ph.my_calls') }),
    el('p', { id: 'ph-calls-msg', class: 'note', role: 'status', 'data-testid': 'ph-calls-msg' }),
    el('div', { class: 'scroll' }, el('table', { class: 'grid', 'data-testid': 'ph-calls-table' },
      el('thead', {}, el('tr', {}, ...[t('ph.when'), t('ph.direction'), t('ph.number'), t('ph.customer'),
        t('ph.state'), t('ph.duration'), t('fu.actions')].map((n) => el('th', { scope: 'col', text: n })))),
      el('tbody', { id: 'ph-call-rows' }))),
    el('div', { class: 'tools' }, button(t('tools.close'), 'ph-calls-close', () => $('ph-calls-dialog').close())));

    // the extension
    const extForm = el('form', { id: 'ph-ext-form', method: 'dialog' },
      el('h2', { id: 'ph-ext-h', text: t('ph.ext_title') }),
      ...field('ph-ext-in', t('ph.ext_label'), el('input', { id: 'ph-ext-in', 'data-testid': 'ph-ext-in',
        maxlength: '32', autocomplete: 'off', 'aria-describedby': 'ph-ext-note' })),
      el('p', { id: 'ph-ext-note', class: 'note', text: t('ph.ext_note') }),
      el('p', { id: 'ph-ext-error', class: 'error', role: 'alert', 'data-testid': 'ph-ext-error', hidden: true }),
      el('div', { class: 'tools' },
        button(t('tools.cancel'), 'ph-ext-cancel', () => $('ph-ext-dialog').close()),
        el('button', { type: 'submit', 'data-testid': 'ph-ext-save', text: t('cust.save') })));
    extForm.addEventListener('submit', (e) => { e.preventDefault(); saveExt(); });

    // a text
    const smsForm = el('form', { id: 'ph-sms-form', method: 'dialog' },
      el('h2', { id: 'ph-sms-h', text: t('ph.sms_title') }),
      el('p', { id: 'ph-sms-to', class: 'note', 'data-testid': 'ph-sms-to' }),
      ...field('ph-sms-tpl', t('ph.template'), el('select', { id: 'ph-sms-tpl', 'data-testid': 'ph-sms-tpl',
        onchange: drawVars })),
      el('div', { id: 'ph-sms-vars', class: 'cust-form', 'data-testid': 'ph-sms-vars' }),
      el('p', { class: 'ph-label', id: 'ph-sms-prev-l', text: t('ph.preview') }),
      el('p', { id: 'ph-sms-preview', class: 'ph-preview', 'data-testid': 'ph-sms-preview',
        'aria-labelledby': 'ph-sms-prev-l', 'aria-live': 'polite' }),
      el('p', { id: 'ph-sms-error', class: 'error', role: 'alert', 'data-testid': 'ph-sms-error', hidden: true }),
      el('div', { class: 'tools' },
        o.staff && button(t('ph.tpl_manage'), 'ph-tpl-manage', openTpls, { 'aria-haspopup': 'dialog' }),
        button(t('tools.cancel'), 'ph-sms-cancel', () => $('ph-sms-dialog').close()),
        el('button', { type: 'submit', 'data-testid': 'ph-sms-send', text: t('ph.sms_send') })));
    smsForm.addEventListener('submit', (e) => { e.preventDefault(); sendSms(); });

    // the templates (supervisors)
    const tplForm = el('form', { id: 'ph-tpl-form', class: 'cust-form', 'data-testid': 'ph-tpl-form', hidden: true },
      el('h3', { id: 'ph-tpl-form-h' }),
      ...field('ph-tpl-name', t('ph.tpl_name'), el('input', { id: 'ph-tpl-name', 'data-testid': 'ph-tpl-name',
        maxlength: '100', required: true })),
      ...field('ph-tpl-text', t('ph.tpl_text'), el('textarea', { id: 'ph-tpl-text', 'data-testid': 'ph-tpl-text',
        rows: '4', maxlength: '1000', required: true, 'aria-describedby': 'ph-tpl-hint' })),
      el('p', { id: 'ph-tpl-hint', class: 'note', text: t('ph.tpl_hint') }),
      el('p', { id: 'ph-tpl-error', class: 'error', role: 'alert', 'data-testid': 'ph-tpl-error', hidden: true }),
      el('div', { class: 'tools' },
        button(t('tools.cancel'), 'ph-tpl-cancel', () => { $('ph-tpl-form').hidden = true; }),
        el('button', { type: 'submit', class: 'small', 'data-testid': 'ph-tpl-save', text: t('cust.save') })));
    tplForm.addEventListener('submit', (e) => { e.preventDefault(); saveTpl(); });
    const tplDialog = el('dialog', { id: 'ph-tpl-dialog', class: 'ph-dialog', 'aria-labelledby': 'ph-tpl-h',
      'data-testid': 'ph-tpl-dialog' },
    el('h2', { id: 'ph-tpl-h', text: t('ph.tpl_title') }),
    el('p', { id: 'ph-tpl-msg', class: 'note', role: 'status', 'data-testid': 'ph-tpl-msg' }),
    el('ul', { id: 'ph-tpl-list', class: 'plain ph-tpls', 'data-testid': 'ph-tpl-list' }),
    tplForm,
    el('div', { class: 'tools' },
      button(t('ph.tpl_add'), 'ph-tpl-add', () => editTpl(null)),
      button(t('tools.close'), 'ph-tpl-close', () => $('ph-tpl-dialog').close())));
    tplDialog.addEventListener('close', () => { if ($('ph-sms-dialog').open) loadTpls(); });

    document.body.append(panel, callsDialog,
      el('dialog', { id: 'ph-ext-dialog', class: 'ph-dialog', 'aria-labelledby': 'ph-ext-h',
        'data-testid': 'ph-ext-dialog' }, extForm),
      el('dialog', { id: 'ph-sms-dialog', class: 'ph-dialog', 'aria-labelledby': 'ph-sms-h',
        'data-testid': 'ph-sms-dialog' }, smsForm),
      tplDialog);

    // the customer pane: a text to its customer
    const tools = document.querySelector('#cust-body p.tools');
    if (tools) {
      tools.append(' ', button(t('ph.sms'), 'wb-cust-sms', () => {
        const c = csqCustomer.current();
        if (c) openSms(c, c.phone);
      }, { id: 'ph-cust-sms', 'aria-haspopup': 'dialog' }));
    }
  }

  /* ---- the extension ---- */

  function drawExt() {
    $('ph-ext').textContent = ext ? t('ph.ext', { ext }) : t('ph.ext_none');
  }

  function openExt() {
    $('ph-ext-in').value = ext;
    $('ph-ext-error').hidden = true;
    $('ph-ext-dialog').showModal();
    $('ph-ext-in').focus();
  }

  async function saveExt() {
    const r = await o.call('PUT', 'agents/' + enc(o.me) + '/extension', { extension: $('ph-ext-in').value.trim() });
    if (r.status !== 200) {
      $('ph-ext-error').textContent = errMsg(r);
      $('ph-ext-error').hidden = false;
      return;
    }
    ext = r.data.extension;
    drawExt();
    $('ph-ext-dialog').close();
    o.banner(ext ? t('ph.ext_saved', { ext }) : t('ph.ext_removed'));
  }

  /* ---- the call panel ---- */

  function error(text) {
    $('ph-error').textContent = text || '';
    $('ph-error').hidden = !text;
  }

  // opens (or redraws) the panel on call c with its customer (a view, or null)
  function open(c, customer) {
    const again = cur && cur.call.id === c.id;
    cur = { call: c, customer: customer || null };
    const p = $('ph-panel');
    place();
    p.hidden = false;
    p.dataset.call = c.id;
    drawCall();
    if (!again) {
      $('ph-msg').textContent = '';
      $('ph-note').value = c.note || '';
      $('ph-find').hidden = true;
      error('');
    }
    drawCustomer();
    clearInterval(ticker);
    ticker = setInterval(drawCall, 1000);
  }

  // below the header, whatever its height; on a wide screen over the
  // right column only, so the chat and its reply box stay in reach
  function place() {
    const p = $('ph-panel');
    p.style.top = Math.round(document.querySelector('header.bar').getBoundingClientRect().bottom + 6) + 'px';
    const side = document.querySelector('main.cols > aside');
    const r = side && side.getBoundingClientRect();
    const fit = r && r.width >= 280 && innerWidth > 900;
    p.style.width = fit ? Math.round(r.width - 8) + 'px' : '';
    p.style.right = fit ? Math.round(innerWidth - r.right + 4) + 'px' : '';
  }

  function close() {
    $('ph-panel').hidden = true;
    clearInterval(ticker);
  }

  function drawCall() {
    const c = cur.call;
    $('ph-dir').textContent = dirName(c.direction);
    $('ph-dir').dataset.dir = c.direction;
    $('ph-number').textContent = c.number || '\u2014';
    $('ph-state').textContent = stateName(c.state);
    $('ph-state').dataset.state = c.state;
    const now = Date.now();
    $('ph-timer').textContent = c.state === 'ended' ? clock(c.duration || 0)
      : clock((now - (c.state === 'answered' ? c.answered : c.rang)) / 1000);
    $('ph-result').textContent = c.state === 'ended' ? resultName(c.result) : '';
    if (c.state === 'ended') clearInterval(ticker);
  }

  async function drawCustomer() {
    const n = ++shown;
    const c = cur.customer;
    const prof = $('ph-profile');
    $('ph-link-new').hidden = !c;
    if (!c) {
      prof.replaceChildren(el('p', { class: 'note', 'data-testid': 'ph-unknown', text: t('ph.unknown') }));
      $('ph-recs').hidden = true;
      showNew(true);
      return;
    }
    $('ph-new').hidden = true;
    const row = (label, value) => value ? el('div', {}, el('dt', { text: label }), el('dd', { text: value })) : null;
    prof.replaceChildren(
      // the customer pane is under the panel: the panel makes way
      el('p', { class: 'ph-name' }, button(c.name || c.id, 'ph-cust-open', () => { close(); o.showCustomer(c.id); },
        { class: 'link', title: t('ph.open_pane') })),
      el('dl', { class: 'ph-dl' },
        row(t('cust.phone'), c.phone),
        row(t('lib.tags'), Array.isArray(c.tags) ? c.tags.join(', ') : ''),
        row(t('lib.owner'), c.owner ? (c.owner === o.me ? t('cust.owner_you') : c.owner) : t('cust.owner_none')),
        row(t('cust.company'), c.company)));
    const r = await o.call('GET', 'customers/' + enc(c.id) + '/records?limit=8');
    if (n !== shown) return;
    $('ph-recs').hidden = false;
    // the call shown is not one of its records
    const items = r.status === 200 ? r.data.items.filter((i) => i.kind !== 'call' || i.id !== cur.call.id) : [];
    $('ph-records').replaceChildren(...(items.length ? items.map((i) => el('li', { 'data-kind': i.kind },
      el('span', { class: 'sub', text: when(i.at) }), ' ', record(i)))
      : [el('li', { class: 'note', text: r.status === 200 ? t('ph.no_records') : errMsg(r) })]));
  }

  // one item of a customer's records, in the panel
  function record(i) {
    if (i.kind === 'call' || i.kind === 'sms') return item(i);
    if (i.kind === 'note') return t('cust.trail_note', { text: i.text });
    if (i.kind === 'ticket') return t('cust.trail_ticket', { id: i.id, title: i.title });
    if (i.kind === 'conversation') {
      return el('button', { type: 'button', class: 'link', text: t('cust.trail_conv', { id: i.id }),
        onclick: () => csqCustomer.transcript(i) });
    }
    return [i.kind, i.title || i.text || i.id].filter(Boolean).join(' \u00b7 ');
  }

  function showNew(unknown) {
    $('ph-new').hidden = false;
    $('ph-new-h').textContent = unknown ? t('ph.new_customer') : t('ph.link_new');
    $('ph-new-name').value = '';
    // an unknown number is the new customer's; a known one is another's
    $('ph-new-phone').value = unknown ? cur.call.number : '';
    $('ph-new-cancel').hidden = unknown;
  }

  function showFind() {
    $('ph-find').hidden = false;
    $('ph-find-list').replaceChildren();
    $('ph-find-q').focus();
  }

  async function find() {
    const q = $('ph-find-q').value.trim();
    if (!q) return;
    const r = await o.call('GET', 'search?' + new URLSearchParams({ q, in: 'customers', limit: '10' }).toString());
    if (r.status !== 200) return error(errMsg(r));
    error('');
    const list = r.data.customers || [];
    $('ph-find-list').replaceChildren(...(list.length ? list.map((c) => el('li', { 'data-id': c.id },
      el('span', { text: c.name || c.id }), ' ', el('span', { class: 'sub', text: c.phone || '' }), ' ',
      button(t('ph.link'), 'ph-link', () => link(c.id), { 'data-id': c.id,
        'aria-label': t('ph.link_to', { name: c.name || c.id }) })))
      : [el('li', { class: 'note', text: t('lib.empty') })]));
  }

  // links the panel's call to customer id (null: nobody)
  async function link(id) {
    const call = cur.call;
    const r = await o.call('PUT', 'calls/' + enc(call.id), { customer: id });
    if (r.status !== 200) return error(errMsg(r));
    error('');
    const cr = id ? await o.call('GET', 'customers/' + enc(id)) : null;
    if (!cur || cur.call.id !== call.id) return;
    cur.call = r.data;
    cur.customer = cr && cr.status === 200 ? cr.data : null;
    $('ph-find').hidden = true;
    $('ph-msg').textContent = t('ph.linked', { name: cur.customer ? cur.customer.name || id : id });
    drawCustomer();
  }

  async function saveNew() {
    const body = { name: $('ph-new-name').value.trim(), phone: $('ph-new-phone').value.trim(), library: true };
    if (!body.name && !body.phone) return error(t('ph.need_name'));
    const id = newId();
    const r = await o.call('PUT', 'customers/' + enc(id), body);
    if (r.status !== 201 && r.status !== 200) return error(errMsg(r));
    await link(r.data.id);
  }

  async function saveNote() {
    const call = cur.call;
    const r = await o.call('PUT', 'calls/' + enc(call.id), { note: $('ph-note').value });
    if (r.status !== 200) return error(errMsg(r));
    if (cur.call.id === call.id) cur.call = r.data;
    $('ph-msg').textContent = t('ph.note_saved');
  }

  // asks for a callback ({ call } | { customer } | { number }); says so
  // in status element `where` (and the page's banner)
  async function callback(body, where) {
    const r = await o.call('POST', 'calls/callback', body);
    const text = r.status === 202 ? t('ph.cb_sent', { number: r.data.number }) : errMsg(r);
    if (where) where.textContent = text;
    o.banner(text);
    return r.status === 202;
  }

  // the Callbacks list's button on a lost call (plans.js)
  function callbackButton(ref) {
    const b = button(t('ph.call_back'), 'ph-cb-call', async () => {
      b.disabled = true;
      const sent = await callback({ call: ref }, null);
      b.textContent = sent ? t('ph.cb_done') : t('ph.call_back');
      b.disabled = sent;
    }, { 'data-id': ref });
    return b;
  }

  // a call or a text of a customer's records (customer.js, the panel)
  function item(i) {
    if (i.kind === 'sms') {
      return el('span', { class: 'ph-rec', 'data-testid': 'ph-rec-sms' },
        t('ph.rec_sms', { number: i.to, agent: i.agent || '' }), ' ', el('q', { text: i.text }));
    }
    const u = i.recording && csq.safeUrl(i.recording);
    const what = [dirName(i.direction), i.number,
      i.state === 'ended' ? resultName(i.result) : stateName(i.state),
      i.state === 'ended' && i.result === 'answered' ? t('ph.took', { d: clock(i.duration || 0) }) : '',
      i.agent || ''].filter(Boolean).join(' \u00b7 ');
    return el('span', { class: 'ph-rec', 'data-testid': 'ph-rec-call', 'data-id': i.id },
      t('ph.rec_call', { what }),
      i.note ? el('span', { class: 'ph-rec-note', text: ' \u2014 ' + i.note }) : null,
      u ? ' ' : null,
      u ? el('a', { href: u, ...csq.NEW, 'data-testid': 'ph-rec-recording', text: t('ph.recording') }) : null,
      ' ', button(t('ph.call_back'), 'ph-rec-callback', (e) => callback({ call: i.id }, e.target.nextSibling),
        { 'data-id': i.id }),
      el('span', { class: 'sub', role: 'status' }));
  }

  /* ---- the calls ---- */

  function openCalls() {
    $('ph-calls-dialog').showModal();
    return loadCalls();
  }

  async function loadCalls() {
    const r = await o.call('GET', 'calls?agent=me&limit=50');
    if (r.status !== 200) { $('ph-calls-msg').textContent = errMsg(r); return; }
    $('ph-calls-msg').textContent = r.data.calls.length ? '' : t('ph.no_calls');
    $('ph-call-rows').replaceChildren(...r.data.calls.map((c) => el('tr', { 'data-testid': 'ph-call-row',
      'data-id': c.id },
    el('td', { text: when(c.rang) }), el('td', { text: dirName(c.direction) }), el('td', { text: c.number }),
    el('td', { text: c.customer || '' }),
    el('td', { text: c.state === 'ended' ? resultName(c.result) : stateName(c.state) }),
    el('td', { text: c.state === 'ended' && c.answered ? clock(c.duration || 0) : '' }),
    el('td', { class: 'fu-acts' },
      button(t('ph.open'), 'ph-call-open', () => reopen(c.id), { 'data-id': c.id }), ' ',
      button(t('ph.call_back'), 'ph-call-back', () => callback({ call: c.id }, $('ph-calls-msg')),
        { 'data-id': c.id })))));
  }

  async function reopen(id) {
    const r = await o.call('GET', 'calls/' + enc(id));
    if (r.status !== 200) { $('ph-calls-msg').textContent = errMsg(r); return; }
    $('ph-calls-dialog').close();
    open(r.data, r.data.customer_record);
  }

  /* ---- a text (R7.3) ---- */

  const VARS = /\{\{\s*([\w]+)\s*\}\}/g;
  // what the server fills in itself
  function known() {
    const c = smsTo.customer;
    return { name: c && c.name ? c.name : undefined, phone: smsTo.number, agent: o.myName() };
  }

  async function loadTpls() {
    const r = await o.call('GET', 'sms-templates');
    tpls = r.status === 200 ? r.data.templates : [];
    const sel = $('ph-sms-tpl');
    const was = sel.value;
    sel.replaceChildren(...tpls.map((x) => el('option', { value: x.id, text: x.name || x.id })));
    if (tpls.some((x) => x.id === was)) sel.value = was;
    drawVars();
    return r;
  }

  async function openSms(customer, number) {
    smsTo = { customer: customer || null, number: number || '' };
    $('ph-sms-to').textContent = t('ph.sms_to', { who: customer ? customer.name || customer.id : number,
      number: number || t('ph.no_number') });
    $('ph-sms-error').hidden = true;
    $('ph-sms-dialog').showModal();
    const r = await loadTpls();
    if (r.status !== 200) smsError(errMsg(r));
    else if (!tpls.length) smsError(t('ph.no_templates'));
    $('ph-sms-tpl').focus();
  }

  function smsError(text) {
    $('ph-sms-error').textContent = text || '';
    $('ph-sms-error').hidden = !text;
  }

  // the template's variables that need a value: an input each
  function drawVars() {
    const tpl = tpls.find((x) => x.id === $('ph-sms-tpl').value);
    const have = smsTo ? known() : {};
    const names = tpl ? [...new Set([...tpl.text.matchAll(VARS)].map((m) => m[1]))]
      .filter((n) => have[n] == null) : [];
    const box = $('ph-sms-vars');
    const old = {};
    for (const i of box.querySelectorAll('input')) old[i.name] = i.value;
    box.replaceChildren(...names.map((n) => el('div', { class: 'field' },
      el('label', { for: 'ph-var-' + n, text: t('ph.var', { name: n }) }),
      el('input', { id: 'ph-var-' + n, name: n, 'data-testid': 'ph-var', 'data-name': n, maxlength: '200',
        value: old[n] || '', oninput: () => { smsError(''); preview(); } }))));
    preview();
  }

  function vars() {
    const out = {};
    for (const i of $('ph-sms-vars').querySelectorAll('input')) if (i.value.trim()) out[i.name] = i.value.trim();
    return out;
  }

  // the text as it will go, a missing variable shown as [name]
  function preview() {
    const tpl = tpls.find((x) => x.id === $('ph-sms-tpl').value);
    const v = { ...known(), ...vars() };
    $('ph-sms-preview').textContent = tpl ? tpl.text.replace(VARS, (_, n) => (v[n] != null ? v[n] : '[' + n + ']')) : '';
  }

  async function sendSms() {
    const template = $('ph-sms-tpl').value;
    if (!template) return smsError(t('ph.no_templates'));
    const empty = [...$('ph-sms-vars').querySelectorAll('input')].find((i) => !i.value.trim());
    if (empty) {
      empty.focus();
      return smsError(t('ph.var_missing', { name: empty.name }));
    }
    const body = { template, vars: vars() };
    if (smsTo.customer) body.customer = smsTo.customer.id;
    else body.number = smsTo.number;
    const r = await o.call('POST', 'sms', body);
    if (r.status !== 202) return smsError(errMsg(r));
    $('ph-sms-dialog').close();
    const text = t('ph.sms_sent', { number: r.data.to });
    o.banner(text);
    if (cur && !$('ph-panel').hidden) {
      $('ph-msg').textContent = text;
      if (cur.customer) drawCustomer();
    }
    const c = csqCustomer.current();
    if (smsTo.customer && c && c.id === smsTo.customer.id) o.showCustomer(c.id);
  }

  /* ---- templates (supervisors) ---- */

  async function openTpls() {
    $('ph-tpl-form').hidden = true;
    $('ph-tpl-dialog').showModal();
    await drawTpls();
  }

  async function drawTpls() {
    const r = await loadTpls();
    $('ph-tpl-msg').textContent = r.status !== 200 ? errMsg(r) : tpls.length ? '' : t('ph.no_templates');
    $('ph-tpl-list').replaceChildren(...tpls.map((x) => el('li', { 'data-testid': 'ph-tpl-row', 'data-id': x.id },
      el('strong', { text: x.name || x.id }), el('div', { class: 'sub', text: x.text }),
      el('div', { class: 'tools' },
        button(t('fu.edit'), 'ph-tpl-edit', () => editTpl(x), { 'data-id': x.id,
          'aria-label': t('ph.tpl_edit_aria', { name: x.name || x.id }) }),
        button(t('mg.delete'), 'ph-tpl-del', () => delTpl(x), { 'data-id': x.id,
          'aria-label': t('ph.tpl_delete_aria', { name: x.name || x.id }) })))));
  }

  function editTpl(x) {
    tplEditing = x;
    $('ph-tpl-form-h').textContent = x ? t('ph.tpl_edit') : t('ph.tpl_add');
    $('ph-tpl-name').value = x ? x.name : '';
    $('ph-tpl-text').value = x ? x.text : '';
    $('ph-tpl-error').hidden = true;
    $('ph-tpl-form').hidden = false;
    $('ph-tpl-name').focus();
  }

  async function saveTpl() {
    const id = tplEditing ? tplEditing.id : newId();
    const r = await o.call('PUT', 'sms-templates/' + enc(id), { name: $('ph-tpl-name').value.trim(),
      text: $('ph-tpl-text').value });
    if (r.status !== 200 && r.status !== 201) {
      $('ph-tpl-error').textContent = errMsg(r);
      $('ph-tpl-error').hidden = false;
      return;
    }
    $('ph-tpl-form').hidden = true;
    $('ph-tpl-msg').textContent = t('ph.tpl_saved');
    drawTpls();
  }

  async function delTpl(x) {
    if (!confirm(t('ph.tpl_delete_q', { name: x.name || x.id }))) return;
    const r = await o.call('DELETE', 'sms-templates/' + enc(x.id));
    if (r.status !== 200 && r.status !== 204) { $('ph-tpl-msg').textContent = errMsg(r); return; }
    drawTpls();
  }

  /* ---- frames ---- */

  // a "call" frame: a ringing call pops up; the panel's own call updates
  function frame(f) {
    const c = f.call;
    if (!c) return;
    if (c.state === 'ringing' && (!cur || cur.call.id !== c.id || $('ph-panel').hidden)) {
      open(c, f.customer);
      if (window.csqNotify) csqNotify.beep(true);
    } else if (cur && cur.call.id === c.id) {
      const relinked = (cur.customer && cur.customer.id) !== (f.customer && f.customer.id);
      cur.call = c;
      if (relinked) cur.customer = f.customer;
      if (!$('ph-panel').hidden) { drawCall(); if (relinked) drawCustomer(); }
    }
    if ($('ph-calls-dialog').open) loadCalls();
  }

  async function init(opts) {
    o = opts;
    build();
    drawExt();
    const r = await o.call('GET', 'agents/' + enc(o.me));
    if (r.status === 200) { ext = r.data.extension || ''; drawExt(); }
  }

  return { init, frame, item, callbackButton };
})();
