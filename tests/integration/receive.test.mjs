// `arenite receive`, the reference receiver, checked from outside: deliveries signed with the
// standardwebhooks npm package, and Bearer tokens issued by a real `arenite serve`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { Webhook } from 'standardwebhooks';
import { startServer, bin, tempDir } from '../lib/arenite.mjs';
import { createApp, postForm, basic } from '../lib/oauth.mjs';

const SECRET = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
let AUDIENCE;
let server, receiver, receiverUrl, outDir, token;

function startReceiver(args) {
  const proc = spawn(bin, ['receive', '--listen', '127.0.0.1:0', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    let buffer = '';
    proc.stdout.on('data', (d) => {
      buffer += d;
      const m = buffer.match(/\{"event":"listening","url":"([^"]+)"\}/);
      if (m) resolve({ proc, url: m[1] });
    });
    proc.on('exit', (code) => reject(new Error(`receive exited ${code}: ${stderr}`)));
  });
}

function post(url, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function signed(id, payload, { when = new Date(), authorization } = {}) {
  const body = JSON.stringify(payload);
  const signature = new Webhook(SECRET).sign(id, when, body);
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(when.getTime() / 1000)),
    'webhook-signature': signature,
  };
  if (authorization) headers.authorization = authorization;
  return { body, headers };
}

function eventLines() {
  const file = path.join(outDir, 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

before(async () => {
  server = await startServer();
  const session = await server.login();
  const app = await createApp(server, session, { grantTypes: ['client_credentials'] });
  // A client can only get tokens for the API itself (webhook audiences are minted by arenite),
  // so this receiver is started with the API's audience.
  AUDIENCE = `${server.url}/v1`;
  const refused = await postForm(server, '/oauth/token',
    { grant_type: 'client_credentials', resource: 'https://victim.example.test/hook' },
    { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(refused.status, 400);
  assert.equal(refused.json.error, 'invalid_target');
  const res = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(res.status, 200, res.text);
  token = res.json.access_token;
  outDir = tempDir('arenite-receive-');
  receiver = await startReceiver(['--out', outDir, '--signing-secret', SECRET,
    '--issuer', server.url, '--audience', AUDIENCE,
    '--issuer-ca-file', path.join(server.dataDir, 'tls', 'cert.pem')]);
  receiverUrl = receiver.url + '/hooks/arenite';
});

after(async () => {
  receiver?.proc.kill('SIGTERM');
  await server?.stop();
});

test('a signed delivery with a valid token is written once', async () => {
  const payload = { type: 'item.updated', timestamp: new Date().toISOString(), data: { n: 1 } };
  const d = signed('msg_valid_1', payload, { authorization: `Bearer ${token}` });
  assert.equal((await post(receiverUrl, d.body, d.headers)).status, 200);
  assert.equal((await post(receiverUrl, d.body, d.headers)).status, 200);
  const lines = eventLines().filter((l) => l.webhookId === 'msg_valid_1');
  assert.equal(lines.length, 1);
  assert.equal(lines[0].type, 'item.updated');
  assert.deepEqual(lines[0].event, payload);
});

test('deliveries without a token, with a forged token, or badly signed get 401',
  async () => {
    const payload = { type: 'item.created', data: {} };
    const noToken = signed('msg_bad_1', payload);
    assert.equal((await post(receiverUrl, noToken.body, noToken.headers)).status, 401);

    // The same token with its claims changed (another audience): the signature no longer holds.
    const [h, c, sig] = token.split('.');
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
    claims.aud = 'https://other.example.test/';
    const forgedToken = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), sig].join('.');
    const wrongAud = signed('msg_bad_2', payload, { authorization: `Bearer ${forgedToken}` });
    assert.equal((await post(receiverUrl, wrongAud.body, wrongAud.headers)).status, 401);

    const forged = signed('msg_bad_3', payload, { authorization: `Bearer ${token}` });
    forged.body = JSON.stringify({ ...payload, data: { tampered: true } });
    assert.equal((await post(receiverUrl, forged.body, forged.headers)).status, 401);

    const stale = signed('msg_bad_4', payload,
      { when: new Date(Date.now() - 6 * 60 * 1000), authorization: `Bearer ${token}` });
    assert.equal((await post(receiverUrl, stale.body, stale.headers)).status, 401);

    const garbage = signed('msg_bad_5', payload, { authorization: 'Bearer not.a.jwt' });
    assert.equal((await post(receiverUrl, garbage.body, garbage.headers)).status, 401);

    // A good token with a second Authorization field: the second would go unchecked.
    const twice = signed('msg_bad_6', payload,
      { authorization: [`Bearer ${token}`, 'Bearer not.a.jwt'] });
    assert.equal((await post(receiverUrl, twice.body, twice.headers)).status, 401);

    assert.equal(eventLines().filter((l) => l.webhookId.startsWith('msg_bad')).length, 0);
  });

test('receive refuses bad usage with exit status 2', async () => {
  const code = await new Promise((resolve) => {
    const p = spawn(bin, ['receive', '--listen', '127.0.0.1:0', '--out', outDir,
      '--signing-secret', 'not-a-whsec-secret']);
    p.on('exit', resolve);
  });
  assert.equal(code, 2);
  const exit = (args) => new Promise((resolve) => {
    const p = spawn(bin, ['receive', '--listen', '127.0.0.1:0', '--out', outDir,
      '--signing-secret', SECRET, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('exit', (c) => resolve({ code: c, stderr }));
  });
  // A client for large packages needs its secret file, and the issuer to fetch from.
  let r = await exit(['--client-id', 'abc']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--client-secret-file/);
  r = await exit(['--client-id', 'abc', '--client-secret-file', path.join(outDir, 'nope')]);
  assert.equal(r.code, 2);
});
