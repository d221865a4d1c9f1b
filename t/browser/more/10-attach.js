// R5.6 in the browser: a customer sends an image from the chat page, its
// agent sees it in the workbench (read with the agent's token, shown from
// a blob) and sends a file back, which the customer downloads; the emoji
// picker puts an emoji at the caret.
'use strict';

const zlib = require('zlib');

// a PNG of w x h pixels, a blue-to-green gradient
function png(w, h) {
  const crcT = [...Array(256)].map((_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b) => { let c = 0xffffffff; for (const x of b) c = crcT[(c ^ x) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const td = Buffer.concat([Buffer.from(type), data]);
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = y * (w * 3 + 1) + 1 + x * 3;
    raw[o] = 30; raw[o + 1] = Math.round(90 + 140 * x / w); raw[o + 2] = Math.round(220 - 120 * y / h);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const PNG = png(160, 100);

module.exports = async ({ newContext, ok, api, until, logText, say, login, tenantPut, BASE, T, SHOTS, errors }) => {
  // alice serves: the hand-off goes to her
  for (const a of ['bob', 'sam']) await api('POST', `agents/${a}/status`, { status: 'offline' });
  await api('POST', 'agents/alice/status', { status: 'online' });
  // with room: what the flows before left her is ended
  const mine = (await api('GET', 'agents/alice/conversations')).json;
  for (const c of (mine && mine.active) || []) await api('POST', `conversations/${c.id || c}/end`, {});

  const cust = await (await newContext({ viewport: { width: 390, height: 780 } })).newPage();
  cust.on('pageerror', (e) => errors.push(String(e)));
  await cust.goto(`${BASE}/tenants/${T}/chat?ch=welcome&lang=en`);
  await say(cust, 'chat-input', 'chat-send', 'agent');
  ok(await until(async () => /alice|Alice/.test(await cust.textContent('[data-testid="chat-status"]'))),
     'R5.6 (set-up) the customer is served by alice', await cust.textContent('[data-testid="chat-status"]'));

  // the emoji picker
  await cust.click('[data-testid="emoji-button"]');
  ok(await cust.isVisible('[data-testid="emoji-panel"]'), 'the emoji button opens the picker');
  await cust.fill('[data-testid="chat-input"]', 'thanks ');
  await cust.click('[data-testid="emoji-panel"] button >> nth=12');
  ok(await cust.inputValue('[data-testid="chat-input"]') === 'thanks \u{1F44D}',
     '... a click puts the emoji in the message', await cust.inputValue('[data-testid="chat-input"]'));
  ok(!(await cust.isVisible('[data-testid="emoji-panel"]')), '... and closes it');
  await cust.click('[data-testid="chat-send"]');

  // an image from the customer
  await cust.setInputFiles('[data-testid="att-input"]', { name: 'photo.png', mimeType: 'image/png', buffer: PNG });
  ok(await until(async () => cust.evaluate(() => {
    const i = document.querySelector('[data-testid="chat-log"] [data-testid="att-img"]');
    return i && i.complete && i.naturalWidth === 160 && i.src.startsWith('blob:');
  })), 'R5.6 the customer\'s image shows in its chat, from a blob');

  const agent = await (await newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  agent.on('pageerror', (e) => errors.push(String(e)));
  await login(agent, 'alice', 'alice-demo-pass');
  ok(await until(async () => (await agent.$$('[data-testid="wb-conv"]')).length > 0), '(set-up) alice has it in her list');
  const cid = await cust.evaluate((t) => JSON.parse(localStorage.getItem(`csq:${t}:conv`)).id, T);
  ok(await until(async () => (await agent.$$(`[data-testid="wb-conv"][data-id="${cid}"]`)).length === 1),
     '(set-up) the conversation is in alice\'s list');
  await agent.click(`[data-testid="wb-conv"][data-id="${cid}"] button`);
  ok(await until(async () => agent.evaluate(() => {
    const i = document.querySelector('[data-testid="wb-log"] [data-testid="att-img"]');
    return i && i.complete && i.naturalWidth === 160 && i.src.startsWith('blob:');
  })), 'R5.6 the agent sees the customer\'s image in the workbench (its own token, a blob)');
  ok(/thanks \u{1F44D}/u.test(await logText(agent, 'wb-log')), '... and the emoji in the message');

  // a file back from the agent, downloaded by the customer
  await agent.setInputFiles('[data-testid="att-input"]', { name: 'invoice.txt', mimeType: 'text/plain', buffer: Buffer.from('Invoice 42: paid') });
  ok(await until(async () => /invoice\.txt/.test(await logText(cust, 'chat-log'))),
     'R5.6 the agent\'s file reaches the customer as a link', await logText(cust, 'chat-log'));
  const [dl] = await Promise.all([cust.waitForEvent('download'), cust.click('[data-testid="chat-log"] [data-testid="att-file"]')]);
  const body = await new Promise((res) => {
    const bufs = [];
    dl.createReadStream().then((s) => { s.on('data', (b) => bufs.push(b)); s.on('end', () => res(Buffer.concat(bufs).toString())); });
  });
  ok(dl.suggestedFilename() === 'invoice.txt' && body === 'Invoice 42: paid',
     '... which downloads it whole, by its name', `${dl.suggestedFilename()}: ${body}`);

  // what the server refuses is said in the page's words
  await cust.setInputFiles('[data-testid="att-input"]', { name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(6 * 1024 * 1024, 1) });
  ok(await until(async () => /big\.bin is over/.test(await logText(cust, 'chat-log'))),
     'a file over the limit is not sent, and the customer is told', await logText(cust, 'chat-log'));

  // and what the server refuses, in the catalog's words for its code
  await tenantPut({ attachment_quota_mb: 0 });
  await cust.setInputFiles('[data-testid="att-input"]', { name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('hi') });
  ok(await until(async () => /note\.txt was not sent: Files cannot be sent here/.test(await logText(cust, 'chat-log'))),
     '... a file the server refuses is said in the page\'s words', await logText(cust, 'chat-log'));
  await tenantPut({ attachment_quota_mb: 1024 });

  if (SHOTS) {
    await cust.screenshot({ path: `${SHOTS}/chat-attach.png` });
    await agent.screenshot({ path: `${SHOTS}/workbench-attach.png` });
  }
  await agent.context().close();
  await cust.context().close();
};
