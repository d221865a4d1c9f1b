/* csq workbench notifications (R10.2, #13 §4).
 *
 * While the agent looks elsewhere (the tab hidden, or the window without
 * focus), a new conversation of hers (assigned to her, or newly waiting
 * in her pick-up list) and a new customer message in one of hers give a
 * short sound (Web Audio, made here: no file) and, once she allowed it, a
 * desktop notification; clicking one brings the tab forward and opens
 * that conversation.  Her own messages, other agents', the robot's and
 * system lines give nothing, and neither does anything while she looks at
 * the page (the list's unread badges and the title's count say it then).
 *
 * Two header switches, kept in this browser (localStorage
 * csq:<tenant>:notify): Sound (on at first) and Desktop notifications
 * (off until she turns it on: the browser's permission is asked then, from
 * that click, never on load).  At most one sound every 2 s; the entries of
 * one conversation within 0.6 s make one notification, and a
 * conversation's notification replaces its earlier one (tag).
 *
 * workbench.js calls init(), entry() for each new log entry and waiting()
 * with the pick-up list. */
'use strict';

window.csqNotify = (() => {
  const { t } = csq;
  const $ = (id) => document.getElementById(id);
  const ls = csq.storage('localStorage');
  const KEY = 'csq:' + csq.tenant + ':notify';
  const N = typeof Notification === 'function' ? Notification : null;
  const SOUND_GAP = 2000, GATHER = 600;

  const kept = ls.json(KEY) || {};
  const on = { sound: kept.sound !== false, desktop: kept.desktop === true };
  let opts = null;          // from init: me, open(id), name(id), banner(text)
  let audio = null, lastSound = 0;
  const pending = new Map(); // conversation -> what gathers for its notification
  const shown = new Set();   // notifications on screen
  let waitingKnown = null;   // the pick-up list's ids (null: not read yet)

  const away = () => document.hidden || !document.hasFocus();
  const granted = () => !!N && N.permission === 'granted';
  const desktopOn = () => on.desktop && granted();

  function save() { ls.set(KEY, JSON.stringify(on)); }

  // the switches: pressed when on (desktop: and allowed by the browser)
  function draw() {
    const s = $('nt-sound'), d = $('nt-desktop');
    if (s) s.setAttribute('aria-pressed', String(on.sound));
    if (!d) return;
    d.hidden = !N;
    d.setAttribute('aria-pressed', String(desktopOn()));
    d.title = N && N.permission === 'denied' ? t('notify.blocked') : t('notify.desktop_title');
  }

  /* ---- sound ---- */

  // the browser lets audio start after a gesture of the page's: the
  // context is made (or resumed) at the agent's first click or key
  function context() {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!audio && AC) {
      try { audio = new AC(); } catch { audio = null; }
    }
    return audio;
  }
  function unlock() {
    if (!on.sound) return;
    const ctx = context();
    if (ctx && ctx.state === 'suspended') ctx.resume().catch(() => {});
  }

  // a short falling "ding" (one oscillator), at most one every SOUND_GAP
  function beep(force) {
    const now = Date.now();
    if (!on.sound || (!force && now - lastSound < SOUND_GAP)) return false;
    const ctx = context();
    if (!ctx) return false;
    lastSound = now;
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    try {
      const osc = ctx.createOscillator(), gain = ctx.createGain();
      const at = ctx.currentTime;
      osc.type = 'sine';
      osc.frequency.setValueAtTime(1046, at);
      osc.frequency.exponentialRampToValueAtTime(784, at + 0.18);
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.35);
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start(at);
      osc.stop(at + 0.36);
    } catch { return false; }
    return true;
  }

  /* ---- desktop notifications ---- */

  // kind: 'conv' (new to her), 'wait' (waiting in her pick-up list),
  // 'msg' (the customer wrote); later ones of a conversation join the
  // first within GATHER
  function notice(id, kind, text, queue) {
    if (!opts || !away()) return;
    beep();
    if (!desktopOn()) return;
    let p = pending.get(id);
    if (!p) {
      p = { kind, n: 0, text: '', queue: '' };
      pending.set(id, p);
      p.timer = setTimeout(() => show(id), GATHER);
    }
    if (kind === 'conv' || (kind === 'wait' && p.kind === 'msg')) p.kind = kind;
    if (queue) p.queue = queue;
    if (text) { p.text = text; p.n++; }
  }

  function show(id) {
    const p = pending.get(id);
    pending.delete(id);
    // she came back meanwhile: the badges say it
    if (!p || !desktopOn() || !away()) return;
    const name = opts.name(id) || id;
    const title = p.kind === 'conv' ? t('notify.new_conv', { name })
      : p.kind === 'wait' ? t('notify.waiting', { name, queue: p.queue })
        : p.n > 1 ? t('notify.new_msgs', { name, n: csq.fmtNum(p.n) }) : t('notify.new_msg', { name });
    const body = p.text.length > 140 ? p.text.slice(0, 139) + '\u2026' : p.text;
    let n;
    try {
      n = new N(title, { body, tag: 'csq-' + csq.tenant + '-' + id, renotify: true, lang: csq.lang });
    } catch { return; }      // (a phone's browser wants a service worker)
    shown.add(n);
    n.addEventListener('close', () => shown.delete(n));
    n.addEventListener('click', (e) => {
      if (e.preventDefault) e.preventDefault();
      window.focus();
      n.close();
      shown.delete(n);
      if (p.kind === 'wait') {
        const take = document.querySelector('#pickup [data-testid="wb-take"][data-id="' + CSS.escape(id) + '"]');
        if (take) take.focus();
      } else opts.open(id);
    });
  }

  // back on the page: what the notifications said shows in it now
  function back() {
    if (away()) return;
    for (const n of shown) n.close();
    shown.clear();
  }

  /* ---- what the workbench tells ---- */

  // a new log entry of a conversation in her list
  function entry(id, m) {
    if (m.kind === 'system') {
      if (m.event === 'assigned' && m.agent && m.agent.id === opts.me) notice(id, 'conv');
      return;
    }
    if (!m.from || m.from.role !== 'customer') return;   // her own, a colleague, the robot
    const text = m.text || m.title || m.name || { image: t('msg.image'), file: t('msg.file') }[m.kind] || '';
    notice(id, 'msg', text);
  }

  // the pick-up list ([{id, queue}]): one new in it is news (not the
  // first reading)
  function waiting(items) {
    const ids = new Set(items.map((it) => it.id));
    if (waitingKnown) for (const it of items) if (!waitingKnown.has(it.id)) notice(it.id, 'wait', '', it.queue);
    waitingKnown = ids;
  }

  function init(o) {
    opts = o;
    draw();
    $('nt-sound').addEventListener('click', () => {
      on.sound = !on.sound;
      save();
      draw();
      if (on.sound) { unlock(); beep(true); }   // what it sounds like
    });
    $('nt-desktop').addEventListener('click', async () => {
      if (!N) return;
      if (desktopOn()) {
        on.desktop = false;
      } else {
        let p = N.permission;
        // asked from this click only, never by itself
        if (p === 'default') {
          try { p = await N.requestPermission(); } catch { p = N.permission; }
        }
        on.desktop = p === 'granted';
        if (p === 'denied') opts.banner(t('notify.blocked'));
      }
      save();
      draw();
    });
    for (const type of ['pointerdown', 'keydown']) addEventListener(type, unlock, true);
    document.addEventListener('visibilitychange', back);
    addEventListener('focus', back);
  }

  return { init, entry, waiting, beep };
})();
