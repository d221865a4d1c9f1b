/* csq workbench: managing the quick replies and the knowledge base
 * (#13 §2, R4.8, R4.10, seeds 001 and 004).  The header's button opens a
 * dialog with two parts:
 *   - quick replies, the team's and the agent's own ("Team" / "Mine"),
 *     grouped by category in their order: add, edit (category, title, the
 *     text with {customer_name} and {agent_name}), delete after a
 *     confirmation, move up or down (the buttons; dragging within a
 *     category does the same), export and import CSV.  Every agent keeps
 *     its own; the team's are a supervisor's or an admin's (an agent reads
 *     and exports them: the controls it may not use are not shown, and the
 *     server refuses them anyway);
 *   - articles: a search and a category filter; supervisors and admins
 *     add, edit (title, category, the text, external or internal) and
 *     delete them, agents read them.
 * A move sets the reply's `position`: it takes the place of the reply it
 * passes (1 first, the scope's whole order).  workbench.js calls
 * csqManage.init() once. */
'use strict';

window.csqManage = (() => {
  const { el, errMsg, errCode, t } = csq;
  const enc = encodeURIComponent;
  const $ = (id) => document.getElementById(id);
  const num = csq.fmtNum;
  let o = null;            // { call, me, staff, token }
  let section = 'qr';      // 'qr' | 'kb'
  let scope = 'mine';      // 'team' | 'mine'
  const replies = { team: [], mine: [] };
  let editing = null;      // the reply or article in the form (null: a new one)
  let back = null;         // where the focus goes when the form closes
  let drag = null;         // the reply being dragged: { r, cat }
  let kbSeq = 0;
  const kbCats = new Set();

  function init(opts) {
    o = opts;
    scope = o.staff ? 'team' : 'mine';
    $('mg-open').addEventListener('click', open);
    $('mg-close').addEventListener('click', () => $('mg-dialog').close());
    $('mg-dialog').addEventListener('close', () => { closeForm(false); $('mg-open').focus(); });
    // Escape in an open form closes the form, not the dialog
    $('mg-dialog').addEventListener('cancel', (e) => {
      if ($('mg-qr-form').hidden && $('mg-kb-form').hidden) return;
      e.preventDefault();
      closeForm(true);
    });
    $('mg-s-qr').addEventListener('click', () => show('qr'));
    $('mg-s-kb').addEventListener('click', () => show('kb'));
    $('mg-team').addEventListener('click', () => pickScope('team'));
    $('mg-mine').addEventListener('click', () => pickScope('mine'));
    $('mg-qr-add').addEventListener('click', (e) => qrEdit(null, e.currentTarget));
    $('mg-qr-form').addEventListener('submit', (e) => { e.preventDefault(); qrSave(); });
    $('mg-qr-cancel').addEventListener('click', () => closeForm(true));
    $('mg-qr-export').addEventListener('click', qrExport);
    $('mg-qr-import').addEventListener('change', qrImport);
    $('mg-kb-filters').addEventListener('submit', (e) => { e.preventDefault(); kbLoad(); });
    $('mg-kb-q').addEventListener('input', () => kbLoad());
    $('mg-kb-cat').addEventListener('change', () => kbLoad());
    $('mg-kb-add').addEventListener('click', (e) => kbEdit(null, e.currentTarget));
    $('mg-kb-form').addEventListener('submit', (e) => { e.preventDefault(); kbSave(); });
    $('mg-kb-cancel').addEventListener('click', () => closeForm(true));
    $('mg-kb-add').hidden = !o.staff;
    $('mg-kb-readonly').hidden = o.staff;
  }

  function open() {
    $('mg-dialog').showModal();
    show(section);
  }

  // one of the two parts of the dialog
  function show(s) {
    closeForm(false);
    section = s;
    for (const x of ['qr', 'kb']) {
      $('mg-s-' + x).setAttribute('aria-pressed', String(x === s));
      $('mg-' + x).hidden = x !== s;
    }
    if (s === 'qr') pickScope(scope);
    else kbLoad();
  }

  function msg(id, text) { $(id).textContent = text || ''; }

  // an error of a form: invalid_field names the field by its label
  function formError(id, r, labels) {
    const m = /^"([^"]+)"/.exec(((r.data && r.data.error) || {}).message || '');
    const text = errCode(r) === 'invalid_field' && m && labels[m[1]]
      ? t('err.invalid_field', { field: $(labels[m[1]]).textContent }) : errMsg(r);
    showError(id, text);
  }
  function showError(id, text) {
    $(id).textContent = text || '';
    $(id).hidden = !text;
  }

  // the form of a reply or an article: beside the list, the focus in it
  function openForm(form, heading, first, from) {
    closeForm(false);
    back = from;
    const item = from && from.closest('.mg-item');
    if (item) item.classList.add('current');
    $(form).hidden = false;
    $(form).closest('.mg-body').classList.add('editing');
    $(form + '-title').textContent = heading;
    $(first).focus();
  }

  // closing it gives the focus back to the button that opened it
  function closeForm(refocus) {
    for (const f of ['mg-qr-form', 'mg-kb-form']) {
      $(f).hidden = true;
      $(f).closest('.mg-body').classList.remove('editing');
    }
    for (const x of $('mg-dialog').querySelectorAll('.mg-item.current')) x.classList.remove('current');
    showError('mg-qr-error', '');
    showError('mg-kb-error', '');
    editing = null;
    if (refocus && back && back.isConnected) back.focus();
    back = null;
  }

  // a unique enough id for a new reply or article (the API's id letters)
  const newId = (p) => p + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);

  /* ---- quick replies (R4.8) ---- */

  const canEdit = (s) => s === 'mine' || o.staff;

  async function pickScope(s) {
    scope = s;
    for (const x of ['team', 'mine']) $('mg-' + x).setAttribute('aria-pressed', String(x === s));
    const can = canEdit(s);
    $('mg-qr-add').hidden = !can;
    $('mg-qr-import-label').hidden = !can;
    $('mg-qr-csv').hidden = !can;
    $('mg-qr-readonly').hidden = can;
    $('mg-qr-dnd').hidden = !can;
    $('mg-qr-list').dataset.scope = s;
    closeForm(false);
    msg('mg-qr-msg', '');
    await qrLoad();
  }

  async function qrLoad() {
    const s = scope;
    const r = await o.call('GET', 'quick-replies?scope=' + s);
    if (s !== scope) return;
    if (r.status !== 200) return msg('mg-qr-msg', errMsg(r));
    replies[s] = r.data[s] || [];
    qrDraw();
  }

  // the scope's replies grouped by category, the categories in the order
  // of their first reply
  function qrDraw() {
    const list = replies[scope], can = canEdit(scope);
    const groups = new Map();
    list.forEach((r, i) => {
      const c = r.category || '';
      if (!groups.has(c)) groups.set(c, []);
      groups.get(c).push({ r, i });
    });
    $('mg-qr-cats').replaceChildren(...[...groups.keys()].filter(Boolean).map((c) => el('option', { value: c })));
    $('mg-qr-list').replaceChildren(...[...groups].map(([cat, items]) => el('section', {
      class: 'mg-cat', 'data-testid': 'mg-qr-cat', 'data-category': cat,
    },
    el('h3', { text: t('fmt.pair', { a: cat || t('mg.no_category'), b: num(items.length) }) }),
    el('ul', { class: 'plain mg-items' }, ...items.map((x, j) => qrItem(x.r, x.i, items, j, cat, can))))));
    if (!list.length) $('mg-qr-list').append(el('p', { class: 'note', text: t('mg.qr_empty') }));
  }

  function qrItem(r, i, items, j, cat, can) {
    const title = r.title || t('mg.no_title');
    const btn = (testid, text, label, fn, disabled) => el('button', { type: 'button', class: 'small', 'data-testid': testid,
      'data-id': r.id, 'aria-label': label, title: label, text, disabled, onclick: fn });
    const li = el('li', { class: 'mg-item', 'data-testid': 'mg-qr-item', 'data-id': r.id, draggable: can ? 'true' : null },
      el('div', { class: 'mg-text' },
        el('strong', { class: 'mg-title', text: title }),
        el('span', { class: 'sub', text: r.text })),
      can ? el('div', { class: 'mg-actions' },
        btn('mg-qr-up', '\u2191', t('mg.up', { title }), () => qrMove(r, items[j - 1].i, 'mg-qr-up'), j === 0),
        btn('mg-qr-down', '\u2193', t('mg.down', { title }), () => qrMove(r, items[j + 1].i, 'mg-qr-down'), j === items.length - 1),
        btn('mg-qr-edit', t('mg.edit'), t('mg.edit_aria', { title }), (e) => qrEdit(r, e.currentTarget)),
        btn('mg-qr-del', t('mg.delete'), t('mg.delete_aria', { title }), () => qrDelete(r, title))) : null);
    if (can) dragging(li, r, i, cat);
    return li;
  }

  // drag and drop within a category: the reply dropped takes the place of
  // the one it is dropped on (the buttons are the keyboard's way)
  function dragging(li, r, i, cat) {
    const mark = (on) => {
      const from = drag && replies[scope].indexOf(drag.r);
      li.classList.toggle('drop-before', on && from > i);
      li.classList.toggle('drop-after', on && from < i);
    };
    li.addEventListener('dragstart', (e) => {
      drag = { r, cat };
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', r.id);
      li.classList.add('dragging');
    });
    li.addEventListener('dragend', () => { drag = null; li.classList.remove('dragging'); });
    li.addEventListener('dragover', (e) => {
      if (!drag || drag.cat !== cat || drag.r === r) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'move';
      mark(true);
    });
    li.addEventListener('dragleave', () => mark(false));
    li.addEventListener('drop', (e) => {
      e.preventDefault();
      mark(false);
      if (drag && drag.cat === cat && drag.r !== r) qrMove(drag.r, i, 'mg-qr-edit');
    });
  }

  // a reply takes the place (index in the scope's order) of another
  async function qrMove(r, at, focus) {
    const s = scope;
    const res = await o.call('PUT', 'quick-replies/' + s + '/' + enc(r.id),
      { category: r.category, title: r.title, text: r.text, position: at + 1 });
    if (res.status !== 200) return msg('mg-qr-msg', errMsg(res));
    msg('mg-qr-msg', t('mg.moved', { title: r.title || t('mg.no_title') }));
    await qrLoad();
    // the focus stays on the reply moved (the other arrow at an end)
    const sel = (x) => `#mg-qr-list [data-testid="${x}"][data-id="${CSS.escape(r.id)}"]`;
    const b = document.querySelector(sel(focus));
    (b && !b.disabled ? b : document.querySelector(sel('mg-qr-edit'))).focus();
  }

  function qrEdit(r, from) {
    openForm('mg-qr-form', r ? t('mg.qr_edit_title') : t('mg.qr_add'), 'mg-qr-category', from);
    editing = r;
    $('mg-qr-category').value = r ? r.category : (replies[scope].length ? replies[scope][replies[scope].length - 1].category : '');
    $('mg-qr-title').value = r ? r.title : '';
    $('mg-qr-text').value = r ? r.text : '';
  }

  async function qrSave() {
    const body = { category: $('mg-qr-category').value.trim(), title: $('mg-qr-title').value.trim(),
      text: $('mg-qr-text').value };
    if (!body.text.trim()) {
      showError('mg-qr-error', t('mg.text_required'));
      return $('mg-qr-text').focus();
    }
    const s = scope, id = editing ? editing.id : newId('q');
    const r = await o.call('PUT', 'quick-replies/' + s + '/' + enc(id), body);
    if (r.status !== 200) {
      return formError('mg-qr-error', r, { category: 'mg-qr-category-l', title: 'mg-qr-title-l', text: 'mg-qr-text-l' });
    }
    closeForm(false);
    msg('mg-qr-msg', t('mg.saved', { title: body.title || t('mg.no_title') }));
    await qrLoad();
    const b = document.querySelector(`#mg-qr-list [data-testid="mg-qr-edit"][data-id="${CSS.escape(id)}"]`);
    (b || $('mg-qr-add')).focus();
  }

  async function qrDelete(r, title) {
    if (!await confirmed(t('mg.confirm_qr', { title }))) return;
    const s = scope;
    const res = await o.call('DELETE', 'quick-replies/' + s + '/' + enc(r.id));
    if (res.status !== 200) return msg('mg-qr-msg', errMsg(res));
    msg('mg-qr-msg', t('mg.deleted', { title }));
    await qrLoad();
    focusFirst('mg-qr-list', 'mg-qr-add');
  }

  // CSV of the scope shown, saved as a file (seed 004)
  async function qrExport() {
    const s = scope;
    const r = await fetch(csq.T + 'quick-replies/export?scope=' + s, { headers: { Authorization: 'Bearer ' + o.token() } });
    if (!r.ok) return msg('mg-qr-msg', t('lib.export_failed', { status: r.status }));
    const a = el('a', { href: URL.createObjectURL(await r.blob()), download: 'quick-replies-' + s + '.csv' });
    document.body.append(a);
    a.click();
    a.remove();
  }

  // a CSV file's rows added at the end of the scope shown
  async function qrImport(e) {
    const file = e.target.files[0];
    if (!file) return;
    msg('mg-qr-msg', t('lib.importing'));
    const r = await o.call('POST', 'quick-replies/import', { scope, csv: await file.text() });
    e.target.value = '';
    if (r.status !== 200) return msg('mg-qr-msg', errMsg(r));
    const d = r.data;
    await qrLoad();
    // each failed row's message is the server's (it names the field)
    msg('mg-qr-msg', [t('mg.imported', { n: num(d.added) }),
      ...d.errors.slice(0, 5).map((x) => t('lib.import_row', { row: num(x.row), message: x.message }))].join(t('fmt.sep')));
  }

  /* ---- the knowledge base (R4.10) ---- */

  async function kbLoad() {
    const n = ++kbSeq;
    const q = $('mg-kb-q').value.trim(), cat = $('mg-kb-cat').value;
    const r = await o.call('GET', 'kb?q=' + enc(q) + '&category=' + enc(cat));
    if (n !== kbSeq) return;
    if (r.status !== 200) return msg('mg-kb-msg', errMsg(r));
    const list = r.data.articles;
    // the category filter offers every category seen
    if (!q && !cat) kbCats.clear();
    for (const a of list) if (a.category) kbCats.add(a.category);
    const cats = [...kbCats].sort((a, b) => a.localeCompare(b, csq.lang));
    $('mg-kb-cat').replaceChildren(el('option', { value: '', text: t('mg.kb_all') }),
      ...cats.map((c) => el('option', { value: c, text: c, selected: c === cat })));
    $('mg-kb-cats').replaceChildren(...cats.map((c) => el('option', { value: c })));
    $('mg-kb-list').replaceChildren(...list.map(kbItem));
    msg('mg-kb-msg', !list.length ? t('mg.kb_empty') : list.length >= 100 ? t('mg.kb_more') : '');
  }

  function kbItem(a) {
    const excerpt = el('span', { class: 'mg-excerpt', text: a.excerpt });
    const body = el('div', { class: 'mg-full', id: 'mg-kb-full-' + a.id, 'data-testid': 'mg-kb-full', hidden: true });
    const read = el('button', { type: 'button', class: 'small', 'data-testid': 'mg-kb-read', 'data-id': a.id,
      'aria-expanded': 'false', 'aria-controls': body.id, text: t('mg.read'), onclick: () => kbRead(a, read, excerpt, body) });
    return el('li', { class: 'mg-item', 'data-testid': 'mg-kb-item', 'data-id': a.id },
      el('div', { class: 'mg-text' },
        el('strong', { class: 'mg-title', text: a.title }),
        el('span', { class: 'sub' },
          el('span', { class: a.external ? 'mg-badge ext' : 'mg-badge', 'data-testid': 'mg-kb-kind',
            text: a.external ? t('mg.external') : t('mg.internal') }),
          ' ', a.category || t('mg.no_category'), ' \u00b7 ', t('mg.updated', { when: csq.fmtDate(a.updated) })),
        excerpt, body),
      el('div', { class: 'mg-actions' }, read,
        o.staff ? el('button', { type: 'button', class: 'small', 'data-testid': 'mg-kb-edit', 'data-id': a.id,
          'aria-label': t('mg.edit_aria', { title: a.title }), text: t('mg.edit'), onclick: (e) => kbEdit(a, e.currentTarget) }) : null,
        o.staff ? el('button', { type: 'button', class: 'small', 'data-testid': 'mg-kb-del', 'data-id': a.id,
          'aria-label': t('mg.delete_aria', { title: a.title }), text: t('mg.delete'), onclick: () => kbDelete(a) }) : null));
  }

  // the whole text, under the excerpt
  async function kbRead(a, btn, excerpt, box) {
    const on = btn.getAttribute('aria-expanded') !== 'true';
    if (on && !box.textContent) {
      const r = await o.call('GET', 'kb/' + enc(a.id));
      if (r.status !== 200) return msg('mg-kb-msg', errMsg(r));
      box.textContent = r.data.body;
    }
    box.hidden = !on;
    excerpt.hidden = on;
    btn.setAttribute('aria-expanded', String(on));
    btn.textContent = on ? t('mg.read_less') : t('mg.read');
  }

  async function kbEdit(a, from) {
    let full = null;
    if (a) {
      const r = await o.call('GET', 'kb/' + enc(a.id));
      if (r.status !== 200) return msg('mg-kb-msg', errMsg(r));
      full = r.data;
    }
    openForm('mg-kb-form', a ? t('mg.kb_edit_title') : t('mg.kb_add'), 'mg-kb-title', from);
    editing = full;
    $('mg-kb-title').value = full ? full.title : '';
    $('mg-kb-category').value = full ? full.category : $('mg-kb-cat').value;
    $('mg-kb-body').value = full ? full.body : '';
    $('mg-kb-external').checked = !!(full && full.external);
  }

  async function kbSave() {
    const body = { title: $('mg-kb-title').value.trim(), category: $('mg-kb-category').value.trim(),
      body: $('mg-kb-body').value, external: $('mg-kb-external').checked };
    if (!body.title) {
      showError('mg-kb-error', t('mg.title_required'));
      return $('mg-kb-title').focus();
    }
    if (!body.body.trim()) {
      showError('mg-kb-error', t('mg.text_required'));
      return $('mg-kb-body').focus();
    }
    const id = editing ? editing.id : newId('a');
    const r = await o.call('PUT', 'kb/' + enc(id), body);
    if (r.status !== 200 && r.status !== 201) {
      return formError('mg-kb-error', r, { title: 'mg-kb-title-l', category: 'mg-kb-category-l', body: 'mg-kb-body-l' });
    }
    closeForm(false);
    await kbLoad();
    msg('mg-kb-msg', t('mg.saved', { title: body.title }));
    const b = document.querySelector(`#mg-kb-list [data-testid="mg-kb-edit"][data-id="${CSS.escape(id)}"]`);
    (b || $('mg-kb-add')).focus();
  }

  async function kbDelete(a) {
    if (!await confirmed(t('mg.confirm_kb', { title: a.title }))) return;
    const r = await o.call('DELETE', 'kb/' + enc(a.id));
    if (r.status !== 200) return msg('mg-kb-msg', errMsg(r));
    await kbLoad();
    msg('mg-kb-msg', t('mg.deleted', { title: a.title }));
    focusFirst('mg-kb-list', 'mg-kb-add');
  }

  /* ---- helpers ---- */

  // a deletion asks first (its own dialog: Cancel has the focus)
  function confirmed(text) {
    const d = $('mg-confirm');
    $('mg-confirm-text').textContent = text;
    d.returnValue = '';
    return new Promise((resolve) => {
      d.addEventListener('close', () => resolve(d.returnValue === 'yes'), { once: true });
      d.showModal();
      $('mg-confirm-no').focus();
    });
  }

  function focusFirst(list, fallback) {
    const b = $(list).querySelector('.mg-actions button:not([disabled])');
    (b || $(fallback)).focus();
  }

  return { init };
})();
