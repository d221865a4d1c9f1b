/* csq workbench: the Follow-up view (R7.4, R4.9, R7.5).  Two tabs:
 * "My contact plans" (GET plans: open, due now or done; a supervisor's
 * anyone's), each made, changed, done or cancelled in a dialog or a
 * click; and "Callbacks" (GET callbacks: customers who gave up waiting,
 * a chat now, a lost call later), each marked called back with an
 * outcome.  The view's button counts the agent's plans due now.
 *
 * A reminder (the socket's plan_due frame, sent once when a plan falls
 * due) shows as a note in the page's corner that stays until dismissed,
 * with a sound when the agent's sound is on (notify.js); a socket that
 * was not there then says in its hello how many plans are due
 * (plans_due), and the page shows that once.  The customer pane gets a
 * "Contact plan" button for its customer.
 *
 * Everything here is made by this file (no markup of its own in
 * workbench.html); workbench.js calls init() once, hello(h) with each
 * hello, and frame(f) with plan, plan_due and callback frames. */
'use strict';

window.csqPlans = (() => {
  const { el, errMsg, t } = csq;
  const enc = encodeURIComponent;
  const $ = (id) => document.getElementById(id);
  const when = csq.fmtDate;
  let o = null;             // { call, me, staff, banner, current }
  let editing = null;       // the plan the dialog changes (null: a new one)
  let calling = null;       // the callback the dialog marks
  let hellos = 0;

  // ms <-> the value of an <input type="datetime-local"> (local time)
  const toLocal = (ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const fromLocal = (s) => (s ? new Date(s).getTime() : null);
  const statusName = (s) => ({ open: t('fu.s_open'), done: t('fu.s_done'), cancelled: t('fu.s_cancelled') })[s] || s;
  const kindName = (k) => ({ chat: t('fu.kind_chat'), call: t('fu.kind_call') })[k] || k;
  const who = (x) => x.customer_name || x.customer || '';
  function waited(ms) {
    const s = Math.round((ms || 0) / 1000);
    return s < 60 ? t('fu.waited_s', { s }) : t('fu.waited_m', { m: Math.floor(s / 60), s: s % 60 });
  }
  function msg(id, text) { $(id).textContent = text || ''; }
  const field = (label, input) => el('label', {}, el('span', { text: label }), input);

  /* ---- the view, its tabs and dialogs, made once ---- */

  function build() {
    const nav = document.querySelector('nav.views');
    nav.append(el('button', { id: 'v-followup', type: 'button', class: 'small', 'data-testid': 'wb-v-followup',
      'aria-pressed': 'false', onclick: show },
    el('span', { text: t('fu.view') }), ' ',
    el('span', { id: 'fu-badge', class: 'fu-badge', 'data-testid': 'fu-badge', hidden: true })));
    // the other views' buttons hide this one (library.js shows theirs)
    for (const b of nav.querySelectorAll('button:not(#v-followup)')) b.addEventListener('click', hide);

    const tab = (id, panel, text, selected) => el('button', { id, type: 'button', role: 'tab',
      'aria-selected': String(selected), 'aria-controls': panel, tabindex: selected ? '0' : '-1',
      'data-testid': id, class: 'small', onclick: () => pick(id) }, text);
    const planForm = el('form', { id: 'fu-plans-form', class: 'filters', 'data-testid': 'fu-plans-form' },
      field(t('fu.show_label'), el('select', { id: 'fu-filter', 'data-testid': 'fu-filter' },
        el('option', { value: 'open', text: t('fu.f_open') }),
        el('option', { value: 'due', text: t('fu.f_due') }),
        el('option', { value: 'done', text: t('fu.f_done') }))),
      o.staff && field(t('fu.assignee'), el('select', { id: 'fu-who', 'data-testid': 'fu-who' },
        el('option', { value: 'me', text: t('fu.who_me') }),
        el('option', { value: 'all', text: t('fu.who_all') }))),
      o.staff && field(t('fu.who_agent'), el('input', { id: 'fu-agent', 'data-testid': 'fu-agent', size: '10',
        autocapitalize: 'off', spellcheck: 'false' })),
      el('button', { type: 'submit', class: 'small', 'data-testid': 'fu-apply', text: t('lib.show') }),
      el('button', { type: 'button', class: 'small', 'data-testid': 'fu-new', text: t('fu.new'),
        'aria-haspopup': 'dialog', onclick: () => openPlan(null, '') }));
    planForm.addEventListener('submit', (e) => { e.preventDefault(); loadPlans(false); });
    const cbForm = el('form', { id: 'fu-cb-form', class: 'filters', 'data-testid': 'fu-cb-form' },
      field(t('fu.show_label'), el('select', { id: 'fu-cb-filter', 'data-testid': 'fu-cb-filter' },
        el('option', { value: 'open', text: t('fu.cb_waiting') }),
        el('option', { value: 'done', text: t('fu.cb_done') }))),
      el('button', { type: 'submit', class: 'small', 'data-testid': 'fu-cb-apply', text: t('lib.show') }));
    cbForm.addEventListener('submit', (e) => { e.preventDefault(); loadCallbacks(false); });
    const head = (...names) => el('thead', {}, el('tr', {}, ...names.map((n) => el('th', { scope: 'col', text: n }))));

    const view = el('main', { id: 'followup', class: 'page', 'aria-labelledby': 'h-followup', hidden: true },
      el('h2', { id: 'h-followup', text: t('fu.view') }),
      el('div', { class: 'fu-tabs', role: 'tablist', 'aria-labelledby': 'h-followup' },
        tab('fu-tab-plans', 'fu-plans', t('fu.tab_plans'), true),
        tab('fu-tab-cb', 'fu-cb', t('fu.tab_callbacks'), false)),
      el('section', { id: 'fu-plans', role: 'tabpanel', 'aria-labelledby': 'fu-tab-plans' },
        planForm,
        el('p', { id: 'fu-plans-msg', class: 'note', role: 'status', 'data-testid': 'fu-plans-msg' }),
        el('div', { class: 'scroll' }, el('table', { class: 'grid', 'data-testid': 'fu-plans-table' },
          head(t('fu.customer'), t('fu.due'), t('fu.start'), t('fu.assignee'), t('fu.note'), t('fu.status'), t('fu.actions')),
          el('tbody', { id: 'fu-plan-rows' }))),
        el('button', { id: 'fu-plans-more', type: 'button', class: 'small', hidden: true, text: t('lib.more'),
          onclick: () => loadPlans(true) })),
      el('section', { id: 'fu-cb', role: 'tabpanel', 'aria-labelledby': 'fu-tab-cb', hidden: true },
        cbForm,
        el('p', { id: 'fu-cb-msg', class: 'note', role: 'status', 'data-testid': 'fu-cb-msg' }),
        el('div', { class: 'scroll' }, el('table', { class: 'grid', 'data-testid': 'fu-cb-table' },
          head(t('fu.kind'), t('fu.customer'), t('fu.queue'), t('fu.gave_up'), t('fu.waited'), t('fu.status'),
            t('fu.outcome'), t('fu.actions')),
          el('tbody', { id: 'fu-cb-rows' }))),
        el('button', { id: 'fu-cb-more', type: 'button', class: 'small', hidden: true, text: t('lib.more'),
          onclick: () => loadCallbacks(true) })));
    $('review').after(view);
    view.querySelector('[role="tablist"]').addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      const next = $('fu-tab-plans').getAttribute('aria-selected') === 'true' ? 'fu-tab-cb' : 'fu-tab-plans';
      pick(next);
      $(next).focus();
    });

    // the plan's dialog
    const pf = el('form', { id: 'fu-plan-form', method: 'dialog' },
      el('h2', { id: 'fu-plan-h' }),
      el('label', { for: 'fu-p-customer', text: t('fu.customer') }),
      el('input', { id: 'fu-p-customer', 'data-testid': 'fu-p-customer', required: true, maxlength: '64',
        autocapitalize: 'off', spellcheck: 'false' }),
      el('label', { for: 'fu-p-start', text: t('fu.start') }),
      el('input', { id: 'fu-p-start', 'data-testid': 'fu-p-start', type: 'datetime-local' }),
      el('label', { for: 'fu-p-due', text: t('fu.due') }),
      el('input', { id: 'fu-p-due', 'data-testid': 'fu-p-due', type: 'datetime-local', required: true }),
      el('label', { for: 'fu-p-assignee', class: 'fu-staff', text: t('fu.assignee') }),
      el('input', { id: 'fu-p-assignee', class: 'fu-staff', 'data-testid': 'fu-p-assignee', maxlength: '64',
        autocapitalize: 'off', spellcheck: 'false' }),
      el('label', { for: 'fu-p-note', text: t('fu.note') }),
      el('textarea', { id: 'fu-p-note', 'data-testid': 'fu-p-note', rows: '3', maxlength: '2000' }),
      el('p', { id: 'fu-p-error', class: 'error', role: 'alert', 'data-testid': 'fu-p-error', hidden: true }),
      el('p', { class: 'tools' },
        el('button', { type: 'submit', 'data-testid': 'fu-p-save', text: t('fu.save') }),
        el('button', { type: 'button', text: t('fu.dismiss'), onclick: () => $('fu-plan-dialog').close() })));
    pf.addEventListener('submit', (e) => { e.preventDefault(); savePlan(); });
    for (const x of pf.querySelectorAll('.fu-staff')) x.hidden = !o.staff;
    // the callback's dialog
    const cf = el('form', { id: 'fu-cb-form-done', method: 'dialog' },
      el('h2', { id: 'fu-c-h' }),
      el('p', { id: 'fu-c-what', class: 'note' }),
      el('label', { for: 'fu-c-outcome', text: t('fu.outcome') }),
      el('textarea', { id: 'fu-c-outcome', 'data-testid': 'fu-c-outcome', rows: '3', maxlength: '2000' }),
      el('p', { id: 'fu-c-error', class: 'error', role: 'alert', hidden: true }),
      el('p', { class: 'tools' },
        el('button', { type: 'submit', 'data-testid': 'fu-c-save', text: t('fu.save') }),
        el('button', { type: 'button', text: t('fu.dismiss'), onclick: () => $('fu-cb-dialog').close() })));
    cf.addEventListener('submit', (e) => { e.preventDefault(); saveCallback(); });
    document.body.append(
      el('dialog', { id: 'fu-plan-dialog', class: 'fu-dialog', 'aria-labelledby': 'fu-plan-h',
        'data-testid': 'fu-plan-dialog' }, pf),
      el('dialog', { id: 'fu-cb-dialog', class: 'fu-dialog', 'aria-labelledby': 'fu-c-h',
        'data-testid': 'fu-cb-dialog' }, cf),
      // reminders: notes in the corner, each until dismissed
      el('div', { id: 'fu-notes', class: 'fu-notes', role: 'region', 'aria-label': t('fu.reminders'),
        'aria-live': 'assertive', 'data-testid': 'fu-notes' }));

    // the customer pane: a plan for its customer
    const tools = document.querySelector('#cust-body p.tools');
    if (tools) {
      tools.append(' ', el('button', { id: 'fu-cust-plan', type: 'button', class: 'small', 'data-testid': 'wb-cust-plan',
        'aria-haspopup': 'dialog', text: t('fu.cust_plan'), onclick: custPlan }));
    }
  }

  function show() {
    for (const b of document.querySelectorAll('nav.views button')) b.setAttribute('aria-pressed', String(b.id === 'v-followup'));
    document.querySelector('main.cols').hidden = true;
    $('library').hidden = true;
    $('review').hidden = true;
    $('followup').hidden = false;
    if ($('fu-tab-cb').getAttribute('aria-selected') === 'true') loadCallbacks(false);
    else loadPlans(false);
  }

  function hide() {
    $('followup').hidden = true;
    $('v-followup').setAttribute('aria-pressed', 'false');
  }

  function pick(id) {
    for (const x of ['fu-tab-plans', 'fu-tab-cb']) {
      const on = x === id;
      $(x).setAttribute('aria-selected', String(on));
      $(x).tabIndex = on ? 0 : -1;
      $($(x).getAttribute('aria-controls')).hidden = !on;
    }
    if (id === 'fu-tab-cb') loadCallbacks(false);
    else loadPlans(false);
  }

  /* ---- contact plans ---- */

  function planQuery() {
    const q = new URLSearchParams({ filter: $('fu-filter').value, limit: '50' });
    if (o.staff) q.set('assignee', $('fu-agent').value.trim() || $('fu-who').value);
    return q;
  }

  // the two lists: GET <name>?..., their rows, More, the empty line
  const lists = {
    plans: { rows: 'fu-plan-rows', more: 'fu-plans-more', msg: 'fu-plans-msg', next: null,
      row: (p) => planRow(p), empty: () => t('fu.empty_plans') },
    callbacks: { rows: 'fu-cb-rows', more: 'fu-cb-more', msg: 'fu-cb-msg', next: null,
      row: (c) => cbRow(c), empty: () => t('fu.empty_callbacks') },
  };

  // a page of list `name` for query q (more: the next page, else the
  // first): its answer, or null
  async function load(name, q, more) {
    const l = lists[name];
    if (more && l.next) q.set('after', l.next);
    const r = await o.call('GET', name + '?' + q.toString());
    if (r.status !== 200) { msg(l.msg, errMsg(r)); return null; }
    l.next = r.data.next;
    if (!more) $(l.rows).replaceChildren();
    $(l.rows).append(...r.data[name].map(l.row));
    $(l.more).hidden = l.next == null;
    msg(l.msg, $(l.rows).children.length ? '' : l.empty());
    return r.data;
  }

  async function loadPlans(more) {
    const q = planQuery();
    const d = await load('plans', q, more);
    if (d && (q.get('assignee') == null || q.get('assignee') === 'me')) badge(d.due);
  }

  function planRow(p) {
    const open = p.status === 'open';
    const act = (text, testid, fn) => el('button', { type: 'button', class: 'small', 'data-testid': testid,
      'data-id': p.id, text, onclick: fn });
    return el('tr', { 'data-testid': 'fu-plan-row', 'data-id': p.id, class: p.due_now ? 'fu-due' : null },
      el('td', {}, el('span', { text: who(p) }), p.customer_name ? el('div', { class: 'sub', text: p.customer }) : null),
      el('td', {}, el('span', { text: when(p.due) }),
        p.due_now ? el('strong', { class: 'fu-tag', 'data-testid': 'fu-due-tag', text: t('fu.due_now') }) : null),
      el('td', { text: when(p.start) }),
      el('td', { text: p.assignee }),
      el('td', { class: 'fu-text', text: p.note }),
      el('td', {}, el('span', { text: statusName(p.status) }),
        p.done ? el('div', { class: 'sub', text: p.done_by + ' \u00b7 ' + when(p.done) }) : null),
      el('td', { class: 'fu-acts' }, open && act(t('fu.edit'), 'fu-edit', () => openPlan(p)),
        open && act(t('fu.done'), 'fu-done', () => closePlan(p, 'done')),
        open && act(t('fu.cancel_plan'), 'fu-cancel', () => closePlan(p, 'cancelled'))));
  }

  function perr(text) {
    $('fu-p-error').textContent = text || '';
    $('fu-p-error').hidden = !text;
  }

  // the dialog, for plan p (null: a new one, for customer cid)
  function openPlan(p, cid) {
    editing = p;
    perr('');
    $('fu-plan-h').textContent = p ? t('fu.edit_title') : t('fu.new');
    $('fu-p-customer').value = p ? p.customer : cid || '';
    $('fu-p-customer').readOnly = !!p;
    $('fu-p-start').value = toLocal(p ? p.start : Date.now());
    $('fu-p-due').value = toLocal(p ? p.due : Date.now() + 86400000);
    $('fu-p-assignee').value = p ? p.assignee : o.me;
    $('fu-p-note').value = p ? p.note : '';
    $('fu-plan-dialog').showModal();
    (p || cid ? $('fu-p-due') : $('fu-p-customer')).focus();
  }

  async function savePlan() {
    const body = { start: fromLocal($('fu-p-start').value), due: fromLocal($('fu-p-due').value),
      note: $('fu-p-note').value };
    if (body.start == null) delete body.start;
    if (o.staff) body.assignee = $('fu-p-assignee').value.trim() || o.me;
    let r;
    if (editing) {
      r = await o.call('PUT', 'plans/' + enc(editing.id), body);
    } else {
      body.customer = $('fu-p-customer').value.trim();
      r = await o.call('POST', 'plans', body);
    }
    if (r.status !== 200 && r.status !== 201) return perr(errMsg(r));
    $('fu-plan-dialog').close();
    o.banner(t('fu.saved'));
    if (!$('followup').hidden) loadPlans(false);
    refreshDue();
  }

  async function closePlan(p, status) {
    const r = await o.call('PUT', 'plans/' + enc(p.id), { status });
    if (r.status !== 200) return msg('fu-plans-msg', errMsg(r));
    for (const n of document.querySelectorAll('#fu-notes [data-id="' + CSS.escape(p.id) + '"]')) n.remove();
    loadPlans(false);
  }

  function custPlan() {
    const c = o.current();
    if (!c) return;
    if (!c.library) return o.banner(t('fu.need_library'));
    openPlan(null, c.id);
  }

  // the view's badge: the agent's plans due now
  function badge(n) {
    const b = $('fu-badge');
    b.hidden = !n;
    b.textContent = n ? csq.fmtNum(n) : '';
    $('v-followup').setAttribute('aria-label', n ? t('fu.badge_aria', { n: csq.fmtNum(n) }) : t('fu.view'));
  }

  async function refreshDue() {
    const r = await o.call('GET', 'plans?filter=due&limit=1&assignee=me');
    if (r.status === 200) badge(r.data.due);
  }

  /* ---- reminders ---- */

  // a note in the corner, until dismissed; id: the plan's (or '')
  function note(id, title, text) {
    const box = el('div', { class: 'fu-note', role: 'group', 'data-testid': 'fu-reminder', 'data-id': id,
      'aria-label': title },
    el('strong', { text: title }), text ? el('div', { text }) : null,
    el('div', { class: 'tools' },
      el('button', { type: 'button', class: 'small', 'data-testid': 'fu-reminder-open', text: t('fu.open'),
        onclick: () => { box.remove(); show(); pick('fu-tab-plans'); } }),
      el('button', { type: 'button', class: 'small', 'data-testid': 'fu-reminder-dismiss', text: t('fu.dismiss'),
        onclick: () => box.remove() })));
    $('fu-notes').append(box);
    if (window.csqNotify) csqNotify.beep(true);
  }

  function hello(h) {
    badge(h.plans_due || 0);
    // reminders sent while no socket of this page was there
    if (hellos++ === 0 && h.plans_due > 0) note('', t('fu.reminder_many', { n: csq.fmtNum(h.plans_due) }), '');
  }

  function frame(f) {
    if (f.type === 'plan_due' && f.plan) {
      const p = f.plan;
      note(p.id, t('fu.reminder_title'), t('fu.reminder_for', { customer: who(p) }) + (p.note ? ' \u2014 ' + p.note : ''));
      refreshDue();
    } else if (f.type === 'plan') {
      refreshDue();
    }
    if (!$('followup').hidden) {
      if (f.type === 'callback' && !$('fu-cb').hidden) loadCallbacks(false);
      else if (f.type !== 'callback' && !$('fu-plans').hidden) loadPlans(false);
    }
  }

  /* ---- callbacks ---- */

  function loadCallbacks(more) {
    return load('callbacks', new URLSearchParams({ filter: $('fu-cb-filter').value, limit: '50' }), more);
  }

  function cbRow(c) {
    return el('tr', { 'data-testid': 'fu-cb-row', 'data-id': c.id },
      el('td', {}, el('span', { text: kindName(c.kind) }), el('div', { class: 'sub', text: c.ref })),
      el('td', {}, el('span', { text: who(c) }), c.customer_name ? el('div', { class: 'sub', text: c.customer }) : null),
      el('td', { text: c.queue || '' }),
      el('td', { text: when(c.at) }),
      el('td', { text: waited(c.waited) }),
      el('td', {}, el('span', { text: c.status === 'open' ? t('fu.cb_waiting') : t('fu.cb_done') }),
        c.done ? el('div', { class: 'sub', text: c.done_by + ' \u00b7 ' + when(c.done) }) : null),
      el('td', { class: 'fu-text', text: c.outcome }),
      el('td', { class: 'fu-acts' }, c.status === 'open' && el('button', { type: 'button', class: 'small',
        'data-testid': 'fu-cb-mark', 'data-id': c.id, 'aria-haspopup': 'dialog', text: t('fu.cb_mark'),
        onclick: () => openCallback(c) }),
      // a lost call: one click asks the telephony system to call back (phone.js, R7.5)
      c.status === 'open' && c.kind === 'call' && window.csqPhone && csqPhone.callbackButton(c.ref)));
  }

  function openCallback(c) {
    calling = c;
    $('fu-c-h').textContent = t('fu.cb_dialog', { customer: who(c) });
    $('fu-c-what').textContent = kindName(c.kind) + ' \u00b7 ' + when(c.at) + ' \u00b7 ' + waited(c.waited);
    $('fu-c-outcome').value = '';
    $('fu-c-error').hidden = true;
    $('fu-cb-dialog').showModal();
    $('fu-c-outcome').focus();
  }

  async function saveCallback() {
    const r = await o.call('POST', 'callbacks/' + enc(calling.id) + '/done', { outcome: $('fu-c-outcome').value });
    if (r.status !== 200) {
      $('fu-c-error').textContent = errMsg(r);
      $('fu-c-error').hidden = false;
      return;
    }
    $('fu-cb-dialog').close();
    loadCallbacks(false);
  }

  function init(opts) {
    o = opts;
    build();
  }

  return { init, hello, frame };
})();
