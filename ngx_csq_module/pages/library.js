/* csq workbench: the Customers and Review views (R6.1-R6.4, R5.5).
 * Customers: the library by view (mine, the public pool, all for
 * supervisors), tag or a search, a page at a time; selected customers get
 * a tag added or removed, are taken as the agent's own or (supervisors)
 * moved to another owner in one batch call; supervisors import and export
 * CSV.  A customer's name opens it in the customer pane beside the list.
 * Review (supervisors): every conversation with the review's filters, a
 * page at a time, each opened read-only; CSV export.  workbench.js calls
 * csqLibrary.init() once; the header's buttons switch the views. */
'use strict';

window.csqLibrary = (() => {
  const { el, errMsg, errText, t } = csq;
  const $ = (id) => document.getElementById(id);
  let o = null;            // { call, me, staff, pane, stateName, reasonName }
  let libNext = null, rvNext = null;

  const when = csq.fmtDate, num = csq.fmtNum;     // in the page's language

  function init(opts) {
    o = opts;
    for (const v of ['chats', 'library', 'review']) $('v-' + v).addEventListener('click', () => view(v));
    $('v-review').hidden = !o.staff;
    $('lib-view').querySelector('[value="all"]').hidden = !o.staff;
    $('lib-move-box').hidden = !o.staff;
    $('lib-export').hidden = !o.staff;
    $('lib-import-label').hidden = !o.staff;
    $('lib-form').addEventListener('submit', (e) => { e.preventDefault(); libLoad(false); });
    $('lib-more').addEventListener('click', () => libLoad(true));
    $('lib-all').addEventListener('change', (e) => {
      for (const b of document.querySelectorAll('#lib-rows input[type="checkbox"]')) b.checked = e.target.checked;
      count();
    });
    $('lib-rows').addEventListener('change', count);
    $('lib-tag-add').addEventListener('click', () => batch((tag) => ({ add_tags: [tag] }), true));
    $('lib-tag-remove').addEventListener('click', () => batch((tag) => ({ remove_tags: [tag] }), true));
    $('lib-take').addEventListener('click', () => batch(() => ({ owner: o.me })));
    $('lib-move').addEventListener('click', () => batch(() => ({ owner: $('lib-owner').value.trim() || null })));
    $('lib-export').addEventListener('click', () => download('customers/export?' + libQuery().toString(), 'customers.csv'));
    $('lib-import').addEventListener('change', importCsv);
    $('rv-form').addEventListener('submit', (e) => { e.preventDefault(); rvLoad(false); });
    $('rv-more').addEventListener('click', () => rvLoad(true));
    $('rv-export').addEventListener('click', () => download('conversations/export?' + rvQuery().toString(), 'conversations.csv'));
    count();
  }

  // one of the three views; the customer pane goes along to the one shown
  function view(v) {
    for (const x of ['chats', 'library', 'review']) $('v-' + x).setAttribute('aria-pressed', String(x === v));
    document.querySelector('main.cols').hidden = v !== 'chats';
    $('library').hidden = v !== 'library';
    $('review').hidden = v !== 'review';
    const pane = $('cust');
    if (v === 'library') {
      $('lib-side').prepend(pane);
      if (!$('lib-rows').firstChild) libLoad(false);
    } else {
      document.querySelector('aside.queues:not(#lib-side)').prepend(pane);
      if (v === 'chats') o.pane();
      if (v === 'review' && !$('rv-rows').firstChild) rvLoad(false);
    }
  }

  /* ---- customers ---- */

  function libQuery() {
    const q = new URLSearchParams({ view: $('lib-view').value });
    const tag = $('lib-tag').value.trim();
    if (tag) q.set('tag', tag);
    return q;
  }

  async function libLoad(more) {
    const text = $('lib-q').value.trim();
    let r, list;
    if (text) {
      // a search (R6.4): its own cursor
      const q = new URLSearchParams({ q: text, in: 'customers', limit: '50' });
      if (more && libNext) q.set('before', libNext);
      r = await o.call('GET', 'search?' + q.toString());
      list = r.status === 200 ? r.data.customers : null;
      libNext = r.status === 200 ? r.data.next_customers : null;
    } else {
      const q = libQuery();
      q.set('limit', '50');
      if (more && libNext) q.set('before', libNext);
      r = await o.call('GET', 'customers?' + q.toString());
      list = r.status === 200 ? r.data.customers : null;
      libNext = r.status === 200 ? r.data.next : null;
    }
    if (!list) return msg('lib-msg', errMsg(r));
    if (!more) { $('lib-rows').replaceChildren(); $('lib-all').checked = false; }
    $('lib-rows').append(...list.map(row));
    $('lib-more').hidden = libNext == null;
    msg('lib-msg', $('lib-rows').children.length ? '' : t('lib.empty'));
    count();
  }

  function row(c) {
    return el('tr', { 'data-testid': 'lib-row', 'data-id': c.id },
      el('td', {}, el('input', { type: 'checkbox', 'aria-label': t('lib.select', { name: c.name || c.id }), value: c.id })),
      el('td', {}, el('button', { type: 'button', class: 'link', 'data-testid': 'lib-open', text: c.name || c.id,
        onclick: () => o.show(c.id) })),
      el('td', { text: c.phone }), el('td', { text: c.email }), el('td', { text: c.company }),
      el('td', { text: c.owner || '' }), el('td', { text: (c.tags || []).join(', ') }),
      el('td', { text: when(c.added) }));
  }

  const picked = () => [...document.querySelectorAll('#lib-rows input[type="checkbox"]:checked')].map((b) => b.value);
  function count() { $('lib-count').textContent = t('lib.selected', { n: num(picked().length) }); }

  async function batch(make, needTag) {
    const ids = picked(), tag = $('lib-batch-tag').value.trim();
    if (!ids.length) return msg('lib-msg', t('lib.select_first'));
    if (needTag && !tag) return msg('lib-msg', t('lib.tag_first'));
    const r = await o.call('POST', 'customers/batch', { customers: ids, ...make(tag) });
    if (r.status !== 200) return msg('lib-msg', errMsg(r));
    const f = r.data.failed;
    await libLoad(false);
    const changed = t('lib.changed', { n: num(r.data.updated) });
    msg('lib-msg', f.length ? t('lib.not_changed', { text: changed,
      list: f.map((x) => t('fmt.pair', { a: x.customer, b: errText(x.code, x.message) })).join(', ') }) : changed);
  }

  async function importCsv(e) {
    const file = e.target.files[0];
    if (!file) return;
    msg('lib-msg', t('lib.importing'));
    const r = await o.call('POST', 'customers/import', { csv: await file.text() });
    e.target.value = '';
    if (r.status !== 200) return msg('lib-msg', errMsg(r));
    const d = r.data;
    // each failed row's message is the server's (it names the field)
    msg('lib-msg', [t('lib.imported', { created: num(d.created), updated: num(d.updated), failed: num(d.failed) }),
      ...d.errors.slice(0, 5).map((x) => t('lib.import_row', { row: num(x.row), message: x.message }))].join(t('fmt.sep')));
    libLoad(false);
  }

  // a CSV answer saved as a file (the call needs the session's token)
  async function download(path, name) {
    const r = await fetch(csq.T + path, { headers: { Authorization: 'Bearer ' + o.token() } });
    if (!r.ok) return msg($('review').hidden ? 'lib-msg' : 'rv-msg', t('lib.export_failed', { status: r.status }));
    const a = el('a', { href: URL.createObjectURL(await r.blob()), download: name });
    document.body.append(a);
    a.click();
    a.remove();
  }

  /* ---- review (supervisors) ---- */

  function rvQuery() {
    const q = new URLSearchParams();
    const day = (id, end) => {
      const v = $(id).value;
      return v ? new Date(v + 'T00:00').getTime() + (end ? 86400000 : 0) : null;
    };
    const from = day('rv-from'), to = day('rv-to', true);
    if (from) q.set('from', from);
    if (to) q.set('to', to);
    for (const f of ['agent', 'queue', 'channel', 'state', 'reason', 'customer']) {
      const v = $('rv-' + f).value.trim();
      if (v) q.set(f, v);
    }
    return q;
  }

  async function rvLoad(more) {
    const q = rvQuery();
    q.set('limit', '50');
    if (more && rvNext) q.set('before', rvNext);
    const r = await o.call('GET', 'conversations?' + q.toString());
    if (r.status !== 200) return msg('rv-msg', errMsg(r));
    if (!more) $('rv-rows').replaceChildren();
    $('rv-rows').append(...r.data.conversations.map((c) => el('tr', { 'data-testid': 'rv-row', 'data-id': c.id },
      el('td', {}, el('button', { type: 'button', class: 'link', 'data-testid': 'rv-open', text: c.id,
        onclick: () => csqCustomer.transcript(c) })),
      el('td', { text: when(c.created) }), el('td', { text: c.customer_name || c.customer }),
      el('td', { text: c.channel }), el('td', { text: c.queue }), el('td', { text: c.agents.join(', ') }),
      el('td', { text: o.stateName(c.state) }), el('td', { text: c.end_reason ? o.reasonName(c.end_reason) : '' }),
      el('td', { text: num(c.messages) }))));
    rvNext = r.data.next;
    $('rv-more').hidden = rvNext == null;
    msg('rv-msg', $('rv-rows').children.length ? '' : t('rv.empty'));
  }

  function msg(id, text) { $(id).textContent = text || ''; }

  return { init };
})();
