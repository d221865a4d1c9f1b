/* csq workbench: tickets (R6.5, seeds 001 and 003).  "New ticket" in a
 * conversation's tools opens a dialog (title, description, priority,
 * assignee) for a ticket on its customer, linked to it; the header's
 * Tickets view lists the agent's own tickets, or all it may see (a
 * supervisor's default), by status, the last updated first, a page at a
 * time; a ticket opens beside the list with its fields (title, status,
 * priority, assignee, description: saved with PUT tickets/<id>), its
 * history (comments and changes, oldest first) and a comment box.  The
 * customer pane lists the customer's tickets.  A 'ticket' frame (assigned
 * to me, another's comment on mine) says so in the banner and refreshes
 * what is shown.  Everything here is built by this file: workbench.js
 * calls csqTickets.init() once and csqTickets.frame(f); tools.js calls
 * csqTickets.pane(conversation) when one opens; customer.js announces
 * the customer it shows (event csq:customer). */
'use strict';

window.csqTickets = (() => {
  const { el, errMsg, t } = csq;
  const enc = encodeURIComponent;
  const $ = (id) => document.getElementById(id);
  const when = csq.fmtDate;
  let o = null;            // { call, me, staff, cur, banner }
  let next = null;         // the list's cursor
  let open = null;         // the ticket shown
  let custId = null;       // the customer pane's customer
  let agents = null;       // [{ id, name }] for the assignee's choices

  const STATUS = ['open', 'pending', 'solved'];
  const PRIORITY = ['low', 'normal', 'high', 'urgent'];
  const statusName = (s) => ({ open: t('tk.st_open'), pending: t('tk.st_pending'),
    solved: t('tk.st_solved') })[s] || s;
  const priorityName = (p) => ({ low: t('tk.pr_low'), normal: t('tk.pr_normal'),
    high: t('tk.pr_high'), urgent: t('tk.pr_urgent') })[p] || p;
  const who = (a) => (!a ? t('tk.nobody') : a === o.me ? t('tk.you') : a);

  const options = (list, name, value) => list.map((v) => el('option', { value: v, selected: v === value, text: name(v) }));
  const field = (id, label, input) => [el('label', { for: id, text: label }), input];

  function init(opts) {
    o = opts;
    build();
    for (const v of ['chats', 'library', 'review']) $('v-' + v).addEventListener('click', () => show(false));
    document.addEventListener('csq:customer', (e) => customer(e.detail && e.detail.id));
  }

  /* ---- the page's parts ---- */

  function build() {
    // the header's view button, after the others
    $('v-review').after(el('button', { id: 'v-tickets', type: 'button', class: 'small', 'data-testid': 'wb-v-tickets',
      'aria-pressed': 'false', text: t('tk.view'), onclick: () => show(true) }));
    // the conversation's tool, before End
    $('end').before(el('button', { id: 'tk-new-open', type: 'button', class: 'small', 'data-testid': 'wb-tk-new',
      'aria-haspopup': 'dialog', disabled: true, text: t('tk.new'), onclick: () => newDialog() }));

    // the view: the list, a ticket beside it
    const scope = el('select', { id: 'tk-scope', 'data-testid': 'tk-scope' },
      el('option', { value: 'me', text: t('tk.mine') }), el('option', { value: '', text: t('tk.all') }));
    scope.value = o.staff ? '' : 'me';
    const status = el('select', { id: 'tk-status', 'data-testid': 'tk-status' },
      el('option', { value: '', text: t('tk.any') }), ...options(STATUS, statusName));
    const form = el('form', { id: 'tk-filters', class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); load(false); } },
      el('label', {}, el('span', { text: t('tk.scope') }), scope),
      el('label', {}, el('span', { text: t('tk.status') }), status),
      el('button', { type: 'submit', class: 'small', 'data-testid': 'tk-apply', text: t('lib.show') }));
    scope.addEventListener('change', () => load(false));
    status.addEventListener('change', () => load(false));
    const table = el('table', { class: 'grid', 'data-testid': 'tk-table' },
      el('thead', {}, el('tr', {}, ...[t('tk.c_ticket'), t('tk.title'), t('tk.customer'), t('tk.status'),
        t('tk.priority'), t('tk.assignee'), t('tk.updated')].map((x) => el('th', { scope: 'col', text: x })))),
      el('tbody', { id: 'tk-rows' }));
    const main = el('main', { id: 'tickets', class: 'page lib-cols', 'aria-labelledby': 'h-tickets', hidden: true },
      el('div', { class: 'lib-main' },
        el('h2', { id: 'h-tickets', text: t('tk.view') }), form,
        el('p', { id: 'tk-msg', class: 'note', role: 'status', 'data-testid': 'tk-msg' }),
        el('div', { class: 'scroll' }, table),
        el('button', { id: 'tk-more', type: 'button', class: 'small', 'data-testid': 'tk-more', hidden: true,
          text: t('lib.more'), onclick: () => load(true) })),
      el('aside', { id: 'tk-side', class: 'side tk-side', 'aria-label': t('tk.ticket'), 'data-testid': 'tk-detail' }));
    $('review').after(main);

    // the new ticket's dialog
    const pr = el('select', { id: 'tk-n-priority', 'data-testid': 'tk-n-priority' }, ...options(PRIORITY, priorityName, 'normal'));
    const dlg = el('dialog', { id: 'tk-dialog', 'aria-labelledby': 'h-tk-new', 'data-testid': 'tk-dialog' },
      el('form', { id: 'tk-n-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); create(); } },
        el('h2', { id: 'h-tk-new', text: t('tk.new') }),
        el('p', { id: 'tk-n-for', class: 'note', 'data-testid': 'tk-n-for' }),
        ...field('tk-n-title', t('tk.title'), el('input', { id: 'tk-n-title', 'data-testid': 'tk-n-title', maxlength: 200,
          required: true, autocomplete: 'off', oninput: () => { $('tk-n-error').hidden = true; } })),
        ...field('tk-n-desc', t('tk.description'), el('textarea', { id: 'tk-n-desc', 'data-testid': 'tk-n-desc', rows: 4,
          maxlength: 10000 })),
        ...field('tk-n-priority', t('tk.priority'), pr),
        ...field('tk-n-assignee', t('tk.assignee'), el('select', { id: 'tk-n-assignee', 'data-testid': 'tk-n-assignee' })),
        el('p', { id: 'tk-n-error', class: 'error', role: 'alert', 'data-testid': 'tk-n-error', hidden: true }),
        el('div', { class: 'tools' },
          el('button', { type: 'button', text: t('tools.cancel'), onclick: () => dlg.close() }),
          el('button', { type: 'submit', 'data-testid': 'tk-n-submit', text: t('tk.create') }))));
    document.getElementById('app').append(dlg);

    // the customer pane's tickets, after its past conversations
    $('cust-convs').closest('details').after(el('details', { open: true, id: 'tk-cust-box' },
      el('summary', { text: t('tk.view') }),
      el('ul', { id: 'tk-cust', class: 'list', 'data-testid': 'tk-cust' })));
  }

  // the Tickets view shown (true) or left for another
  function show(on) {
    $('tickets').hidden = !on;
    $('v-tickets').setAttribute('aria-pressed', String(on));
    if (!on) return;
    for (const x of ['chats', 'library', 'review']) $('v-' + x).setAttribute('aria-pressed', 'false');
    document.querySelector('main.cols').hidden = true;
    $('library').hidden = true;
    $('review').hidden = true;
    load(false);
  }

  // the agents an assignee is chosen from: the team for a supervisor,
  // else those a conversation may go to; always oneself
  async function team() {
    if (agents) return agents;
    const c = o.cur();
    const r = o.staff ? await o.call('GET', 'agents')
      : c ? await o.call('GET', 'conversations/' + enc(c.id) + '/targets') : null;
    const list = r && r.status === 200 ? r.data.agents.map((a) => ({ id: a.id, name: a.name || a.id })) : [];
    if (!list.some((a) => a.id === o.me)) list.unshift({ id: o.me, name: o.me });
    if (o.staff) agents = list;
    return list;
  }

  async function assigneeSelect(sel, value) {
    const list = await team();
    if (value && !list.some((a) => a.id === value)) list.push({ id: value, name: value });
    sel.replaceChildren(el('option', { value: '', text: t('tk.nobody') }),
      ...list.map((a) => el('option', { value: a.id, selected: a.id === value,
        text: a.id === o.me ? t('tk.you') : a.name === a.id ? a.id : a.name + ' (' + a.id + ')' })));
  }

  /* ---- a new ticket, from a conversation ---- */

  // the conversation's tools: a ticket is made from an open conversation
  function pane(c) {
    const b = $('tk-new-open');
    if (b) b.disabled = !c;
  }

  async function newDialog() {
    const c = o.cur();
    if (!c) return;
    const v = c.view || {};
    $('tk-n-for').textContent = t('tk.for', { customer: v.customer_name || v.customer, id: c.id });
    $('tk-n-title').value = '';
    $('tk-n-desc').value = '';
    $('tk-n-priority').value = 'normal';
    $('tk-n-error').hidden = true;
    await assigneeSelect($('tk-n-assignee'), o.me);
    $('tk-dialog').showModal();
    $('tk-n-title').focus();
  }

  async function create() {
    const c = o.cur(), title = $('tk-n-title').value.trim();
    if (!title) {
      failed('tk-n-error', t('tk.title_needed'));
      $('tk-n-title').focus();
      return;
    }
    const r = await o.call('POST', 'tickets', { title, description: $('tk-n-desc').value,
      priority: $('tk-n-priority').value, assignee: $('tk-n-assignee').value || null, conversation: c.id });
    if (r.status !== 201) return failed('tk-n-error', r);
    $('tk-dialog').close();
    o.banner(t('tk.made', { id: r.data.id }));
    if (custId === r.data.customer) customer(custId);
  }

  /* ---- the list ---- */

  async function load(more) {
    const q = new URLSearchParams({ limit: '50' });
    if ($('tk-scope').value) q.set('assignee', $('tk-scope').value);
    if ($('tk-status').value) q.set('status', $('tk-status').value);
    if (more && next) q.set('before', next);
    const r = await o.call('GET', 'tickets?' + q.toString());
    if (r.status !== 200) {
      $('tk-msg').textContent = errMsg(r);
      return;
    }
    next = r.data.next;
    const rows = r.data.tickets.map(row);
    if (more) $('tk-rows').append(...rows);
    else $('tk-rows').replaceChildren(...rows);
    $('tk-more').hidden = !next;
    $('tk-msg').textContent = $('tk-rows').children.length ? '' : t('tk.none');
    if (!more && !open && r.data.tickets.length) view(r.data.tickets[0].id);
  }

  function row(k) {
    return el('tr', { 'data-testid': 'tk-row', 'data-id': k.id, class: open && open.id === k.id ? 'on' : null },
      el('td', {}, el('button', { type: 'button', class: 'link tk-open', 'data-testid': 'tk-open', text: k.id,
        onclick: () => view(k.id) })),
      el('td', { text: k.title }),
      el('td', { text: k.customer_name || k.customer }),
      el('td', {}, el('span', { class: 'tk-st tk-st-' + k.status, text: statusName(k.status) })),
      el('td', {}, el('span', { class: 'tk-pr-' + k.priority, text: priorityName(k.priority) })),
      el('td', { text: who(k.assignee) }),
      el('td', { text: when(k.updated) }));
  }

  /* ---- one ticket ---- */

  async function view(id) {
    const r = await o.call('GET', 'tickets/' + enc(id));
    const side = $('tk-side');
    if (r.status !== 200) {
      side.replaceChildren(el('p', { class: 'error', role: 'alert', text: errMsg(r) }));
      return;
    }
    if (!open || open.id !== id) side.scrollTop = 0;      // another one: from its top
    open = r.data;
    for (const tr of document.querySelectorAll('#tk-rows tr')) tr.classList.toggle('on', tr.dataset.id === id);
    const k = r.data;
    const st = el('select', { id: 'tk-e-status', 'data-testid': 'tk-e-status' }, ...options(STATUS, statusName, k.status));
    const pr = el('select', { id: 'tk-e-priority', 'data-testid': 'tk-e-priority' }, ...options(PRIORITY, priorityName, k.priority));
    const as = el('select', { id: 'tk-e-assignee', 'data-testid': 'tk-e-assignee' });
    const links = [t('tk.customer_is', { customer: k.customer_name || k.customer })];
    if (k.conversation) links.push(t('tk.conv_is', { id: k.conversation }));
    if (k.call) links.push(t('tk.call_is', { id: k.call }));
    side.replaceChildren(
      el('h2', { id: 'tk-h', 'data-testid': 'tk-h', text: k.id + ' \u00b7 ' + k.title }),
      el('p', { class: 'note', text: links.join(' \u00b7 ') }),
      el('p', { class: 'note', text: t('tk.made_by', { who: who(k.created_by), when: when(k.created) })
        + (k.solved ? ' \u00b7 ' + t('tk.solved_at', { when: when(k.solved) }) : '') }),
      el('form', { id: 'tk-e-form', class: 'cust-form', 'data-testid': 'tk-e-form', novalidate: true,
        onsubmit: (e) => { e.preventDefault(); save(); } },
        ...field('tk-e-title', t('tk.title'), el('input', { id: 'tk-e-title', 'data-testid': 'tk-e-title', maxlength: 200,
          value: k.title, autocomplete: 'off' })),
        ...field('tk-e-status', t('tk.status'), st),
        ...field('tk-e-priority', t('tk.priority'), pr),
        ...field('tk-e-assignee', t('tk.assignee'), as),
        ...field('tk-e-desc', t('tk.description'), el('textarea', { id: 'tk-e-desc', 'data-testid': 'tk-e-desc', rows: 3,
          maxlength: 10000, text: k.description })),
        el('p', { id: 'tk-e-error', class: 'error', role: 'alert', hidden: true }),
        el('button', { type: 'submit', class: 'small', 'data-testid': 'tk-e-save', text: t('cust.save') })),
      el('h3', { text: t('tk.history') }),
      el('ol', { class: 'plain tk-history', 'data-testid': 'tk-history' }, ...k.history.map(entry)),
      el('form', { id: 'tk-c-form', onsubmit: (e) => { e.preventDefault(); comment(); } },
        el('label', { for: 'tk-c-text', class: 'sr', text: t('tk.comment_new') }),
        el('textarea', { id: 'tk-c-text', 'data-testid': 'tk-c-text', rows: 2, maxlength: 5000,
          placeholder: t('tk.comment_ph') }),
        el('p', { id: 'tk-c-error', class: 'error', role: 'alert', hidden: true }),
        el('button', { type: 'submit', class: 'small', 'data-testid': 'tk-c-add', text: t('tk.comment_add') })));
    await assigneeSelect(as, k.assignee);
  }

  // one entry of a ticket's history: a comment, or a change
  function entry(e) {
    const head = el('span', { class: 'sub', text: when(e.at) + ' \u00b7 ' + who(e.author) });
    if (e.kind === 'comment') {
      return el('li', { class: 'tk-comment', 'data-testid': 'tk-entry' }, head, el('div', { text: e.text }));
    }
    const name = { status: statusName, priority: priorityName, assignee: who }[e.field] || String;
    const fieldName = { status: t('tk.status'), priority: t('tk.priority'), assignee: t('tk.assignee') }[e.field] || e.field;
    return el('li', { class: 'tk-change', 'data-testid': 'tk-entry' }, head,
      el('div', { text: t('tk.changed', { field: fieldName, from: name(e.from), to: name(e.to) }) }));
  }

  // an error said under a form: text, or a reply's error
  function failed(id, r) {
    $(id).textContent = typeof r === 'string' ? r : errMsg(r);
    $(id).hidden = false;
  }

  async function save() {
    const title = $('tk-e-title').value.trim();
    if (!title) return failed('tk-e-error', t('tk.title_needed'));
    const r = await o.call('PUT', 'tickets/' + enc(open.id), { title, description: $('tk-e-desc').value,
      status: $('tk-e-status').value, priority: $('tk-e-priority').value, assignee: $('tk-e-assignee').value || null });
    if (r.status !== 200) return failed('tk-e-error', r);
    await view(open.id);
    refresh();
  }

  async function comment() {
    const text = $('tk-c-text').value.trim();
    if (!text) return;
    const r = await o.call('POST', 'tickets/' + enc(open.id) + '/comments', { text });
    if (r.status !== 201) return failed('tk-c-error', r);
    await view(open.id);
    $('tk-c-text').focus({ preventScroll: true });
    refresh();
  }

  // the list again, where it is shown
  function refresh() {
    if (!$('tickets').hidden) load(false);
    if (custId) customer(custId);
  }

  /* ---- the customer pane ---- */

  async function customer(id) {
    custId = id || null;
    const box = $('tk-cust');
    if (!box) return;
    if (!id) return box.replaceChildren();
    const r = await o.call('GET', 'tickets?limit=20&customer=' + enc(id));
    if (custId !== id) return;
    const list = r.status === 200 ? r.data.tickets : [];
    box.dataset.empty = t('tk.none');
    box.replaceChildren(...list.map((k) => el('li', {},
      el('button', { type: 'button', class: 'conv', 'data-testid': 'tk-cust-item', 'data-id': k.id,
        onclick: () => { show(true); view(k.id); } },
      el('span', { class: 'name', text: k.id + ' \u00b7 ' + k.title }),
      el('span', { class: 'sub', text: [statusName(k.status), priorityName(k.priority), who(k.assignee),
        when(k.updated)].join(' \u00b7 ') })))));
  }

  /* ---- frames ---- */

  function frame(f) {
    const k = f.ticket || {};
    o.banner(f.event === 'comment' ? t('tk.heard_comment', { who: f.by, id: k.id, title: k.title })
      : t('tk.heard_assigned', { who: f.by, id: k.id, title: k.title }));
    if (open && open.id === k.id && !$('tickets').hidden) view(k.id);
    refresh();
  }

  return { init, pane, frame, view, statusName };
})();
