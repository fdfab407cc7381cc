// The test receiver of tests/lib/receiver.mjs, checked on its own: deliveries signed here with
// the standardwebhooks package, Bearer tokens issued by a real `arenite serve`, and each of the
// receiver's scripted behaviours observed from the sending side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { existsSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { startReceiver } from '../lib/receiver.mjs';
import { startServer } from '../lib/arenite.mjs';
import { createApp, postForm, basic } from '../lib/oauth.mjs';

const SECRET = 'whsec_' + Buffer.from('receiver-lib-test-secret-0123456').toString('base64');
const OTHER = 'whsec_' + Buffer.from('receiver-lib-test-secret-rotated').toString('base64');

function deliver(url, { id = 'msg_1', payload = { type: 'item.created', data: {} }, secrets = [SECRET],
  when = new Date(), headers = {}, ca, body } = {}) {
  const text = body ?? JSON.stringify(payload);
  const signature = secrets.map((s) => new Webhook(s).sign(id, when, text)).join(' ');
  const all = {
    'content-type': 'application/json', 'webhook-id': id,
    'webhook-timestamp': String(Math.floor(when.getTime() / 1000)),
    'webhook-signature': signature, ...headers,
  };
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.request(url, { method: 'POST', headers: all, ca, agent: false }, (res) => {
      let t = '';
      res.on('data', (c) => { t += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: t,
        ms: Date.now() - started }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

let r;
before(async () => { r = await startReceiver({ secret: SECRET }); });
after(async () => { await r?.stop(); });

test('verifies signatures with standardwebhooks and records every delivery', async () => {
  r.clear();
  const ok = await deliver(r.url, { id: 'msg_ok', payload: { type: 'item.updated', data: { n: 1 } } });
  assert.equal(ok.status, 204);
  const bad = await deliver(r.url, { id: 'msg_bad', secrets: [OTHER] });
  assert.equal(bad.status, 401);
  const stale = await deliver(r.url, { id: 'msg_stale', when: new Date(Date.now() - 10 * 60000) });
  assert.equal(stale.status, 401);
  const unsigned = await deliver(r.url, { id: 'msg_none', headers: { 'webhook-signature': '' } });
  assert.equal(unsigned.status, 401);
  assert.equal((await deliver(r.url.replace('/hooks', '/elsewhere'))).status, 404);

  assert.equal(r.deliveries.length, 4);
  const [first, second, third, fourth] = r.deliveries;
  assert.equal(first.id, 'msg_ok');
  assert.deepEqual(first.json, { type: 'item.updated', data: { n: 1 } });
  assert.equal(first.headers['content-type'], 'application/json');
  assert.equal(first.verdicts.signature, 'valid');
  assert.equal(first.verdicts.ok, true);
  assert.equal(first.accepted, true);
  assert.equal(second.verdicts.signature, 'invalid');
  assert.match(second.verdicts.signatureError, /signature/i);
  assert.equal(second.accepted, false);
  assert.equal(third.verdicts.signature, 'invalid');
  assert.match(third.verdicts.signatureError, /timestamp/i);
  assert.equal(fourth.verdicts.signature, 'missing');
  assert.deepEqual(r.acceptedIds(), ['msg_ok']);
});

test('answers from the script in order, with delays and Retry-After, then the default', async () => {
  r.clear();
  r.script(500, { status: 429, retryAfter: 7 }, { status: 200, delayMs: 300, body: 'late ok' },
    { status: 410 });
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(await deliver(r.url, { id: `msg_s${i}` }));
  assert.deepEqual(answers.map((a) => a.status), [500, 429, 200, 410, 204]);
  assert.equal(answers[1].headers['retry-after'], '7');
  assert.ok(answers[2].ms >= 290, `answered after ${answers[2].ms} ms`);
  assert.equal(answers[2].text, 'late ok');
  assert.deepEqual(r.deliveries.map((d) => d.accepted), [false, false, true, false, true]);
  // A badly signed delivery gets 401 and leaves the script alone.
  r.script(503);
  assert.equal((await deliver(r.url, { secrets: [OTHER] })).status, 401);
  assert.equal((await deliver(r.url, { id: 'msg_s9' })).status, 503);
});

test('flags a delivery whose webhook-id was already accepted', async () => {
  r.clear();
  r.script(500);
  await deliver(r.url, { id: 'msg_dup' });
  await deliver(r.url, { id: 'msg_dup' });
  await deliver(r.url, { id: 'msg_dup' });
  assert.deepEqual(r.deliveries.map((d) => d.duplicate), [false, false, true]);
  assert.deepEqual(r.acceptedIds(), ['msg_dup']);
});

test('down refuses connections, up listens again on the same port', async () => {
  r.clear();
  const port = r.port;
  await r.down();
  assert.equal(r.isUp, false);
  await assert.rejects(deliver(r.url, { id: 'msg_down' }), /ECONNREFUSED/);
  await r.up();
  assert.equal(r.port, port);
  assert.equal((await deliver(r.url, { id: 'msg_back' })).status, 204);
  assert.deepEqual(r.acceptedIds(), ['msg_back']);
});

test('a delivery given up on by its sender during a delay is recorded as aborted', async () => {
  r.clear();
  r.script({ status: 200, delayMs: 1000 });
  await new Promise((resolve) => {
    const req = http.request(r.url, { method: 'POST', headers: { 'webhook-id': 'msg_slow',
      'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'webhook-signature': new Webhook(SECRET).sign('msg_slow', new Date(), '{}') } });
    req.on('error', () => resolve());
    req.setTimeout(200, () => { req.destroy(); resolve(); });
    req.end('{}');
  });
  const [d] = await r.waitFor((ds) => ds.length === 1 && ds[0].aborted && ds, 3000);
  assert.equal(d.accepted, false);
});

test('waitFor resolves when the deliveries satisfy it and rejects on timeout', async () => {
  r.clear();
  const waiting = r.waitFor((ds) => ds.filter((d) => d.accepted).length >= 3 && ds.length, 5000);
  for (let i = 0; i < 3; i++) await deliver(r.url, { id: `msg_w${i}` });
  assert.equal(await waiting, 3);
  await assert.rejects(r.waitFor((ds) => ds.length > 99, 200), /timed out after 200 ms.*msg_w0 204/);
});

test('a rotated secret: every signature in the header is checked', async () => {
  const both = await startReceiver({ secret: [SECRET, OTHER] });
  try {
    await deliver(both.url, { id: 'msg_both', secrets: [SECRET, OTHER] });
    await deliver(both.url, { id: 'msg_new', secrets: [OTHER] });
    assert.deepEqual(both.deliveries.map((d) => d.verdicts.signedWith), [[true, true], [false, true]]);
    assert.equal(both.accepted.length, 2);
  } finally { await both.stop(); }
});

test('a moved clock: timestamps are judged against the sender\'s time', async () => {
  r.clear();
  const ahead = new Date(Date.now() + 3600 * 1000);
  assert.equal((await deliver(r.url, { id: 'msg_future', when: ahead })).status, 401);
  r.clockOffsetSeconds = 3600;
  try {
    assert.equal((await deliver(r.url, { id: 'msg_future', when: ahead })).status, 204);
  } finally { r.clockOffsetSeconds = 0; }
});

test('https with a self-signed certificate made by openssl', async () => {
  const secure = await startReceiver({ secret: SECRET, https: true });
  try {
    assert.match(secure.url, /^https:\/\/127\.0\.0\.1:\d+\/hooks$/);
    assert.ok(existsSync(secure.caFile));
    await assert.rejects(deliver(secure.url), /self.signed|certificate/i);
    assert.equal((await deliver(secure.url, { id: 'msg_tls', ca: secure.ca })).status, 204);
    assert.deepEqual(secure.acceptedIds(), ['msg_tls']);
  } finally { await secure.stop(); }
});

test('Bearer JWTs are checked with jose against a real issuer\'s JWKS', async () => {
  const server = await startServer();
  try {
    const session = await server.login();
    const app = await createApp(server, session, { grantTypes: ['client_credentials'] });
    const res = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
      { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(res.status, 200, res.text);
    const token = res.json.access_token;
    // arenite's own clients get tokens for the API, so the receiver expects that audience here.
    const checked = await startReceiver({ secret: SECRET, issuer: server.url, issuerCa: server.ca,
      audience: `${server.url}/v1` });
    try {
      const auth = (t) => ({ headers: { authorization: `Bearer ${t}` } });
      assert.equal((await deliver(checked.url, { id: 'msg_jwt', ...auth(token) })).status, 204);
      const [h, c, s] = token.split('.');
      const claims = JSON.parse(Buffer.from(c, 'base64url'));
      claims.aud = 'https://elsewhere.example.test/';
      const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
      assert.equal((await deliver(checked.url, { id: 'msg_forged', ...auth(forged) })).status, 401);
      assert.equal((await deliver(checked.url, { id: 'msg_notoken' })).status, 401);
      const [good, bad, none] = checked.deliveries;
      assert.equal(good.verdicts.token, 'valid');
      assert.equal(good.verdicts.claims.client_id, app.clientId);
      assert.equal(good.verdicts.tokenHeader.typ, 'at+jwt');
      assert.equal(bad.verdicts.token, 'invalid');
      assert.match(bad.verdicts.tokenError, /signature/i);
      assert.equal(none.verdicts.token, 'missing');
      const wrongAudience = await startReceiver({ secret: SECRET, issuer: server.url,
        issuerCa: server.ca });
      try {
        assert.equal((await deliver(wrongAudience.url, { id: 'msg_aud', ...auth(token) })).status, 401);
        assert.match(wrongAudience.deliveries[0].verdicts.tokenError, /aud/);
      } finally { await wrongAudience.stop(); }
    } finally { await checked.stop(); }
  } finally { await server.stop(); }
});
