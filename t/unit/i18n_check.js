// The pages' message catalog (ngx_csq_module/pages/i18n.js, R10.1)
// checked against the pages without a browser; prints TAP for
// t/072-i18n.t.
//
//   node t/unit/i18n_check.js [pages folder] [README]
//
// - every language has the same keys as every other, none empty, each
//   string with the same {variables} in every language;
// - every key a page uses (data-i18n="key", data-i18n-<attr>="key",
//   t('key') in a script) is in the catalog, and every key of the catalog
//   is used (err.<code> keys are used by their error code);
// - every error code of the README's error table has its err.<code>;
// - no words left outside the catalog: an HTML text or attribute
//   (placeholder, title, aria-label, label, alt) with words and no
//   data-i18n for it; a CSS content: with words; a script's literal with
//   words given as a text, textContent, placeholder, title, label or
//   aria-label, or to banner(), fatal(), msg(), error() and the like
//   (a key's name on its cap, <kbd>Alt</kbd>, is no language's word).
'use strict';

const fs = require('fs');
const path = require('path');
const vm = require('vm');

const root = path.join(__dirname, '..', '..');
const dir = process.argv[2] || path.join(root, 'ngx_csq_module', 'pages');
const readme = process.argv[3] || path.join(root, 'README.md');

let n = 0, failed = 0;
function ok(cond, name, diag) {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond && diag) console.log('# ' + String(diag).replace(/\n/g, '\n# '));
}

// the catalog, as the pages load it
const box = { window: {}, navigator: { languages: ['en'] } };
vm.runInNewContext(fs.readFileSync(path.join(dir, 'i18n.js'), 'utf8'), box);
const I = box.window.csqI18n;
const cat = I.catalog;
const langs = Object.keys(cat);
ok(langs.includes('zh-CN') && langs.includes('en'), 'the catalog has zh-CN and en', langs.join(' '));

const all = new Set();
for (const l of langs) for (const k of Object.keys(cat[l])) all.add(k);
const vars = (s) => [...String(s).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
for (const l of langs) {
  const missing = [...all].filter((k) => !(k in cat[l]));
  ok(!missing.length, `${l} has every key (${all.size})`, 'missing: ' + missing.join(' '));
  const empty = Object.keys(cat[l]).filter((k) => typeof cat[l][k] !== 'string' || !cat[l][k].trim());
  ok(!empty.length, `${l} has no empty string`, empty.join(' '));
  const other = langs.find((x) => x !== l);
  const diff = Object.keys(cat[l]).filter((k) => k in cat[other] && vars(cat[l][k]) !== vars(cat[other][k]));
  ok(!diff.length, `${l}'s strings have the same {variables} as ${other}'s`, diff.join(' '));
}
// a key of every language but en is one of en's words? (a string left
// untranslated: Latin words in a zh-CN string other than a few names)
const latin = Object.keys(cat['zh-CN'] || {}).filter((k) => /[A-Za-z]{2,}/.test(
  String(cat['zh-CN'][k]).replace(/\{\w+\}/g, '').replace(/\b(CSV|ID)\b/g, '')));
ok(!latin.length, 'zh-CN has no Latin words (but CSV, ID)', latin.map((k) => k + ': ' + cat['zh-CN'][k]).join('\n'));

// what the pages use
const files = fs.readdirSync(dir).sort();
const used = new Map();   // key -> first place
const leftovers = [];
const shadows = [];
const use = (k, where) => { if (!used.has(k)) used.set(k, where); };
const WORDS = /[A-Za-z]{2,}/;
// a script's literal with words where a text goes (an element's text or
// attribute, a banner's, a message's ...), or any literal that reads as
// prose ("Not sent", "try again later")
const LIT = String.raw`(['"\x60])((?:(?!\1)[^\\])*[A-Za-z]{2,}(?:(?!\1)[^\\])*)\1`;
const SINK = new RegExp(String.raw`(?:(?:\btext|\btextContent|\bplaceholder|\btitle|\blabel|'aria-label'|\balt)\s*[:=]\s*`
  + String.raw`|\b(?:banner|fatal|note|msg\([^,()]+,|error|loginError|showTyping|setCustomValidity|logout|confirm|alert)\(\s*)` + LIT, 'g');
const PROSE = /^[A-Z][a-z]+(?: [A-Za-z]+)*[.!?\u2026]?$|^[A-Za-z]+(?:,? [A-Za-z]+){2,}[.!?\u2026]?$/;
const KEYCAP = /^(?:Alt|Shift|Ctrl|Esc|Enter|Tab|Space|Home|End)$/;
const OK_LITERAL = /^(?:Bearer |Content-Type|Authorization|Escape|Enter|Tab|ArrowUp|ArrowDown|[a-z][\w-]*)$/;

for (const f of files) {
  const text = fs.readFileSync(path.join(dir, f), 'utf8');
  if (f.endsWith('.html')) {
    let last = '';
    // scripts, styles and comments blanked (the places stay)
    const body = text.replace(/<script\b[\s\S]*?<\/script>|<style\b[\s\S]*?<\/style>|<!--[\s\S]*?-->/g,
      (x) => x.replace(/[^\n]/g, ' '));
    for (const { 0: tok, index } of body.matchAll(/<[^>]+>|[^<]+/g)) {
      const line = text.slice(0, index).split('\n').length;
      if (tok.startsWith('<')) {
        last = tok;
        for (const m of tok.matchAll(/\bdata-i18n(?:-[\w-]+)?="([^"]*)"/g)) use(m[1], `${f}:${line}`);
        for (const m of tok.matchAll(/\s(placeholder|title|aria-label|label|alt)="([^"]*)"/g)) {
          if (WORDS.test(m[2]) && !tok.includes(`data-i18n-${m[1]}=`)) leftovers.push(`${f}:${line}: ${m[1]}="${m[2]}"`);
        }
      } else if (WORDS.test(tok.replace(/&\w+;|&#\d+;/g, ''))) {
        // a key's name on its cap (<kbd>Alt</kbd>) is the same in every
        // language, not a word of one
        if (/^<kbd[\s>]/.test(last) && KEYCAP.test(tok)) continue;
        if (last.startsWith('</') || !/\sdata-i18n="/.test(last)) leftovers.push(`${f}:${line}: ${tok.trim()}`);
      }
    }
  } else if (f.endsWith('.css')) {
    text.split('\n').forEach((l, i) => {
      const m = /content:\s*(["'])(.*?)\1/.exec(l);
      if (m && WORDS.test(m[2])) leftovers.push(`${f}:${i + 1}: ${m[0]}`);
    });
  } else if (f.endsWith('.js')) {
    text.split('\n').forEach((l, i) => {
      const where = `${f}:${i + 1}`;
      if (/^\s*(\/\/|\*|\/\*)/.test(l)) return;
      // t('key'); t('err.' + code) names a family, err.* below
      for (const m of l.matchAll(/\bt\(\s*'([^']+)'/g)) if (!m[1].endsWith('.')) use(m[1], where);
      if (f === 'i18n.js') return;
      // a name t of one's own hides the catalog's t() (a TypeError later)
      if (/\b(?:const|let|var)\s+t\s*=(?!\s*I\.t\b)|\b(?:const|let|var)\s*\[[^\]=]*\bt\s*\]|\(\s*t\s*\)\s*=>|\bfunction\s*\w*\s*\(\s*t\s*[,)]|\(\s*t\s*,[^)]*\)\s*=>/.test(l)) {
        shadows.push(`${where}: ${l.trim()}`);
      }
      for (const m of l.matchAll(SINK)) {
        if (!OK_LITERAL.test(m[2])) leftovers.push(`${where}: ${l.trim()}`);
      }
      for (const m of l.matchAll(/(['"\x60])((?:(?!\1)[^\\])*)\1/g)) {
        const before = l.slice(0, m.index);
        if (PROSE.test(m[2]) && !OK_LITERAL.test(m[2]) && !/\b(?:class|className)\s*[:=]\s*$|classList\.\w+\(\s*$/.test(before)) {
          leftovers.push(`${where}: ${m[0]}`);
        }
      }
    });
  }
}

const unknown = [...used].filter(([k]) => !all.has(k)).map(([k, w]) => `${w}: ${k}`);
ok(!unknown.length, `every key the pages use is in the catalog (${used.size} used)`, unknown.join('\n'));
const unused = [...all].filter((k) => !used.has(k) && !k.startsWith('err.'));
ok(!unused.length, 'every key of the catalog is used by a page', unused.join(' '));
ok(!leftovers.length, 'no words of a page outside the catalog', leftovers.join('\n'));
ok(!shadows.length, "no script hides the catalog's t() with a t of its own", shadows.join('\n'));

// the API's error codes (README, "Errors")
const codes = new Set();
for (const l of fs.readFileSync(readme, 'utf8').split('\n')) {
  const m = /^\| \d{3} \| ([^|]+) \|/.exec(l);
  if (m) for (const c of m[1].matchAll(/`([a-z_]+)`/g)) codes.add(c[1]);
}
const noText = [...codes].filter((c) => !all.has('err.' + c));
ok(codes.size > 20 && !noText.length, `every error code of the README has its words (${codes.size})`, noText.join(' '));

// t() fills variables, falls back to en, then to the key
I.use('zh-CN');
ok(I.t('chat.position', { n: 3 }).includes('3') && I.lang === 'zh-CN', 't() fills in {variables}');
ok(I.t('no.such.key') === 'no.such.key', 't() of an unknown key is the key');
ok(I.norm('zh-TW') === 'zh-CN' && I.norm('EN-gb') === 'en' && I.norm('fr') === null && I.norm('') === null,
  'norm(): zh* is zh-CN, en* en, others none');
box.navigator.languages = ['fr-FR', 'zh-HK', 'en'];
ok(I.pick(undefined, '', 'xx') === 'zh-CN', "pick(): the browser's first language of ours when nothing else names one");
ok(I.pick('en', 'zh-CN') === 'en', 'pick(): the first candidate that names one wins');

console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
