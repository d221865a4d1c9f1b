/* csq: attachments and emoji in the chat page and the workbench (R5.6).
 *
 * A file chosen, pasted or dropped on the composer is posted as the body
 * of POST conversations/<id>/attachments (the server says whether it is an
 * image: only a PNG, JPEG, GIF or WebP its bytes prove), then sent as a
 * message of kind image or file naming the attachment.  Attachments are
 * read back with the page's token (GET attachments/<id>) and shown from a
 * blob: the token never goes into a URL, and an image loads nothing from
 * another site.  Images are fetched when shown, files when clicked.
 *
 * csqAttach.composer(opts) wires a composer: opts.form, opts.input (the
 * textarea), opts.token() and opts.conversation() (null: none open),
 * opts.send(kind, upload) sends the message, opts.error(text) shows a
 * problem.  csqAttach.show(m, token) is what Thread renders for a message
 * with an attachment.
 */
'use strict';

window.csqAttach = (() => {
  const { el, t, T, errMsg } = csq;
  const MAX = 5 * 1024 * 1024;      // csq_attachment_max_size's default
  const blobs = new Map();          // attachment id -> Promise of a blob URL

  // a few of the emoji people use most in help-desk chats
  const EMOJI = ['😀', '😂', '🙂', '😉', '😊', '😍', '🤔', '😅', '😢', '😭',
    '😡', '😮', '👍', '👎', '👏', '🙏', '👌', '💪', '🎉', '❤️',
    '✅', '❌', '⚠️', '❓', '⏰', '📦', '🚚', '💳', '📞', '📧'];

  function fetchBlob(id, token) {
    if (!blobs.has(id)) {
      blobs.set(id, (async () => {
        const r = await fetch(T + 'attachments/' + encodeURIComponent(id), {
          headers: token ? { Authorization: 'Bearer ' + token } : {},
          credentials: 'same-origin',
        });
        if (!r.ok) throw new Error(String(r.status));
        return URL.createObjectURL(await r.blob());
      })());
      blobs.get(id).catch(() => blobs.delete(id));
    }
    return blobs.get(id);
  }

  // the body of a message with an attachment
  function show(m, token) {
    const name = m.name || (m.kind === 'image' ? t('msg.image') : t('msg.file'));
    if (m.kind === 'image') {
      const img = el('img', { alt: name, class: 'att-img', 'data-testid': 'att-img' });
      const a = el('a', { href: '#', class: 'att', title: name }, img);
      fetchBlob(m.attachment, token).then((u) => { img.src = u; a.href = u; a.target = '_blank'; },
        () => a.replaceWith(el('span', { class: 'att-gone', text: t('att.unavailable', { name }) })));
      return a;
    }
    const a = el('a', { href: '#', class: 'att file', download: name, 'data-testid': 'att-file', text: name });
    a.addEventListener('click', async (e) => {
      if (a.dataset.ready) return;
      e.preventDefault();
      try {
        a.href = await fetchBlob(m.attachment, token);
        a.dataset.ready = '1';
        a.click();
      } catch {
        a.after(el('span', { class: 'att-gone', text: ' ' + t('att.unavailable', { name }) }));
      }
    });
    return el('span', {}, a, m.size != null ? ' (' + csq.fmtSize(m.size) + ')' : '');
  }

  async function upload(file, token, conversation) {
    const r = await fetch(T + 'conversations/' + encodeURIComponent(conversation)
      + '/attachments?name=' + encodeURIComponent(file.name || 'file'), {
      method: 'POST', body: file, credentials: 'same-origin',
      headers: Object.assign({ 'Content-Type': file.type || 'application/octet-stream' },
        token ? { Authorization: 'Bearer ' + token } : {}),
    }).catch(() => null);
    let data = null;
    try { data = r && await r.json(); } catch { /* no body */ }
    return { status: r ? r.status : 0, data };
  }

  function composer(o) {
    const input = el('input', { type: 'file', hidden: true, 'data-testid': 'att-input' });
    const attach = el('button', { type: 'button', class: 'icon att-btn', 'data-testid': 'att-button',
      'aria-label': t('att.attach'), title: t('att.attach'), onclick: () => input.click() }, clip());
    const panel = el('div', { class: 'emoji-panel', role: 'dialog', 'aria-label': t('att.emoji'), hidden: true,
      'data-testid': 'emoji-panel' }, ...EMOJI.map((e) => el('button', {
      type: 'button', class: 'emoji', text: e, 'aria-label': e,
      onclick: () => { insert(o.input, e); panel.hidden = true; o.input.focus(); } })));
    const emoji = el('button', { type: 'button', class: 'icon emoji-btn', 'data-testid': 'emoji-button',
      'aria-label': t('att.emoji'), title: t('att.emoji'), 'aria-expanded': 'false', text: '😊',
      onclick: () => { panel.hidden = !panel.hidden; emoji.setAttribute('aria-expanded', String(!panel.hidden)); } });
    panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') { panel.hidden = true; emoji.focus(); } });
    const tools = el('div', { class: 'att-tools' }, attach, emoji, input, panel);
    o.input.before(tools);

    async function send(files) {
      for (const f of files) {
        const cid = o.conversation();
        if (!cid) return;
        if (f.size > MAX) { o.error(t('att.too_big', { name: f.name, max: csq.fmtSize(MAX) })); continue; }
        if (f.size === 0) { o.error(t('att.empty', { name: f.name })); continue; }
        attach.disabled = true;
        const r = await upload(f, o.token(), cid);
        attach.disabled = false;
        if (r.status === 201 && r.data) o.send(r.data.image ? 'image' : 'file', r.data);
        else o.error(t('att.failed', { name: f.name, why: errMsg(r) }));
      }
    }
    input.addEventListener('change', () => { send([...input.files]); input.value = ''; });
    o.input.addEventListener('paste', (e) => {
      const files = [...((e.clipboardData && e.clipboardData.files) || [])];
      if (files.length) { e.preventDefault(); send(files); }
    });
    o.form.addEventListener('dragover', (e) => { if (e.dataTransfer && [...e.dataTransfer.types].some((x) => /^files$/i.test(x))) e.preventDefault(); });
    o.form.addEventListener('drop', (e) => {
      const files = [...((e.dataTransfer && e.dataTransfer.files) || [])];
      if (files.length) { e.preventDefault(); send(files); }
    });
    return { enable(on) { attach.disabled = emoji.disabled = !on; } };
  }

  // a paper clip, drawn (an emoji font may be missing)
  function clip() {
    const NS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '18');
    svg.setAttribute('height', '18');
    svg.setAttribute('aria-hidden', 'true');
    const p = document.createElementNS(NS, 'path');
    p.setAttribute('d', 'M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5');
    p.setAttribute('fill', 'none');
    p.setAttribute('stroke', 'currentColor');
    p.setAttribute('stroke-width', '1.6');
    p.setAttribute('stroke-linecap', 'round');
    svg.append(p);
    return svg;
  }

  // text at the caret, as if typed
  function insert(ta, s) {
    const a = ta.selectionStart ?? ta.value.length, b = ta.selectionEnd ?? a;
    ta.value = ta.value.slice(0, a) + s + ta.value.slice(b);
    ta.selectionStart = ta.selectionEnd = a + s.length;
    ta.dispatchEvent(new Event('input', { bubbles: true }));
  }

  return { composer, show, fetchBlob };
})();
