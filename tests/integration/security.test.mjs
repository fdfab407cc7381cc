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

test('a demoted user\'s bearer token loses admin rights at once; the consent page admits the '
  + 'redirect origin in its CSP', async () => {
  const { Browser, authorize, pkcePair } = await import('../lib/oauth.mjs');
  const email = 'second-admin@acme.test', password = 'second admin password';
  const created = await server.request('POST', '/v1/settings/users',
    { session, body: { email, password, role: 'ADMIN' } });
  assert.equal(created.status, 201, created.text);
  const redirect = 'https://app.example.test/callback';
  const app = await createApp(server, session, { name: 'Admin console',
    scopes: ['settings:read'], redirectUris: [redirect],
    grantTypes: ['authorization_code', 'refresh_token'] });
  const { verifier, challenge } = pkcePair();
  const browser = new Browser(server);
  const params = { response_type: 'code', client_id: app.clientId, redirect_uri: redirect,
    scope: 'settings:read', state: 's1', code_challenge: challenge,
    code_challenge_method: 'S256' };
  // The consent page (before the decision) carries the app's origin in form-action.
  const page = await browser.get(`/oauth/authorize?${new URLSearchParams(params)}`);
  const signin = await browser.post('/oauth/authorize/signin', {
    ...Object.fromEntries([...page.text.matchAll(/name="([^"]+)" value="([^"]*)"/g)]
      .map((m) => [m[1], m[2].replace(/&amp;/g, '&')])), email, password });
  assert.equal(signin.status, 303, signin.text);
  const consent = await browser.get(signin.headers.location);
  assert.match(consent.headers['content-security-policy'],
    /form-action 'self' https:\/\/app\.example\.test(;|$)/);

  const flow = await authorize(server, new Browser(server), params, { email, password });
  assert.ok(flow.redirect, 'the flow ends in a redirect');
  const code = flow.redirect.searchParams.get('code');
  const tokens = await postForm(server, '/oauth/token', { grant_type: 'authorization_code', code,
    redirect_uri: redirect, code_verifier: verifier },
  { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(tokens.status, 200, tokens.text);
  const token = tokens.json.access_token;
  assert.equal((await server.request('GET', '/v1/settings/users', { token })).status, 200);

  const demote = await server.request('PUT', `/v1/settings/users/${created.json.guid}`,
    { session, body: { role: 'VIEWER' } });
  assert.equal(demote.status, 200, demote.text);
  assertErrorBody(assert, await server.request('GET', '/v1/settings/users', { token }), 403);
});
