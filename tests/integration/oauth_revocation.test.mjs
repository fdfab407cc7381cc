// Client-credentials tokens are not stored when issued; only revocations are. These tests pin
// down that revoking such a token still kills it at once on the API and in introspection, and
// after a restart, and that the in-memory cache of apps never lets a deleted app or a secret
// that has stopped authenticate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, initDataDir, assertErrorBody } from '../lib/arenite.mjs';
import { createApp, basic, postForm } from '../lib/oauth.mjs';

// A fixed public URL, so that the issuer (and so the tokens) survive a restart on a new port.
const publicUrl = 'https://arenite.revocation.test';
let ws, server, session;

const start = () => startServer({ dataDir: ws.dataDir, args: ['--public-url', publicUrl] });
const cc = (a, secret = a.clientSecret, form = {}) => postForm(server, '/oauth/token',
  { grant_type: 'client_credentials', ...form }, { authorization: basic(a.clientId, secret) });
const introspect = (a, token) => postForm(server, '/oauth/introspect', { token },
  { authorization: basic(a.clientId, a.clientSecret) });
const revoke = (a, token) => postForm(server, '/oauth/revoke', { token },
  { authorization: basic(a.clientId, a.clientSecret) });
const read = (token) => server.request('GET', '/v1/settings/users', { token });

before(async () => {
  ws = initDataDir();
  server = await start();
  Object.assign(server, { email: ws.email, password: ws.password });
  session = await server.login();
});
after(async () => { await server?.stop(); });

test('revoking a client-credentials token kills it at once, and still after a restart',
  async () => {
    const a = await createApp(server, session, { name: 'Revoker',
      grantTypes: ['client_credentials'], scopes: ['settings:read'] });
    const issued = await Promise.all([cc(a), cc(a), cc(a)]);
    for (const r of issued) assert.equal(r.status, 200, r.text);
    const [doomed, kept, other] = issued.map((r) => r.json.access_token);
    assert.equal((await read(doomed)).status, 200);
    assert.equal((await introspect(a, doomed)).json.active, true);

    const revoked = await revoke(a, doomed);
    assert.equal(revoked.status, 200, revoked.text);
    assertErrorBody(assert, await read(doomed), 401);
    assert.match((await read(doomed)).headers['www-authenticate'], /invalid_token/);
    assert.deepEqual((await introspect(a, doomed)).json, { active: false });
    // Revoking again is fine; the other tokens of the same app live on.
    assert.equal((await revoke(a, doomed)).status, 200);
    assert.equal((await read(kept)).status, 200);
    assert.equal((await introspect(a, other)).json.active, true);

    // The revocation is durable: after a restart the token is still dead, the others still live.
    assert.equal(await server.stop(), 0);
    server = await start();
    session = await server.login(ws.email, ws.password);
    assertErrorBody(assert, await read(doomed), 401);
    assert.deepEqual((await introspect(a, doomed)).json, { active: false });
    assert.equal((await read(kept)).status, 200);
    const intro = await introspect(a, kept);
    assert.equal(intro.json.active, true);
    assert.equal(intro.json.client_id, a.clientId);
    assert.equal(intro.json.iss, publicUrl);
    // A revocation after the restart works the same way.
    assert.equal((await revoke(a, kept)).status, 200);
    assertErrorBody(assert, await read(kept), 401);
    assert.equal((await read(other)).status, 200);
  });

test('another client cannot revoke a token it was not issued', async () => {
  const a = await createApp(server, session, { name: 'Owner', grantTypes: ['client_credentials'] });
  const b = await createApp(server, session, { name: 'Stranger',
    grantTypes: ['client_credentials'] });
  const token = (await cc(a)).json.access_token;
  const res = await revoke(b, token);
  assert.equal(res.status, 400, res.text);
  assert.equal(res.json.error, 'unauthorized_client');
  assert.equal((await read(token)).status, 200);
});

test('a deleted app\'s cached entry no longer authenticates, and its tokens die', async () => {
  const a = await createApp(server, session, { name: 'Deleted', grantTypes: ['client_credentials'] });
  // Several token requests: the app is cached after the first.
  for (let i = 0; i < 3; i++) assert.equal((await cc(a)).status, 200);
  const token = (await cc(a)).json.access_token;
  const del = await server.request('DELETE', `/v1/settings/oauthapps/${a.guid}`, { session });
  assert.equal(del.status, 204, del.text);
  const after = await cc(a);
  assert.equal(after.status, 401, after.text);
  assert.equal(after.json.error, 'invalid_client');
  assertErrorBody(assert, await read(token), 401);
});

test('a rotated-out secret stops at once although the app was cached', async () => {
  const a = await createApp(server, session, { name: 'Rotated', grantTypes: ['client_credentials'] });
  assert.equal((await cc(a)).status, 200);
  const token = (await cc(a)).json.access_token;
  // No grace period: the old secret stops with the rotation.
  const r1 = await server.request('POST', `/v1/settings/oauthapps/${a.guid}/secrets`,
    { session, body: { graceSeconds: 0 } });
  assert.equal(r1.status, 201, r1.text);
  const old = await cc(a);
  assert.equal(old.status, 401, old.text);
  assert.equal(old.json.error, 'invalid_client');
  assert.equal((await cc(a, r1.json.clientSecret)).status, 200);
  // With a grace period both work; a second rotation stops the first secret at once.
  const r2 = await server.request('POST', `/v1/settings/oauthapps/${a.guid}/secrets`,
    { session, body: { graceSeconds: 600 } });
  assert.equal((await cc(a, r1.json.clientSecret)).status, 200);
  assert.equal((await cc(a, r2.json.clientSecret)).status, 200);
  const r3 = await server.request('POST', `/v1/settings/oauthapps/${a.guid}/secrets`,
    { session, body: { graceSeconds: 600 } });
  assert.equal((await cc(a, r1.json.clientSecret)).status, 401);
  assert.equal((await cc(a, r2.json.clientSecret)).status, 200);
  assert.equal((await cc(a, r3.json.clientSecret)).status, 200);
  // Tokens do not depend on the secret that got them.
  assert.equal((await read(token)).status, 200);
});

test('a change of the app reaches its cached entry at once', async () => {
  const a = await createApp(server, session, { name: 'Changing', grantTypes: ['client_credentials'],
    scopes: ['items:read'] });
  assert.equal((await cc(a)).json.scope, 'items:read');
  const put = await server.request('PUT', `/v1/settings/oauthapps/${a.guid}`,
    { session, body: { scopes: ['items:read', 'settings:read'] } });
  assert.equal(put.status, 200, put.text);
  const wider = await cc(a, a.clientSecret, { scope: 'settings:read' });
  assert.equal(wider.status, 200, wider.text);
  assert.equal(wider.json.scope, 'settings:read');
  const narrow = await server.request('PUT', `/v1/settings/oauthapps/${a.guid}`,
    { session, body: { grantTypes: ['authorization_code'],
      redirectUris: ['https://c.example.test/cb'] } });
  assert.equal(narrow.status, 200, narrow.text);
  const refused = await cc(a);
  assert.equal(refused.status, 400, refused.text);
  assert.equal(refused.json.error, 'unauthorized_client');
});

test('the integrations list shows the last token time at once and after a restart', async () => {
  const a = await createApp(server, session, { name: 'Inventory', grantTypes: ['client_credentials'] });
  const row = async () => {
    const inv = await server.request('GET', '/v1/settings/integrations', { session });
    assert.equal(inv.status, 200, inv.text);
    return inv.json.results.find((r) => r.guid === a.guid);
  };
  assert.equal((await row()).lastTokenDateTime, null);
  assert.equal((await cc(a)).status, 200);
  const seen = (await row()).lastTokenDateTime;
  assert.ok(seen, 'a token just issued shows in the inventory');
  assert.equal(await server.stop(), 0);
  server = await start();
  session = await server.login(ws.email, ws.password);
  assert.equal((await row()).lastTokenDateTime, seen, 'the time was written before stopping');
});
