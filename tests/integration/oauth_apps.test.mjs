// Workspace Settings > OAuth Applications: registration rules, secrets shown once, rotation,
// secret age, the machine user, admins only, and the audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';
import { createApp, basic, postForm } from '../lib/oauth.mjs';

let server, session;
before(async () => {
  server = await startServer();
  session = await server.login();
});
after(async () => { await server?.stop(); });

test('create answers 201 with clientId and the secret once; reads never show it', async () => {
  const app = await createApp(server, session, { name: 'MES', description: 'line sync',
    redirectUris: ['https://mes.example.test/cb'] });
  assert.match(app.guid, /^[0-9A-Z]{20}$/);
  assert.ok(app.clientId.length >= 22);
  assert.ok(app.clientSecret.length >= 43);
  assert.deepEqual(app.grantTypes, ['authorization_code', 'client_credentials', 'refresh_token']);
  assert.equal(app.public, false);
  assert.equal(app.secretAgeDays, 0);
  assert.equal(app.secretTooOld, false);
  const got = await server.request('GET', `/v1/settings/oauthapps/${app.guid}`, { session });
  assert.equal(got.status, 200);
  assert.equal(got.json.clientSecret, undefined);
  assert.ok(!got.text.includes(app.clientSecret));
  const list = await server.request('GET', '/v1/settings/oauthapps', { session });
  assert.ok(list.json.results.some((a) => a.guid === app.guid));
  assert.ok(!list.text.includes(app.clientSecret));
});

test('redirect URIs must be https or loopback http, without fragment or wildcard', async () => {
  for (const uri of ['http://example.test/cb', 'https://example.test/cb#x',
    'https://*.example.test/cb', 'https://user@example.test/cb', 'ftp://example.test/cb',
    '/relative', 'https://', 'https://example.test/a b']) {
    const res = await server.request('POST', '/v1/settings/oauthapps', { session,
      body: { name: 'x', scopes: ['items:read'], redirectUris: [uri] } });
    assertErrorBody(assert, res, 400, 3003);
  }
  for (const uri of ['http://127.0.0.1/cb', 'http://[::1]:8080/cb', 'http://localhost/cb',
    'https://example.test/cb?tenant=1']) {
    const res = await server.request('POST', '/v1/settings/oauthapps', { session,
      body: { name: 'ok', scopes: ['items:read'], redirectUris: [uri] } });
    assert.equal(res.status, 201, `${uri}: ${res.text}`);
  }
});

test('bad bodies are 400s with the error body', async () => {
  const cases = [
    [{ scopes: ['items:read'] }, 3001],
    [{ name: 'x' }, 3001],
    [{ name: 'x', scopes: ['root'] }, 3003],
    [{ name: 'x', scopes: ['items:read'], grantTypes: ['password'] }, 3003],
    [{ name: 'x', scopes: ['items:read'], public: true, grantTypes: ['client_credentials'] }, 3003],
    [{ name: 'x', scopes: ['items:read'], color: 'red' }, 3004],
    [{ name: 42, scopes: ['items:read'] }, undefined],
  ];
  for (const [body, code] of cases) {
    const res = await server.request('POST', '/v1/settings/oauthapps', { session, body });
    assertErrorBody(assert, res, 400, code);
  }
  const raw = await server.request('POST', '/v1/settings/oauthapps', { session, raw: '{',
    headers: { 'content-type': 'application/json' } });
  assertErrorBody(assert, raw, 400);
});

test('update changes fields and keeps the secret; public cannot change', async () => {
  const app = await createApp(server, session, { grantTypes: ['client_credentials'] });
  const res = await server.request('PUT', `/v1/settings/oauthapps/${app.guid}`, { session,
    body: { name: 'Renamed', scopes: ['items:read', 'items:write'] } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.name, 'Renamed');
  assert.deepEqual(res.json.scopes, ['items:read', 'items:write']);
  const token = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(token.json.scope, 'items:read items:write');
  const pub = await server.request('PUT', `/v1/settings/oauthapps/${app.guid}`, { session,
    body: { public: true } });
  assertErrorBody(assert, pub, 400, 3003);
  const missing = await server.request('PUT', '/v1/settings/oauthapps/AAAAAAAAAAAAAAAAAAAA',
    { session, body: { name: 'x' } });
  assertErrorBody(assert, missing, 404);
});

test('rotation: at most two secrets valid, the older stops at once on a second rotation',
  async () => {
    const app = await createApp(server, session, { grantTypes: ['client_credentials'] });
    const r1 = await server.request('POST', `/v1/settings/oauthapps/${app.guid}/secrets`,
      { session, body: { graceSeconds: 3600 } });
    const r2 = await server.request('POST', `/v1/settings/oauthapps/${app.guid}/secrets`,
      { session });
    assert.equal(r1.status, 201);
    assert.equal(r2.status, 201);
    const tok = (s) => postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
      { authorization: basic(app.clientId, s) });
    assert.equal((await tok(app.clientSecret)).status, 401, 'the first secret stopped');
    assert.equal((await tok(r1.json.clientSecret)).status, 200, 'the second is in its grace');
    assert.equal((await tok(r2.json.clientSecret)).status, 200);
    const bad = await server.request('POST', `/v1/settings/oauthapps/${app.guid}/secrets`,
      { session, body: { graceSeconds: -1 } });
    assertErrorBody(assert, bad, 400);
  });

test('the maximum secret age flags old secrets in the list and the metric', async () => {
  const app = await createApp(server, session, { grantTypes: ['client_credentials'] });
  const set = await server.request('PUT', '/v1/settings/oauth', { session,
    body: { maxSecretAgeDays: 30 } });
  assert.equal(set.status, 200, set.text);
  await server.advanceClock(31 * 86400);
  session = await server.login();
  const got = await server.request('GET', `/v1/settings/oauthapps/${app.guid}`, { session });
  assert.equal(got.json.secretTooOld, true);
  assert.ok(got.json.secretAgeDays >= 31);
  await server.request('PUT', '/v1/settings/oauth', { session, body: { maxSecretAgeDays: 30 } });
  const metrics = await server.request('GET', '/metrics');
  assert.match(metrics.text, /arenite_oauth_apps_secret_too_old [1-9]/);
  assert.match(server.stderr, /past the workspace's maximum secret age/);
  const rotated = await server.request('POST', `/v1/settings/oauthapps/${app.guid}/secrets`,
    { session, body: { graceSeconds: 0 } });
  assert.equal(rotated.json.secretTooOld, false);
  await server.request('PUT', '/v1/settings/oauth', { session, body: { maxSecretAgeDays: null } });
});

test('the machine user is not listed among people and its role follows the scopes', async () => {
  const app = await createApp(server, session, { scopes: ['items:read', 'items:write'],
    grantTypes: ['client_credentials'] });
  const users = await server.request('GET', '/v1/settings/users', { session });
  assert.ok(!users.json.results.some((u) => u.guid === app.machineUser.guid));
  const tok = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: basic(app.clientId, app.clientSecret) });
  const payload = JSON.parse(Buffer.from(tok.json.access_token.split('.')[1], 'base64url'));
  assert.equal(payload.sub, app.machineUser.guid);
});

test('only administrators manage apps', async () => {
  const viewer = await server.request('POST', '/v1/settings/users', { session,
    body: { email: 'viewer@acme.test', password: 'a long enough password', role: 'VIEWER' } });
  assert.equal(viewer.status, 201, viewer.text);
  const vs = await server.login('viewer@acme.test', 'a long enough password');
  assertErrorBody(assert, await server.request('GET', '/v1/settings/oauthapps', { session: vs }),
    403);
  assertErrorBody(assert, await server.request('POST', '/v1/settings/oauthapps',
    { session: vs, body: { name: 'x', scopes: ['items:read'] } }), 403);
  assertErrorBody(assert, await server.request('GET', '/v1/settings/auditlog', { session: vs }),
    403);
  assertErrorBody(assert, await server.request('GET', '/v1/settings/oauthapps'), 401);
});

test('the audit log records create, change, rotation and deletion, never secrets', async () => {
  const app = await createApp(server, session, { name: 'Audited',
    grantTypes: ['client_credentials'] });
  await server.request('PUT', `/v1/settings/oauthapps/${app.guid}`, { session,
    body: { description: 'changed' } });
  const rotated = await server.request('POST', `/v1/settings/oauthapps/${app.guid}/secrets`,
    { session });
  assert.equal((await server.request('DELETE', `/v1/settings/oauthapps/${app.guid}`,
    { session })).status, 204);
  assertErrorBody(assert, await server.request('GET', `/v1/settings/oauthapps/${app.guid}`,
    { session }), 404);
  const log = await server.request('GET', '/v1/settings/auditlog?limit=400', { session });
  assert.equal(log.status, 200);
  const mine = log.json.results.filter((e) => e.object.guid === app.guid);
  assert.deepEqual(mine.map((e) => e.action).sort(), ['oauthapp.created', 'oauthapp.deleted',
    'oauthapp.secret_rotated', 'oauthapp.updated']);
  for (const e of mine) {
    assert.equal(e.actor, `user:${server.userId}`);
    assert.equal(e.address, '127.0.0.1');
    assert.match(e.creationDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(e.object.type, 'OAUTH_APP');
  }
  assert.ok(!log.text.includes(app.clientSecret));
  assert.ok(!log.text.includes(rotated.json.clientSecret));
});

test('the token endpoint rate-limits per client with 429 and Retry-After', async () => {
  const limited = await startServer({ args: ['--token-rate-per-client', '3'] });
  try {
    const s = await limited.login();
    const app = await createApp(limited, s, { grantTypes: ['client_credentials'] });
    const statuses = [];
    let last;
    for (let i = 0; i < 5; i++) {
      last = await postForm(limited, '/oauth/token', { grant_type: 'client_credentials' },
        { authorization: basic(app.clientId, app.clientSecret) });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.ok(Number(last.headers['retry-after']) >= 1);
    assert.equal(last.headers['cache-control'], 'no-store');
  } finally {
    await limited.stop();
  }
});

test('keys rotate keeps the old key in the JWKS and signs with the new one', async () => {
  const { execFileSync } = await import('node:child_process');
  const { bin } = await import('../lib/arenite.mjs');
  // Its own server, whose clock has not been moved by days.
  const server = await startServer();
  try {
  const before = (await server.request('GET', '/.well-known/jwks.json')).json.keys;
  const out = JSON.parse(execFileSync(bin, ['keys', 'rotate', '--data-dir', server.dataDir],
    { encoding: 'utf8' }).trim());
  assert.ok(out.kid);
  await server.advanceClock(61);  // the server reloads keys at most once a minute
  const session = await server.login();
  const after = (await server.request('GET', '/.well-known/jwks.json')).json.keys;
  const kids = after.map((k) => k.kid);
  assert.ok(kids.includes(out.kid));
  for (const k of before) assert.ok(kids.includes(k.kid), 'the old key stays published');
  const app = await createApp(server, session, { grantTypes: ['client_credentials'] });
  const tok = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: basic(app.clientId, app.clientSecret) });
  const header = JSON.parse(Buffer.from(tok.json.access_token.split('.')[0], 'base64url'));
  assert.equal(header.kid, out.kid);
  assert.equal(header.typ, 'at+jwt');
  assert.equal(header.alg, 'ES256');
  } finally {
    await server.stop();
  }
});
