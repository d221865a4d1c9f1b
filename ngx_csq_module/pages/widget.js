/* csq site widget (R1.3): on a host page,
 *   <script src="https://help.example/csq/api/tenants/acme/widget.js"
 *           data-ch="link1" data-label="Chat with us" async></script>
 * adds a floating chat button (bottom right) that opens the tenant's chat
 * page in an iframe panel (full screen on small screens).  Optional
 * data-customer + data-customer-hash: a customer signed in by the site,
 * passed in the iframe's URL fragment (never sent to a server in a URL).
 * Optional data-lang (zh-CN, en): the language of the button and the chat
 * (R10.1); without it the tenant's lang (the hidden tracker page tells
 * it), else the browser's.  Its words come from the pages' catalog
 * (assets/i18n.js, loaded first: window.csqI18n).
 * Everything lives in a shadow root so the host's CSS leaves it alone.
 * R10.2: the button shows the replies that came while the panel was
 * closed (a badge, and in its accessible name); the chat page counts them
 * and tells this script ({csq: 'unread', n}; its origin and window
 * checked).  The chat is loaded at the first open and kept; on a page of
 * the site where this browser has a conversation going on (the tracker
 * says so) it is loaded at once, closed, so that its replies count: no
 * socket for a visitor without one. */
(() => {
  'use strict';
  const me = document.currentScript
    || [...document.getElementsByTagName('script')].reverse().find((s) => /\/widget\.js(?:[?#]|$)/.test(s.src));
  if (!me || me.dataset.csqMounted) return;
  me.dataset.csqMounted = '1';

  const d = me.dataset;
  const src = new URL(me.src, location.href);
  const url = new URL(src.pathname.replace(/widget\.js$/, 'chat'), src.origin);
  if (d.ch) url.searchParams.set('ch', d.ch);
  url.searchParams.set('embed', '1');
  if (d.lang) url.searchParams.set('lang', d.lang);
  if (d.customer) url.hash = new URLSearchParams({ customer: d.customer, hash: d.customerHash || '' }).toString();

  // the catalog first (once for the page), then the widget
  if (window.csqI18n) start();
  else {
    const s = document.createElement('script');
    s.src = new URL('../../assets/i18n.js', src).href;
    s.async = true;
    s.onload = start;
    (document.head || document.documentElement).append(s);
  }

  function start() {
    const I = window.csqI18n;
    I.use(I.pick(d.lang));

    const CSS = `
  :host { all: initial; }
  * { box-sizing: border-box; }
  [hidden] { display: none !important; }
  .launch {
    position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
    display: flex; align-items: center; gap: 8px; padding: 0 18px; height: 52px;
    border: 0; border-radius: 26px; cursor: pointer;
    background: #0b5cad; color: #fff; font: 600 16px/1 system-ui, sans-serif;
    box-shadow: 0 4px 14px rgba(0,0,0,.25);
  }
  .launch svg { width: 24px; height: 24px; fill: currentColor; }
  button:focus-visible { outline: 3px solid #1b1f24; outline-offset: 3px; box-shadow: 0 0 0 6px #fff; }
  .panel {
    position: fixed; right: 20px; bottom: 84px; z-index: 2147483001;
    width: 380px; height: min(640px, calc(100vh - 104px));
    display: flex; flex-direction: column; overflow: hidden;
    background: #fff; border-radius: 12px; box-shadow: 0 8px 30px rgba(0,0,0,.3);
  }
  .bar {
    display: flex; align-items: center; justify-content: space-between;
    padding: 4px 4px 4px 14px; background: #0b5cad; color: #fff; font: 600 15px/1.2 system-ui, sans-serif;
  }
  .close {
    width: 44px; height: 44px; border: 0; border-radius: 8px; cursor: pointer;
    background: transparent; color: #fff; font: 28px/1 system-ui, sans-serif;
  }
  iframe { flex: 1; width: 100%; border: 0; }
  .badge {
    position: absolute; top: -6px; right: -6px; min-width: 22px; height: 22px; padding: 0 6px;
    border-radius: 11px; border: 2px solid #fff; background: #c62828; color: #fff;
    font: 700 12px/18px system-ui, sans-serif; text-align: center;
  }
  .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  @media (max-width: 480px), (max-height: 500px) {
    .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; }
  }`;

    const host = document.createElement('div');
    host.id = 'csq-widget';
    const root = host.attachShadow({ mode: 'open' });
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      const st = document.createElement('style');
      st.textContent = CSS;
      root.append(st);
    }

    const mk = (tag, attrs, text) => {
      const e = document.createElement(tag);
      for (const k in attrs) e.setAttribute(k, attrs[k]);
      if (text) e.textContent = text;
      return e;
    };

    const button = mk('button', { type: 'button', class: 'launch', 'aria-expanded': 'false', 'aria-controls': 'csq-panel', 'data-testid': 'widget-button' });
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z');
    svg.append(path);
    const buttonText = mk('span', {});
    const badge = mk('span', { class: 'badge', 'aria-hidden': 'true', 'data-testid': 'widget-badge' });
    badge.hidden = true;
    button.append(svg, buttonText, badge);
    // said once when the count grows (the button's name says it too)
    const said = mk('span', { class: 'sr', role: 'status' });

    const panel = mk('div', { id: 'csq-panel', class: 'panel', role: 'dialog', 'data-testid': 'widget-panel' });
    panel.hidden = true;
    const close = mk('button', { type: 'button', class: 'close', 'data-testid': 'widget-close' }, '\u00d7');
    const bar = mk('div', { class: 'bar' });
    const barText = mk('span', {});
    bar.append(barText, close);
    const frame = mk('iframe', { 'data-testid': 'widget-frame', allow: 'clipboard-write' });
    panel.append(bar, frame);
    root.append(button, panel, said);

    // the words, in language l (data-label, the site's own, stays as given)
    function words(l) {
      I.use(l);
      const label = d.label || I.t('widget.open');
      host.setAttribute('lang', I.lang);
      buttonText.textContent = barText.textContent = label;
      panel.setAttribute('aria-label', label);
      frame.title = label;
      close.setAttribute('aria-label', I.t('widget.close'));
      tracker.title = I.t('widget.tracker');
      badgeWords();
    }

    // R10.2: replies while the panel is closed
    let unread = 0;
    function setUnread(n) {
      n = panel.hidden ? Math.max(0, Math.min(Number(n) || 0, 9999)) : 0;
      const more = n > unread;
      unread = n;
      badgeWords();
      said.textContent = more ? I.t('widget.unread', { n: I.num(n) }) : '';
    }
    function badgeWords() {
      badge.hidden = !unread;
      badge.textContent = !unread ? '' : unread > 99 ? '99+' : I.num(unread);
      if (unread) button.setAttribute('aria-label', I.t('widget.open_unread', { label: d.label || I.t('widget.open'), n: I.num(unread) }));
      else button.removeAttribute('aria-label');
    }
    // the chat page (and the tracker) learn whether the panel is open
    const tell = (f) => f.getAttribute('src') && f.contentWindow
      && f.contentWindow.postMessage({ csq: 'panel', open: !panel.hidden }, src.origin);
    frame.addEventListener('load', () => tell(frame));

    function open() {
      if (!frame.src) frame.src = url.href;   // loaded on first open, kept after
      panel.hidden = false;
      button.setAttribute('aria-expanded', 'true');
      setUnread(0);
      tell(frame);
      frame.focus();
    }
    function hide() {
      if (panel.hidden) return;
      panel.hidden = true;
      button.setAttribute('aria-expanded', 'false');
      tell(frame);
      button.focus();
    }
    button.addEventListener('click', () => (panel.hidden ? open() : hide()));
    close.addEventListener('click', hide);
    panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') hide(); });
    // the chat page asks to close on Escape (keys inside the iframe stay there)
    addEventListener('message', (e) => {
      if (e.source === frame.contentWindow && e.origin === src.origin && e.data && e.data.csq === 'close') hide();
      // the tracker's page learnt the tenant's language (data-lang stands)
      if (e.source === tracker.contentWindow && e.origin === src.origin && e.data && e.data.csq === 'lang'
          && !d.lang && I.norm(e.data.lang) && I.norm(e.data.lang) !== I.lang) words(e.data.lang);
      // R10.2: the chat counts replies while closed; the tracker says a
      // conversation goes on here: the chat loads now, closed
      if (e.source === frame.contentWindow && e.origin === src.origin && e.data && e.data.csq === 'unread') setUnread(e.data.n);
      if (e.source === tracker.contentWindow && e.origin === src.origin && e.data && e.data.csq === 'live' && !frame.src) {
        const closed = new URL(url.href);
        closed.searchParams.set('closed', '1');
        frame.src = closed.href;
      }
    });

    // R5.4: a hidden tracker (the chat page, ?track=1) reports the site's
    // page to the visitor's trajectory; it shares the chat's visitor
    const tracker = mk('iframe', { hidden: '', 'aria-hidden': 'true', tabindex: '-1' });
    words(I.lang);
    const turl = new URL(url.href);
    turl.searchParams.set('track', '1');
    turl.hash = new URLSearchParams({ page: location.href.split('#')[0], title: document.title, ref: document.referrer,
      ...(d.customer ? { customer: d.customer, hash: d.customerHash || '' } : {}) }).toString();
    tracker.src = turl.href;
    tracker.addEventListener('load', () => tell(tracker));
    root.append(tracker);

    const mount = () => document.body.append(host);
    if (document.body) mount(); else addEventListener('DOMContentLoaded', mount);
    window.csqWidget = { open, close: hide };
  }
})();
