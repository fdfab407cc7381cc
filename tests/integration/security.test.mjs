// Regressions of security review findings: events readable only within a token's scopes, and
// malformed bearer tokens answered 401, never 500.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';
import { createApp, postForm, basic } from '../lib/oauth.mjs';

let server, session;

async function tokenWith(scopes) {
  const app = await createApp(server, session,
    { name: `app ${scopes.join(' ')}`, scopes, grantTypes: ['client_credentials'] });
  const res = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(res.status, 200, res.text);
  return res.json.access_token;
}

before(async () => {
  server = await startServer();
  session = await server.login();
  const item = await server.request('POST', '/v1/items', { session, body: { name: 'Bolt' } });
  assert.equal(item.status, 201);
  const supplier = await server.request('POST', '/v1/suppliers',
    { session, body: { name: 'Secret Supplier', accountNumber: 'ACCT-9999' } });
  assert.equal(supplier.status, 201, supplier.text);
});

after(async () => { await server?.stop(); });

test('events show only the object kinds the token may read', async () => {
  const itemsOnly = await tokenWith(['items:read']);
  const items = await server.request('GET', '/v1/events?after=0&limit=400', { token: itemsOnly });
  assert.equal(items.status, 200, items.text);
  const kinds = new Set(items.json.results.map((e) => e.objectType));
  assert.ok(kinds.has('ITEM'));
  assert.ok(!kinds.has('SUPPLIER'));
  assert.ok(!items.text.includes('ACCT-9999'));

  const suppliersOnly = await tokenWith(['suppliers:read']);
  const sup = await server.request('GET', '/v1/events?after=0&limit=400',
    { token: suppliersOnly });
  assert.equal(sup.status, 200);
  assert.deepEqual([...new Set(sup.json.results.map((e) => e.objectType))], ['SUPPLIER']);

  const settingsOnly = await tokenWith(['settings:read']);
  assertErrorBody(assert, await server.request('GET', '/v1/events', { token: settingsOnly }), 403);

  const all = await server.request('GET', '/v1/events?after=0&limit=400', { session });
  assert.ok(all.json.results.some((e) => e.objectType === 'SUPPLIER'));
  assert.ok(all.json.results.some((e) => e.objectType === 'ITEM'));
});

test('bearer tokens with non-string header or claim fields are 401, not 500', async () => {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  for (const [header, claims] of [[{ alg: 1 }, {}], [{ alg: 'ES256', typ: 7, kid: 'x' }, {}],
    [{ alg: 'ES256', typ: 'at+jwt', kid: ['x'] }, { iss: 5 }], [[], []]]) {
    const token = `${b64(header)}.${b64(claims)}.AAAA`;
    for (const path of ['/v1/items', '/v1/settings/users']) {
      const res = await server.request('GET', path, { token });
      assertErrorBody(assert, res, 401);
      assert.match(res.headers['www-authenticate'], /invalid_token/);
    }
  }
  assert.equal((await server.request('GET', '/healthz')).status, 200);
});
