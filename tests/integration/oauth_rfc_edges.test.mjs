// Edges of RFC 6749, 6750 and 7662 that a review found: whose requests count against a
// client's rate limit, parameters sent without a value, what introspection says about tokens
// the API would refuse, the Bearer challenge for other schemes and for a token in the query,
// and the characters of error_description.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';
import { createApp, basic, postForm, pkcePair, Browser, authorize } from '../lib/oauth.mjs';

let server, session;
before(async () => {
  server = await startServer();
  session = await server.login();
});
after(async () => { await server?.stop(); });

const token = (app, form = {}, headers = {}) => postForm(server, '/oauth/token',
  { grant_type: 'client_credentials', ...form },
  { authorization: basic(app.clientId, app.clientSecret), ...headers });
const introspect = (app, value) => postForm(server, '/oauth/introspect', { token: value },
  { authorization: basic(app.clientId, app.clientSecret) });

test('failed authentications with a client\'s id do not use up that client\'s rate limit', async () => {
  const limited = await startServer({ args: ['--token-rate-per-client', '3'] });
  try {
    const s = await limited.login();
    const victim = await createApp(limited, s, { grantTypes: ['client_credentials'] });
    for (let i = 0; i < 5; i++) {
      const forged = await postForm(limited, '/oauth/token', { grant_type: 'client_credentials',
        client_id: victim.clientId, client_secret: 'not the secret' });
      assert.equal(forged.status, 401, forged.text);
      assert.equal(forged.json.error, 'invalid_client');
    }
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await postForm(limited, '/oauth/token', { grant_type: 'client_credentials' },
        { authorization: basic(victim.clientId, victim.clientSecret) })).status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);

    // A public client proves nothing but its client_id: its limit is per client and address,
    // so requests from one address do not use up another's.
    const pub = await createApp(limited, s, { public: true,
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: ['https://spa.example.test/cb'] });
    const refresh = (agent) => limited.request('POST', '/oauth/token', {
      raw: new URLSearchParams({ grant_type: 'refresh_token', client_id: pub.clientId,
        refresh_token: 'not a refresh token' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, agent });
    const here = [];
    for (let i = 0; i < 4; i++) here.push((await refresh()).status);
    assert.deepEqual(here, [400, 400, 400, 429]);
    const elsewhere = new https.Agent({ ca: limited.ca, localAddress: '127.0.0.2' });
    try {
      const other = await refresh(elsewhere);
      assert.equal(other.status, 400, other.text);
      assert.equal(other.json.error, 'invalid_grant');
    } finally {
      elsewhere.destroy();
    }
  } finally {
    await limited.stop();
  }
});

test('parameters sent without a value count as omitted (RFC 6749 section 3.1)', async () => {
  const app = await createApp(server, session,
    { grantTypes: ['client_credentials'], scopes: ['items:read', 'suppliers:read'] });
  // An empty client_secret beside the Basic header is not a second authentication method, an
  // empty resource is not a foreign audience, and an empty scope asks for all of the app's.
  const res = await token(app, { client_secret: '', resource: '', scope: '' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.scope, 'items:read suppliers:read');
  // Sent twice is still refused, even when one of the two is empty.
  const twice = await postForm(server, '/oauth/token',
    'grant_type=client_credentials&scope=&scope=items%3Aread',
    { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(twice.status, 400, twice.text);
  assert.equal(twice.json.error, 'invalid_request');

  // The authorization endpoint: an empty redirect_uri is the app's one registered URI.
  const redirect = 'https://single.example.test/cb';
  const web = await createApp(server, session, { redirectUris: [redirect],
    grantTypes: ['authorization_code'], scopes: ['items:read'] });
  const { challenge } = pkcePair();
  const flow = await authorize(server, new Browser(server), { response_type: 'code',
    client_id: web.clientId, redirect_uri: '', scope: 'items:read', state: 'st',
    code_challenge: challenge, code_challenge_method: 'S256' },
  { email: server.email, password: server.password });
  assert.ok(flow.redirect, `no redirect: ${flow.res.status} ${flow.res.text}`);
  assert.equal(`${flow.redirect.origin}${flow.redirect.pathname}`, redirect);
  assert.ok(flow.redirect.searchParams.get('code'));
});

test('introspection calls a token inactive once its user is, and shows the scopes left',
  async () => {
    const email = 'editor@acme.test', password = 'editor password 123';
    const created = await server.request('POST', '/v1/settings/users',
      { session, body: { email, password, role: 'EDITOR' } });
    assert.equal(created.status, 201, created.text);
    const redirect = 'https://mes.example.test/callback';
    const app = await createApp(server, session, { redirectUris: [redirect],
      scopes: ['items:read', 'items:write'],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
    const { verifier, challenge } = pkcePair();
    const flow = await authorize(server, new Browser(server), { response_type: 'code',
      client_id: app.clientId, redirect_uri: redirect, scope: 'items:read items:write',
      state: 's', code_challenge: challenge, code_challenge_method: 'S256' },
    { email, password });
    assert.ok(flow.redirect, `no redirect: ${flow.res.status} ${flow.res.text}`);
    const tokens = await postForm(server, '/oauth/token', { grant_type: 'authorization_code',
      code: flow.redirect.searchParams.get('code'), redirect_uri: redirect,
      code_verifier: verifier }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(tokens.status, 200, tokens.text);
    const { access_token: access, refresh_token: refresh } = tokens.json;
    for (const value of [access, refresh]) {
      const before = await introspect(app, value);
      assert.equal(before.json.active, true, before.text);
      assert.equal(before.json.scope, 'items:read items:write');
    }

    // The app loses items:write: both tokens still introspect, with items:read alone, as the
    // API would let the access token do.
    const narrowed = await server.request('PUT', `/v1/settings/oauthapps/${app.guid}`,
      { session, body: { scopes: ['items:read'] } });
    assert.equal(narrowed.status, 200, narrowed.text);
    for (const value of [access, refresh]) {
      const after = await introspect(app, value);
      assert.equal(after.json.active, true, after.text);
      assert.equal(after.json.scope, 'items:read');
    }

    const off = await server.request('PUT', `/v1/settings/users/${created.json.guid}`,
      { session, body: { active: false } });
    assert.equal(off.status, 200, off.text);
    assertErrorBody(assert, await server.request('GET', '/v1/items', { token: access }), 401);
    for (const value of [access, refresh]) {
      const res = await introspect(app, value);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, { active: false });
    }
    // The app's own client-credentials token is not the user's, and stays active.
    const own = await token(app);
    assert.equal(own.status, 200, own.text);
    assert.equal((await introspect(app, own.json.access_token)).json.active, true);
  });

test('the API\'s Bearer challenge has no error code for another scheme, and invalid_request '
  + 'for a token in the query string (RFC 6750 section 3)', async () => {
  const basicAuth = await server.request('GET', '/v1/items',
    { headers: { authorization: basic('someone', 'something') } });
  assertErrorBody(assert, basicAuth, 401);
  assert.equal(basicAuth.headers['www-authenticate'], 'Bearer realm="arenite"');
  const inQuery = await server.request('GET', '/v1/items?access_token=abc', { session });
  assertErrorBody(assert, inQuery, 400, 9003);
  assert.equal(inQuery.headers['www-authenticate'], 'Bearer realm="arenite", error="invalid_request"');
  const bad = await server.request('GET', '/v1/items', { token: 'not.a.token' });
  assertErrorBody(assert, bad, 401);
  assert.equal(bad.headers['www-authenticate'], 'Bearer realm="arenite", error="invalid_token"');
});

test('two Authorization fields are invalid_request at the API and at the token endpoint '
  + '(RFC 6750 section 3.1, RFC 6749 section 2.3)', async () => {
  const app = await createApp(server, session, { grantTypes: ['client_credentials'] });
  const good = basic(app.clientId, app.clientSecret);
  const issued = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: good });
  assert.equal(issued.status, 200);
  const token = issued.json.access_token;
  assert.equal((await server.request('GET', '/v1/items', { token })).status, 200);
  // Node sends an array as one field line per value.
  for (const values of [[`Bearer ${token}`, 'Bearer junk'], [`Bearer ${token}`, good]]) {
    const two = await server.request('GET', '/v1/items', { headers: { authorization: values } });
    assertErrorBody(assert, two, 400);
    assert.equal(two.headers['www-authenticate'], 'Bearer realm="arenite", error="invalid_request"');
  }
  const twoBasic = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
    { authorization: [good, basic('someone', 'something')] });
  assert.equal(twoBasic.status, 400);
  assert.equal(twoBasic.json.error, 'invalid_request');
  const twoIntrospect = await postForm(server, '/oauth/introspect', { token },
    { authorization: [good, good] });
  assert.equal(twoIntrospect.status, 400);
  assert.equal(twoIntrospect.json.error, 'invalid_request');
});

test('error_description keeps to the characters RFC 6749 section 5.2 allows', async () => {
  const app = await createApp(server, session, { grantTypes: ['client_credentials'] });
  const res = await postForm(server, '/oauth/token',
    'grant_type=client_credentials&a%22%5C%C3%A9=1&a%22%5C%C3%A9=2',
    { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(res.status, 400, res.text);
  assert.equal(res.json.error, 'invalid_request');
  assert.match(res.json.error_description, /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
  assert.match(res.json.error_description, /the parameter 'a'\?\?\?' is repeated/);
});

test('an issuer with a path also has its metadata where RFC 8414 section 3.1 puts it', async () => {
  const issuer = 'https://arenite.example.test/plm/arena';
  const behind = await startServer({ args: ['--public-url', issuer] });
  try {
    for (const path of ['/.well-known/oauth-authorization-server',
      '/.well-known/oauth-authorization-server/plm/arena']) {
      const res = await behind.request('GET', path);
      assert.equal(res.status, 200, path);
      assert.equal(res.json.issuer, issuer);
      assert.equal(res.json.token_endpoint, `${issuer}/oauth/token`);
    }
    assert.equal((await behind.request('GET', '/.well-known/oauth-authorization-server/plm')).status,
      404);
  } finally {
    await behind.stop();
  }
});
