// The browser session API the web pages use: POST /v1/session signs in into the HttpOnly
// cookie, GET /v1/session tells who is calling and the CSRF token that writes must echo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertErrorBody } from '../lib/arenite.mjs';

let server;

before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

async function signIn() {
  const res = await server.request('POST', '/v1/session',
    { body: { email: server.email, password: server.password } });
  assert.equal(res.status, 200, res.text);
  const setCookie = res.headers['set-cookie'].find((c) => c.startsWith('arenite_session='));
  return { res, setCookie, cookie: setCookie.split(';')[0] };
}

test('POST /v1/session sets an HttpOnly, Secure cookie and keeps the token out of the body', async () => {
  const { res, setCookie } = await signIn();
  assert.match(setCookie, /; Path=\/;/);
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /Secure/);
  assert.match(setCookie, /SameSite=Lax/);
  const token = setCookie.split(';')[0].split('=')[1];
  assert.ok(token.length >= 40);
  assert.ok(!res.text.includes(token), 'the session token is not in the body');
  assert.equal(res.json.workspaceId, server.workspaceId);
  assert.equal(res.json.user.email, server.email);
  assert.match(res.json.csrfToken, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(res.headers['x-arena-requests-remaining']);
});

test('GET /v1/session gives the CSRF token of the cookie, and writes need it', async () => {
  const { res: signedIn, cookie } = await signIn();
  const me = await server.request('GET', '/v1/session', { headers: { cookie } });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.authentication, 'COOKIE');
  assert.equal(me.json.csrfToken, signedIn.json.csrfToken);
  assert.equal(me.json.workspaceName, 'Acme Test');

  const body = { email: 'viewer@acme.test', password: 'a long enough password' };
  const without = await server.request('POST', '/v1/settings/users', { headers: { cookie }, body });
  assertErrorBody(assert, without, 403, 9004);
  const wrong = await server.request('POST', '/v1/settings/users',
    { headers: { cookie, 'x-csrf-token': 'x'.repeat(43) }, body });
  assertErrorBody(assert, wrong, 403, 9004);
  const made = await server.request('POST', '/v1/settings/users',
    { headers: { cookie, 'x-csrf-token': me.json.csrfToken }, body });
  assert.equal(made.status, 201, made.text);

  // Logout with the cookie clears it; the cookie no longer works.
  const out = await server.request('PUT', '/v1/logout',
    { headers: { cookie, 'x-csrf-token': me.json.csrfToken } });
  assert.equal(out.status, 200);
  assert.equal(out.body.length, 0);
  assert.match(out.headers['set-cookie'].join(), /arenite_session=; Path=\/; Max-Age=0/);
  assertErrorBody(assert, await server.request('GET', '/v1/session', { headers: { cookie } }), 401);
});

test('GET /v1/session with the header session has no CSRF token', async () => {
  const session = await server.login();
  const me = await server.request('GET', '/v1/session', { session });
  assert.equal(me.status, 200);
  assert.equal(me.json.authentication, 'SESSION');
  assert.equal(me.json.csrfToken, null);
  assertErrorBody(assert, await server.request('GET', '/v1/session'), 401);
});

test('POST /v1/session refuses bad credentials and bad bodies with the error body', async () => {
  const bad = await server.request('POST', '/v1/session',
    { body: { email: server.email, password: 'wrong password' } });
  assertErrorBody(assert, bad, 400, 4001);
  assert.equal(bad.headers['set-cookie'], undefined);
  assertErrorBody(assert, await server.request('POST', '/v1/session', { body: { email: server.email } }), 400);
  assertErrorBody(assert, await server.request('POST', '/v1/session',
    { raw: 'email=a&password=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
  assertErrorBody(assert, await server.request('POST', '/v1/session', { raw: '{"email":' ,
    headers: { 'content-type': 'application/json' } }), 400);
  assertErrorBody(assert, await server.request('POST', '/v1/session',
    { body: { email: 1, password: [] } }), 400);
});
