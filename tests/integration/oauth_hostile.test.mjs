// Malformed and hostile input at the OAuth endpoints: every answer is a 4xx in the RFC 6749 5.2
// shape (token, introspection, revocation), an HTML error page (authorization endpoint), or the
// API's error body; never a 5xx.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';
import { createApp, basic, postForm, Browser, pkcePair } from '../lib/oauth.mjs';

let server, app, auth;
before(async () => {
  server = await startServer();
  const session = await server.login();
  app = await createApp(server, session, { redirectUris: ['https://c.example.test/cb'] });
  auth = { authorization: basic(app.clientId, app.clientSecret) };
});
after(async () => { await server?.stop(); });

test('the token endpoint wants a form; JSON, repeats and junk are invalid_request', async () => {
  const json = await server.request('POST', '/oauth/token', { body: { grant_type: 'x' },
    headers: auth });
  assert.equal(json.status, 400);
  assert.equal(json.json.error, 'invalid_request');
  const repeated = await server.request('POST', '/oauth/token', {
    raw: 'grant_type=client_credentials&grant_type=client_credentials',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth } });
  assert.equal(repeated.json.error, 'invalid_request');
  const broken = await server.request('POST', '/oauth/token', { raw: 'grant_type=%zz',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth } });
  assert.equal(broken.json.error, 'invalid_request');
  const noCode = await postForm(server, '/oauth/token', { grant_type: 'authorization_code' }, auth);
  assert.equal(noCode.json.error, 'invalid_request');
  const badCode = await postForm(server, '/oauth/token', { grant_type: 'authorization_code',
    code: 'x'.repeat(5000), redirect_uri: 'https://c.example.test/cb', code_verifier: 'v' }, auth);
  assert.equal(badCode.json.error, 'invalid_grant');
  const badRefresh = await postForm(server, '/oauth/token', { grant_type: 'refresh_token',
    refresh_token: '\u0000\u0001' }, auth);
  assert.equal(badRefresh.json.error, 'invalid_grant');
});

test('malformed client authentication is invalid_client, two methods invalid_request', async () => {
  for (const authorization of ['Basic', 'Basic !!!!', 'Basic ' + 'A'.repeat(10000),
    'Digest x', basic('', 'x'), basic('a'.repeat(300), 'x')]) {
    const res = await postForm(server, '/oauth/token', { grant_type: 'client_credentials' },
      { authorization });
    assert.equal(res.status, 401, authorization.slice(0, 30));
    assert.equal(res.json.error, 'invalid_client');
    assert.ok(res.headers['www-authenticate']);
  }
  const both = await postForm(server, '/oauth/token', { grant_type: 'client_credentials',
    client_secret: app.clientSecret }, auth);
  assert.equal(both.status, 400);
  assert.equal(both.json.error, 'invalid_request');
  const confidentialWithoutSecret = await postForm(server, '/oauth/token',
    { grant_type: 'client_credentials', client_id: app.clientId });
  assert.equal(confidentialWithoutSecret.json.error, 'invalid_client');
});

test('introspection and revocation shrug off junk tokens', async () => {
  for (const token of ['a.b.c', 'x'.repeat(9000), 'e30.e30.e30', '..']) {
    const intro = await postForm(server, '/oauth/introspect', { token }, auth);
    assert.equal(intro.status, 200, token.slice(0, 20));
    assert.equal(intro.json.active, false);
    const rev = await postForm(server, '/oauth/revoke', { token }, auth);
    assert.equal(rev.status, 200);
  }
  // No token, or an empty one (a parameter without a value counts as omitted, RFC 6749 3.1).
  for (const form of [{}, { token: '' }]) {
    for (const path of ['/oauth/introspect', '/oauth/revoke']) {
      const none = await postForm(server, path, form, auth);
      assert.equal(none.status, 400, `${path} ${JSON.stringify(form)}`);
      assert.equal(none.json.error, 'invalid_request');
    }
  }
});

test('the authorization endpoint answers junk with an error page', async () => {
  // With one registered redirect URI, a request without redirect_uri uses it (RFC 6749 3.1.2.3),
  // so the missing response_type goes back there.
  const lone = await new Browser(server).get(`/oauth/authorize?client_id=${app.clientId}`);
  assert.equal(lone.status, 303);
  const back = new URL(lone.headers.location);
  assert.equal(back.origin + back.pathname, 'https://c.example.test/cb');
  assert.equal(back.searchParams.get('error'), 'invalid_request');
  for (const q of ['', 'client_id=', 'client_id=%00',
    `client_id=${app.clientId}&client_id=${app.clientId}`,
    `client_id=${app.clientId}&redirect_uri=${'x'.repeat(5000)}`,
    `client_id=${encodeURIComponent('"><script>')}`]) {
    const res = await new Browser(server).get(`/oauth/authorize?${q}`);
    assert.equal(res.status, 400, q.slice(0, 40));
    assert.ok(!res.headers.location);
    assert.ok(!res.text.includes('<script>'));
  }
  const state = '"><script>alert(1)</script>';
  const page = await new Browser(server).get('/oauth/authorize?' + new URLSearchParams({
    response_type: 'code', client_id: app.clientId, redirect_uri: 'https://c.example.test/cb',
    state, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
  assert.equal(page.status, 200);
  assert.ok(!page.text.includes('<script>'), 'state is escaped in the hidden fields');
  const consent = await new Browser(server).post('/oauth/authorize/consent', { client_id: 'x' });
  assert.equal(consent.status, 400);
  const signin = await server.request('POST', '/oauth/authorize/signin', { body: { a: 1 } });
  assert.equal(signin.status, 400);
});

test('a session cookie of the sign-in does not bypass CSRF on the API', async () => {
  const browser = new Browser(server);
  const page = await browser.get('/oauth/authorize?' + new URLSearchParams({
    response_type: 'code', client_id: app.clientId, redirect_uri: 'https://c.example.test/cb',
    code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
  const { parseForm } = await import('../lib/oauth.mjs');
  const form = parseForm(page.text);
  await browser.post(form.action, { ...form.fields, email: server.email,
    password: server.password });
  const res = await server.request('POST', '/v1/settings/oauthapps', {
    body: { name: 'csrf', scopes: ['items:read'] },
    headers: { cookie: browser.cookieHeader() } });
  assertErrorBody(assert, res, 403, 9004);
});

test('a request without redirect_uri uses the one registered URI end to end', async () => {
  const { authorize } = await import('../lib/oauth.mjs');
  const { verifier, challenge } = pkcePair();
  const { redirect, res } = await authorize(server, new Browser(server), {
    response_type: 'code', client_id: app.clientId, code_challenge: challenge,
    code_challenge_method: 'S256', state: 'lone' });
  assert.ok(redirect, res?.text);
  assert.equal(redirect.origin + redirect.pathname, 'https://c.example.test/cb');
  const code = redirect.searchParams.get('code');
  const ok = await postForm(server, '/oauth/token', { grant_type: 'authorization_code', code,
    code_verifier: verifier }, auth);
  assert.equal(ok.status, 200, ok.text);
  assert.ok(ok.json.refresh_token);
});

test('a wrong password shows the sign-in form again and opens no session', async () => {
  const { parseForm } = await import('../lib/oauth.mjs');
  const browser = new Browser(server);
  const page = await browser.get('/oauth/authorize?' + new URLSearchParams({
    response_type: 'code', client_id: app.clientId, redirect_uri: 'https://c.example.test/cb',
    code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
  const form = parseForm(page.text);
  assert.ok('workspaceId' in form.fields && 'csrf' in form.fields);
  const res = await browser.post(form.action, { ...form.fields, email: server.email,
    password: 'not the password' });
  assert.equal(res.status, 400);
  assert.match(res.text, /role="alert"/);
  assert.equal(parseForm(res.text).action, '/oauth/authorize/signin');
  assert.ok(!browser.cookies.has('arenite_session'));
});

test('failed client authentications are counted in full but logged a limited number of times',
  async () => {
    const own = await startServer({ args: ['--token-rate-per-address', '1000000'] });
    try {
      // 24 characters, the shape of a client id, so that the log names it.
      const clientId = ('flood-' + Math.random().toString(36).slice(2) + 'x'.repeat(24)).slice(0, 24);
      const before = (own.stderr.match(/client authentication failed/g) || []).length;
      for (let i = 0; i < 60; i++) {
        const res = await postForm(own, '/oauth/token', { grant_type: 'client_credentials' },
          { authorization: basic(clientId, 'wrong') });
        assert.equal(res.status, 401);
      }
      const lines = own.stderr.split('\n').filter((l) => l.includes('client authentication failed'));
      const mine = lines.filter((l) => l.includes(clientId));
      // 20 lines in any 10 seconds; the 60 failures took far less.
      assert.ok(mine.length >= 1 && lines.length - before <= 20, `${mine.length} of 60 logged`);
      const metrics = await own.request('GET', '/metrics');
      const failures = metrics.text.match(/^arenite_oauth_client_auth_failures_total\S* (\d+)/m);
      assert.ok(failures && Number(failures[1]) >= 60, metrics.text.slice(0, 200));
    } finally {
      await own.stop();
    }
  });
