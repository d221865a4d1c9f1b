/* csq: helpers of the chat page and the workbench; all data goes in as
 * text.  Every string shown comes from the catalog (i18n.js, loaded
 * first): csq.t(key, vars); the page's language is chosen here. */
'use strict';

const csq = (() => {
  // pages are at <P>tenants/<t>/<page>: P and the tenant come from the path
  const m = /^(.*\/)tenants\/([^/]+)\/[^/]*$/.exec(location.pathname) || [];
  const P = m[1] || '/';
  const tenant = m[2] ? decodeURIComponent(m[2]) : '';
  const T = P + 'tenants/' + encodeURIComponent(tenant) + '/';

  const NEW = { target: '_blank', rel: 'noopener noreferrer' };
  const I = window.csqI18n;
  const t = I.t;

  // el('a', {href, text, class, onclick, 'data-testid'}, ...children)
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of kids) if (c != null && c !== false) e.append(c);
    return e;
  }

  // only http(s) addresses ever go into href or src
  function safeUrl(u) {
    try {
      const x = new URL(u, location.href);
      return x.protocol === 'https:' || x.protocol === 'http:' ? x.href : null;
    } catch { return null; }
  }

  // web storage, in memory where the browser refuses it (third-party iframe)
  function storage(kind) {
    const mem = {};
    const s = () => { try { return window[kind]; } catch { return null; } };
    return {
      get(k) { try { return s().getItem(k); } catch { return k in mem ? mem[k] : null; } },
      set(k, v) { mem[k] = String(v); try { s().setItem(k, v); } catch { /* memory */ } },
      del(k) { delete mem[k]; try { s().removeItem(k); } catch { /* memory */ } },
      json(k) { try { return JSON.parse(this.get(k)); } catch { return null; } },
    };
  }

  /* ---- the page's language (R10.1) ---- */

  // ?lang= in the URL; else the switcher's choice in this browser
  // (csq:lang); else the tenant's lang as last seen (csq:<t>:lang, from
  // the entry's answer or the workbench's hello); else the browser's
  const ls = storage('localStorage');
  const CHOICE = 'csq:lang', TLANG = 'csq:' + tenant + ':lang';
  // does what is kept outlive the page? (a reload must find it: with the
  // browser's storage refused, the page never reloads for its language)
  const langLasts = (() => {
    try { localStorage.setItem('csq:probe', '1'); localStorage.removeItem('csq:probe'); return true; } catch { return false; }
  })();
  const langChoice = () => ls.get(CHOICE) || '';
  const langWanted = () => I.pick(new URLSearchParams(location.search).get('lang'), ls.get(CHOICE), ls.get(TLANG));

  // the page in language l: its data-i18n texts and <html lang>
  function setLang(l) {
    I.use(l);
    I.apply(document);
  }
  setLang(langWanted());

  // the tenant's lang ('' none) as the server says it: kept for the next
  // load; returns the language the page should now show (a page compares
  // it with csq.lang and redraws or reloads)
  function tenantLang(l) {
    if (typeof l === 'string') ls.set(TLANG, l);
    return langWanted();
  }
  // the switcher's choice ('' automatic): kept, then the page reloads in it
  function chooseLang(l) {
    if (I.norm(l)) ls.set(CHOICE, I.norm(l)); else ls.del(CHOICE);
    const u = new URL(location.href);
    u.searchParams.delete('lang');
    location.replace(u.href);
  }

  // a JSON call below the tenant: {status, data}, status 0 if the network
  // failed; undefined fields are left out of the body
  async function api(method, path, body, token) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    try {
      const r = await fetch(T + path, {
        method, headers, credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      let data = null;
      try { data = await r.json(); } catch { /* no body */ }
      return { status: r.status, data };
    } catch {
      return { status: 0, data: null };
    }
  }
  const errOf = (r) => (r.data && r.data.error) || {};
  const errCode = (r) => errOf(r).code || (r.status ? 'http_' + r.status : 'network');
  // what a person reads for an error code (the catalog's err.<code>); the
  // server's own message only where it is the tenant's text (blacklisted)
  const TENANT_TEXT = { blacklisted: 1 };
  function errText(code, message) {
    if (TENANT_TEXT[code] && message) return message;
    if (code === 'invalid_field') {
      const f = /^"([^"]+)"/.exec(message || '');
      if (f) return t('err.invalid_field', { field: f[1] });
    }
    return code && I.has('err.' + code) ? t('err.' + code) : t('err.generic', { code: code || '?' });
  }
  const errMsg = (r) => errText(errCode(r), errOf(r).message);
  // an error frame's {code, message}
  const errFrame = (e) => errText(e && e.code, e && e.message);

  // ws(s)://host<T><path>?params (undefined params left out)
  function wsUrl(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v != null) q.set(k, v);
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + T + path + '?' + q;
  }

  // Log ids are Redis stream ids "<ms>-<seq>": compare as two numbers
  function cmpId(a, b) {
    if (!a || !b) return a ? 1 : b ? -1 : 0;
    const [am, as] = String(a).split('-').map(Number);
    const [bm, bs] = String(b).split('-').map(Number);
    return am - bm || (as || 0) - (bs || 0);
  }

  let seq = 0;
  const ref = (p) => p + Date.now().toString(36) + '-' + (seq++).toString(36);

  // in the page's language (i18n.js)
  const fmtSize = I.size, fmtTime = I.time, fmtDate = I.dateTime, fmtNum = I.num;

  // a day (local time) as "2026-12-2"; its words: Today, Yesterday, else
  // the date in the page's language (the year when not this one's)
  const dayKey = (ms) => {
    const d = new Date(ms);
    return isNaN(d) ? '' : d.getFullYear() + '-' + (d.getMonth() + 1) + '-' + d.getDate();
  };
  function fmtDay(key) {
    const [y, mo, d] = key.split('-').map(Number), now = new Date();
    if (key === dayKey(now)) return t('day.today');
    if (key === dayKey(new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1))) return t('day.yesterday');
    return new Date(y, mo - 1, d).toLocaleDateString(I.lang, { weekday: 'long', month: 'long', day: 'numeric',
      year: y === now.getFullYear() ? undefined : 'numeric' });
  }
  // the separator of a day in a thread (made, or its words brought up to
  // date: "Today" is "Yesterday" after midnight)
  function daySep(key, sep) {
    const text = fmtDay(key);
    if (!sep) {
      return el('div', { class: 'day-sep', role: 'separator', 'aria-label': text, 'data-testid': 'day-sep', 'data-day': key },
        el('span', { text }));
    }
    if (sep.textContent !== text) {
      sep.setAttribute('aria-label', text);
      sep.firstChild.textContent = text;
    }
    return sep;
  }

  // text with its http(s) links made clickable
  function linkify(parent, text) {
    let i = 0;
    for (const mm of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
      parent.append(text.slice(i, mm.index));
      const u = safeUrl(mm[0]);
      parent.append(u ? el('a', { href: u, ...NEW, text: mm[0] }) : mm[0]);
      i = mm.index + mm[0].length;
    }
    parent.append(text.slice(i));
  }

  // A WebSocket that comes back by itself after a drop: 0.5 s doubling to
  // 10 s (with a little jitter); the page calls ok() when the server's hello
  // arrives, which resets the delay.  on.close(event) returning false stops.
  class Sock {
    constructor(url, on) { this.url = url; this.on = on; this.tries = 0; this.ws = null; }
    start() {
      clearTimeout(this.timer);
      this.stopped = false;
      let ws;
      try { ws = this.ws = new WebSocket(this.url()); } catch { this.retry(); return; }
      ws.onmessage = (e) => {
        let f;
        try { f = JSON.parse(e.data); } catch { return; }
        if (f && typeof f.type === 'string') this.on.frame(f);
      };
      ws.onclose = (e) => {
        if (this.ws !== ws) return;
        this.ws = null;
        if (!this.stopped && (!this.on.close || this.on.close(e) !== false)) this.retry();
      };
    }
    retry() {
      const d = Math.min(10000, 500 * 2 ** this.tries++ * (0.85 + Math.random() * 0.3));
      this.timer = setTimeout(() => this.start(), d);
    }
    now() { if (!this.ws && !this.stopped) this.start(); }  // e.g. back online
    ok() { this.tries = 0; }
    get open() { return !!this.ws && this.ws.readyState === 1; }
    send(o) { return this.open && (this.ws.send(JSON.stringify(o)), true); }
    stop() {
      this.stopped = true;
      clearTimeout(this.timer);
      if (this.ws) this.ws.close(1000);
    }
  }

  // One conversation's messages in a box, in log id order, each id once.
  // Own messages show at once as pending under their ref, get their id from
  // the ack and are replaced by their message frame (it carries the ref).
  // o.mine(m): right side?  o.system(m): a system entry's text;
  // o.action(text): interaction button; o.scroller(): what scrolls (null:
  // hidden; default the box)
  class Thread {
    constructor(box, o) {
      this.box = box; this.o = o; this.byId = new Map(); this.byRef = new Map(); this.lastId = null; this.readTo = null;
    }
    // adds a log entry; returns its element, or null when already there
    add(m) {
      const had = this.byId.get(m.id);
      if (!m.id || (had && !had.classList.contains('local'))) return null;
      const e = this.render(m);
      const pend = had || (m.ref && this.byRef.get(m.ref));
      if (pend) {
        this.byRef.delete(m.ref);
        pend.remove();
      }
      if (e.classList.contains('out')) this.state(e, cmpId(m.id, this.readTo) <= 0 ? 'read' : 'sent');
      this.byId.set(m.id, e);
      if (cmpId(m.id, this.lastId) > 0) this.lastId = m.id;
      this.put(e, m.id);
      return e;
    }
    // inserts in id order; pending bubbles (no id yet) stay last
    put(e, id) {
      const s = this.o.scroller ? this.o.scroller() : this.box;   // null: not shown now
      const near = s && s.scrollHeight - s.scrollTop - s.clientHeight < 80;
      let at = this.box.lastElementChild;
      // (a pending one has no id: it goes last, not before everything)
      while (id && at && (at.classList.contains('local') || at.classList.contains('day-sep') || cmpId(at.dataset.id || '0-0', id) > 0)) at = at.previousElementSibling;
      if (at) at.after(e); else this.box.prepend(e);
      if (!e.dataset.day) e.dataset.day = dayKey(id ? Number(String(id).split('-')[0]) : Date.now());
      this.days();
      if (s && (near || !id)) s.scrollTop = s.scrollHeight;
    }
    // a line with the day before the first entry of each day (#13 §4),
    // right wherever an entry went (out of order, a page of older ones
    // first); entries with no day (a page's own notes) are passed over
    days() {
      let last = null, sep = null;
      for (let e = this.box.firstElementChild, next; e; e = next) {
        next = e.nextElementSibling;
        if (e.classList.contains('day-sep')) { if (sep) sep.remove(); sep = e; continue; }
        const d = e.dataset.day;
        if (!d) continue;
        if (d === last) { if (sep) sep.remove(); }
        else if (sep && sep.dataset.day === d) daySep(d, sep);
        else { if (sep) sep.remove(); e.before(daySep(d)); }
        last = d;
        sep = null;
      }
      if (sep) sep.remove();
    }
    pending(ref, m) {
      const e = this.render(m);
      e.classList.add('local');
      this.state(e, 'pending');
      this.byRef.set(ref, e);
      this.put(e, null);
    }
    ack(ref, id) {
      const e = this.byRef.get(ref);
      if (!e || !id) return;
      this.byRef.delete(ref);
      e.dataset.id = id;
      this.byId.set(id, e);   // still "local": its message frame replaces it
      if (cmpId(id, this.lastId) > 0) this.lastId = id;
      this.state(e, 'sent');
    }
    fail(ref, text, retry) {
      const e = this.byRef.get(ref);
      if (!e) return;
      this.byRef.delete(ref);
      this.state(e, 'failed', text);
      e.querySelector('.state').append(' ', el('button', {
        type: 'button', class: 'link', 'data-testid': 'msg-retry', text: t('msg.retry'),
        onclick: () => { e.remove(); retry(); },
      }));
    }
    // the other side read up to id: own messages up to it are "Read"
    markRead(id) {
      if (cmpId(id, this.readTo) > 0) this.readTo = id;
      for (const [mid, e] of this.byId) {
        if (e.classList.contains('out') && cmpId(mid, id) <= 0) this.state(e, 'read');
      }
    }
    state(e, s, text) {
      e.dataset.state = s;
      const st = e.querySelector('.state');
      if (st) st.textContent = text || { pending: t('msg.sending'), sent: t('msg.sent'), read: t('msg.read') }[s] || '';
    }
    render(m) {
      const sys = m.kind === 'system' || !m.from;
      const role = sys ? 'system' : m.from.role;
      const mine = !sys && this.o.mine(m);
      const e = el('div', {
        class: 'msg ' + (sys ? 'sys' : mine ? 'out' : 'in'), 'data-testid': 'msg',
        'data-id': m.id || '', 'data-role': role, 'data-kind': m.kind || 'text',
      });
      if (sys) {
        e.append(this.o.system(m));
        return e;
      }
      if (!mine) e.append(el('div', { class: 'who', text: m.from.name || { customer: t('msg.customer'), bot: t('msg.bot') }[role] || m.from.id || role }));
      const b = el('div', { class: 'body' });
      const u = safeUrl(m.url);
      // an attachment (R5.6) is read with the page's token, shown from a
      // blob (attach.js): never a URL of another site
      if (m.attachment && window.csqAttach) {
        b.append(csqAttach.show(m, this.o.token ? this.o.token() : null));
      // images: false (the workbench) shows a link, loads nothing: a
      // customer's image host would learn the agent's address
      } else if (m.kind === 'image' && this.o.images === false) {
        b.append(u ? el('a', { href: u, ...NEW, class: 'imglink', text: m.name ? t('msg.image_named', { name: m.name }) : t('msg.image') }) : m.name || '');
      } else if (m.kind === 'image') {
        const img = el('img', { src: u, alt: m.name || t('msg.image'), loading: 'lazy' });
        b.append(u ? el('a', { href: u, ...NEW }, img) : m.name || '');
      } else if (m.kind === 'file') {
        b.append(u ? el('a', { href: u, download: m.name || true, ...NEW, text: m.name || t('msg.file') }) : m.name || t('msg.file'),
          m.size != null ? ' (' + fmtSize(m.size) + ')' : '');
      } else if (m.kind === 'card') {
        const img = safeUrl(m.image);
        b.classList.add('card');
        if (img && this.o.images !== false) b.append(el('img', { src: img, alt: '', loading: 'lazy' }));
        b.append(el('strong', {}, u ? el('a', { href: u, ...NEW, text: m.title || u }) : m.title || ''));
        if (m.description) b.append(el('p', { text: m.description }));
      } else {
        linkify(b, String(m.text || ''));
      }
      e.append(b);
      // interaction links (R4.2): a click sends the preset text as the customer
      if (Array.isArray(m.actions) && m.actions.length) {
        e.append(el('div', { class: 'actions' }, ...m.actions.map((a) => el('button', {
          type: 'button', 'data-testid': 'msg-action', text: a.label || a.send, disabled: !this.o.action,
          // used once: the buttons of that message go (a hand-off is not
          // offered twice)
          onclick: (ev) => { ev.currentTarget.parentNode.remove(); this.o.action(String(a.send || a.label)); },
        }))));
      }
      e.append(el('div', { class: 'meta' }, el('time', { text: fmtTime(m.at) }), ' ', el('span', { class: 'state' })));
      return e;
    }
  }

  // Own messages in flight by ref, sent once the socket is ready; if a drop
  // makes their fate unknown and their frame does not come back after the
  // reconnect, they fail with a retry: never sent twice by themselves
  class Outbox {
    constructor(sendFrame) { this.q = new Map(); this.sendFrame = sendFrame; this.ready = false; }
    add(ref, frame, thread, retry) {
      this.q.set(ref, { frame, thread, retry, sent: false });
      this.flush();
    }
    flush() {
      for (const o of this.q.values()) if (!o.sent && this.ready) o.sent = this.sendFrame(o.frame);
    }
    has(ref) { return this.q.has(ref); }
    done(ref) { this.q.delete(ref); }
    ack(ref, id) { const o = this.q.get(ref); if (o) { this.q.delete(ref); o.thread.ack(ref, id); } }
    error(ref, text) { const o = this.q.get(ref); if (o) { this.q.delete(ref); o.thread.fail(ref, text, o.retry); } }
    down() { this.ready = false; for (const o of this.q.values()) if (o.sent) o.lost = true; }
    up() {
      this.ready = true;
      this.flush();
      setTimeout(() => { for (const [r, o] of this.q) if (o.lost) this.error(r, t('msg.not_sent')); }, 2500);
    }
  }

  // Enter sends, Shift+Enter is a new line (not while an IME composes);
  // send(text) returning false keeps the text in the box
  function composer(form, ta, send, typed) {
    const go = () => {
      const text = ta.value.trim();
      if (!text || ta.disabled) return;
      if (new TextEncoder().encode(text).length > 10000) {
        ta.setCustomValidity(t('msg.too_long'));
        ta.reportValidity();
        return;
      }
      if (send(text) !== false) ta.value = '';
      ta.focus();
    };
    ta.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); go(); }
    });
    ta.addEventListener('input', () => { ta.setCustomValidity(''); if (typed) typed(); });
    form.addEventListener('submit', (e) => { e.preventDefault(); go(); });
  }

  // typing:true at most every 3 s while typing; false once, on stop()
  function typingSender(send) {
    let last = 0;
    return {
      input() { const n = Date.now(); if (n - last > 3000 && send(true)) last = n; },
      stop() { if (last) { last = 0; send(false); } },
    };
  }

  // "<who> is typing\u2026" for 5 s or until show('')
  function typingLine(node) {
    let timer;
    return (text) => {
      clearTimeout(timer);
      node.textContent = text || '';
      node.hidden = !text;
      if (text) timer = setTimeout(() => { node.textContent = ''; node.hidden = true; }, 5000);
    };
  }

  return {
    P, tenant, T, NEW, el, safeUrl, storage, api, errCode, errMsg, errText, errFrame, wsUrl, cmpId, ref,
    fmtSize, fmtTime, fmtDate, fmtNum, Sock, Thread, Outbox, composer, typingSender, typingLine,
    t, setLang, tenantLang, chooseLang, langChoice, langLasts, get lang() { return I.lang; },
  };
})();
