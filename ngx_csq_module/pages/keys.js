/* csq workbench: keyboard shortcuts for the common actions (#13 §4),
 * listed in the page's own help (the header's Shortcuts button, or "?"):
 *
 *   Alt+ArrowDown / Alt+ArrowUp   next / previous conversation in the list
 *   Alt+N                         next one unread or waiting, else the
 *                                 pick-up list's first Take button
 *   Alt+E, Alt+T                  the end and transfer dialogs
 *   ?                             the help (not while typing)
 *   Escape                        closes a dialog (the browser's own) or
 *                                 the quick replies (tools.js); "/" in the
 *                                 composer opens those, Enter sends
 *
 * Keys are read by their place (KeyboardEvent.code), so they work with
 * any keyboard layout, and only with Alt alone: Ctrl+Alt is AltGr on
 * Windows (€, @ ...), Meta and Ctrl combinations stay the browser's.
 * Alt+ArrowUp/Down on a list box stays its own (opens it), and nothing
 * happens while an input method composes or a dialog is open.
 * workbench.js calls csqKeys.init() once. */
'use strict';

window.csqKeys = (() => {
  const { t } = csq;
  const $ = (id) => document.getElementById(id);
  let o = null;     // { cur, get(id), open(c), unread(c), banner(text) }

  function init(opts) {
    o = opts;
    document.addEventListener('keydown', key);
    $('keys-open').addEventListener('click', help);
    $('keys-close').addEventListener('click', () => $('keys-dialog').close());
    $('end').setAttribute('aria-keyshortcuts', 'Alt+E');
    $('transfer').setAttribute('aria-keyshortcuts', 'Alt+T');
  }

  const typing = (e) => !!e && (e.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(e.tagName));

  function key(e) {
    if (e.defaultPrevented || e.isComposing || e.keyCode === 229 || $('app').hidden) return;
    if (document.querySelector('dialog[open]')) return;   // its own keys; Escape closes it
    if (e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
      if (/^Arrow(Up|Down)$/.test(e.code) && e.target.tagName === 'SELECT') return;
      const act = {
        ArrowDown: () => step(1), ArrowUp: () => step(-1), KeyN: next,
        KeyE: () => press('end'), KeyT: () => press('transfer'),
      }[e.code];
      if (!act) return;
      e.preventDefault();
      act();
    } else if (e.key === '?' && !e.ctrlKey && !e.altKey && !e.metaKey && !typing(e.target)) {
      e.preventDefault();
      help();
    }
  }

  function help() { $('keys-dialog').showModal(); $('keys-close').focus(); }

  // a button of the open conversation, as a click (the End and Transfer
  // dialogs: tools.js)
  function press(id) {
    const b = $(id);
    if (!b.disabled && !b.hidden) b.click();
  }

  // the conversations the list shows, in its order (not hidden, not
  // filtered out)
  function shown() {
    return [...$('list').children].filter((li) => !li.hidden && !li.classList.contains('filtered'))
      .map((li) => o.get(li.dataset.id)).filter(Boolean);
  }

  function go(c) {
    if (document.querySelector('main.cols').hidden) $('v-chats').click();   // from Customers or Review
    o.open(c);
    // a reply box that cannot take one (ended) leaves the focus nowhere:
    // on the conversation's line in the list then
    if (document.activeElement !== $('input')) c.btn.focus();
  }

  // the one after (d 1) or before (d -1) the open one; none open: the
  // first or the last; no going round
  function step(d) {
    const list = shown(), i = list.indexOf(o.cur());
    const c = i < 0 ? list[d > 0 ? 0 : list.length - 1] : list[i + d];
    if (c) go(c);
  }

  // after the open one, round the list: one with unread messages, else
  // one waiting; else the first Take of the pick-up list (a conversation
  // is taken only by pressing it)
  function next() {
    const list = shown(), i = list.indexOf(o.cur());
    const after = list.slice(i + 1).concat(list.slice(0, i + 1)).filter((c) => c !== o.cur());
    const c = after.find((x) => o.unread(x) > 0) || after.find((x) => x.state === 'queued');
    if (c) return go(c);
    const take = document.querySelector('#pickup button');
    if (take) {
      if (document.querySelector('main.cols').hidden) $('v-chats').click();
      o.list();
      take.focus();
    } else {
      o.banner(t('keys.nothing'));
    }
  }

  return { init };
})();
